"""BIZ / centre fund: occupants in an area pay a levy that funds public space and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel

TERM_MONTHS = 60


class Biz(Lever):
    """Levy on occupants of an area funds public space, events and marketing (BIZ).

    Mechanism [P31]: a bedrijveninvesteringszone is set up in ``area`` (default: the core) once
    a majority of its occupants agrees: each January the occupied units vote, a shop voting yes
    when its smoothed profit is positive; the BIZ then runs for a five-year term before the next
    vote. While it runs every occupant pays ``levy`` (a fraction of its monthly rent) out of its
    cash, and the money goes to decoration, public space quality, events and marketing (most BIZ
    money goes to decoration and marketing [P31]): the units of the area become more attractive
    to visitors (``attraction``) and the centre as a whole draws a bit more of the catchment's
    spending (``events``, in proportion to the area's share of the retail units). The
    public-space part is kept modest: within the centre a more attractive area also pulls stops
    away from the neighbouring streets, so most of the gain comes from the centre's pull.
    """

    name = "biz"
    default_area = "core"
    settings: ClassVar[dict[str, Setting]] = {
        "levy": Setting("float", 0.03, "levy as a fraction of the occupant's rent", lo=0.0,
                        hi=0.5),
        "attraction": Setting("float", 0.05, "rise in the area's attractiveness at intensity 1",
                              lo=0.0, hi=5.0),
        "events": Setting("float", 0.1, "rise in the centre's pull on the catchment if the "
                          "whole centre were in the BIZ", lo=0.0, hi=1.0),
        "majority": Setting("float", 0.5, "share of yes votes needed", lo=0.0, hi=1.0),
    }

    def reset(self) -> None:
        self._term_end = -1
        self.running = False

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        i = self.intensity
        area = self.area_mask(model)
        shops = u.occupied_commercial & area
        if model.steps >= self._term_end:
            # (Re-)vote: at the first active month and each January after a term ends.
            if model.calendar_month == 1 or self._term_end < 0:
                yes = float(np.mean(u.profit_ema[shops] > 0)) if shops.any() else 0.0
                self.running = yes >= self.majority
                self._term_end = model.steps + (TERM_MONTHS if self.running else 11)
                model.log_event(int(np.flatnonzero(area)[0]) if area.any() else 0, "policy",
                                cause=f"{self.name}: vote {yes:.0%} yes, "
                                      f"{'running' if self.running else 'rejected'}")
        on = 1.0 if self.running else 0.0
        factor = np.where(area, 1.0 + on * self.attraction * i, 1.0)
        self._scale(model, "unit_attraction", factor)
        share = float(area[u.eligible].mean()) if u.eligible.any() else 0.0
        self._scale(model, "centre_attraction_factor", 1.0 + on * self.events * i * share)
        if self.running:
            levy = self.levy * i * u.contract_rent * u.area / 12.0
            u.cash[shops] -= levy[shops]
