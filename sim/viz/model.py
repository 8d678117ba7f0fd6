"""`CentreApp`: the Mesa model the page drives.

SolaraViz rebuilds the page's model with ``type(model)(**controls)`` when the user presses Reset,
so the app needs a model class whose keyword arguments are the controls. `CentreApp` is that
class: it turns the controls into a town, a scenario and levers (`sim.viz.settings`), runs a
`CityCentreModel` inside, and records the charts' series with a Mesa `DataCollector` (what
Mesa's plot components read). Settings that cannot be simulated do not raise: the app keeps the
one-line message in ``error``, stops running, and the page shows the message.
"""

from __future__ import annotations

import logging
from typing import Any

from mesa import DataCollector, Model

from ..functions import ZONE_NAMES
from ..mesa_compat import MonthSteps
from ..model import CityCentreModel
from ..policies import POLICIES
from . import adapter
from .settings import (
    AppSettings,
    SettingsError,
    build_levers,
    build_scenario,
    build_town,
    parse_seed,
)

log = logging.getLogger(__name__)

#: Chart series: DataCollector column -> (reporter on the inner model, legend label).
VACANCY_SERIES = {f"vacancy_{z}": (lambda m, z=z: 100.0 * adapter.vacancy(m, z),
                                   "whole centre" if z == "all" else z)
                  for z in ("all", *ZONE_NAMES)}
FOOTFALL_SERIES = {f"footfall_{z}": (lambda m, z=z: adapter.footfall(m, z), z)
                   for z in ZONE_NAMES}
SHOP_SERIES = {f"shops_{k}": (lambda m, k=k: adapter.shop_counts(m)[k], label)
               for k, label in (("shops", "all shops"), ("chains", "chain outlets"),
                                ("independents", "independents"), ("popups", "pop-ups"))}
SERIES = {**VACANCY_SERIES, **FOOTFALL_SERIES, **SHOP_SERIES}


def policy_kwargs(kwargs: dict[str, Any]) -> dict[str, float]:
    """``{lever: intensity}`` of the switched-on levers from ``policy_<lever>`` switches and
    ``intensity_<lever>`` sliders."""
    unknown = [k for k in kwargs if not k.startswith(("policy_", "intensity_"))
               or k.split("_", 1)[1] not in POLICIES]
    if unknown:
        raise TypeError(f"CentreApp got unexpected keyword argument {unknown[0]!r}")
    return {name: float(kwargs.get(f"intensity_{name}", 1.0)) for name in POLICIES
            if kwargs.get(f"policy_{name}", False)}


def own_years(scenario: str, start: int | None = None, years: int | None = None
              ) -> tuple[int, int]:
    """``(start year, years)`` of a future: its own, unless given (a scenario that cannot be
    read: 2013 and 12; the app then shows the scenario's error)."""
    from ..scenarios.loader import ScenarioError, load_scenario

    if start is None or years is None:
        try:
            sc = load_scenario(scenario)
            own_start, own_end = int(sc.start_year), int(sc.end_year)
        except (ScenarioError, OSError, ValueError):
            own_start, own_end = 2013, 2025
        start = own_start if start is None else int(start)
        years = max(own_end - start, 1) if years is None else int(years)
    return int(start), int(years)


class CentreApp(MonthSteps, Model):
    """A city centre as the app runs it (see the module docstring).

    Args:
        town: preset name or GeoJSON town file.
        scenario_name: scenario preset or TOML file.
        online_growth, ageing, contagion: driver multipliers (x scenario), see
            `sim.viz.settings`.
        rng: random seed, a whole number (the page passes the text typed in its seed box).
        years: length of the run; the app stops after this many years (default: the future's
            own horizon, its end year minus its start year, as ``binnenstad compare`` runs it).
        start_year: first simulated year (default: the future's own start year).
        scenario: ignored; SolaraViz passes a fresh Mesa `Scenario` on Reset, the centre's own
            scenario comes from ``scenario_name``.
        **levers: ``policy_<lever>=True`` switches a lever on, ``intensity_<lever>=x`` sets its
            intensity.
    """

    def __init__(self, town: str = "medium", scenario_name: str = "baseline",
                 online_growth: float = 1.0, ageing: float = 1.0, contagion: float = 1.0,
                 rng: Any = 0, years: int | None = None, start_year: int | None = None,
                 scenario: Any = None, **levers: Any) -> None:
        self.error: str | None = None
        self.sim: CityCentreModel | None = None
        start_year, years = own_years(str(scenario_name), start_year, years)
        try:
            seed = parse_seed(rng)
        except SettingsError as exc:
            seed, self.error = 0, str(exc)
        super().__init__(rng=seed)
        self.settings = AppSettings(town=str(town), scenario=str(scenario_name),
                                    online_growth=float(online_growth), ageing=float(ageing),
                                    contagion=float(contagion), seed=seed,
                                    policies=policy_kwargs(levers), start=int(start_year),
                                    years=int(years))
        self.datacollector = DataCollector(
            model_reporters={k: (lambda app, f=f: f(app.sim)) for k, (f, _) in SERIES.items()})
        if self.error is None:
            try:
                self.sim = self._build()
            except SettingsError as exc:
                self.error = str(exc)
            except Exception as exc:  # a bug, not a user mistake: log it, show one line
                log.exception("building the model failed")
                self.error = f"the model could not be built: {type(exc).__name__}: {exc}"
        if self.sim is None:
            self.running = False
            return
        self.outlines = None  # zone outlines, computed by the map on first draw
        self.datacollector.collect(self)

    def _build(self) -> CityCentreModel:
        s = self.settings
        town = build_town(s.town)
        scenario = build_scenario(s)
        levers = build_levers(s.policies)
        try:
            return CityCentreModel(town, scenario, levers, start_year=s.start, rng=s.seed)
        except ValueError as exc:  # e.g. a town the street network cannot serve
            raise SettingsError(str(exc)) from None

    def step(self) -> None:
        """One month of the centre, then record the chart series."""
        if self.sim is None:
            self.running = False
            return
        try:
            self.sim.step()
        except Exception as exc:
            log.exception("step failed")
            self.error = f"the model stopped: {type(exc).__name__}: {exc}"
            self.running = False
            return
        self.datacollector.collect(self)
        if self.steps >= 12 * self.settings.years:  # the app's own months (Mesa counts them)
            self.running = False  # the run is complete: play stops, Reset starts again
