"""Evening economy (Avondstad)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import N_FUNCTIONS, Function
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel

_EVENING = (int(Function.HORECA), int(Function.CULTURE))


class EveningEconomy(Lever):
    """Longer opening and evening programming: horeca and culture draw and earn more.

    Mechanism [P31]: with later opening and an evening programme, horeca and culture venues in
    ``area`` draw more visitors (``attraction``), catchment and residents spend more on going
    out in the centre (``spending``, a rise in demand for horeca and culture), and the extra
    hours raise the venues' gross margin a little (``margin``). Visits spread over more hours of
    the day; streets with two or more functions benefit [P31].
    """

    name = "evening_economy"
    settings: ClassVar[dict[str, Setting]] = {
        "attraction": Setting("float", 0.25, "rise in horeca/culture attractiveness", lo=0.0,
                              hi=5.0),
        "spending": Setting("float", 0.12, "rise in horeca/culture spending", lo=0.0, hi=5.0),
        "margin": Setting("float", 0.04, "relative rise in horeca/culture gross margin",
                          lo=0.0, hi=0.2),
    }

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        i = self.intensity
        evening = np.zeros(N_FUNCTIONS, dtype=bool)
        evening[list(_EVENING)] = True
        self._scale(model, "demand_factor", np.where(evening, 1.0 + self.spending * i, 1.0),
                    default=np.ones(N_FUNCTIONS))
        gm = np.asarray(self._base(model, "gross_margin", extra=False), dtype=float)
        target = np.minimum(gm * (1.0 + self.margin * i), 0.95)
        self._scale(model, "gross_margin", np.where(evening, target / np.maximum(gm, 1e-9), 1.0),
                    extra=False)
        venues = evening[u.function] & self.area_mask(model)
        self._scale(model, "unit_attraction", np.where(venues, 1.0 + self.attraction * i, 1.0))
