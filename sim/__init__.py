"""binnenstad: an agent-based simulation of a Dutch city centre on Mesa.

    from sim import CityCentreModel, run
    result = run(town="medium", scenario="baseline", years=12, seed=1)
    result.timeseries.plot(x="date", y="vacancy_rate")

The names below are imported on first use (PEP 562), so ``import sim`` and the command line's
listing commands start without loading Mesa, numba or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch import run_many
    from .model import CityCentreModel
    from .runner import RunResult, run
    from .scenarios.loader import CentreScenario, ScenarioError, load_scenario
    from .town import Town, generate_town

#: public name -> module that defines it
_LAZY = {
    "CityCentreModel": ".model",
    "RunResult": ".runner",
    "run": ".runner",
    "run_many": ".batch",
    "CentreScenario": ".scenarios.loader",
    "ScenarioError": ".scenarios.loader",
    "load_scenario": ".scenarios.loader",
    "Town": ".town",
    "generate_town": ".town",
}

__all__ = ["CentreScenario", "CityCentreModel", "RunResult", "ScenarioError", "Town",
           "generate_town", "load_scenario", "run", "run_many"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
