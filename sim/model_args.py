"""Checks of the arguments a `sim.model.CityCentreModel` is built and run with (one line each,
naming the argument and the allowed values)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .limits import MAX_SEED


def check_seed(seed: Any, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name} must be a whole number >= 0, got {seed!r}")
    if seed < 0 or seed > MAX_SEED:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return int(seed)


def check_months(months: Any) -> int:
    if isinstance(months, bool) or not isinstance(months, int | np.integer | float):
        raise TypeError(f"months must be a whole number >= 1, got {months!r}")
    if not (math.isfinite(float(months)) and float(months).is_integer() and months >= 1):
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    return int(months)


def own_levers(policies: list[Any] | None) -> list[Any]:
    """Fresh lever objects for this model (specs are parsed; objects are copied)."""
    from .policies import parse_policy
    from .policies.base import Lever

    if policies is None:
        return []
    if isinstance(policies, str | bytes) or not hasattr(policies, "__iter__"):
        raise TypeError("policies must be a list of lever specs or lever objects, got "
                        f"{type(policies).__name__}")
    out = []
    for item in policies:
        if isinstance(item, str):
            out.append(parse_policy(item))
        elif isinstance(item, Lever):
            out.append(type(item)(**item.values))
        else:
            raise TypeError(f"policy {item!r} is neither a lever spec nor a lever")
    names = [lv.name for lv in out]
    dup = next((nm for nm in names if names.count(nm) > 1), None)
    if dup is not None:
        raise ValueError(f"policy {dup!r} is given twice; allowed: each lever once (combine "
                         "settings in one spec)")
    return out
