"""`Municipality`: holder of the policy levers.

It applies its levers before each month's causal chain, with a limited budget: a new coalition can
shift only 1-2% of its budget [G32], and how rules are applied matters more than the rules
themselves [VB]. Levers are objects with an ``apply(model)`` method (see `sim.policies`); they
change parameters or switch on rules through `Params`, never through branches in agent code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mesa import Agent

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Municipality(Agent):
    """Holds the active policy levers and applies them each month."""

    def __init__(self, model: CityCentreModel, policies: list[Any]) -> None:
        super().__init__(model)
        self.policies = list(policies)

    def apply_policies(self) -> None:
        for policy in self.policies:
            policy.apply(self.model)
