"""BIZ / centre fund: occupants in an area pay a levy that funds public space and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..inputs import Effects
from .base import Lever, Setting, per_unit

if TYPE_CHECKING:
    from ..model import CityCentreModel

#: A BIZ runs for a five-year term before the next vote (Wet op de bedrijveninvesteringszones).
TERM_MONTHS = 60


class Biz(Lever):
    """Levy on occupants of an area funds public space, events and marketing (BIZ).

    Mechanism [P31]: a bedrijveninvesteringszone is set up in ``area`` (default: the core) once
    a majority (``majority``) of its occupants agrees: at the first active month and each
    January after a term, each shop votes yes when its smoothed profit is positive; the BIZ then
    runs for a five-year term. While it runs every occupant pays ``levy`` (a fraction of its
    rent) on top of its rent (a cost it counts in its bid), and the money goes to decoration,
    public space quality, events and marketing (most BIZ money goes to decoration and marketing
    [P31]): the area's units draw more visitors (``attraction``) and the centre as a whole a bit
    more of the catchment (``events``, in proportion to the area's share of the retail units).
    The levy funds it; the municipality only collects it.
    """

    name = "biz"
    default_area = "core"
    settings: ClassVar[dict[str, Setting]] = {
        "levy": Setting("float", 0.03, "levy as a fraction of the occupant's rent", lo=0.0,
                        hi=0.5, unit="fraction of rent"),
        "attraction": Setting("float", 0.05, "rise in the area's attractiveness at intensity 1",
                              lo=0.0, hi=5.0, unit="fraction"),
        "events": Setting("float", 0.1, "rise in the centre's pull on the catchment if the "
                          "whole centre were in the BIZ", lo=0.0, hi=1.0, unit="fraction"),
        "majority": Setting("float", 0.5, "share of yes votes needed",
                            lo=0.0, hi=1.0, unit="fraction of votes"),
    }

    def reset(self) -> None:
        self._term_end = -1
        self.running = False

    def prepare(self, model: CityCentreModel) -> None:
        """The occupants vote at the first active month and each January after a term."""
        u = model.units
        area = self.area_mask(model)
        shops = u.occupied_commercial & area
        if model.clock >= self._term_end and (model.calendar_month == 1 or self._term_end < 0):
            yes = float(np.mean(u.profit_ema[shops] > 0)) if shops.any() else 0.0
            self.running = yes >= self.majority
            self._term_end = model.clock + (TERM_MONTHS if self.running else 12)
            model.ledger.log(int(np.flatnonzero(area)[0]) if area.any() else 0, "policy",
                             cause=f"{self.name}: vote {yes:.0%} yes, "
                                   f"{'running' if self.running else 'rejected'}")

    def effects(self, model: CityCentreModel) -> Effects | None:
        if not self.running:
            return None
        u = model.units
        area = self.area_mask(model)
        i = self.intensity
        live = u.eligible & u.active  # dormant split slots are not units of the centre
        share = float(area[live].mean()) if live.any() else 0.0
        return Effects(levy=per_unit(model, area, self.levy * i),
                       unit_attraction=np.where(area, 1.0 + self.attraction * i, 1.0),
                       centre_attraction=1.0 + self.events * i * share)
