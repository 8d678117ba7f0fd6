"""Compaction: shrink the favoured shopping area to the core; units outside convert to housing."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from .base import Lever, Setting, withdraw_from_letting, zone_mask

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Compaction(Lever):
    """Shrink the favoured shopping area to the core; units outside convert (compacter maken).

    Mechanism (compacter maken) [OV][P31]. From ``start`` the units in ``area`` (default:
    aanloop and fringe, everything outside the kernwinkelgebied) are no longer favoured:

    - a unit there that falls vacant is taken off the retail letting market (new entrants and
      relocating shops no longer lease it, ``p.extra["lettable"]``) and its owner may convert it
      to housing at once, when credit allows (``credit_availability``); fragmented ownership
      slows this: in streets where every unit has another owner the monthly conversion chance
      falls by ``fragmentation`` [P31];
    - in the heart (the zones outside ``area``) reference rents are cut by ``rent_cut`` and
      owners of vacant units there accept the market rent, so shops from the approach streets
      move into the heart as its rents fall [OV].

    Shops already trading outside the core keep their rights; the retail area shrinks as they
    leave.
    """

    name = "compaction"
    default_area = "outside_core"
    settings: ClassVar[dict[str, Setting]] = {
        "rent_cut": Setting("float", 0.15, "cut of the heart's reference rents at intensity 1",
                            lo=0.0, hi=0.8),
        "conversion_rate": Setting("float", 0.08, "monthly chance an owner converts a withdrawn "
                                   "vacant unit (times credit availability)", lo=0.0, hi=1.0),
        "fragmentation": Setting("float", 0.6, "slow-down of conversion in streets where every "
                                 "unit has another owner", lo=0.0, hi=1.0),
    }

    def reset(self) -> None:
        self._withdrawn: np.ndarray | None = None
        self._frag: np.ndarray | None = None

    def _fragmentation(self, model: CityCentreModel) -> np.ndarray:
        """Per unit: distinct owners / units among the units on its street segment (node)."""
        u = model.units
        frag = np.zeros(u.n)
        for node in np.unique(u.node):
            idx = np.flatnonzero(u.node == node)
            frag[idx] = (len(np.unique(u.owner[idx])) - 1) / max(len(idx) - 1, 1)
        return frag

    def act(self, model: CityCentreModel) -> None:
        u, p = model.units, model.p
        rng = model.stream(f"policy:{self.name}")
        i = self.intensity
        area = self.area_mask(model)
        heart_zones = ~zone_mask(np.arange(3), self.area)
        cut = np.where(heart_zones, 1.0 - min(self.rent_cut * i, 0.8), 1.0)
        self._scale(model, "rent_reference", cut, extra=False)
        heart_vacant = u.vacant & u.eligible & heart_zones[u.zone]
        u.asking_rent[heart_vacant] = np.minimum(u.asking_rent[heart_vacant],
                                                 u.market_rent[heart_vacant])
        # Units outside the heart that fall vacant leave the retail market.
        if self._withdrawn is None:
            self._withdrawn = np.zeros(u.n, dtype=bool)
            self._frag = self._fragmentation(model)
        new = u.vacant & u.eligible & area & (u.anchor == Anchor.NONE) & ~self._withdrawn
        self._withdrawn |= new
        if new.any():
            withdraw_from_letting(model, np.flatnonzero(new))
        # Owners convert them when credit allows; fragmented streets convert more slowly.
        draws = rng.random((u.n, 2))
        credit = p.traj["credit_availability"](model.year_f)
        chance = min(self.conversion_rate * i, 1.0) * (1.0 - self.fragmentation * self._frag)
        go = (self._withdrawn & u.vacant & u.eligible & (draws[:, 0] < chance)
              & (draws[:, 1] < credit))
        for unit in np.flatnonzero(go):
            model.convert_to_housing(int(unit), cause=self.name)
