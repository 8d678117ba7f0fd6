"""`Visitor`: a visitor group, by origin (an entry point or the centre's residents), age band and
trip purpose (daily, fun, targeted).

Each month a group plans its centre trips from the centre spending assigned to it: spending on each
branch is split over purposes (``purpose_mix``) and divided by the purpose's basket. Where the trips
go (stop choice and routes) is computed for all groups at once by the flow kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from ..functions import AGE_BANDS, PURPOSE_NAMES

if TYPE_CHECKING:
    from ..model import CityCentreModel


class Visitor(Agent):
    """A visitor group. ``origin`` is an entry index or -1 for centre residents."""

    def __init__(self, model: CityCentreModel, origin: int, age_band: int, purpose: int,
                 origin_kind: str) -> None:
        super().__init__(model)
        self.origin = origin
        self.origin_kind = origin_kind
        self.age_band = age_band
        self.purpose = purpose
        self.trips = 0.0  # centre trips per month

    @property
    def label(self) -> str:
        return f"{self.origin_kind}:{AGE_BANDS[self.age_band]}:{PURPOSE_NAMES[self.purpose]}"

    def plan_trips(self, trips: np.ndarray, origin_weight: float) -> float:
        """Set this month's centre trips from ``trips[origin_class, age, purpose]``."""
        cls = 1 if self.origin < 0 else 0
        self.trips = float(trips[cls, self.age_band, self.purpose] * origin_weight)
        return self.trips
