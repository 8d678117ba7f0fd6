"""The generated start state: the unit table, households, tenants and their traits, settled by
a short damped market clearing; then the first month's flows, rents, accounts and balance sheets.

A generated town gives every shop unit a tenant drawn from a typical branch mix; many of them
could not pay their way at the start year's demand. Before the agents start (and before the
burn-in), a few rounds of a damped tatonnement bring the centre close to what the market
supports. Each round recomputes demand, flows and revenue (with the vacancy visitors then see),
and then, each with a probability of one ``STEP`` per round:

- a tenant that cannot pay what its owner needs (the running costs, or the rent worth the
  owner's conversion option where that is higher) leaves;
- a viable tenant whose unit another format would pay more for gives way to it (the branch mix
  moves toward what demand supports, as churn would do over the years);
- an empty unit is taken by the format, or office user, with the best bid there if that bid
  clears what the owner needs; where no use clears and the zoning permits, an owner whose
  credit comes through converts it to housing when the dwelling is worth more
  (`sim.property`).

Anchors keep their tenants. The burn-in then runs the full agent dynamics from this state; the
settling only shortens it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from . import economics, flows, inputs
from .agents import OfficeUser, Shop
from .agents.entrepreneur import draw_age
from .attraction import draw_appeal
from .bids import format_table
from .demand import month_demand
from .economics import bid_rent, operator_of, passers_term
from .exits import NEVER_RETIRES
from .functions import N_FUNCTIONS, Anchor, Function
from .month import Month
from .property import conversion_gain
from .state import UnitState

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .town import Town

#: Rounds of the settling and the share of the indicated changes made per round (damping, so
#: that units do not all switch to the same branch at once). Numerical settings of the
#: initialisation, not model parameters: the burn-in removes their traces.
ROUNDS = 12
STEP = 1.0 / 3.0


def unit_table(town: Town, slot_parent: np.ndarray) -> UnitState:
    """The unit table of ``town`` (with its dormant slots, ``slot_parent`` >= 0) before the
    set-up: geometry, ownership, zoning and the generated uses."""
    active = slot_parent < 0
    return UnitState.new(
        town.n_units, node=town.unit_node, zone=town.unit_zone,
        area=np.where(active, town.floor_area, 0.0), upper_floors=town.upper_floors,
        anchor=town.anchor, owner=town.owner, active=active, parent=slot_parent,
        function=town.function, eligible=town.retail_allowed, chain=town.chain)


def flows_and_revenue(m: CityCentreModel, mo: Month) -> None:
    """Demand, flows and revenue of the current tenants into ``mo`` (the street factor from
    ``mo``'s own local vacancy)."""
    mo.demand = month_demand(m, mo)
    flows.month(m, mo, mo.local_vacancy_node)
    economics.month_revenue(m, mo)


def start_state(m: CityCentreModel) -> Month:
    """Residents, tenants, rents, owners' balance sheets and the first month's flows of the
    generated town (the burn-in then brings it to a stationary state); returns the set-up's
    month record (clock 0)."""
    from . import owners, tenants

    rng, u, p, ledger = m.stream("init"), m.units, m.p, m.ledger
    n = u.n
    # Dwellings: upper floors used for housing, and housing units on every floor.
    share = p.upper_floor_dwelling_share[u.zone]
    upper = rng.binomial(u.upper_floors.astype(np.int64), share) * u.active
    housing = u.function == Function.HOUSING
    per_floor = np.maximum(1, np.round(u.area / p.dwelling_size)).astype(np.int64)
    ledger.start_tenancies({"dwellings": np.where(housing, per_floor * (1 + u.upper_floors),
                                                  upper)})
    res_rng = m.stream("start_households")
    for unit in np.flatnonzero(u.dwellings):
        m.households.move_in(int(unit), int(u.dwellings[unit]), res_rng)
    m.households.refresh()

    # Each unit's (first) tenant differs in costs and appeal; then settle the generated
    # tenancies close to what the start-year market supports.
    i = inputs.month_inputs(m)
    mo = Month(0, inputs=i, costs=economics.cost_inputs(m.driver("cost_index"), i),
               local_vacancy_node=np.zeros(m.town.n_nodes), local_vacancy_unit=np.zeros(n))
    ledger.start_tenancies({"cost_factor": np.exp(rng.normal(0.0, p.entrant_cost_sd, n))})
    u.appeal[:] = draw_appeal(p, rng, n)
    ledger.start_tenancies({"contract_rent": p.owner_running_cost})
    u.book_rent[:] = p.owner_running_cost
    settle(m, mo, m.stream("settle"))
    shop = u.occupied_commercial
    ledger.start_tenancies({"cost_factor": 1.0}, where=~shop)
    u.appeal[~shop] = 1.0
    a, b = p.innovativeness_beta
    innovativeness = np.where(shop, rng.beta(a, b, n), 0.0)
    brands = int(p.chain_brands_per_branch)
    brand = rng.integers(0, brands, n)
    ledger.start_tenancies({"innovativeness": innovativeness,
                            "chain_id": np.where(u.chain, u.function * brands + brand, -1)})
    ledger.start_tenancies({"chain_id": N_FUNCTIONS * brands},
                           where=u.anchor == Anchor.DEPARTMENT_STORE)
    start = p.online_channel_start[np.where(u.chain, 1, 0)] * u.innovativeness / (a / (a + b))
    u.online_channel[:] = shop & (rng.random(n) < start)
    # Tenancies began some years ago; leases end within one lease term.
    opened = -rng.integers(0, max(int(12 * p.initial_tenancy_years), 1), n)
    age_open = draw_age(p, rng, n)
    lo, hi = p.retirement_age
    ledger.start_tenancies({
        "opened": opened,
        "birth_clock": opened - np.round(12 * age_open).astype(np.int64),
        "retire_age": np.where(shop & ~u.chain, rng.uniform(lo, hi, n), NEVER_RETIRES),
        "lease_end": rng.integers(1, int(p.lease_months) + 1, n)})
    for unit in np.flatnonzero(shop):
        Shop(m, int(unit))
    # Office users the settling placed in shop units (the town's own offices are zoned
    # offices, outside the retail market).
    office = np.flatnonzero(u.active & u.eligible & (u.function == Function.OFFICE))
    will = np.exp(rng.normal(0.0, p.office_rent_sd, len(office)))
    for unit, w in zip(office, will, strict=True):
        OfficeUser(m, int(unit), float(m.office_rent[unit] * w))

    # The first month's flows and revenue with the settled tenants.
    flows_and_revenue(m, mo)
    tenants.initial_rents_and_cash(m, mo)
    owners.initial_balance_sheets(m, mo, rng)
    m.update_local_vacancy(mo)
    return mo


def settle(m: CityCentreModel, mo: Month, rng: np.random.Generator) -> int:
    """Damped market clearing of the generated tenancies; returns the number of changes."""
    from .owners import alternative_rents, convert

    p, u = m.p, m.units
    changes = 0
    for _ in range(ROUNDS):
        flows_and_revenue(m, mo)
        m.update_local_vacancy(mo)
        # What owners need: running costs, or the rent worth their conversion option.
        floor = np.maximum(alternative_rents(m, mo), p.owner_running_cost)
        draws = rng.random((u.n, 3))
        shop = np.flatnonzero(u.occupied_commercial & (u.anchor == Anchor.NONE))
        revenue = u.revenue[shop] + u.revenue_online[shop]
        bid = bid_rent(p, revenue, u.area[shop], u.function[shop], operator_of(u.chain[shop]),
                       u.cost_factor[shop], np.zeros(len(shop), bool), mo.costs,
                       1.0 + mo.inputs.levy[shop])
        leave = shop[(bid < floor[shop]) & (draws[shop, 0] < STEP)]
        m.ledger.start_tenancies({"function": int(Function.VACANT), "chain": False},
                                 where=leave)
        # Viable tenants reconsider their format, then empty units find their best use, one
        # by one, each counting those placed before it in its branch's pool.
        pools = dataclasses.replace(mo.pools, visits=mo.pools.visits.copy(),
                                    passers=mo.pools.passers.copy())
        stay = shop[(bid >= floor[shop]) & (draws[shop, 0] < STEP)]
        vacant = np.flatnonzero(u.vacant_eligible & (u.anchor == Anchor.NONE))
        vacant = vacant[~np.isin(vacant, leave) & (draws[vacant, 1] < STEP)]
        current = dict(zip(shop.tolist(), bid.tolist(), strict=True))
        order = rng.permutation(np.r_[stay, vacant])
        table = format_table(m, mo, order, appeal=u.appeal[order],
                             chains_allowed=u.area[order] <= p.chain_max_area)
        unplaced, unplaced_bid = [], []
        for row, unit in enumerate(order):
            f = int(u.function[unit])
            own_v, own_s = 0.0, 0.0
            if u.occupied_commercial[unit]:  # a sitting tenant weighs its own place in the pool
                own_v = float(mo.flows.main_visits[unit])
                own_s = float(passers_term(u.footfall[unit], u.area[unit]))
                pools.visits[f] -= own_v
                pools.passers[f] -= own_s
            bids = table.bids(pools, row)
            k = int(np.argmax(bids))
            best, branch, chain = float(bids[k]), int(table.branches[k]), bool(table.chain[k])
            bid_now = float(current.get(int(unit), -np.inf))
            office_bid = (m.office_rent[unit] if mo.inputs.office_permit[unit]
                          and u.area[unit] <= p.office_max_area else -np.inf)
            if office_bid > best and office_bid >= floor[unit] and office_bid > bid_now:
                m.ledger.start_use(int(unit), int(Function.OFFICE), False)
                changes += 1
            elif best >= floor[unit] and best > bid_now:
                changes += int(f != branch or u.chain[unit] != chain)
                m.ledger.start_use(int(unit), branch, chain)
                pools.visits[branch] += float(table.visits[row, k])
                pools.passers[branch] += float(table.passers[row])
            elif u.occupied_commercial[unit]:
                pools.visits[f] += own_v
                pools.passers[f] += own_s
            else:
                unplaced.append(int(unit))
                unplaced_bid.append(max(best, office_bid, 0.0))
        # Owners of units no use wants convert them where permitted, financed and worth it.
        rest = np.array(unplaced, dtype=np.int64)
        u.best_bid[rest] = np.array(unplaced_bid)
        u.best_bid_month[rest] = m.clock
        rest = rest[mo.inputs.conversion_permit[rest]
                    & (draws[rest, 2] < m.driver("credit_availability"))]
        if len(rest):
            gain = conversion_gain(p, u, m.owner_book, rest, m.driver("housing_demand_index"),
                                   np.zeros(u.n), m.clock)
            for unit in rest[gain > 0]:
                convert(m, int(unit), cause="initial state")
                changes += 1
        m.households.refresh_if_changed()
        changes += len(leave)
    return changes
