"""Demolition of structural surplus."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Demolition(Lever):
    """Demolish structurally vacant units (> 3 years) at the fringe; rebuild as housing.

    Mechanism [OV]: in decline, owners and the municipality demolish retail property that has no
    future (sloop). Each month a unit in ``area`` (default: the fringe) vacant for more than
    ``min_months`` months (structural vacancy, default > 3 years) is demolished with chance
    ``rate``, regardless of owner type or credit (the municipality buys and clears it). It
    leaves the retail stock (no longer retail-eligible) and the plot is rebuilt as housing, so
    the number of units is kept. Unlike transformation this targets only the structural surplus
    at the edge.
    """

    name = "demolition"
    default_area = "fringe"
    settings: ClassVar[dict[str, Setting]] = {
        "min_months": Setting("int", 36, "months vacant before a unit counts as structural "
                              "surplus", lo=0, hi=240),
        "rate": Setting("float", 0.1, "monthly chance a structural unit is demolished", lo=0.0,
                        hi=1.0),
    }

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        draws = model.stream(f"policy:{self.name}").random(u.n)
        go = (u.vacant & u.eligible & self.area_mask(model) & (u.anchor == Anchor.NONE)
              & (u.months_vacant > self.min_months)
              & (draws < min(self.rate * self.intensity, 1.0)))
        for unit in np.flatnonzero(go):
            model.convert_to_housing(int(unit), cause=self.name)
