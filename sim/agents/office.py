"""`OfficeUser`: an office or workspace user renting a ground-floor retail unit.

Office users (small firms, co-working, flex workers [OV scenarios 01 and 03]) arrive as searchers
(`Entrepreneur` of kind ``office``) where the zoning plan lets offices use retail units. Their bid
is the zone's ``office_rent`` times their own willingness to pay; they sign where it clears the
owner's asking rent and renew at lease end while it clears the owner's reservation rent. They
draw no shoppers and pay no attention to footfall.
"""

from __future__ import annotations

from mesa import Model
from mesa.discrete_space import CellAgent


class OfficeUser(CellAgent):
    """An office tenant of one unit; ``bid`` is the most it pays, EUR/m2/yr."""

    def __init__(self, model: Model, unit: int, bid: float) -> None:
        super().__init__(model)
        self.unit = int(unit)
        self.bid = float(bid)
        self.cell = model.space[int(model.units.node[unit])]
        model.office_at[self.unit] = self

    @classmethod
    def sign(cls, model: Model, unit: int, rent: float, bid: float) -> OfficeUser:
        """A new office user signs a lease for vacant ``unit`` at ``rent`` (EUR/m2/yr)."""
        model.ledger.open_office(unit, rent)
        return cls(model, unit, bid)

    def leave(self, cause: str = "lease_end") -> None:
        """Give up the lease: the unit becomes vacant."""
        m = self.model
        m.ledger.office_leaves(self.unit, cause)
        m.ledger.vacate(self.unit)
        del m.office_at[self.unit]
        self.remove()
