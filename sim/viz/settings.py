"""The app's controls and how they become model inputs.

The three driver controls are multipliers on what the chosen scenario says, so 1 always means
"as the scenario has it" and the controls mean the same thing in every future:

- **online share growth**: scales the change of every ``online_share_<branch>`` driver relative
  to its value in the start year (0 freezes online shares at their start-year level, 2 doubles
  their rise);
- **ageing**: scales the change of the ``share_65plus`` driver in the same way;
- **vacancy contagion**: scales the ``contagion_strength`` parameter.

Each policy lever has a switch and its ``intensity`` (the common setting that scales all of a
lever's effects; see `sim.policies.base`). Settings that cannot be simulated (an online share
above 100%, a seed that is not a number, a broken town file) raise `SettingsError` with one line
that the page shows instead of a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..policies import POLICIES, PolicyError, parse_policy
from ..scenarios.loader import CentreScenario, ScenarioError, load_scenario
from ..scenarios.schema import PARAMS, TRAJECTORIES
from ..town import PRESETS, Town
from ..town_io import TownFileError, resolve_town

#: Town presets offered in the app (``xl`` is too large to watch month by month).
APP_TOWNS = ("small", "medium", "large")
#: Range of the driver multipliers (x scenario).
DRIVER_MAX = 3.0
#: Range of a lever's intensity in the app (the lever itself allows up to 10).
INTENSITY_MAX = 3.0
ONLINE_DRIVERS = tuple(k for k in TRAJECTORIES if k.startswith("online_share_"))
#: Environment variables with the page's first town, scenario and start year (set by
#: ``binnenstad viz``, read by `sim.viz.app`).
ENV_TOWN, ENV_SCENARIO, ENV_START = ("BINNENSTAD_VIZ_TOWN", "BINNENSTAD_VIZ_SCENARIO",
                                     "BINNENSTAD_VIZ_START")


class SettingsError(ValueError):
    """App settings that cannot be simulated; the message is one line for the page."""


@dataclass(frozen=True)
class AppSettings:
    """One choice of every control of the app.

    Attributes:
        town: preset name or GeoJSON town file.
        scenario: preset name or scenario TOML file.
        online_growth: multiplier on the change of the online shares (x scenario).
        ageing: multiplier on the change of the 65+ share (x scenario).
        contagion: multiplier on ``contagion_strength`` (x scenario).
        seed: root random seed (text as typed, or an int).
        policies: lever name -> intensity, for the levers switched on.
        start: first simulated year.
        years: length of the run (years).
    """

    town: str = "medium"
    scenario: str = "baseline"
    online_growth: float = 1.0
    ageing: float = 1.0
    contagion: float = 1.0
    seed: Any = 0
    policies: Mapping[str, float] = field(default_factory=dict)
    start: int = 2013
    years: int = 12


def parse_seed(value: Any) -> int:
    """The seed as a whole number >= 0 (the app's seed box holds text)."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        raise SettingsError(f"random seed {text!r} is not a whole number; allowed: 0 or more"
                            ) from None
    if seed < 0:
        raise SettingsError(f"random seed {seed} is negative; allowed: 0 or more")
    return seed


def _scaled(traj: tuple[tuple[float, ...], tuple[float, ...]], factor: float, start: float
            ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A driver's points with their change since ``start`` multiplied by ``factor``."""
    years = np.asarray(traj[0], dtype=float)
    values = np.asarray(traj[1], dtype=float)
    v0 = float(np.interp(start, years, values))
    return tuple(years.tolist()), tuple((v0 + factor * (values - v0)).tolist())


def _check_driver(name: str, points: tuple[tuple[float, ...], tuple[float, ...]], label: str,
                  factor: float) -> None:
    spec = TRAJECTORIES[name]
    for year, v in zip(*points, strict=True):
        if not spec.lo <= v <= spec.hi:
            what = name.removeprefix("online_share_").replace("_", " ")
            subject = (f"the online share of {what}" if name.startswith("online_share_")
                       else "the 65+ share" if name == "share_65plus" else name)
            raise SettingsError(
                f"{label} x{factor:g} takes {subject} to {100 * v:.0f}% in {int(year)}; "
                f"allowed: {100 * spec.lo:g}% to {100 * spec.hi:g}% (lower the {label})")


def build_scenario(settings: AppSettings) -> CentreScenario:
    """The chosen scenario with the driver multipliers applied."""
    for label, value in (("online share growth", settings.online_growth),
                         ("ageing", settings.ageing), ("vacancy contagion", settings.contagion)):
        if not (isinstance(value, int | float) and 0.0 <= value <= DRIVER_MAX):
            raise SettingsError(f"{label} x{value} is out of range; allowed: 0 to {DRIVER_MAX:g}")
    try:
        base = load_scenario(settings.scenario)
    except ScenarioError as exc:
        raise SettingsError(str(exc)) from None
    trajectories = dict(base.trajectories)
    sources = dict(base.sources)
    for names, label, factor in ((ONLINE_DRIVERS, "online share growth", settings.online_growth),
                                 (("share_65plus",), "ageing", settings.ageing)):
        if factor == 1.0:
            continue
        for name in names:
            trajectories[name] = _scaled(base.trajectories[name], factor, settings.start)
            _check_driver(name, trajectories[name], label, factor)
            note = f"app: change since {settings.start} x{factor:g}"
            sources[name] = f"{sources.get(name, '')}; {note}"
    params = dict(base.params)
    if settings.contagion != 1.0:
        spec = PARAMS["contagion_strength"]
        value = base.params["contagion_strength"] * settings.contagion
        if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise SettingsError(f"vacancy contagion x{settings.contagion:g} gives "
                                f"contagion_strength {value:g}; allowed: {spec.lo} to {spec.hi}")
        params["contagion_strength"] = value
        sources["contagion_strength"] = (f"{sources.get('contagion_strength', '')}; app: "
                                         f"x{settings.contagion:g}")
    return CentreScenario(name=base.name, description=base.description, chain=base.chain,
                          params=params, units=base.units, sources=sources,
                          trajectories=trajectories)


def build_levers(policies: Mapping[str, float]) -> list[Any]:
    """Lever objects for the switched-on levers, each at its intensity."""
    levers = []
    for name, intensity in policies.items():
        if name not in POLICIES:
            raise SettingsError(f"unknown policy {name!r}; allowed: {', '.join(sorted(POLICIES))}")
        try:
            levers.append(parse_policy(f"{name}:intensity={float(intensity)!r}"))
        except PolicyError as exc:
            raise SettingsError(str(exc)) from None
    return levers


def build_town(spec: str, seed: int = 0) -> Town:
    """A preset or a town file (one-line `SettingsError` if it cannot be read)."""
    try:
        return resolve_town(spec, seed=seed)
    except (TownFileError, OSError, ValueError) as exc:
        raise SettingsError(str(exc)) from None


def town_choices(extra: str | None = None) -> list[str]:
    """Towns offered in the app: the presets that can be watched and the user's own file."""
    towns = list(APP_TOWNS)
    if extra and extra not in towns:
        towns.append(extra)
    return towns


def is_preset(town: str) -> bool:
    return town.strip().lower() in PRESETS
