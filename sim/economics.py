"""Tenants' economics: who takes the centre's spending, what a tenancy costs, what it can pay.

Revenue. The centre's spending on a branch splits into destination spending, shared by the
branch's outlets in proportion to their visits (a mixed-use unit's second function takes part in
its own branch's pool), and impulse spending, shared in proportion to passers-by x sqrt(area).
What no outlet can take (a branch without outlets) leaks away. A prospective tenant forecasts its
own revenue the same way, counting itself in the pool:

    R = D_b v / (V_b + v) + I_b s / (S_b + s)

with v its expected visits (attractiveness x stop potential) and s its passers-by term, so a
branch that is already well served offers a newcomer little [ECONOMICS sketch].

Costs, by branch and operator (independent or chain): cost of goods (1 - gross margin, less a
chain's ``purchasing_advantage``),
operating costs that scale with revenue (``variable_cost_share`` of the branch times the
operator's ``variable_cost_factor``), fixed costs (``fixed_cost_base`` +
``fixed_cost_per_m2`` x area, times ``cost_index`` and the operator's efficiency), opening costs
written off over the lease, and the profit the operator needs (an independent's own income,
a chain's margin). A small independent has low fixed costs and a high variable share; a chain
outlet the reverse, which lets the edge host a different market from the core.

Bid rent (EUR/m2/yr): what the tenant can pay and still earn what it needs,

    bid = 12 x ((gm - var - req_margin) R - fixed - opening - required_income) / area / k

with k = 1 + levy - subsidy, the share of the rent the tenant bears.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .demand import Demand
from .flows import FlowState
from .functions import CHAIN, INDEPENDENT, N_FUNCTIONS
from .params import Params
from .state import IS_COMMERCIAL, UnitState

if TYPE_CHECKING:
    from .inputs import MonthInputs
    from .model import CityCentreModel
    from .month import Month


@dataclass
class Pools:
    """The month's spending pools and how they are shared (EUR/month, by function code)."""

    destination: np.ndarray  # D_b
    impulse: np.ndarray  # I_b
    visits: np.ndarray  # V_b: visits to the branch's outlets
    passers: np.ndarray  # S_b: passers-by term of the branch's outlets
    online_share: np.ndarray
    centre: np.ndarray  # centre spending by function


def passers_term(footfall: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Impulse-purchase weight of a shop front: passers-by per day x sqrt(floor area)."""
    return (np.asarray(footfall) + 1e-9) * np.sqrt(np.asarray(area))


def allocate_revenue(p: Params, u: UnitState, demand: Demand, flows: FlowState
                     ) -> tuple[Pools, np.ndarray]:
    """Set ``u.revenue`` and ``u.revenue_online`` of every tenant; return the pools and the
    leakage by function (spending on a branch no outlet could take)."""
    shop = u.occupied_commercial
    f = u.function.astype(np.int64)
    g = np.where(u.second_function >= 0, u.second_function, 0).astype(np.int64)
    centre = demand.centre.sum(axis=(0, 1))
    dest = (1.0 - p.impulse_share) * centre
    impulse = p.impulse_share * centre
    mv = np.where(shop, flows.main_visits, 0.0)
    sv = np.where(shop & (u.second_function >= 0), flows.second_visits, 0.0)
    pas = np.where(shop, passers_term(u.footfall, u.area), 0.0)
    vis_b = (np.bincount(f, weights=mv, minlength=N_FUNCTIONS)
             + np.bincount(g, weights=sv, minlength=N_FUNCTIONS))
    pas_b = np.bincount(f, weights=pas, minlength=N_FUNCTIONS)
    safe_v = np.where(vis_b > 0, vis_b, 1.0)
    safe_p = np.where(pas_b > 0, pas_b, 1.0)
    second = dest[g] * sv / safe_v[g]
    rev = dest[f] * mv / safe_v[f] + second + impulse[f] * pas / safe_p[f]
    u.revenue[:] = np.where(shop, rev, 0.0)
    u.revenue_second[:] = np.where(shop, second, 0.0)
    taken = (np.bincount(f, weights=np.where(shop, dest[f] * mv / safe_v[f]
                                             + impulse[f] * pas / safe_p[f], 0.0),
                         minlength=N_FUNCTIONS)
             + np.bincount(g, weights=np.where(shop, dest[g] * sv / safe_v[g], 0.0),
                           minlength=N_FUNCTIONS))
    leakage = np.where(IS_COMMERCIAL, np.maximum(centre - taken, 0.0), centre)
    physical_all = (demand.total - demand.online).sum(axis=(0, 1))
    online = demand.online.sum(axis=(0, 1))
    share = np.divide(online, physical_all, out=np.zeros(N_FUNCTIONS), where=physical_all > 0)
    u.revenue_online[:] = np.where(shop & u.online_channel,
                                   p.online_channel_capture * share[f] * u.revenue, 0.0)
    pools = Pools(destination=dest, impulse=impulse, visits=vis_b, passers=pas_b,
                  online_share=share, centre=centre)
    return pools, leakage


def month_revenue(m: CityCentreModel, mo: Month) -> None:
    """The month's revenue of every tenant (`allocate_revenue`), its pools and totals into
    ``mo``."""
    mo.pools, mo.leakage = allocate_revenue(m.p, m.units, mo.demand, mo.flows)
    mo.revenue_total = float(m.units.revenue.sum())
    mo.revenue_online_total = float(m.units.revenue_online.sum())


def forecast_revenue(pools: Pools, branches: np.ndarray, visits: np.ndarray,
                     passers: np.ndarray, own_visits: np.ndarray | float = 0.0,
                     own_passers: np.ndarray | float = 0.0) -> np.ndarray:
    """Expected physical revenue (EUR/month) of a tenant of ``branches[i]`` drawing
    ``visits[i]`` visits and ``passers[i]`` passers-by term, counting itself in its branch's
    pool. ``own_*`` is what the tenant already holds in the pool (a shop weighing a move)."""
    b = np.asarray(branches, dtype=np.int64)
    v_others = np.maximum(pools.visits[b] - own_visits, 0.0)
    s_others = np.maximum(pools.passers[b] - own_passers, 0.0)
    dest = pools.destination[b] * np.divide(visits, v_others + visits,
                                            out=np.zeros(len(b)), where=v_others + visits > 0)
    imp = pools.impulse[b] * np.divide(passers, s_others + passers,
                                       out=np.zeros(len(b)), where=s_others + passers > 0)
    return dest + imp


@dataclass(frozen=True)
class CostInputs:
    """The month's cost drivers and subsidies tenants face."""

    cost_index: float
    startup_factor: float  # effects on opening costs (1 = none)
    popup_startup_factor: float


def office_rents(p: Params, unit_x: np.ndarray, unit_y: np.ndarray, unit_zone: np.ndarray,
                 entry_x: np.ndarray, entry_y: np.ndarray) -> np.ndarray:
    """What a typical office or workspace user pays for each unit (EUR/m2/yr): the zone's office
    rent, more near the entry points (station, parking garages) its staff and clients arrive
    at: x (1 + ``office_access_premium`` x exp(-distance / ``office_access_length``))."""
    d = np.hypot(unit_x[:, None] - entry_x[None, :], unit_y[:, None] - entry_y[None, :])
    near = d.min(axis=1) if d.shape[1] else np.full(len(unit_x), np.inf)
    return p.office_rent[unit_zone] * (1.0 + p.office_access_premium
                                       * np.exp(-near / p.office_access_length))


def cost_inputs(cost_index: float, inputs: MonthInputs) -> CostInputs:
    """The cost drivers tenants face under the month's ``inputs``."""
    return CostInputs(cost_index=cost_index, startup_factor=inputs.startup_cost,
                      popup_startup_factor=inputs.popup_startup_cost)


def operator_of(chain: np.ndarray) -> np.ndarray:
    return np.where(chain, CHAIN, INDEPENDENT).astype(np.int64)


def fixed_costs(p: Params, area: np.ndarray, op: np.ndarray, cost_factor: np.ndarray,
                cost_index: float) -> np.ndarray:
    """Fixed costs, EUR/month."""
    return cost_index * cost_factor * (p.fixed_cost_base[op] + p.fixed_cost_per_m2[op] * area
                                       / 12.0)


def opening_costs(p: Params, area: np.ndarray, op: np.ndarray, popup: np.ndarray,
                  c: CostInputs) -> np.ndarray:
    """Opening and fit-out costs of a new tenancy, EUR (paid at opening)."""
    factor = np.where(popup, p.popup_startup_share * c.popup_startup_factor, 1.0)
    return c.cost_index * c.startup_factor * factor * p.startup_cost_per_m2[op] * area


def lease_length(p: Params, popup: np.ndarray) -> np.ndarray:
    """Expected lease length (months) a tenant writes its opening costs off over."""
    lo, hi = p.popup_lease_months
    return np.where(popup, 0.5 * (lo + hi), p.lease_months)


def required_profit(p: Params, revenue: np.ndarray, op: np.ndarray,
                    cost_index: float) -> np.ndarray:
    """Profit the operator needs from the tenancy, EUR/month."""
    return p.required_income[op] * cost_index + p.required_margin[op] * revenue


def operating_margin(p: Params, branches: np.ndarray, op: np.ndarray) -> np.ndarray:
    """Gross margin minus the operating costs that scale with revenue (fraction of revenue)."""
    return (p.gross_margin[branches] + p.purchasing_advantage[op]
            - p.variable_cost_share[branches] * p.variable_cost_factor[op])


def bid_rent(p: Params, revenue: np.ndarray, area: np.ndarray, branches: np.ndarray,
             op: np.ndarray, cost_factor: np.ndarray, popup: np.ndarray, c: CostInputs,
             rent_share: np.ndarray | float = 1.0) -> np.ndarray:
    """Highest rent (EUR/m2/yr) a tenant of this format can pay in this unit and still earn what
    it needs. ``rent_share`` is the share of the rent the tenant bears (1 + levy - subsidy)."""
    surplus = (operating_margin(p, branches, op) * revenue
               - fixed_costs(p, area, op, cost_factor, c.cost_index)
               - opening_costs(p, area, op, popup, c) / lease_length(p, popup)
               - required_profit(p, revenue, op, c.cost_index))
    return 12.0 * surplus / np.maximum(area, 1e-9) / np.maximum(rent_share, 1e-3)
