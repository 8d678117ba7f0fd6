"""Transformation: convert long-vacant retail property to housing, pand voor pand or by area."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from .base import Lever, Setting, withdraw_from_letting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Transformation(Lever):
    """Convert long-vacant shops to housing, pand voor pand (scattered) or gebiedsgericht.

    Mechanism [P31]: the municipality (with owners and housing corporations) converts vacant
    shop units in ``area`` to housing, ``per_year`` units per 100 units a year at intensity 1
    (the budget accrues monthly and cannot be saved beyond one year). Two modes:

    - ``pand_voor_pand`` (building by building): any unit vacant for at least ``min_months``,
      wherever it is, converts in random order: the housing ends up scattered among the shops
      ("gatenkaas", Swiss cheese) [P31];
    - ``gebiedsgericht`` (area-based): the street cluster (units within ``radius`` m of a street
      node) with the most long-vacant units is transformed as a whole: it leaves the retail
      market, its vacant units convert first and the others when their tenants leave; the next
      cluster is taken on when the previous one has no vacant units left.
    """

    name = "transformation"
    default_area = "outside_core"
    settings: ClassVar[dict[str, Setting]] = {
        "mode": Setting("choice", "pand_voor_pand", "building by building or area-based",
                        choices=("pand_voor_pand", "gebiedsgericht")),
        "per_year": Setting("float", 1.5, "conversions per 100 units per year at intensity 1",
                            lo=0.0, hi=50.0),
        "min_months": Setting("int", 12, "months vacant before a unit qualifies", lo=0, hi=240),
        "radius": Setting("float", 60.0, "radius of a transformed street cluster (m)", lo=10.0,
                          hi=500.0),
        "min_cluster": Setting("int", 3, "fewest vacant units that make a cluster worth "
                               "transforming", lo=1, hi=100),
    }

    def reset(self) -> None:
        self._budget = 0.0
        self._segment: np.ndarray | None = None
        self._near: list[np.ndarray] | None = None

    def _clusters(self, model: CityCentreModel) -> list[np.ndarray]:
        t = model.town
        from scipy.spatial import cKDTree

        tree = cKDTree(np.c_[t.unit_x, t.unit_y])
        return [np.asarray(ix, dtype=np.int64) for ix in tree.query_ball_point(
            np.c_[t.node_x, t.node_y], self.radius)]

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        rng = model.stream(f"policy:{self.name}")
        per_month = self.per_year * self.intensity * u.n / 100.0 / 12.0
        self._budget = min(self._budget + per_month, 12.0 * per_month)
        cand = (u.vacant & u.eligible & self.area_mask(model) & (u.anchor == Anchor.NONE)
                & (u.months_vacant >= self.min_months))
        order = rng.permutation(u.n)  # drawn in full every month (common random numbers)
        if self.mode == "pand_voor_pand":
            for unit in order[cand[order]]:
                if self._budget < 1.0:
                    break
                model.convert_to_housing(int(unit), cause=self.name)
                self._budget -= 1.0
            return
        if self._segment is None:
            self._segment = np.zeros(u.n, dtype=bool)
            self._near = self._clusters(model)
        # A new cluster is taken on when the budget allows a start and no earlier cluster still
        # has vacant units waiting for conversion.
        waiting = self._segment & u.vacant & u.eligible
        if not waiting.any() and self._budget >= self.min_cluster:
            counts = np.array([int(cand[ix].sum()) for ix in self._near])
            best = int(np.argmax(counts))
            if counts[best] >= self.min_cluster:
                members = self._near[best]
                members = members[self.area_mask(model)[members]
                                  & (u.anchor[members] == Anchor.NONE) & u.eligible[members]]
                self._segment[members] = True
                withdraw_from_letting(model, members)
                waiting = self._segment & u.vacant & u.eligible
        # Units of transformed clusters convert as they fall vacant, as the budget allows.
        for unit in np.flatnonzero(waiting):
            if self._budget < 1.0:
                break
            model.convert_to_housing(int(unit), cause=self.name)
            self._budget -= 1.0
