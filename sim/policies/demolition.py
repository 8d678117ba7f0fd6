"""Demolition (sloop): the municipality buys structural surplus and rebuilds it as housing."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from ..property import (
    MUNICIPALITY,
    covenant_allows_sale,
    evidence_rent,
    housing_value,
    unit_yield,
)
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Demolition(Lever):
    """Buy structurally vacant units (> 3 years) at market value, demolish, rebuild as housing.

    Mechanism [OV]: in decline, the municipality offers to buy retail property that has no
    future (sloop). Each month it makes an offer, with chance ``rate``, for each unit in ``area``
    (default: outside the core) vacant for more than ``min_months`` months (structural vacancy), at
    the unit's market value (the market evidence capitalised at the owner's yield). The owner
    accepts when the sale leaves its loan-to-value within its covenant (an owner whose books
    still carry the unit at a higher value may not be able to take the loss and refuses). The
    municipality pays the price and the demolition (``demolition_cost`` EUR/m2) from its budget
    and recovers ``land_share`` of the new dwellings' value from the developer; the plot is
    rebuilt as housing.
    """

    name = "demolition"
    default_area = "outside_core"
    settings: ClassVar[dict[str, Setting]] = {
        "min_months": Setting("int", 36, "months vacant before a unit counts as structural "
                              "surplus", lo=0, hi=240, unit="months"),
        "rate": Setting("float", 0.1, "monthly chance the municipality makes an offer for a "
                        "structural unit (x intensity)", lo=0.0, hi=1.0, unit="per month"),
        "demolition_cost": Setting("float", 150.0, "demolition and site clearing (EUR/m2)",
                                   lo=0.0, hi=1e5, unit="EUR/m2"),
        "land_share": Setting("float", 0.2, "share of the new dwellings' value recovered as land "
                              "price", lo=0.0, hi=1.0, unit="fraction"),
    }

    def act(self, model: CityCentreModel) -> None:
        from .. import owners  # the model's modules, only once a lever acts
        u, p = model.units, model.p
        book = model.owner_book
        draws = model.stream(f"policy:{self.name}").random(u.n)
        offers = np.flatnonzero(u.vacant_eligible & self.area_mask(model)
                                & (u.anchor == Anchor.NONE) & (u.months_vacant > self.min_months)
                                & (book.kind[u.owner] != MUNICIPALITY)
                                & (draws < min(self.rate * self.intensity, 1.0)))
        if len(offers) == 0:
            return
        price = evidence_rent(p, u, model.clock) * u.area / unit_yield(p, u, book)
        buyer = model.owners[0]
        demand = model.driver("housing_demand_index")
        for unit in offers:
            if not covenant_allows_sale(p, u, book, int(unit), float(price[unit])):
                continue  # the owner cannot take the loss against its books
            land = self.land_share * float(housing_value(p, u, np.array([unit]), demand)[0])
            net = price[unit] + self.demolition_cost * u.area[unit] - land
            if not model.municipality.afford(max(net, 0.0)):
                break
            model.municipality.pay(max(net, 0.0), self.name)
            owners.sell(model, int(unit), buyer, float(price[unit]))
            owners.convert(model, int(unit), cause=self.name)
