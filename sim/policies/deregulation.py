"""Deregulation (Verlichte regels): cheaper permits, terraces and flexible zoning, with friction."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Function
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Deregulation(Lever):
    """Lighter rules (permits, terraces, flexible zoning) with an enforcement-friction setting.

    Mechanism [VB]: an annual event permit, free terraces and flexible zoning lower the cost and
    the risk of starting: entrants accept a lower expected margin (``threshold_cut``) and horeca
    in ``area`` gets terraces (``terraces``: more attractive). How rules are applied matters
    more than the rules themselves [VB]: ``enforcement`` is the friction of the old enforcement
    practice (0 = the new rules are applied as intended, 1 = nothing changes on the street);
    every effect is scaled by 1 - enforcement.
    """

    name = "deregulation"
    settings: ClassVar[dict[str, Setting]] = {
        "enforcement": Setting("float", 0.3, "friction of enforcement practice (0 none, 1 full)",
                               lo=0.0, hi=1.0),
        "threshold_cut": Setting("float", 0.05, "cut in the margin entrants require", lo=0.0,
                                 hi=1.0),
        "terraces": Setting("float", 0.1, "rise in horeca attractiveness from terraces", lo=0.0,
                            hi=5.0),
    }

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        effect = self.intensity * (1.0 - self.enforcement)
        self._shift(model, "entry_threshold_shift", -self.threshold_cut * effect)
        horeca = (u.function == Function.HORECA) & self.area_mask(model)
        self._scale(model, "unit_attraction", np.where(horeca, 1.0 + self.terraces * effect, 1.0))
