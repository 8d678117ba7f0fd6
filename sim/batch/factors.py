"""Factors: what a key of a spec's ``[grid]`` or ``[sample.ranges]`` means, and how a value of it
changes a run.

Three kinds of key (the vocabulary of the EMA Workbench: *uncertainties* and *levers*):

* ``<param>``, ``<param>.<key>`` or ``<param>.<row>.<col>``: a scenario parameter (see
  ``binnenstad params``), or one entry of a map or matrix parameter. The value replaces the
  scenario's value and is checked like a value in a scenario file. An uncertainty.
* ``trajectories.<driver>``: a multiplier (dimensionless, >= 0) on every point of a scenario
  driver's trajectory, e.g. ``trajectories.online_share_fashion = [0.8, 1.2]``. An uncertainty.
* ``<lever>:<setting>``, e.g. ``compaction:intensity``: a lever setting. It changes every policy
  that contains the lever (policies without it are unaffected) and becomes part of the policy's
  text, e.g. ``compaction:intensity=2``. A lever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..deprecation import deprecated_alias
from ..policies import POLICIES
from ..policies.spec import Policy
from ..scenarios.loader import CentreScenario
from ..scenarios.schema import PARAMS, TRAJECTORIES

DRIVER_PREFIX = "trajectories."

Kind = Literal["param", "driver", "lever"]
DType = Literal["float", "int", "bool", "str"]


class FactorError(ValueError):
    """A grid or sample key that names nothing, or a value it cannot take (one-line message)."""


@dataclass(frozen=True)
class Factor:
    """One experimental factor: its spec key, kind, target and value type.

    Attributes:
        name: the key as written in the spec (and the column name in the results).
        kind: ``param`` (scenario parameter), ``driver`` (trajectory multiplier) or ``lever``.
        target: parameter, driver or lever name.
        path: keys inside a map/matrix parameter, or ``(setting,)`` of a lever.
        dtype: ``float``, ``int``, ``bool`` or ``str`` (a lever choice).
        lo, hi: allowed range of a numeric factor (None: unbounded).
    """

    name: str
    kind: Kind
    target: str
    path: tuple[str, ...]
    dtype: DType
    lo: float | None = None
    hi: float | None = None

    @property
    def uncertainty(self) -> bool:
        """Scenario parameters and drivers are uncertainties; lever settings are not."""
        return self.kind != "lever"

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in this factor's type (sampled integers are rounded); raise
        `FactorError` if it has the wrong type."""
        if self.dtype == "bool":
            if not isinstance(value, bool):
                raise FactorError(f"{self.name} takes true or false, got {value!r}")
            return value
        if self.dtype == "str":
            if not isinstance(value, str):
                raise FactorError(f"{self.name} takes a name, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FactorError(f"{self.name} takes a number, got {value!r}")
        if self.dtype == "int":
            return round(float(value))
        return float(value)


def _param_factor(name: str) -> Factor:
    head, *path = name.split(".")
    spec = PARAMS.get(head)
    if spec is None:
        raise FactorError(
            f"{name!r} names no scenario parameter, driver or lever setting; allowed: a parameter"
            f" (see `binnenstad params`), {DRIVER_PREFIX}<driver> or <lever>:<setting>")
    if spec.kind in ("float", "int", "bool"):
        if path:
            raise FactorError(f"{name!r}: parameter {head} is a single value; use {head!r}")
        return Factor(name, "param", head, (), spec.kind, spec.lo, spec.hi)
    want = (spec.keys,) if spec.kind == "map" else (spec.keys, spec.cols)
    if len(path) != len(want):
        shape = "<key>" if spec.kind == "map" else "<row>.<col>"
        raise FactorError(f"{name!r}: parameter {head} is a {spec.kind}; use {head}.{shape} "
                          f"with <key> in {', '.join(spec.keys)}")
    for part, allowed in zip(path, want, strict=True):
        if part not in allowed:
            raise FactorError(f"{name!r}: {part!r} is not a key of {head}; allowed: "
                              f"{', '.join(allowed)}")
    dtype: DType = "bool" if spec.unit == "bool" else ("int" if spec.unit == "stops" else "float")
    return Factor(name, "param", head, tuple(path), dtype, spec.lo, spec.hi)


def parse_factor(name: str) -> Factor:
    """Classify a grid/sample key; raise `FactorError` (one line, allowed values) if unknown."""
    if ":" in name:
        lever, _, setting = name.partition(":")
        cls = POLICIES.get(lever)
        if cls is None:
            raise FactorError(f"{name!r}: unknown lever {lever!r}; allowed: "
                              f"{', '.join(sorted(POLICIES))}")
        settings = cls.spec()
        s = settings.get(setting)
        if s is None:
            raise FactorError(f"{name!r}: lever {lever} has no setting {setting!r}; allowed: "
                              f"{', '.join(settings)}")
        dtype: DType = "str" if s.kind == "choice" else s.kind
        return Factor(name, "lever", lever, (setting,), dtype, s.lo, s.hi)
    if name.startswith(DRIVER_PREFIX):
        driver = name[len(DRIVER_PREFIX):]
        if driver not in TRAJECTORIES:
            raise FactorError(f"{name!r}: unknown driver {driver!r}; allowed: "
                              f"{', '.join(TRAJECTORIES)}")
        return Factor(name, "driver", driver, (), "float", 0.0, None)
    return _param_factor(name)


def format_value(value: Any) -> str:
    """A setting value as text that parses back to the same value (floats round-trip)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def split_policy(policy: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """``"compaction+blurring:intensity=2"`` -> ``[("compaction", []), ("blurring",
    [("intensity", "2")])]``; ``"none"`` -> ``[]``. Syntax only (`sim.policies.spec.Policy`,
    which raises `PolicyError` on bad syntax); `parse_policy` validates names and values."""
    return [(lv.name, list(lv.settings)) for lv in Policy.parse(policy).levers]


def apply_levers(policy: str, values: dict[Factor, Any]) -> tuple[str, tuple[str, ...]]:
    """The policy with lever-setting factors applied: ``(policy string, lever specs)``.

    A factor replaces (or adds) the setting of its lever in every part of the policy that names
    the lever; ``none`` and policies without the lever are unchanged.
    """
    parts = []
    for name, items in split_policy(policy):
        settings = dict(items)
        for f, v in values.items():
            if f.kind == "lever" and f.target == name:
                settings[f.path[0]] = format_value(v)
        text = ",".join(f"{k}={v}" for k, v in settings.items())
        parts.append(f"{name}:{text}" if text else name)
    return ("+".join(parts) if parts else "none"), tuple(parts)


#: Deprecated alias of `split_policy` (a policy is what was called an arm).
split_arm = deprecated_alias(split_policy, "split_arm")


def scenario_changes(values: dict[Factor, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """``(parameter overrides, driver multipliers)`` of the uncertainty factors of a point.

    Map and matrix entries become nested tables, which the scenario loader merges into the
    scenario's own value (``{"spend_per_capita": {"fashion": 900.0}}``).
    """
    overrides: dict[str, Any] = {}
    scales: dict[str, float] = {}
    for f, v in values.items():
        if f.kind == "driver":
            scales[f.target] = float(v)
        elif f.kind == "param":
            if not f.path:
                overrides[f.target] = v
                continue
            node = overrides.setdefault(f.target, {})
            for key in f.path[:-1]:
                node = node.setdefault(key, {})
            node[f.path[-1]] = v
    return overrides, scales


def scale_drivers(scenario: CentreScenario, scales: dict[str, float]) -> CentreScenario:
    """A copy of ``scenario`` whose named driver trajectories are multiplied by ``scales``;
    raise `FactorError` if a scaled point leaves the driver's allowed range."""
    if not scales:
        return scenario
    trajs = dict(scenario.trajectories)
    for name, factor in scales.items():
        years, values = trajs[name]
        spec = TRAJECTORIES[name]
        scaled = tuple(float(v) * factor for v in values)
        for y, v in zip(years, scaled, strict=True):
            if not spec.lo <= v <= spec.hi:
                raise FactorError(
                    f"{DRIVER_PREFIX}{name} = {factor:g} puts driver {name} at {v:g} in {y:g} "
                    f"in scenario {scenario.name}; allowed: [{spec.lo:g}, {spec.hi:g}]")
        trajs[name] = (tuple(years), scaled)
    # Copy every attribute (including ones added to CentreScenario later, e.g. start_year).
    fields = {k: v for k, v in scenario.to_dict().items()
              if k not in ("model", "_scenario_id", "rng")}
    fields["trajectories"] = trajs
    return type(scenario)(**fields)


def canonical(values: dict[str, Any]) -> str:
    """Stable JSON text of a ``{name: value}`` mapping (for cache keys and hashes)."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
