"""One centre, one history: the years a run lives before its scenario's own years begin.

Every run starts where the centre's record starts (the ``historical`` scenario's first year) and
follows the historical drivers and parameters up to the year its own scenario begins; from then
on the scenario's own hold (`sim.params.Params.with_history`; the swap is made by the model at
the end of the month before). So a future opened in 2018 starts from the centre that lived
2007-2017, the same whichever future is opened.
"""

from __future__ import annotations

from .scenarios.loader import USER_OVERRIDE, CentreScenario, load_scenario, override_params

#: The scenario whose drivers are the centre's history before a scenario's own years begin.
HISTORY = "historical"


def centre_history(scenario: CentreScenario) -> CentreScenario | None:
    """The ``historical`` scenario, whose drivers a run follows before ``scenario``'s own years
    (one centre, one history: a run started in year Y has lived through the same years to Y
    whichever scenario is opened); None for the historical scenario itself and for scenarios
    that begin no later than it. Parameters the user overrode are overridden in the history too."""
    if scenario.name == HISTORY:
        return None
    history = load_scenario(HISTORY)
    if int(scenario.start_year) <= int(history.start_year):
        return None
    # What the user changed (overrides, sweep factors, calibration draws) holds for the whole
    # life of the centre; what the scenario's file says holds from its own start year.
    changed = {k: v for k, v in scenario.params.items()
               if str(scenario.sources.get(k, "")).startswith(USER_OVERRIDE)}
    return override_params(history, changed, "override") if changed else history
