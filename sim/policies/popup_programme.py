"""Pop-up programme: a matchmaker brings temporary users to vacant units."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..inputs import Effects
from ..scenarios.schema import ENTRANT_TYPES
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class PopupProgramme(Lever):
    """Vacant units offered on short leases via a paid matchmaker (pop-up / temporary use).

    Mechanism [OV][P31][VB]: the municipality pays a matchmaker (``cost`` EUR per year, x
    intensity, from its budget; no money, no programme that month). The matchmaker recruits
    more pop-up entrepreneurs (``more_entrants``), shows every searcher ``extra_units`` more
    vacant units (a lower search cost) and arranges fit-out help that lowers pop-ups' opening
    costs (``startup_cut``); the municipality pays ``rent_subsidy`` of the rent of a pop-up in
    ``area``. Each
    pop-up still signs only where its own bid clears the owner's short-lease asking rent, and
    stays on after its lease only if it can pay a regular one. Pop-ups carry the novelty
    attraction, which decays.
    """

    name = "popup_programme"
    settings: ClassVar[dict[str, Setting]] = {
        "cost": Setting("float", 60000.0, "matchmaker's cost per year (EUR, x intensity)",
                        lo=0.0, hi=1e8, unit="EUR/yr"),
        "more_entrants": Setting("float", 2.0, "relative rise in pop-up entrants (x intensity)",
                                 lo=0.0, hi=50.0, unit="fraction"),
        "extra_units": Setting("float", 3.0, "extra vacant units each searcher sees "
                               "(x intensity)", lo=0.0, hi=50.0, unit="units"),
        "startup_cut": Setting("float", 0.5, "cut in pop-ups' opening costs",
                               lo=0.0, hi=1.0, unit="fraction"),
        "rent_subsidy": Setting("float", 0.2, "share of a pop-up's rent the municipality pays",
                                lo=0.0, hi=0.9, unit="fraction of rent"),
    }

    def reset(self) -> None:
        self.funded = False  # the programme is paid this month

    def prepare(self, model: CityCentreModel) -> None:
        monthly = self.cost * self.intensity / 12.0
        self.funded = model.municipality.afford(monthly)
        if self.funded:
            model.municipality.pay(monthly, self.name)

    def effects(self, model: CityCentreModel) -> Effects | None:
        if not self.funded:
            return None
        i = self.intensity
        boost = np.ones(len(ENTRANT_TYPES))
        boost[ENTRANT_TYPES.index("popup")] = 1.0 + self.more_entrants * i
        return Effects(arrivals=boost, extra_candidates=self.extra_units * i,
                       popup_startup_cost=1.0 - min(self.startup_cut * i, 1.0),
                       popup_rent_subsidy=np.where(self.area_mask(model),
                                                   min(self.rent_subsidy * i, 0.9), 0.0))
