"""Quick what-ifs on a loaded scenario: parameter overrides and scaled drivers.

``binnenstad run --set PARAM=VALUE --driver-scale TRAJECTORY=FACTOR`` and
``sim.run(params={...}, driver_scale={...})`` change a scenario without a TOML file:

- a parameter override replaces a value (a map may be given in part, ``rent_level.core=250``
  or ``rent_level={core=250}``), checked exactly as a value in a scenario file;
- a driver scale multiplies a driver's change from its value at the run's start year:
  ``v'(t) = v(start) + factor x (v(t) - v(start))`` for t after the start, unchanged before it
  (the history the burn-in and spin-up replay stays as the scenario tells it). ``online_share_*``
  style patterns (``*`` and ``?``) scale every matching driver. A scaled value outside the
  driver's allowed range is refused, not clipped.

Every mistake raises `ScenarioError` with one line naming the option (or argument), the name and
what is allowed. Sources of changed values record the what-if, so ``run.json`` tells the story.
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .loader import CentreScenario, ScenarioError, override_params
from .schema import PARAMS, TRAJECTORIES

#: Allowed driver scale factors (0 freezes a driver at its start value).
SCALE_RANGE = (0.0, 10.0)


def parse_assignments(items: Iterable[str], option: str = "--set") -> dict[str, Any]:
    """``["NAME=VALUE", "MAP.KEY=VALUE", ...]`` -> ``{name: value}``; VALUE is read as a TOML value
    (``0.3``, ``true``, ``{core = 250, aanloop = 150}``), and ``MAP.KEY`` sets one key of a map."""
    out: dict[str, Any] = {}
    for item in items:
        name, eq, text = str(item).partition("=")
        name = name.strip()
        if not eq or not name or not text.strip():
            raise ScenarioError(f"{option}: {item!r} must look like NAME=VALUE "
                                "(see `binnenstad params` for the names)")
        value = _toml_value(text, f"{option} {name}")
        base, dot, key = name.partition(".")
        if base not in PARAMS:
            raise ScenarioError(f"{option}: {base!r} is not a known parameter; see "
                                f"`binnenstad params` for the {len(PARAMS)} allowed names")
        if dot:
            if not PARAMS[base].keys:
                raise ScenarioError(f"{option}: {base} is a single value, not a map; allowed: "
                                    f"{base}=VALUE")
            slot = out.setdefault(base, {})
            if not isinstance(slot, dict):
                raise ScenarioError(f"{option}: {base} is given twice; allowed: each name once")
            if key in slot:
                raise ScenarioError(f"{option}: {name} is given twice; allowed: each name once")
            slot[key] = value
        else:
            if base in out:
                raise ScenarioError(f"{option}: {base} is given twice; allowed: each name once")
            out[base] = value
    return out


def parse_scales(items: Iterable[str], option: str = "--driver-scale") -> dict[str, float]:
    """``["TRAJECTORY=FACTOR", ...]`` -> ``{pattern: factor}`` (patterns are matched later)."""
    out: dict[str, float] = {}
    for item in items:
        name, eq, text = str(item).partition("=")
        name = name.strip()
        if not eq or not name or not text.strip():
            raise ScenarioError(f"{option}: {item!r} must look like TRAJECTORY=FACTOR, e.g. "
                                "online_share_*=2")
        try:
            factor = float(text)
        except ValueError:
            shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:37] + "..."
            raise ScenarioError(f"{option}: {name}={shown} is not a number; allowed: "
                                f"a factor from {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}"
                                ) from None
        if name in out:
            raise ScenarioError(f"{option}: {name} is given twice; allowed: each driver once")
        out[name] = factor
    return out


def _toml_value(text: str, where: str) -> Any:
    allowed = "allowed: a number, true/false, or a table such as {core = 250, aanloop = 150}"
    shown = repr(text.strip()) if len(text.strip()) <= 40 else (
        f"{text.strip()[:30]!r}... ({len(text.strip()):,} characters)")
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        raise ScenarioError(f"{where}: {shown} is not a value; {allowed}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: {shown} is nested too deeply; {allowed}") from None
    except ValueError:  # an integer with more digits than Python converts (4,300)
        raise ScenarioError(f"{where}: {shown} has too many digits; {allowed}") from None


def resolve_scales(scales: Mapping[str, float], label: str = "driver_scale") -> dict[str, float]:
    """Expand patterns to driver names and check the factors; a driver matched by two entries
    is refused."""
    out: dict[str, float] = {}
    for pattern, factor in scales.items():
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not (
                math.isfinite(float(factor))
                and SCALE_RANGE[0] <= float(factor) <= SCALE_RANGE[1]):
            raise ScenarioError(f"{label}: {pattern} = {factor!r} is not an allowed factor; "
                                f"allowed: a number from {SCALE_RANGE[0]:g} to "
                                f"{SCALE_RANGE[1]:g}")
        names = fnmatch.filter(TRAJECTORIES, str(pattern))
        if not names:
            raise ScenarioError(f"{label}: {pattern!r} matches no driver; allowed: "
                                f"{', '.join(TRAJECTORIES)} (patterns with * allowed)")
        for name in names:
            if name in out:
                raise ScenarioError(f"{label}: driver {name} is matched twice (by {pattern!r} "
                                    "and an earlier entry); allowed: each driver once")
            out[name] = float(factor)
    return out


def scale_drivers(scenario: CentreScenario, scales: Mapping[str, float], from_year: float,
                  label: str = "driver_scale") -> CentreScenario:
    """A copy of ``scenario`` whose drivers change ``factor`` times as much from ``from_year``
    (a fractional year; January = the whole year) on. See the module docstring."""
    factors = resolve_scales(scales, label)
    if not factors:
        return scenario
    trajs = dict(scenario.trajectories)
    sources = dict(scenario.sources)
    for name, factor in factors.items():
        years, values = (np.asarray(x, dtype=float) for x in trajs[name])
        v0 = float(np.interp(from_year, years, values))
        later = years > from_year
        new_years = (*years[~later], *(() if from_year in years else (from_year,)),
                     *years[later])
        new_values = np.interp(new_years, years, values)
        after = np.asarray(new_years) > from_year
        new_values[after] = v0 + factor * (new_values[after] - v0)
        spec = TRAJECTORIES[name]
        for y, x in zip(new_years, new_values, strict=True):
            if (spec.lo is not None and x < spec.lo - 1e-12) or (
                    spec.hi is not None and x > spec.hi + 1e-12):
                raise ScenarioError(
                    f"{label}: {name} x {factor:g} reaches {x:.4g} in {y:.4g}; allowed values "
                    f"of {name}: [{spec.lo:g}, {spec.hi:g}]; use a smaller factor")
        order = np.argsort(new_years, kind="stable")
        trajs[name] = (tuple(float(new_years[i]) for i in order),
                       tuple(float(new_values[i]) for i in order))
        sources[name] = (f"{sources.get(name, '')}; what-if: change from {from_year:g} "
                         f"scaled x{factor:g}").lstrip("; ")
    return CentreScenario(**{**scenario.fields(), "trajectories": trajs, "sources": sources})


def apply_whatifs(scenario: CentreScenario, params: Mapping[str, Any] | None,
                  driver_scale: Mapping[str, float] | None, from_year: float,
                  labels: tuple[str, str] = ("params", "driver_scale")) -> CentreScenario:
    """``scenario`` with parameter overrides and then driver scales applied (either may be
    empty)."""
    if params:
        scenario = override_params(scenario, dict(params), labels[0])
    if driver_scale:
        scenario = scale_drivers(scenario, driver_scale, from_year, labels[1])
    return scenario
