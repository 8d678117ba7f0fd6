"""Scenario mechanisms: processes a future brings that the core model lacks (chain bankruptcy
shocks, second-hand and sharing, shifting temporary centres, AR games, stratified visitors,
tourism, ...). Each is an object with ``apply(model)``, called at the start of every month before
the policy levers; it acts through `sim.params.Params` (including ``Params.extra``) and the
model's arrays, like a lever does.
"""

from __future__ import annotations

from typing import Any

from ..params import Params
from .loader import CentreScenario


def build_mechanisms(scenario: CentreScenario, params: Params) -> list[Any]:
    """The mechanisms a scenario switches on (none in the core model)."""
    return []
