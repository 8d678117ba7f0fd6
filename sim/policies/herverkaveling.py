"""Herverkaveling (urban re-parcelling): owners pool vacant units that a fund merges or converts."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from .base import Lever, Setting, lettable

if TYPE_CHECKING:
    from ..model import CityCentreModel

ENTRANCE_M2 = 25.0
NEIGHBOUR_M = 15.0


class Herverkaveling(Lever):
    """Owners pool vacant units in a fund that merges neighbours or converts small units.

    Mechanism [OV]: owners bring long-vacant units in ``area`` into a re-parcelling fund in
    exchange for shares. Each month the fund, with chance ``rate`` per candidate, (a) merges two
    neighbouring units on the same street segment that have both been vacant for ``min_months``
    months: one unit takes over the other's ground floor (up to ``max_area`` m2), the other
    keeps a small entrance (25 m2) to the upper floors and becomes housing, so the number of
    units stays the same and the centre gets the larger units that modern shops need (the
    average shop is 7x larger than 40 years ago [OV]); the merged unit is offered at the market
    rent; or (b) converts a small unit (< ``small_area`` m2) vacant for twice ``min_months``
    that has no vacant neighbour to merge with.
    """

    name = "herverkaveling"
    settings: ClassVar[dict[str, Setting]] = {
        "min_months": Setting("int", 12, "months vacant before a unit enters the fund", lo=0,
                              hi=240),
        "rate": Setting("float", 0.15, "monthly chance the fund acts on a candidate", lo=0.0,
                        hi=1.0),
        "max_area": Setting("float", 1200.0, "largest merged unit (m2)", lo=50.0, hi=10000.0),
        "small_area": Setting("float", 70.0, "units below this size may be converted", lo=0.0,
                              hi=1000.0),
    }

    def reset(self) -> None:
        self._pairs: np.ndarray | None = None

    def _neighbour_pairs(self, model: CityCentreModel) -> np.ndarray:
        t, u = model.town, model.units
        from scipy.spatial import cKDTree

        tree = cKDTree(np.c_[t.unit_x, t.unit_y])
        pairs = np.array(sorted(tree.query_pairs(NEIGHBOUR_M)), dtype=np.int64).reshape(-1, 2)
        return pairs[u.node[pairs[:, 0]] == u.node[pairs[:, 1]]]

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        rng = model.stream(f"policy:{self.name}")
        if self._pairs is None:
            self._pairs = self._neighbour_pairs(model)
        chance = min(self.rate * self.intensity, 1.0)
        draws = rng.random(u.n)
        pool = (u.vacant & u.eligible & lettable(model) & self.area_mask(model)
                & (u.anchor == Anchor.NONE) & (u.months_vacant >= self.min_months))
        a, b = self._pairs[:, 0], self._pairs[:, 1]
        ok = pool[a] & pool[b] & (u.area[a] + u.area[b] - ENTRANCE_M2 <= self.max_area)
        has_partner = np.zeros(u.n, dtype=bool)
        has_partner[a[ok]] = True
        has_partner[b[ok]] = True
        used = np.zeros(u.n, dtype=bool)
        for x, y in self._pairs[ok]:
            if used[x] or used[y] or draws[x] >= chance:
                continue
            # The unit with more passers-by keeps the shop front.
            keep, give = (x, y) if u.footfall[x] >= u.footfall[y] else (y, x)
            if u.area[give] <= ENTRANCE_M2:
                continue
            moved = u.area[give] - ENTRANCE_M2
            u.area[keep] += moved
            u.area[give] = ENTRANCE_M2
            u.asking_rent[keep] = u.market_rent[keep]
            used[[keep, give]] = True
            model.convert_to_housing(int(give), cause=self.name)
            model.log_event(int(keep), "policy",
                            cause=f"{self.name}: merged with unit {give} (+{moved:.0f} m2)")
        small = (pool & ~has_partner & ~used & (u.area < self.small_area)
                 & (u.months_vacant >= 2 * self.min_months) & (draws < chance))
        for unit in np.flatnonzero(small):
            model.convert_to_housing(int(unit), cause=self.name)
