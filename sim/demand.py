"""Demand: from population, age structure and spending to centre spending and trips.

Pure functions of the month's drivers, inputs and the centre's current supply. Spending is in EUR
per month; arrays are indexed [origin, age band, function code] with origin 0 = catchment
visitors (arrive at entry points), 1 = centre residents (start at home), and age band 0 = under
65, 1 = 65 and over.

- Spending per capita differs by age band *and branch* (``spend_factor_65plus``): over-65s spend
  much less on fashion and electronics, as much or more on daily goods, care and going out [OV]
  [G32], so ageing shifts demand between branches rather than cutting all retail alike.
- Going out (horeca, culture) follows its own driver (``leisure_visit_index``) and the services
  and makers' demand of people working in the centre another (``work_demand_index``); goods
  follow ``spending_index``. Trips come from spending by purpose (including the *leisure*
  purpose) divided by the purpose's basket, which differs by age band (over-65s shop more often
  with smaller baskets), so leisure visits can grow while goods spending falls.
- The centre's share of physical spending is a logit per branch against outside options whose
  pull follows ``competition_index`` scaled by the branch's ``competition_exposure``
  (furnishing to the periphery, fashion to outlet centres and larger towns, daily goods to
  neighbourhood centres).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .functions import COMMERCIAL, N_FUNCTIONS, Function
from .params import Params

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .month import Month
    from .state import UnitState

_COMMERCIAL_IDX = np.array([int(b) for b in COMMERCIAL])
_LEISURE_IDX = np.array([int(Function.HORECA), int(Function.CULTURE)])
_WORK_IDX = np.array([int(Function.SERVICES), int(Function.MAKER)])


@dataclass
class Demand:
    """One month's spending split by channel and destination (EUR/month, [origin, age, function])
    and the centre trips it makes ([origin, age, purpose], trips/month).

    ``total = online + outside + centre`` holds exactly, element by element.
    """

    total: np.ndarray
    online: np.ndarray
    outside: np.ndarray
    centre: np.ndarray
    trips: np.ndarray
    online_share: np.ndarray  # by function code
    centre_share: np.ndarray  # by function code, catchment visitors
    population: float
    share_65plus: float


@dataclass(frozen=True)
class DemandDrivers:
    """The drivers demand reads in a month (values at the month, see `sim.params.Params`)."""

    population_index: float
    share_65plus: float
    spending_index: float
    leisure_visit_index: float
    work_demand_index: float
    competition_index: float
    online_share: np.ndarray  # by function code


def spending_per_capita(p: Params, d: DemandDrivers) -> np.ndarray:
    """(ages, functions) EUR/person/month by age band and branch."""
    base = p.spend_per_capita * d.spending_index / 12.0
    base[_LEISURE_IDX] *= d.leisure_visit_index
    base[_WORK_IDX] *= d.work_demand_index
    return np.vstack([base, base * p.spend_factor_65plus])


def centre_share(p: Params, d: DemandDrivers, perceived_vacancy: float, n_shops: np.ndarray,
                 n_shops_ref: np.ndarray, attraction: float = 1.0,
                 competition: float = 1.0) -> np.ndarray:
    """Logit share of catchment visitors' physical spending that the centre captures, by
    function code.

    share = b X / (b X + (1 - b) C), with b = ``base_centre_share`` (the share with the town's
    own generated supply, no vacancy and start-level competition), X = (1 - perceived
    vacancy)^e_b x ((shops_b + 1) / (shops_ref_b + 1))^v x ``attraction`` and
    C = 1 + (competition_index - 1) x exposure_b, times ``competition``. The reference supply is a
    property of the town, not of the run, so the share does not depend on the start year.
    """
    b = p.base_centre_share
    x = np.clip(1.0 - perceived_vacancy, 1e-9, 1.0) ** p.centre_share_vacancy_elasticity
    variety = ((n_shops + 1.0) / (n_shops_ref + 1.0)) ** p.centre_share_variety_elasticity
    comp = np.maximum(1.0 + (d.competition_index - 1.0) * p.competition_exposure, 1e-9)
    bx = b * x * variety * attraction
    denom = bx + (1.0 - b) * comp * competition
    return np.divide(bx, denom, out=np.zeros(N_FUNCTIONS), where=denom > 0)


def compute_demand(p: Params, d: DemandDrivers, catchment_population: float,
                   residents_by_age: np.ndarray, perceived_vacancy: float,
                   n_shops: np.ndarray, n_shops_ref: np.ndarray, demand_factor: np.ndarray,
                   attraction: float = 1.0, competition: float = 1.0) -> Demand:
    """Split the month's spending of catchment and centre residents into online, outside and
    centre spending, and turn centre spending into trips by purpose. ``residents_by_age`` is
    persons (under 65, 65+) living in the centre; ``demand_factor`` (by function) carries the
    month's effects of levers and scenario mechanisms."""
    pop = catchment_population * d.population_index
    s65 = d.share_65plus
    per_cap = spending_per_capita(p, d)
    online = np.clip(d.online_share, 0.0, 1.0)
    persons = np.array([[pop * (1 - s65), pop * s65], residents_by_age])  # [origin, age]
    total = persons[:, :, None] * per_cap[None, :, :] * np.maximum(demand_factor, 0.0)[None,
                                                                                       None, :]
    on = total * online[None, None, :]
    physical = total - on
    share = np.zeros((2, N_FUNCTIONS))
    share[0] = centre_share(p, d, perceived_vacancy, n_shops, n_shops_ref, attraction,
                            competition)
    share[1, _COMMERCIAL_IDX] = p.resident_centre_share
    centre = physical * share[:, None, :]
    outside = physical - centre
    return Demand(total=total, online=on, outside=outside, centre=centre,
                  trips=trips_by_purpose(p, centre), online_share=online,
                  centre_share=share[0], population=pop, share_65plus=s65)


def trips_by_purpose(p: Params, centre: np.ndarray) -> np.ndarray:
    """Centre trips per month [origin, age, purpose] from centre spending
    [origin, age, function]: spending by purpose over the purpose's basket for the age band."""
    spend = centre @ p.purpose_mix  # [origin, age, purpose]
    basket = np.vstack([p.basket, p.basket * p.basket_factor_65plus])  # [age, purpose]
    return spend / basket[None, :, :]


def outlets_by_branch(u: UnitState) -> np.ndarray:
    """Outlets by function code; a mixed-use unit's second function counts for its branch."""
    shop = u.occupied_commercial
    second = shop & (u.second_function >= 0)
    return (np.bincount(u.function[shop], minlength=N_FUNCTIONS)
            + np.bincount(u.second_function[second], minlength=N_FUNCTIONS)).astype(float)


def drivers_of(m: CityCentreModel) -> DemandDrivers:
    """This month's demand drivers of the model."""
    return DemandDrivers(
        population_index=m.driver("population_index"),
        share_65plus=m.driver("share_65plus"),
        spending_index=m.driver("spending_index"),
        leisure_visit_index=m.driver("leisure_visit_index"),
        work_demand_index=m.driver("work_demand_index"),
        competition_index=m.driver("competition_index"),
        online_share=m.p.online_share(m.year_f))


def month_demand(m: CityCentreModel, mo: Month) -> Demand:
    """The month's demand under the month's inputs, with the vacancy visitors now see and the
    centre's current outlets."""
    i = mo.inputs
    return compute_demand(m.p, drivers_of(m), m.town.catchment_population, m.households.by_age,
                          m.perceived_vacancy(i), outlets_by_branch(m.units), m.n_shops_ref,
                          i.demand, i.centre_attraction, i.competition)
