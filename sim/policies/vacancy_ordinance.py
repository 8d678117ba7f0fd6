"""Vacancy ordinance (leegstandverordening): after N months the owner must accept a proposed
tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from ..inputs import Effects
from .base import Lever, Setting, enforcement_cases

if TYPE_CHECKING:
    from ..model import CityCentreModel


class VacancyOrdinance(Lever):
    """After N months vacant the owner must accept a tenant the municipality proposes.

    Mechanism [OV]: when a unit in ``area`` has been vacant for ``months`` months the owner
    must report it and accept a reasonable tenant the municipality proposes: for an enforced
    case the owner's reservation rent falls to its running costs (`Effects.forced_letting`),
    whatever its covenant, and the municipality shows the unit to every searcher. Enforcement
    is imperfect: a vacancy spell is enforced with probability ``enforcement`` (owners object,
    cases stall), and each enforced case costs ``case_cost`` EUR per month of casework from the
    budget (no money, no enforcement). A searcher still signs only where its own bid clears:
    nobody is made to accept an expected loss.
    """

    name = "vacancy_ordinance"
    settings: ClassVar[dict[str, Setting]] = {
        "months": Setting("int", 12, "months vacant before the ordinance applies",
                          lo=1, hi=240, unit="months"),
        "enforcement": Setting("float", 0.6, "probability a vacancy case is enforced", lo=0.0,
                               hi=1.0, unit="probability"),
        "case_cost": Setting("float", 400.0, "casework per enforced case and month (EUR)",
                             lo=0.0, hi=1e6, unit="EUR/case/month"),
    }

    def reset(self) -> None:
        self._cases: dict[tuple[int, int], bool] = {}
        self.enforced: np.ndarray | None = None  # units enforced this month

    def prepare(self, model: CityCentreModel) -> None:
        u = model.units
        due = (u.vacant_eligible & self.area_mask(model) & (u.anchor == Anchor.NONE)
               & (u.months_vacant >= self.months))
        enforced = enforcement_cases(model.stream(f"policy:{self.name}"), model, due,
                                     min(self.enforcement * self.intensity, 1.0), self._cases)
        cost = self.case_cost * float(enforced.sum())
        if not model.municipality.afford(cost):
            enforced[:] = False
        else:
            model.municipality.pay(cost, self.name)
        self.enforced = enforced

    def effects(self, model: CityCentreModel) -> Effects:
        return Effects(forced_letting=self.enforced.copy())
