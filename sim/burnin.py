"""Burn-in: run the generated centre under the drivers of the scenario's first year until it is
stationary.

The generated town is a plausible layout, not an equilibrium: its tenants, rents and owners'
books are first guesses. Every run therefore first simulates months with every driver frozen at
its value in the scenario's start year, where its data begins (shock drivers at their neutral
value, levers off) until

- at least ``burn_in_min_months`` have passed, and
- over the last two windows of ``burn_in_window_months`` months the mean vacancy rate differs by
  at most ``burn_in_tolerance`` (fraction points) and the mean number of shops by at most
  ``burn_in_tolerance`` (relative),

checked at each year end, up to ``burn_in_max_months``. The burn-in always ends at a year end.
A run that starts later than the scenario's start year then simulates the years in between
with their own drivers (and levers), unrecorded: the state in which it starts recording carries
that history, as a run started earlier would (a run started in 2018 continues the path of a run
started in 2013). Nothing of the burn-in or the spin-up is recorded; the start vacancy is their
outcome. `BurnInReport` says how long they took and whether the criterion was met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import CityCentreModel


@dataclass(frozen=True)
class BurnInReport:
    months: int
    converged: bool
    vacancy_start: float  # vacancy of the settled start state, before the burn-in
    vacancy_end: float  # vacancy at the end of the burn-in (the run's start)
    last_change: float  # change in window-mean vacancy at the last check (fraction points)
    spin_up_months: int = 0  # unrecorded months from the burn-in year to the start year

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def stationary(vacancy: np.ndarray, shops: np.ndarray, window: int, tolerance: float
               ) -> tuple[bool, float]:
    """Whether the last two windows agree within ``tolerance``; the vacancy change."""
    if len(vacancy) < 2 * window:
        return False, float("nan")
    a, b = vacancy[-2 * window:-window].mean(), vacancy[-window:].mean()
    sa, sb = shops[-2 * window:-window].mean(), shops[-window:].mean()
    dv = abs(b - a)
    ds = abs(sb - sa) / max(sa, 1.0)
    return bool(dv <= tolerance and ds <= tolerance), float(dv)


def run(model: CityCentreModel) -> BurnInReport:
    """Run the burn-in on ``model`` (which must be in its burn-in state)."""
    p = model.p
    start = model.vacancy_rate()
    lo, hi = int(p.burn_in_min_months), int(p.burn_in_max_months)
    window = int(p.burn_in_window_months)
    vac: list[float] = []
    shops: list[int] = []
    converged, change = False, float("nan")
    while model.clock < hi:
        model.month()
        vac.append(model.vacancy_rate())
        shops.append(len(model.shop_at))
        if model.clock % 12 == 0 and model.clock >= lo:
            converged, change = stationary(np.array(vac), np.array(shops), window,
                                           p.burn_in_tolerance)
            if converged:
                break
    # End at a year end so that the recorded run starts in January.
    while model.clock % 12:
        model.month()
    model.calendar.burn_in_months = model.clock
    return BurnInReport(months=model.clock, converged=converged, vacancy_start=start,
                        vacancy_end=model.vacancy_rate(), last_change=change)


def skipped(model: CityCentreModel) -> BurnInReport:
    v = model.vacancy_rate()
    return BurnInReport(months=0, converged=False, vacancy_start=v, vacancy_end=v,
                        last_change=float("nan"))
