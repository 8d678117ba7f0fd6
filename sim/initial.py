"""The generated start state, settled by a short damped market clearing.

A generated town gives every shop unit a tenant drawn from a typical branch mix; many of them
could not pay their way at the start year's demand. Before the agents start (and before the
burn-in), a few rounds of a damped tatonnement bring the tenancies close to what the market
supports: each round recomputes flows and revenue, a share of the tenants that cannot pay the
owners' running costs leave, and a share of the empty units is taken by the format with the best
bid there, where that bid clears the running costs. Anchors keep their tenants. The burn-in then
runs the full agent dynamics from this state; the settling only shortens it.

During the settling visitors are taken to see the generated, fully let centre (perceived
vacancy 0): settling from the full side lets the burn-in's exits, which are fast, do the rest,
rather than its entries, which are slow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .bids import best_format
from .economics import bid_rent, operator_of
from .functions import Anchor, Function

if TYPE_CHECKING:
    from .model import CityCentreModel

#: Rounds of the settling and the share of the indicated changes made per round (damping, so
#: that units do not all switch to the same branch at once). Numerical settings of the
#: initialisation, not model parameters: the burn-in removes their traces.
ROUNDS = 8
STEP = 1.0 / 3.0


def settle(m: CityCentreModel, rng: np.random.Generator) -> int:
    """Damped market clearing of the generated tenancies; returns the number of changes."""
    p, u = m.p, m.units
    floor = p.owner_running_cost
    changes = 0
    m.settling = True
    for _ in range(ROUNDS):
        m.flows_and_revenue()
        shop = np.flatnonzero(u.occupied_commercial & (u.anchor == Anchor.NONE))
        revenue = u.revenue[shop] + u.revenue_online[shop]
        bid = bid_rent(p, revenue, u.area[shop], u.function[shop], operator_of(u.chain[shop]),
                       u.cost_factor[shop], np.zeros(len(shop), bool), m.cost_inputs(),
                       1.0 + m.inputs.levy[shop])
        draws = rng.random(u.n)
        leave = shop[(bid < floor) & (draws[shop] < STEP)]
        u.function[leave] = Function.VACANT
        u.chain[leave] = False
        vacant = np.flatnonzero(u.vacant_eligible & (u.anchor == Anchor.NONE))
        vacant = vacant[~np.isin(vacant, leave)]
        taken = np.empty(0, dtype=np.int64)
        if len(vacant):
            best, branch, chain = best_format(m, vacant, chains_allowed=(
                u.area[vacant] <= p.chain_max_area))
            # Where offices may use the unit, an office user bids the zone's office rent.
            office = m.inputs.office_permit[vacant] & (u.area[vacant] <= p.office_max_area)
            office_bid = np.where(office, p.office_rent[u.zone[vacant]], -np.inf)
            use_office = office_bid > best
            best = np.maximum(best, office_bid)
            go = (best >= floor) & (draws[vacant] < STEP)
            taken = vacant[go]
            u.function[taken] = np.where(use_office[go], int(Function.OFFICE), branch[go])
            u.chain[taken] = chain[go] & ~use_office[go]
        changes += len(leave) + len(taken)
    m.settling = False
    return changes
