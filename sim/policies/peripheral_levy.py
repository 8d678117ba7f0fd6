"""Peripheral levy: out-of-centre retail pays compensation that funds the centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class PeripheralLevy(Lever):
    """Out-of-centre retail pays compensation: less outside pull, the money funds the centre.

    Mechanism [OV]: new retail outside the centre (boulevards, outlet centres) pays a levy to
    the centre. The levy makes out-of-centre sites costlier to develop and operate, so the pull
    of competing destinations grows less (``competition``), and the revenue is spent on the
    centre: marketing lifts its pull on the catchment (``marketing``) and public space works
    make the units in ``area`` more attractive (``public_space``). The levy pays for itself; no
    municipal money is spent.
    """

    name = "peripheral_levy"
    settings: ClassVar[dict[str, Setting]] = {
        "competition": Setting("float", 0.12, "cut in the outside destinations' attraction",
                               lo=0.0, hi=0.9, unit="fraction"),
        "marketing": Setting("float", 0.03, "rise in the centre's pull from the levy's revenue",
                             lo=0.0, hi=1.0, unit="fraction"),
        "public_space": Setting("float", 0.05, "rise in attractiveness of units in the area",
                                lo=0.0, hi=5.0, unit="fraction"),
    }

    def effects(self, model: CityCentreModel) -> Effects:
        i = self.intensity
        return Effects(competition=1.0 - min(self.competition * i, 0.9),
                       centre_attraction=1.0 + self.marketing * i,
                       unit_attraction=np.where(self.area_mask(model),
                                                1.0 + self.public_space * i, 1.0))
