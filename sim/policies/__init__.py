"""Policy levers: registry and parsing of ``name`` / ``name:key=value,key=value`` specs.

Each lever lives in its own module and registers itself in `POLICIES`. A lever changes what agents
face through typed effects (`sim.inputs.Effects`) and takes the municipality's own paid decisions
(see `sim.policies.base`); it never sets an outcome.
"""

from __future__ import annotations

from typing import Any

from .spec import LeverSpec, Policy, PolicyError

__all__ = ["POLICIES", "LeverSpec", "Policy", "PolicyError", "available_policies", "parse_policy"]


#: name -> lever class; filled by the lever modules imported below.
POLICIES: dict[str, type] = {}


def available_policies() -> dict[str, str]:
    """``{name: one-line description}`` of every lever."""
    return {name: (cls.__doc__ or "").strip().splitlines()[0] for name, cls in POLICIES.items()}


def parse_policy(spec: str | LeverSpec) -> Any:
    """Build a lever from ``"name"`` or ``"name:key=value,key=value"`` (a `LeverSpec`)."""
    # The name is checked first (an unknown lever is the likelier mistake than its settings).
    name = spec.name if isinstance(spec, LeverSpec) else LeverSpec.name_of(spec)
    if name not in POLICIES:
        allowed = ", ".join(sorted(POLICIES)) or "(none available yet)"
        raise PolicyError(f"unknown policy {name!r}; allowed: {allowed}")
    lever = spec if isinstance(spec, LeverSpec) else LeverSpec.parse(spec)
    dup = lever.duplicate_keys()
    if dup:
        raise PolicyError(f"policy {name!r}: setting {dup[0]!r} is given twice; "
                          "allowed: each setting once")
    return POLICIES[name].from_settings(lever.as_dict())


# Importing the lever modules fills `POLICIES` (each `Lever` subclass registers itself).
from . import (  # noqa: E402, F401
    biz,
    blurring,
    car_free,
    compaction,
    demolition,
    deregulation,
    evening_economy,
    herverkaveling,
    hide_vacancy,
    peripheral_levy,
    popup_programme,
    starter_support,
    transformation,
    vacancy_ordinance,
)
