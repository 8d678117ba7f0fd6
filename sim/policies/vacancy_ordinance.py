"""Vacancy ordinance (leegstandverordening): a tenant the owner must accept after N months."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import Lever, Setting, enforced_letting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class VacancyOrdinance(Lever):
    """After N months vacant the municipality proposes a tenant the owner must accept.

    Mechanism [OV]: when a unit in ``area`` has been vacant for ``months`` months the
    municipality proposes a tenant the owner must accept at the market rent. Enforcement is
    imperfect: a vacancy spell is enforced with probability ``enforcement`` (owners object,
    cases stall). In an enforced case the municipality proposes a candidate every month (a
    starter, horeca or services operator of random cost efficiency) until one expects at least
    ``tenant_margin`` and signs.
    """

    name = "vacancy_ordinance"
    settings: ClassVar[dict[str, Setting]] = {
        "months": Setting("int", 12, "months vacant before the ordinance applies", lo=1, hi=240),
        "enforcement": Setting("float", 0.6, "probability a vacancy case is enforced", lo=0.0,
                               hi=1.0),
        "tenant_margin": Setting("float", 0.0, "expected margin a proposed tenant needs to sign",
                                 lo=-1.0, hi=1.0),
    }

    def reset(self) -> None:
        self._cases: dict[tuple[int, int], bool] = {}

    def act(self, model: CityCentreModel) -> None:
        enforced_letting(self, model, self.area_mask(model), self.months,
                         min(self.enforcement * self.intensity, 1.0), self.tenant_margin,
                         self._cases)
