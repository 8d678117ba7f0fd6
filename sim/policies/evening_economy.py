"""Evening economy (Avondstad): longer opening and an evening programme."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import N_FUNCTIONS, Function
from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel

_EVENING = (int(Function.HORECA), int(Function.CULTURE))


class EveningEconomy(Lever):
    """Longer opening and an evening programme: more going out in the centre.

    Mechanism [P31]: the municipality funds an evening programme (``cost`` EUR per year, from
    its budget) and allows later opening. Catchment and residents go out more in the centre
    (``spending``: a rise in horeca and culture demand) and horeca and culture venues in
    ``area`` draw more visitors (``attraction``). Whether venues open and stay is their own
    economics; streets with two or more functions benefit most [P31].
    """

    name = "evening_economy"
    settings: ClassVar[dict[str, Setting]] = {
        "cost": Setting("float", 100000.0, "evening programme per year (EUR, x intensity)",
                        lo=0.0, hi=1e8, unit="EUR/yr"),
        "attraction": Setting("float", 0.25, "rise in horeca/culture attractiveness", lo=0.0,
                              hi=5.0, unit="fraction"),
        "spending": Setting("float", 0.12, "rise in horeca/culture spending",
                            lo=0.0, hi=5.0, unit="fraction"),
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
        evening = np.zeros(N_FUNCTIONS, dtype=bool)
        evening[list(_EVENING)] = True
        venues = evening[model.units.function] & self.area_mask(model)
        return Effects(demand=np.where(evening, 1.0 + self.spending * i, 1.0),
                       unit_attraction=np.where(venues, 1.0 + self.attraction * i, 1.0))
