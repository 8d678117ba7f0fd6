"""The Solara page of ``binnenstad viz`` (``solara run sim.viz.app`` serves it too).

The page is built from Solara's own layout (app bar, sidebar) around the centre's components
(`sim.viz.components`), not from Mesa's `SolaraViz` frame: that frame shows Mesa's internal
controls (play and render intervals, threads, the time counter, a page tab), applies changed
settings only on Reset without saying so, and keeps its pause icon after a run ends. Here the
sidebar has Reset / Play / Step and the settings grouped by kind (`sim.viz.controls`); above the
map the page says what the running model uses, which changed settings wait for Reset, and which
settings do nothing. The model is still Mesa's: `CentreApp` and its `DataCollector`.

The first town, scenario and start year come from the environment (``BINNENSTAD_VIZ_TOWN``,
``BINNENSTAD_VIZ_SCENARIO``, ``BINNENSTAD_VIZ_START``), set by ``binnenstad viz``. Every browser
tab gets a model of its own.
"""

from __future__ import annotations

import os
from typing import Any

import solara

from ..policies import POLICIES
from ..scenarios.loader import available_scenarios
from .components import page_components
from .controls import PLAY_INTERVAL_MS, RunControls, RunSummary, SettingsPanel, initial_settings
from .model import CentreApp, own_years
from .settings import (
    DRIVER_MAX,
    ENV_SCENARIO,
    ENV_START,
    ENV_TOWN,
    INTENSITY_MAX,
    town_choices,
)

__all__ = ["PLAY_INTERVAL_MS", "Page", "model_params", "page"]


def model_params(town: str = "medium", scenario: str = "baseline", start: int | None = None
                 ) -> dict[str, Any]:
    """The controls in Mesa's `SolaraViz` ``model_params`` form (for Mesa recipes that build a
    SolaraViz page of `CentreApp`): town, scenario, the three driver multipliers, the seed, and
    a switch with an intensity for every policy lever."""
    scenarios = list(available_scenarios())
    if scenario not in scenarios:
        scenarios.append(scenario)
    start, years = own_years(scenario, start)

    def slider(label: str, hi: float) -> dict[str, Any]:
        return {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": hi, "step": 0.1,
                "label": label}

    params: dict[str, Any] = {
        "town": {"type": "Select", "value": town, "values": town_choices(town), "label": "town"},
        "scenario_name": {"type": "Select", "value": scenario, "values": scenarios,
                          "label": "scenario (future)"},
        "online_growth": slider("online share growth (x scenario)", DRIVER_MAX),
        "ageing": slider("ageing, 65+ share (x scenario)", DRIVER_MAX),
        "contagion": slider("vacancy contagion (x scenario)", DRIVER_MAX),
        "years": {"type": "SliderInt", "value": years, "min": 1, "max": 40, "step": 1,
                  "label": "years to simulate"},
        "rng": {"type": "InputText", "value": "0", "label": "random seed"},
        "start_year": start,
    }
    for name in POLICIES:
        params[f"policy_{name}"] = {"type": "Checkbox", "value": False,
                                    "label": f"policy: {name.replace('_', ' ')}"}
        params[f"intensity_{name}"] = slider(f"{name.replace('_', ' ')} intensity",
                                             INTENSITY_MAX)
    return params


def _config() -> tuple[str, str, int | None]:
    start = os.environ.get(ENV_START)
    return (os.environ.get(ENV_TOWN, "medium"), os.environ.get(ENV_SCENARIO, "baseline"),
            int(start) if start else None)


@solara.component
def Page():
    """One page per browser tab, with its own model."""
    town, scenario, start = _config()
    first = solara.use_memo(lambda: initial_settings(town, scenario, start), [])
    chosen = solara.use_reactive(first)
    applied = solara.use_reactive(first)
    app = solara.use_reactive(solara.use_memo(lambda: CentreApp(**first), []))
    playing = solara.use_reactive(False)
    components = solara.use_memo(page_components, [])
    solara.Title("binnenstad")
    with solara.AppBar():
        solara.AppBarTitle("binnenstad: a Dutch city centre")
    with solara.Sidebar():
        with solara.Column(gap="8px"):
            RunControls(app, chosen, applied, playing)
            SettingsPanel(chosen, applied)
    with solara.Column(gap="6px", style="padding: 8px 12px"):
        RunSummary(app, chosen, applied)
        components[0](app.value)
        with solara.Row(gap="8px", style="flex-wrap: wrap"):
            for chart in components[1:]:
                with solara.Column(style="flex: 1 1 420px; min-width: 360px"):
                    chart(app.value)


page = Page
