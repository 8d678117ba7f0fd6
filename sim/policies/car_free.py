"""Car-free centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class CarFree(Lever):
    """Car-free core: parking loses visitors to bike parks and the station; core streets gain.

    Mechanism [OV][P31]: closing the core to cars and moving parking to the edge shifts arrivals
    from the parking garages (``parking_cut``) to the bike parks near the heart and the station
    (``bike_station_gain``); the car-free streets in ``area`` (default: the core) become
    pleasanter to walk and stay in (``attraction``). Footfall shifts toward the core; the
    approach streets between the garages and the core lose passers-by, so the shift has a cost
    there (visible as higher aanloop vacancy in the default towns).
    """

    name = "car_free"
    default_area = "core"
    settings: ClassVar[dict[str, Setting]] = {
        "parking_cut": Setting("float", 0.4, "cut in the share arriving by car", lo=0.0, hi=0.95),
        "bike_station_gain": Setting("float", 0.3, "rise in arrivals by bike and train", lo=0.0,
                                     hi=10.0),
        "attraction": Setting("float", 0.15, "rise in attractiveness of car-free streets",
                              lo=0.0, hi=5.0),
    }

    def act(self, model: CityCentreModel) -> None:
        i = self.intensity
        kind = np.array(model.town.entry_kind)
        factor = np.ones(len(kind))
        factor[kind == "parking"] = 1.0 - min(self.parking_cut * i, 0.95)
        factor[np.isin(kind, ("bike", "station"))] = 1.0 + self.bike_station_gain * i
        self._scale(model, "entry_factor", factor, default=np.ones(len(kind)))
        self._scale(model, "unit_attraction",
                    np.where(self.area_mask(model), 1.0 + self.attraction * i, 1.0))
