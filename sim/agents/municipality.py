"""`Municipality`: holder of the policy levers and of the money they cost.

Each month it asks its levers for their effects on what agents face (`sim.inputs.Effects`) and
lets them take the municipality's own discrete decisions (buying a unit, offering a tenant). Its
budget per year is the scenario's ``municipal_budget`` driver (a new coalition can shift only
1-2% of its budget [G32]); every subsidy, purchase or programme is paid through `pay`, which
grants at most what is left of the year's budget, so levers scale down when it is spent.
``public_cost`` is the cumulative spending (EUR), ``spent_by`` the spending per purpose.
"""

from __future__ import annotations

from typing import Any

from mesa import Agent, Model


class Municipality(Agent):
    """Holds the active policy levers and the budget."""

    def __init__(self, model: Model, policies: list[Any]) -> None:
        super().__init__(model)
        self.policies = list(policies)
        self.budget_left = 0.0
        self.public_cost = 0.0
        self.spent_by: dict[str, float] = {}
        self._budget_year: int | None = None

    def new_month(self, year: int, budget: float) -> None:
        """Open the year's budget in its first month."""
        if self._budget_year != year:
            self._budget_year = year
            self.budget_left = float(budget)

    def can_pay(self) -> bool:
        return self.budget_left > 0.0

    def afford(self, amount: float) -> bool:
        """Whether the rest of this year's budget covers ``amount`` (EUR)."""
        return amount <= self.budget_left

    def pay(self, amount: float, purpose: str) -> float:
        """Pay up to ``amount`` (EUR) for ``purpose``; return what was granted."""
        granted = float(min(max(amount, 0.0), self.budget_left))
        if granted > 0:
            self.budget_left -= granted
            self.public_cost += granted
            self.spent_by[purpose] = self.spent_by.get(purpose, 0.0) + granted
        return granted

    def prepare(self) -> None:
        """Every lever's bookkeeping for the month (payments, draws, votes), in lever order."""
        for policy in self.policies:
            policy.prepare_for(self.model)

    def effects(self) -> list[Any]:
        """This month's effects of every active lever (pure)."""
        out = []
        for policy in self.policies:
            eff = policy.effects_for(self.model)
            if eff is not None:
                out.append(eff)
        return out

    def act(self) -> None:
        """The levers' discrete decisions (after the month's market)."""
        for policy in self.policies:
            policy.act_for(self.model)
