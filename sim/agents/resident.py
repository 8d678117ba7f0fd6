"""`Resident`: a centre household living above a shop or in a (converted) housing unit.

Centre households are small (1.5-1.7 persons), mostly 25-45, with few children [OV]. Each year the
members age and the household moves out with a small probability; a new household of the centre
profile takes the dwelling. Residents make daily-goods trips that start at home.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

if TYPE_CHECKING:
    from ..model import CityCentreModel

#: Household size distribution of centre households (1..4 persons), mean ~1.6 [OV].
SIZE_PROBS = np.array([0.55, 0.34, 0.08, 0.03])


class Resident(FixedAgent):
    """A household: ``ages`` holds its members' ages in years; ``unit`` is its building."""

    def __init__(self, model: CityCentreModel, unit: int, rng: np.random.Generator) -> None:
        super().__init__(model)
        self.unit = int(unit)
        self.cell = model.space[int(model.units.node[unit])]
        self.ages = self.draw_ages(model, rng)
        self.youngest = float(self.ages.min())  # kept with `ages`: the yearly check reads it

    @staticmethod
    def draw_ages(model: CityCentreModel, rng: np.random.Generator) -> np.ndarray:
        p = model.p
        cdf = model.households.size_cdf
        size = 1 + min(int(np.searchsorted(cdf, rng.random(), side="right")), 3)
        # Scalar bounds (min/max) instead of np.clip on Python floats: the same values, a tenth
        # of the time, for a draw made for every household at start and at every move.
        adult = min(max(rng.normal(p.resident_age_mean, p.resident_age_sd), 18.0), 95.0)
        ages = [adult] + [min(max(adult + rng.normal(0, 4), 18.0), 99.0)] * min(size - 1, 1)
        ages += [rng.uniform(0, 17) for _ in range(max(0, size - 2))]
        return np.array(ages, dtype=float)

    @property
    def size(self) -> int:
        return len(self.ages)

    def age_one_year(self, rng: np.random.Generator) -> bool:
        """Age the household; return True if it moves out (the dwelling is re-let)."""
        self.ages += 1.0
        self.youngest += 1.0  # equals self.ages.min(): adding 1.0 keeps the order of floats
        return bool(rng.random() < self.model.p.resident_move_out or self.youngest > 95)

    def renew(self, rng: np.random.Generator) -> None:
        """A new household of the centre profile takes over the dwelling."""
        self.ages = self.draw_ages(self.model, rng)
        self.youngest = float(self.ages.min())
