"""Blurring (functiemenging): the zoning plan admits mixed use and workspaces in shop units."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Blurring(Lever):
    """Mixed functions per unit and workspaces in retail units (functiemenging).

    Mechanism [P31]: from ``start`` the zoning plan of ``area`` lets shops add a second function
    (a furniture shop with a cafe, a restaurant selling regional products: ``mixed_use``) and
    lets offices and workspaces rent ground-floor shop units (``workspaces``). Each shop decides
    for itself whether a second function pays (its share of that function's spending pool
    against the fit-out over the rest of its lease, `sim.tenants.mixed_use`); office users
    decide whether a unit is worth their bid. A mixed-use unit draws visitors of both
    functions, and the second function counts in the centre's variety, so multi-purpose trips
    and the centre's pull rise only as far as shops actually mix [P31]. Mono-functional centres
    are more exposed to chain bankruptcies: mixing spreads a unit's revenue over two pools.
    No money is spent: it is a change of rules.
    """

    name = "blurring"
    settings: ClassVar[dict[str, Setting]] = {
        "mixed_use": Setting("bool", True, "shops may add a second function"),
        "workspaces": Setting("bool", True, "offices and workspaces may rent shop units"),
    }

    def effects(self, model: CityCentreModel) -> Effects:
        area = self.area_mask(model) & model.units.active
        none = area & False
        return Effects(mixed_use_permit=area if self.mixed_use else none,
                       office_permit=area if self.workspaces else none)
