"""The Solara page of ``binnenstad viz`` (``solara run sim.viz.app`` serves it too).

Mesa's `SolaraViz` provides the frame: step / play / reset, the model controls in the sidebar,
and a grid of components. The first choices of town, scenario and start year come from the
environment (``BINNENSTAD_VIZ_TOWN``, ``BINNENSTAD_VIZ_SCENARIO``, ``BINNENSTAD_VIZ_START``), set by
``binnenstad viz``. Every browser tab gets a model of its own.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz

from ..policies import POLICIES
from ..scenarios.loader import available_scenarios
from .components import page_components
from .model import CentreApp
from .settings import (
    DRIVER_MAX,
    ENV_SCENARIO,
    ENV_START,
    ENV_TOWN,
    INTENSITY_MAX,
    town_choices,
)

#: Milliseconds between steps when playing: slow enough to watch a medium town month by month
#: (the slider goes down to 1 ms; see benchmarks/app_speed.py).
PLAY_INTERVAL_MS = 50


def model_params(town: str = "medium", scenario: str = "baseline", start: int = 2013
                 ) -> dict[str, Any]:
    """The sidebar controls (Mesa `SolaraViz` ``model_params``): town, scenario, the three
    driver multipliers, the seed, and a switch with an intensity for every policy lever."""
    scenarios = list(available_scenarios())
    if scenario not in scenarios:
        scenarios.append(scenario)

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
        "years": {"type": "SliderInt", "value": 12, "min": 1, "max": 40, "step": 1,
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


def _config() -> tuple[str, str, int]:
    return (os.environ.get(ENV_TOWN, "medium"), os.environ.get(ENV_SCENARIO, "baseline"),
            int(os.environ.get(ENV_START, "2013")))


@solara.component
def Page():
    """One page per browser tab, with its own model."""
    town, scenario, start = _config()
    params = solara.use_memo(lambda: model_params(town, scenario, start), [])
    app = solara.use_memo(lambda: CentreApp(town=town, scenario_name=scenario,
                                            start_year=start), [])
    components = solara.use_memo(page_components, [])
    return SolaraViz(app, components=components,
                     model_params=params, name="binnenstad: a Dutch city centre",
                     play_interval=PLAY_INTERVAL_MS)


page = Page
