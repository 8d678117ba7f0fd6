"""The generated start state, settled by a short damped market clearing.

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

from .bids import format_table
from .economics import bid_rent, operator_of, passers_term
from .functions import Anchor, Function
from .property import conversion_gain

if TYPE_CHECKING:
    from .model import CityCentreModel

#: Rounds of the settling and the share of the indicated changes made per round (damping, so
#: that units do not all switch to the same branch at once). Numerical settings of the
#: initialisation, not model parameters: the burn-in removes their traces.
ROUNDS = 12
STEP = 1.0 / 3.0


def settle(m: CityCentreModel, rng: np.random.Generator) -> int:
    """Damped market clearing of the generated tenancies; returns the number of changes."""
    from .owners import alternative_rents

    p, u = m.p, m.units
    changes = 0
    for _ in range(ROUNDS):
        m.flows_and_revenue()
        m.update_local_vacancy()
        # What owners need: running costs, or the rent worth their conversion option.
        floor = np.maximum(alternative_rents(m), p.owner_running_cost)
        draws = rng.random((u.n, 3))
        shop = np.flatnonzero(u.occupied_commercial & (u.anchor == Anchor.NONE))
        revenue = u.revenue[shop] + u.revenue_online[shop]
        bid = bid_rent(p, revenue, u.area[shop], u.function[shop], operator_of(u.chain[shop]),
                       u.cost_factor[shop], np.zeros(len(shop), bool), m.cost_inputs(),
                       1.0 + m.inputs.levy[shop])
        leave = shop[(bid < floor[shop]) & (draws[shop, 0] < STEP)]
        u.function[leave] = Function.VACANT
        u.chain[leave] = False
        # Viable tenants reconsider their format, then empty units find their best use, one
        # by one, each counting those placed before it in its branch's pool.
        pools = dataclasses.replace(m.pools, visits=m.pools.visits.copy(),
                                    passers=m.pools.passers.copy())
        stay = shop[(bid >= floor[shop]) & (draws[shop, 0] < STEP)]
        vacant = np.flatnonzero(u.vacant_eligible & (u.anchor == Anchor.NONE))
        vacant = vacant[~np.isin(vacant, leave) & (draws[vacant, 1] < STEP)]
        current = dict(zip(shop.tolist(), bid.tolist(), strict=True))
        order = rng.permutation(np.r_[stay, vacant])
        table = format_table(m, order, appeal=u.appeal[order],
                             chains_allowed=u.area[order] <= p.chain_max_area)
        unplaced, unplaced_bid = [], []
        for row, unit in enumerate(order):
            f = int(u.function[unit])
            own_v, own_s = 0.0, 0.0
            if u.occupied_commercial[unit]:  # a sitting tenant weighs its own place in the pool
                own_v = float(m.flows.main_visits[unit])
                own_s = float(passers_term(u.footfall[unit], u.area[unit]))
                pools.visits[f] -= own_v
                pools.passers[f] -= own_s
            bids = table.bids(pools, row)
            k = int(np.argmax(bids))
            best, branch, chain = float(bids[k]), int(table.branches[k]), bool(table.chain[k])
            bid_now = float(current.get(int(unit), -np.inf))
            office_bid = (p.office_rent[u.zone[unit]] if m.inputs.office_permit[unit]
                          and u.area[unit] <= p.office_max_area else -np.inf)
            if office_bid > best and office_bid >= floor[unit] and office_bid > bid_now:
                u.function[unit] = Function.OFFICE
                u.chain[unit] = False
                changes += 1
            elif best >= floor[unit] and best > bid_now:
                changes += int(f != branch or u.chain[unit] != chain)
                u.function[unit] = branch
                u.chain[unit] = chain
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
        rest = rest[m.inputs.conversion_permit[rest]
                    & (draws[rest, 2] < m.driver("credit_availability"))]
        if len(rest):
            gain = conversion_gain(p, u, m.owner_book, rest, m.driver("housing_demand_index"),
                                   np.zeros(u.n), m.clock)
            for unit in rest[gain > 0]:
                m.convert_to_housing(int(unit), cause="initial state")
                changes += 1
        if m._residents_changed:
            m._refresh_resident_arrays()
        changes += len(leave)
    return changes
