"""Deregulation (Verlichte regels): lighter permits, terraces and flexible zoning."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Function
from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Deregulation(Lever):
    """Lighter rules (permits, terraces, flexible zoning) with an enforcement-friction setting.

    Mechanism [VB]: an annual event permit, free terraces and flexible zoning lower the cost and
    the delay of starting: opening costs fall by ``startup_cut`` (fees, waiting for permits),
    horeca in ``area`` gets terraces (``terraces``: more attractive) and, with
    ``flexible_zoning``, shops there may add a second function. How rules are applied matters
    more than the rules themselves [VB]: ``enforcement`` is the friction of the old enforcement
    practice (0 = the new rules are applied as intended, 1 = nothing changes on the street);
    every effect is scaled by 1 - enforcement.
    """

    name = "deregulation"
    settings: ClassVar[dict[str, Setting]] = {
        "enforcement": Setting("float", 0.3, "friction of enforcement practice (0 none, 1 full)",
                               lo=0.0, hi=1.0, unit="fraction"),
        "startup_cut": Setting("float", 0.15, "cut in opening costs",
                               lo=0.0, hi=1.0, unit="fraction"),
        "terraces": Setting("float", 0.1, "rise in horeca attractiveness from terraces", lo=0.0,
                            hi=5.0, unit="fraction"),
        "flexible_zoning": Setting("bool", True, "shops may add a second function"),
    }

    def effects(self, model: CityCentreModel) -> Effects:
        u = model.units
        effect = self.intensity * (1.0 - self.enforcement)
        area = self.area_mask(model)
        horeca = (u.function == Function.HORECA) & area
        eff = Effects(startup_cost=1.0 - min(self.startup_cut * effect, 1.0),
                      unit_attraction=np.where(horeca, 1.0 + self.terraces * effect, 1.0))
        if self.flexible_zoning and effect > 0:
            eff.mixed_use_permit = area & u.active
        return eff
