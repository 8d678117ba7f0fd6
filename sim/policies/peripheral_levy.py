"""Peripheral levy: out-of-centre retail pays compensation that funds the centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class PeripheralLevy(Lever):
    """Out-of-centre retail pays compensation: less outside pull, the money funds the centre.

    Mechanism [OV]: new retail outside the centre (boulevards, outlet centres) pays a levy to
    the centre. The levy makes out-of-centre sites less attractive to develop and operate, so
    the pull of competing destinations grows less (``competition``: ``competition_factor``
    down), and the revenue is spent on the centre: marketing lifts its pull on the catchment
    (``marketing``: ``centre_attraction_factor`` up) and public space works make the units in
    ``area`` more attractive (``public_space``).
    """

    name = "peripheral_levy"
    settings: ClassVar[dict[str, Setting]] = {
        "competition": Setting("float", 0.12, "cut in the outside destinations' attraction",
                               lo=0.0, hi=0.9),
        "marketing": Setting("float", 0.03, "rise in the centre's pull from the levy's revenue",
                             lo=0.0, hi=1.0),
        "public_space": Setting("float", 0.05, "rise in attractiveness of units in the area",
                                lo=0.0, hi=5.0),
    }

    def act(self, model: CityCentreModel) -> None:
        i = self.intensity
        self._scale(model, "competition_factor", 1.0 - min(self.competition * i, 0.9))
        self._scale(model, "centre_attraction_factor", 1.0 + self.marketing * i)
        self._scale(model, "unit_attraction",
                    np.where(self.area_mask(model), 1.0 + self.public_space * i, 1.0))
