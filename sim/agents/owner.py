"""`PropertyOwner`: a private owner, an institutional investor, the municipality or a
re-parcelling fund holding units.

Its balance sheet (kind, debt) is a row of the model's `sim.property.OwnerBook`; its decisions
(hold or cut the asking rent, convert, split, merge, sell) follow from it by the rules in
`sim.property`, taken for all owners at once by `sim.owners`. The agent carries out a decision
for its own units.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent, Model

from ..property import OWNER_KIND_NAMES


class PropertyOwner(Agent):
    """An owner; ``owner_id`` indexes ``model.units.owner`` and ``model.owner_book``."""

    def __init__(self, model: Model, owner_id: int) -> None:
        super().__init__(model)
        self.owner_id = int(owner_id)

    @property
    def units(self) -> np.ndarray:
        return np.flatnonzero((self.model.units.owner == self.owner_id) & self.model.units.active)

    @property
    def kind(self) -> str:
        return OWNER_KIND_NAMES[int(self.model.owner_book.kind[self.owner_id])]

    @property
    def debt(self) -> float:
        return float(self.model.owner_book.debt[self.owner_id])

    def sell(self, unit: int, buyer: PropertyOwner, price: float) -> None:
        """Sell ``unit`` to ``buyer`` at ``price`` (EUR); the proceeds repay debt."""
        m = self.model
        book = m.owner_book
        book.debt[self.owner_id] = max(book.debt[self.owner_id] - price, 0.0)
        m.ledger.transfer(unit, buyer.owner_id, cause=f"{self.kind} -> {buyer.kind}")
