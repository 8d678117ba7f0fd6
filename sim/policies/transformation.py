"""Transformation of retail property to housing: permits and subsidies, pand voor pand or
gebiedsgericht."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from ..inputs import Effects
from .base import Lever, Setting, per_unit

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Transformation(Lever):
    """Permits and subsidies to convert vacant shops to housing, pand voor pand or gebiedsgericht.

    Mechanism [P31]: the municipality grants conversion permits and pays ``subsidy`` EUR per m2
    (x intensity) toward the conversion of a vacant shop unit to housing, from its budget. The
    owner decides: it converts where the dwelling minus the cost net of the subsidy is worth
    more than the shop (`sim.property.conversion_gain`). Two modes:

    - ``pand_voor_pand`` (building by building): every unit in ``area`` qualifies; the housing
      ends up wherever owners choose, scattered among the shops ("gatenkaas", Swiss cheese);
    - ``gebiedsgericht`` (area-based): the municipality designates the street cluster (units
      within ``radius`` m of a street node in ``area``) with the most units vacant for at least
      ``min_months`` (at least ``min_cluster``); the cluster leaves the retail letting market
      and only its units qualify; the next cluster is designated when the current one has no
      vacant retail units left.
    """

    name = "transformation"
    default_area = "outside_core"
    settings: ClassVar[dict[str, Setting]] = {
        "mode": Setting("choice", "pand_voor_pand", "building by building or area-based",
                        choices=("pand_voor_pand", "gebiedsgericht")),
        "subsidy": Setting("float", 300.0, "conversion subsidy per m2 (EUR/m2, x intensity)",
                           lo=0.0, hi=5000.0, unit="EUR/m2"),
        "min_months": Setting("int", 12, "months vacant that make a unit count for an area",
                              lo=0, hi=240, unit="months"),
        "radius": Setting("float", 60.0, "radius of a transformed street cluster (m)", lo=10.0,
                          hi=500.0, unit="m"),
        "min_cluster": Setting("int", 3, "fewest long-vacant units that make a cluster worth "
                               "transforming", lo=1, hi=100, unit="units"),
    }

    def reset(self) -> None:
        self._segment: np.ndarray | None = None
        self._near: list[np.ndarray] | None = None

    def _clusters(self, model: CityCentreModel) -> list[np.ndarray]:
        from scipy.spatial import cKDTree

        t = model.town
        tree = cKDTree(np.c_[t.unit_x, t.unit_y])
        return [np.asarray(ix, dtype=np.int64) for ix in tree.query_ball_point(
            np.c_[t.node_x, t.node_y], self.radius)]

    def act(self, model: CityCentreModel) -> None:
        if self.mode != "gebiedsgericht":
            return
        u = model.units
        if self._segment is None:
            self._segment = np.zeros(u.n, dtype=bool)
            self._near = self._clusters(model)
        if (self._segment & u.vacant_eligible).any():
            return
        area = self.area_mask(model) & (u.anchor == Anchor.NONE) & u.eligible & u.active
        long_vacant = u.vacant_eligible & area & (u.months_vacant >= self.min_months)
        counts = np.array([int(long_vacant[ix].sum()) for ix in self._near])
        best = int(np.argmax(counts))
        if counts[best] >= self.min_cluster:
            members = self._near[best]
            self._segment[members[area[members]]] = True
            model.ledger.log(int(members[0]), "policy",
                             cause=f"{self.name}: area designated ({counts[best]} long-vacant)")

    def effects(self, model: CityCentreModel) -> Effects:
        where = (self.area_mask(model) if self.mode == "pand_voor_pand"
                 else (self._segment if self._segment is not None
                       else np.zeros(model.units.n, bool)))
        eff = Effects(conversion_permit=where,
                      conversion_subsidy=per_unit(model, where, self.subsidy * self.intensity))
        if self.mode == "gebiedsgericht":
            eff.retail_lettable = ~where
        return eff
