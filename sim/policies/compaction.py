"""Compaction: the zoning plan favours retail only in the heart; owners outside may convert."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..inputs import Effects
from .base import Lever, Setting, per_unit, zone_mask

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Compaction(Lever):
    """Shrink the favoured shopping area to the core; owners outside may convert (compacter maken).

    Mechanism [OV][P31]: from ``start`` the zoning plan of ``area`` (default: aanloop and
    fringe, everything outside the kernwinkelgebied) no longer admits *new* retail leases
    (shops already trading there keep their rights; `Effects.retail_lettable`) and admits
    conversion to housing (`Effects.conversion_permit`). Whether an owner converts is its own
    decision on the value of the dwelling against the shop (`sim.property`); owners who expect
    more from retail or cannot get credit keep their units empty, so fragmented, leveraged
    ownership slows compaction [P31]. A shop that moves from outside into the heart receives a
    relocation grant of ``grant`` EUR per m2 of its new unit, paid from the municipal budget;
    owners converting outside the heart may receive ``conversion_subsidy`` EUR per m2. The
    heart's rents are not set: they follow from the bids of the shops that now look there.
    """

    name = "compaction"
    default_area = "outside_core"
    settings: ClassVar[dict[str, Setting]] = {
        "grant": Setting("float", 50.0, "relocation grant per m2 for a shop moving into the "
                         "heart (EUR/m2, x intensity)", lo=0.0, hi=5000.0, unit="EUR/m2"),
        "conversion_subsidy": Setting("float", 0.0, "subsidy per m2 for converting a unit "
                                      "outside the heart (EUR/m2, x intensity)", lo=0.0,
                                      hi=5000.0, unit="EUR/m2"),
    }

    def effects(self, model: CityCentreModel) -> Effects:
        outside = self.area_mask(model)
        heart = ~zone_mask(model.units.zone, self.area)
        return Effects(
            retail_lettable=~outside,
            conversion_permit=outside,
            relocation_grant=per_unit(model, heart, self.grant * self.intensity),
            grant_origin=outside,
            conversion_subsidy=per_unit(model, outside,
                                        self.conversion_subsidy * self.intensity),
        )


