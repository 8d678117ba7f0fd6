"""binnenstad: an agent-based simulation of a Dutch city centre on Mesa.

    from sim import CityCentreModel, run
    result = run(town="medium", scenario="baseline", years=12, seed=1)
    result.timeseries.plot(x="date", y="vacancy_rate")
"""

from .batch import run_many
from .model import CityCentreModel
from .runner import RunResult, run
from .scenarios.loader import CentreScenario, ScenarioError, load_scenario
from .town import Town, generate_town

__all__ = ["CentreScenario", "CityCentreModel", "RunResult", "ScenarioError", "Town",
           "generate_town", "load_scenario", "run", "run_many"]
__version__ = "0.1.0"
