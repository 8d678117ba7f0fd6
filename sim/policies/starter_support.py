"""Starter support: acquisition of starters and a rent subsidy; carrot plus stick where vacancy
is high."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from ..inputs import Effects
from ..scenarios.schema import ENTRANT_TYPES
from .base import Lever, Setting, enforcement_cases

if TYPE_CHECKING:
    from ..model import CityCentreModel


class StarterSupport(Lever):
    """More starters and a starters' rent subsidy; carrot plus stick where vacancy is high.

    Mechanism [VB] (the feeder-street / aanloopstraten experiment): the municipality's
    acquisition (``cost`` EUR per year) brings more starting entrepreneurs
    (``more_starters``) and pays ``subsidy`` of the rent of new independents in ``area`` in their
    first 24 months, from its budget (entrants count it in their bids while the budget lasts). The
    experiment's rule: carrot only when urgency is low; carrot plus stick when the vacancy rate
    in ``area`` (default: the aanloopstraten) exceeds ``threshold``: then for units vacant for
    ``months`` months the owner must accept a proposed tenant at any rent above its running
    costs (as under a vacancy ordinance, enforced with probability ``enforcement``).
    """

    name = "starter_support"
    default_area = "aanloop"
    settings: ClassVar[dict[str, Setting]] = {
        "cost": Setting("float", 50000.0, "acquisition cost per year (EUR, x intensity)",
                        lo=0.0, hi=1e8, unit="EUR/yr"),
        "more_starters": Setting("float", 0.6, "relative rise in starting entrepreneurs",
                                 lo=0.0, hi=20.0, unit="fraction"),
        "subsidy": Setting("float", 0.25, "share of the rent paid in a starter's first 24 months",
                           lo=0.0, hi=0.9, unit="fraction of rent"),
        "threshold": Setting("float", 0.15, "area vacancy rate above which the stick applies",
                             lo=0.0, hi=1.0, unit="fraction"),
        "months": Setting("int", 12, "months vacant before the stick applies to a unit", lo=1,
                          hi=240, unit="months"),
        "enforcement": Setting("float", 0.6, "probability a stick case is enforced", lo=0.0,
                               hi=1.0, unit="probability"),
    }

    def reset(self) -> None:
        self._cases: dict[tuple[int, int], bool] = {}
        self.stick_months = 0
        self.funded = False  # the acquisition is paid this month
        self.stick: np.ndarray | None = None  # units under the stick this month (None: no stick)

    def prepare(self, model: CityCentreModel) -> None:
        monthly = self.cost * self.intensity / 12.0
        self.funded = model.municipality.afford(monthly)
        self.stick = None
        if not self.funded:
            return
        model.municipality.pay(monthly, self.name)
        area = self.area_mask(model)
        if model.vacancy_rate(area) > self.threshold:
            self.stick_months += 1
            u = model.units
            due = (u.vacant_eligible & area & (u.anchor == Anchor.NONE)
                   & (u.months_vacant >= self.months))
            self.stick = enforcement_cases(model.stream(f"policy:{self.name}"), model, due,
                                           self.enforcement, self._cases)

    def effects(self, model: CityCentreModel) -> Effects | None:
        if not self.funded:
            return None
        i = self.intensity
        boost = np.ones(len(ENTRANT_TYPES))
        boost[ENTRANT_TYPES.index("starter")] = 1.0 + self.more_starters * i
        area = self.area_mask(model)
        eff = Effects(arrivals=boost, rent_subsidy=np.where(area, min(self.subsidy * i, 0.9), 0.0))
        if self.stick is not None:
            eff.forced_letting = self.stick.copy()
        return eff
