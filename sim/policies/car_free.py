"""Car-free core: parking moves to the edge, arrivals shift to bike and train."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class CarFree(Lever):
    """Car-free core: parking loses visitors to bike parks and the station; core streets gain.

    Mechanism [OV][P31]: closing the core to cars and moving parking to the edge shifts arrivals
    from the parking garages (``parking_cut``) to the bike parks near the heart and the station
    (``bike_station_gain``); the car-free streets in ``area`` (default: the core) become
    pleasanter to walk and stay in (``attraction``). The street works cost ``cost`` EUR per
    year (default 0: counted elsewhere). Footfall shifts toward the core; the approach streets
    between the garages and the core lose passers-by, so the shift has a cost there.
    """

    name = "car_free"
    default_area = "core"
    settings: ClassVar[dict[str, Setting]] = {
        "parking_cut": Setting("float", 0.4, "cut in the share arriving by car",
                               lo=0.0, hi=0.95, unit="fraction"),
        "bike_station_gain": Setting("float", 0.3, "rise in arrivals by bike and train", lo=0.0,
                                     hi=10.0, unit="fraction"),
        "attraction": Setting("float", 0.15, "rise in attractiveness of car-free streets",
                              lo=0.0, hi=5.0, unit="fraction"),
        "cost": Setting("float", 0.0, "street works and parking per year (EUR)", lo=0.0,
                        hi=1e9, unit="EUR/yr"),
    }

    def prepare(self, model: CityCentreModel) -> None:
        if self.cost > 0:
            model.municipality.pay(self.cost / 12.0, self.name)

    def effects(self, model: CityCentreModel) -> Effects:
        i = self.intensity
        kind = np.array(model.town.entry_kind)
        factor = np.ones(len(kind))
        factor[kind == "parking"] = 1.0 - min(self.parking_cut * i, 0.95)
        factor[np.isin(kind, ("bike", "station"))] = 1.0 + self.bike_station_gain * i
        return Effects(entry_weight=factor,
                       unit_attraction=np.where(self.area_mask(model),
                                                1.0 + self.attraction * i, 1.0))
