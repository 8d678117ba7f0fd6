"""Validation of a run's inputs at the boundary (Python API and command line), in one place.

Every check here turns a wrong value into one exception with a one-line message that names the
argument and the allowed values, before anything is computed or written:

* `InputError` (a `ValueError`): a value of the right kind that is not allowed (a negative seed,
  a start year outside `START_YEARS`, more than `MAX_YEARS` years, the same lever twice, ...).
* `InputTypeError` (a `TypeError` and an `InputError`): a value of the wrong kind (``seed=1.7``,
  ``years="12"``, ``policies="compaction"``, ...).

The command line reports both as ``binnenstad: error: <message>`` with exit code 2. Limits that
belong to one input kind live with its reader: town files in `sim.town_io` and `sim.town`
(`TOWN_LIMITS`), the street network's memory in `sim.space`, scenario files in
`sim.scenarios.loader`, lever settings in `sim.policies`.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Longest run in years (12 monthly steps each). A run's tables grow with its length; 200 years
#: is far beyond any scenario's data (the drivers are held flat after their last point).
MAX_YEARS = 200
#: Allowed first simulated years (inclusive): the scenarios' data start in the 1990s-2010s and
#: their projections end by 2100.
START_YEARS = (1990, 2100)
#: Largest root seed (seeds are stored as 64-bit integers in run.json and the tables).
MAX_SEED = 2**63 - 1
#: Kernel backends (kept in step with `sim.kernels.BACKENDS`; not imported from there so that
#: validating does not load numba).
BACKENDS = ("numba", "reference")


class InputError(ValueError):
    """A run input with a value that is not allowed. The message is one line."""


class InputTypeError(InputError, TypeError):
    """A run input of the wrong type. The message is one line."""


def _kind(value: Any) -> str:
    return type(value).__name__


def _show(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 40 else s[:37] + "..."


def whole_number(value: Any, name: str, lo: int, hi: int, what: str = "") -> int:
    """``value`` as an int in [lo, hi]; bools, floats (even 2.0) and strings are refused."""
    allowed = f"a whole number from {lo} to {hi}" + (f" ({what})" if what else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be {allowed}, got {_show(value)} ({_kind(value)})")
    v = int(value)
    if not lo <= v <= hi:
        raise InputError(f"{name} must be {allowed}, got {v}")
    return v


def check_seed(value: Any, name: str = "seed") -> int:
    """A root seed: a whole number from 0 to `MAX_SEED`."""
    return whole_number(value, name, 0, MAX_SEED)


def check_years(value: Any, name: str = "years") -> int:
    """Number of simulated years: 1 to `MAX_YEARS`."""
    return whole_number(value, name, 1, MAX_YEARS, "years")


def check_start(value: Any, name: str = "start") -> int:
    """First simulated year: within `START_YEARS`."""
    return whole_number(value, name, *START_YEARS)


def check_backend(value: Any, name: str = "backend") -> str:
    if not isinstance(value, str) or value not in BACKENDS:
        raise (InputError if isinstance(value, str) else InputTypeError)(
            f"unknown {name} {_show(value)}; allowed: {', '.join(BACKENDS)}")
    return value


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InputTypeError(f"{name} must be True or False, got {_show(value)} ({_kind(value)})")
    return value


def check_mapping(value: Any, name: str) -> dict[str, Any]:
    """A ``{name: value}`` mapping with string keys (None -> empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InputTypeError(f"{name} must be a dict of names to values or None, got "
                             f"{_show(value)} ({_kind(value)})")
    return dict(value)


def check_callback(value: Any, name: str) -> Callable[[], None] | None:
    if value is not None and not callable(value):
        raise InputTypeError(f"{name} must be a function taking no arguments or None, got "
                             f"{_show(value)} ({_kind(value)})")
    return value


def check_out(value: Any, name: str = "out") -> Path | None:
    """An output folder: None (write nothing), a non-empty str or os.PathLike."""
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise InputTypeError(f"{name} must be a folder path (str or pathlib.Path) or None, got "
                             f"{_show(value)} ({_kind(value)})")
    text = os.fspath(value)
    if isinstance(text, bytes):
        raise InputTypeError(f"{name} must be a text path, got bytes")
    if not text.strip():
        raise InputError(f"{name} must name a folder, got an empty path {text!r}")
    if "\0" in text:
        raise InputError(f"{name} must not contain a NUL character")
    return Path(text)


def check_spec(value: Any, name: str, allowed: str, objects: tuple[type, ...] = ()) -> Any:
    """A town or scenario: a non-empty name or path, or one of ``objects``."""
    if objects and isinstance(value, objects):
        return value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be {allowed}, got {_show(value)} ({_kind(value)})")
    if not value.strip():
        raise InputError(f"{name} must be {allowed}, got an empty string")
    return value


def split_policy(spec: str) -> tuple[str, list[str]]:
    """``"name:key=value,key=value"`` -> (name, [key, ...]) without checking names or values
    (a setting without ``=`` counts by its text; `parse_policy` refuses it)."""
    from .policies.spec import LeverSpec, PolicyError

    try:
        lever = LeverSpec.parse(spec)
    except PolicyError:
        name, _, rest = spec.partition(":")
        return name.strip(), [s.strip().partition("=")[0].strip() for s in rest.split(",")
                              if s.strip()]
    return lever.name, lever.keys


def check_policies(value: Any, name: str = "policies") -> list[str]:
    """Lever specs: a list or tuple of ``"name"`` / ``"name:key=value,..."`` strings, each lever
    at most once and each setting at most once per lever. Names and values are checked by
    `sim.policies.parse_policy`."""
    if isinstance(value, str):
        raise InputTypeError(f"{name} must be a list of lever specs such as [{value!r}], got a "
                             "single string")
    if value is None:
        return []
    if not isinstance(value, Sequence):
        raise InputTypeError(f"{name} must be a list of lever specs (strings), got "
                             f"{_show(value)} ({_kind(value)})")
    specs: list[str] = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(value):
        if not isinstance(spec, str):
            raise InputTypeError(f"{name}[{i}] must be a lever spec string such as "
                                 f"'compaction:intensity=2', got {_show(spec)} ({_kind(spec)})")
        lever, keys = split_policy(spec)
        if lever in seen:
            raise InputError(f"policy {lever!r} is given twice ({name}[{seen[lever]}] and "
                             f"{name}[{i}]); allowed: each lever once, with all its settings in "
                             f"one spec such as {lever}:key=value,key=value")
        seen[lever] = i
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise InputError(f"policy {lever!r}: setting {dup[0]!r} is given twice in "
                             f"{spec!r}; allowed: each setting once")
        specs.append(spec)
    return specs


def check_number(value: Any, name: str, lo: float, hi: float, unit: str) -> float:
    """A finite number in [lo, hi] (used for values a user passes in place of a file field)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a number from {lo:g} to {hi:g} ({unit}), got "
                             f"{_show(value)} ({_kind(value)})")
    if isinstance(value, numbers.Integral) and not lo <= value <= hi:  # no float overflow
        raise InputError(f"{name} must be a number from {lo:g} to {hi:g} ({unit}), got "
                         f"{_show(value)}")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(f"{name} must be a number from {lo:g} to {hi:g} ({unit}), got {v!r}")
    return v


def check_scenario_start(start: int | None, scenario: Any) -> int:
    """The run's first year: the scenario's own start year by default; a start outside the
    years the scenario covers (``start_year`` to ``end_year``) is refused."""
    first, last = int(scenario.start_year), int(scenario.end_year)
    if start is None:
        return first
    if not first <= int(start) <= last:
        raise InputError(f"start = {start} is outside the years scenario {scenario.name!r} "
                         f"covers; allowed: {first}-{last}")
    return int(start)
