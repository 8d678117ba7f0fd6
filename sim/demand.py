"""Demand: from population, age structure and spending to centre spending and trips.

Pure functions of the drivers and the centre's current state. Spending is in EUR per month;
arrays are indexed [age band, function code] with age band 0 = under 65, 1 = 65 and over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import COMMERCIAL, N_FUNCTIONS, RETAIL, Function
from .params import Params

_RETAIL_IDX = np.array([int(b) for b in RETAIL])
_LEISURE_IDX = np.array([int(Function.HORECA), int(Function.CULTURE)])
_COMMERCIAL_IDX = np.array([int(b) for b in COMMERCIAL])


@dataclass
class Demand:
    """One month's spending split by channel and destination (EUR/month, [origin, age, function]).

    Origin 0 = catchment visitors (arrive at entry points), 1 = centre residents (start at home).
    ``total = online + outside + centre`` holds exactly, element by element.
    """

    total: np.ndarray
    online: np.ndarray
    outside: np.ndarray
    centre: np.ndarray
    online_share: np.ndarray  # by function code
    centre_share: np.ndarray  # by function code, catchment visitors
    population: float
    share_65plus: float


def spending_per_capita(p: Params, year: float) -> np.ndarray:
    """(ages, functions) EUR/person/month, with the over-65 retail cut [OV] and the leisure
    factor [G32]."""
    base = p.spend_per_capita * p.traj["spending_index"](year) / 12.0
    out = np.vstack([base, base])
    out[1, _RETAIL_IDX] *= p.spend_factor_65plus_retail
    out[1, _LEISURE_IDX] *= p.spend_factor_65plus_leisure
    return out


def centre_share(p: Params, year: float, vacancy: float, vacancy0: float,
                 n_shops: np.ndarray, n_shops0: np.ndarray) -> np.ndarray:
    """Logit share of physical spending that the centre captures, by function code.

    share = b X / (b X + (1 - b) C), with b the start share, C the outside options' attraction
    (periphery, other towns) and X the centre's attraction relative to the start: fewer vacant
    frontages and more choice per branch raise it.
    """
    b = p.base_centre_share
    x = ((1.0 - vacancy) / max(1e-9, 1.0 - vacancy0)) ** p.centre_share_vacancy_elasticity
    variety = ((n_shops + 1.0) / (n_shops0 + 1.0)) ** p.centre_share_variety_elasticity
    comp = p.traj["competition_index"](year) * p.extra.get("competition_factor", 1.0)
    bx = b * x * variety * p.extra.get("centre_attraction_factor", 1.0)
    denom = bx + (1.0 - b) * comp
    return np.divide(bx, denom, out=np.zeros(N_FUNCTIONS), where=denom > 0)


def compute_demand(p: Params, year: float, catchment_population: float,
                   residents_by_age: np.ndarray, vacancy: float, vacancy0: float,
                   n_shops: np.ndarray, n_shops0: np.ndarray) -> Demand:
    """Split the month's spending of catchment and centre residents into online, outside and
    centre spending. ``residents_by_age`` is persons (under 65, 65+) living in the centre."""
    pop = catchment_population * p.traj["population_index"](year)
    s65 = p.traj["share_65plus"](year)
    per_cap = spending_per_capita(p, year)
    online = np.clip(p.online_share(year) * p.extra.get("online_factor", 1.0), 0.0, 1.0)
    demand_factor = p.extra.get("demand_factor", np.ones(N_FUNCTIONS))
    persons = np.array([[pop * (1 - s65), pop * s65], residents_by_age])  # [origin, age]
    total = persons[:, :, None] * per_cap[None, :, :] * demand_factor[None, None, :]
    on = total * online[None, None, :]
    physical = total - on
    share = np.zeros((2, N_FUNCTIONS))
    share[0] = centre_share(p, year, vacancy, vacancy0, n_shops, n_shops0)
    share[1, _COMMERCIAL_IDX] = p.resident_centre_share
    centre = physical * share[:, None, :]
    outside = physical - centre
    return Demand(total=total, online=on, outside=outside, centre=centre, online_share=online,
                  centre_share=share[0], population=pop, share_65plus=s65)


def trips_by_purpose(p: Params, centre: np.ndarray) -> np.ndarray:
    """Centre trips per month [origin, age, purpose] from centre spending
    [origin, age, function]."""
    spend = centre @ p.purpose_mix  # [origin, age, purpose]
    return spend / p.basket[None, None, :]
