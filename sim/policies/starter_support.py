"""Starter support (acquisition)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Lever, Setting, enforced_letting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class StarterSupport(Lever):
    """More starters and a starters' rent subsidy; carrot plus stick where vacancy is high.

    Mechanism [VB] (the feeder-street / aanloopstraten experiment): the municipality's
    acquisition brings more starting entrepreneurs (``more_starters``; other entrants keep their
    arrival rate) and pays part of the rent of shops in their first two years (``subsidy``, also
    counted in entrants' expectations). The experiment's rule: carrot only when urgency is low;
    carrot plus stick when the vacancy rate in ``area`` (default: the aanloopstraten) exceeds
    ``threshold``: then owners of units vacant for ``months`` months must accept a proposed
    tenant (as under a vacancy ordinance, enforced with probability ``enforcement``).
    """

    name = "starter_support"
    default_area = "aanloop"
    settings: ClassVar[dict[str, Setting]] = {
        "more_starters": Setting("float", 0.6, "relative rise in starting entrepreneurs",
                                 lo=0.0, hi=20.0),
        "subsidy": Setting("float", 0.25, "share of the rent paid in a shop's first 24 months",
                           lo=0.0, hi=0.9),
        "threshold": Setting("float", 0.15, "area vacancy rate above which the stick applies",
                             lo=0.0, hi=1.0),
        "months": Setting("int", 12, "months vacant before the stick applies to a unit", lo=1,
                          hi=240),
        "enforcement": Setting("float", 0.6, "probability a stick case is enforced", lo=0.0,
                               hi=1.0),
    }

    def reset(self) -> None:
        self._cases: dict[tuple[int, int], bool] = {}
        self.stick_months = 0

    def act(self, model: CityCentreModel) -> None:
        i = self.intensity
        self._boost_entrants(model, {"starter": 1.0 + self.more_starters * i})
        base = float(self._base(model, "rent_subsidy", default=0.0, additive=True))
        self._shift(model, "rent_subsidy", max(0.0, min(self.subsidy * i, 0.9 - base)))
        area = self.area_mask(model)
        if model.vacancy_rate(area) > self.threshold:
            self.stick_months += 1
            enforced_letting(self, model, area, self.months, self.enforcement, 0.0, self._cases)
