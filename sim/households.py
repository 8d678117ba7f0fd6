"""The centre's households: the `Resident` agents and the arrays the demand and flows read.

Households live in the dwellings of the unit table (``units.dwellings``, written by the ledger);
this module keeps the agents (one per household), ages them each January and gathers
``residents_at`` (persons per unit) and ``by_age`` (persons under and over 65) whenever
households moved in or were replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents.resident import SIZE_PROBS, Resident

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .params import Params


def size_cdf(p: Params) -> np.ndarray:
    """Cumulative distribution of household sizes 1-4, scaled to the mean ``household_size``."""
    scale = p.household_size / float(np.dot(np.arange(1, 5), SIZE_PROBS))
    probs = SIZE_PROBS * np.array([1.0, scale, scale**2, scale**3])
    return np.cumsum(probs / probs.sum())


class Households:
    """Every household of the centre (``members``) and the arrays derived from them."""

    def __init__(self, model: CityCentreModel) -> None:
        self.model = model
        self.size_cdf = size_cdf(model.p)
        self.members: list[Resident] = []
        self.residents_at = np.zeros(model.units.n)  # persons per unit
        self.by_age = np.zeros(2)  # persons under 65, 65 and over
        #: dwellings added by conversion or programmes since recording started (count)
        self.added = 0
        self._changed = False

    def move_in(self, unit: int, n: int, rng: np.random.Generator) -> None:
        """``n`` new households take new dwellings in ``unit``."""
        for _ in range(int(n)):
            self.members.append(Resident(self.model, int(unit), rng))
        self._changed = True

    def age_one_year(self, rng: np.random.Generator) -> None:
        """Every household ages a year; those that move out are replaced by a new household of
        the centre profile (`Resident.renew`)."""
        for r in self.members:
            if r.age_one_year(rng):
                r.renew(rng)
        self.refresh()

    def refresh_if_changed(self) -> None:
        if self._changed:
            self.refresh()

    def refresh(self) -> None:
        # Gathered in one go (no NumPy call per household): once a month after conversions.
        self._changed = False
        res = self.members
        ages = [r.ages for r in res]
        sizes = np.fromiter(map(len, ages), dtype=np.int64, count=len(ages))
        units = np.fromiter((r.unit for r in res), dtype=np.int64, count=len(res))
        old = int(np.count_nonzero(np.concatenate(ages) >= 65)) if ages else 0
        self.residents_at = np.bincount(units, weights=sizes, minlength=self.model.units.n)
        self.by_age = np.array([sizes.sum() - old, old], dtype=float)
