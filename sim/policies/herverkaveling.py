"""Herverkaveling (urban re-parcelling): owners pool long-vacant units in a fund."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from ..inputs import Effects
from ..property import FUND, covenant_allows_sale, evidence_rent, unit_yield
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..agents import PropertyOwner
    from ..model import CityCentreModel


class Herverkaveling(Lever):
    """Owners pool long-vacant units in a re-parcelling fund that merges, splits or converts.

    Mechanism [OV]: the municipality sets up a re-parcelling fund for ``area`` and pays its
    coordination (``cost_per_unit`` EUR for every unit brought in, from its budget). When an
    owner of a unit vacant for ``min_months`` months reviews the fund's offer (chance
    ``join_rate`` per month), it brings the unit in for shares worth the unit's market value
    (the market evidence capitalised at its yield), if doing so keeps its loan-to-value within
    its covenant: an owner whose books carry the unit far above the market cannot take the loss
    and stays out. The fund has no debt, so it is not held back by a covenant. It is an owner
    like any other: it asks what the market bids, merges neighbouring units of its own when the
    whole lets for more than the parts, splits large ones and converts where the dwelling is
    worth more (the zoning of the fund's units admits conversion). Merging gives the centre the
    larger units modern shops need (the average shop is 7x larger than 40 years ago [OV]).
    """

    name = "herverkaveling"
    settings: ClassVar[dict[str, Setting]] = {
        "min_months": Setting("int", 12, "months vacant before a unit may enter the fund", lo=0,
                              hi=240, unit="months"),
        "join_rate": Setting("float", 0.15, "monthly chance an owner reviews the fund's offer "
                             "(x intensity)", lo=0.0, hi=1.0, unit="per month"),
        "cost_per_unit": Setting("float", 5000.0, "coordination cost per unit brought in (EUR)",
                                 lo=0.0, hi=1e7, unit="EUR/unit"),
    }

    def reset(self) -> None:
        self._fund: PropertyOwner | None = None

    def act(self, model: CityCentreModel) -> None:
        from .. import owners  # the model's modules, only once a lever acts
        u, p = model.units, model.p
        book = model.owner_book
        draws = model.stream(f"policy:{self.name}").random(u.n)
        pool = (u.vacant_eligible & self.area_mask(model) & (u.anchor == Anchor.NONE)
                & (u.months_vacant >= self.min_months)
                & (draws < min(self.join_rate * self.intensity, 1.0)))
        if self._fund is not None:
            pool &= u.owner != self._fund.owner_id
        if not pool.any():
            return
        price = evidence_rent(p, u, model.clock) * u.area / unit_yield(p, u, book)
        for unit in np.flatnonzero(pool):
            if not covenant_allows_sale(p, u, book, int(unit), float(price[unit])):
                continue
            if not model.municipality.afford(self.cost_per_unit):
                break
            model.municipality.pay(self.cost_per_unit, self.name)
            if self._fund is None:
                from ..agents import PropertyOwner  # Mesa: only once a lever acts

                self._fund = PropertyOwner(model, book.add(FUND, 0.0))
                model.owners.append(self._fund)
            owners.sell(model, int(unit), self._fund, float(price[unit]), rebook=True)

    def effects(self, model: CityCentreModel) -> Effects | None:
        if self._fund is None:
            return None
        return Effects(conversion_permit=model.units.owner == self._fund.owner_id)
