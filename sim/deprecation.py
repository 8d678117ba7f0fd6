"""Deprecated names and how they keep working (issue 17, item 8: one vocabulary).

The vocabulary: a **lever** is one instrument with its settings (``compaction:intensity=2``); a
**policy** is a combination of levers (``none``, ``compaction+blurring``), what earlier versions
called an *arm*; a **driver** is a time path; a **parameter** a constant; an **uncertainty** a
parameter or driver factor varied in a study.

Every public name that used the old word keeps working for now:

* Python functions: the old name is a thin alias that emits a `DeprecationWarning`
  (`deprecated_alias`), e.g. ``arm_label`` -> ``policy_label``.
* Output table columns: the new column (``policy``) is written and the old one (``arm``) is kept
  as a duplicate at the end of the table, deprecated (`with_deprecated_columns`).
* Command-line options and experiment-spec keys: the old name is accepted and one line on
  stderr says what to write instead (`note`).

This module is a leaf: it imports nothing from the package.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for the types: importing this module stays cheap (lazy CLI)
    import pandas as pd

#: Deprecated output column -> the column it duplicates.
DEPRECATED_COLUMNS: dict[str, str] = {"arm": "policy", "arms": "policies",
                                      "arm label": "policy label"}


def deprecated_alias[F: Callable[..., Any]](new: F, old_name: str) -> F:
    """``new`` under its deprecated name ``old_name``: same behaviour, plus a
    `DeprecationWarning` naming the new function."""
    new_name = new.__name__

    @functools.wraps(new)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"{old_name} is deprecated; use {new_name} (a policy is what was called "
                      "an arm)", DeprecationWarning, stacklevel=2)
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = f"Deprecated alias of `{new_name}`."
    return alias  # type: ignore[return-value]


def deprecated_constant(module: str, old_name: str, new_name: str, value: Any) -> Any:
    """A module-level constant under its deprecated name (call from a module ``__getattr__``)."""
    warnings.warn(f"{module}.{old_name} is deprecated; use {new_name}", DeprecationWarning,
                  stacklevel=3)
    return value


def with_deprecated_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each deprecated column (``arm``, ...) appended as a duplicate of its new
    column (``policy``, ...) where the new one is present."""
    import pandas as pd

    if df is None or not isinstance(df, pd.DataFrame):
        return df
    out = df
    for old, new in DEPRECATED_COLUMNS.items():
        if new in out.columns and old not in out.columns:
            out = out.assign(**{old: out[new]})
    return out


def without_deprecated_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without the deprecated duplicates (for display)."""
    drop = [old for old, new in DEPRECATED_COLUMNS.items()
            if old in df.columns and new in df.columns]
    return df.drop(columns=drop)


def note(old: str, new: str, what: str = "option", where: str = "binnenstad") -> None:
    """One line on stderr: the deprecated ``old`` (an option or spec key) still works; write
    ``new``."""
    print(f"{where}: note: the {what} {old} is deprecated; use {new} (a policy is what was "
          "called an arm)", file=sys.stderr)
