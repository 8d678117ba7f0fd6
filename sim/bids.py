"""Best uses: which format could pay the most for a unit (the owner's and the planner's view).

A format is a branch run by an independent or a chain. For each unit the best format is the one
with the highest bid rent (`sim.economics.bid_rent`), forecasting its revenue from the unit's
stop potential and the branch's spending pool, counting itself in the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .attraction import prospective
from .economics import (
    Pools,
    bid_rent,
    fixed_costs,
    forecast_revenue,
    lease_length,
    opening_costs,
    operating_margin,
    operator_of,
    passers_term,
)
from .functions import CHAIN, COMMERCIAL, INDEPENDENT

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .month import Month

_BRANCHES = np.array([int(b) for b in COMMERCIAL], dtype=np.int64)


def best_format(m: CityCentreModel, mo: Month, units: np.ndarray,
                area: np.ndarray | None = None,
                chains_allowed: np.ndarray | None = None, appeal: np.ndarray | None = None,
                pools: Pools | None = None, independents_allowed: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bid, branch, chain)`` of the best format for each of ``units`` (with floor area
    ``area``, default the unit's own); chains only where ``chains_allowed``, independents only
    where ``independents_allowed`` (default everywhere); a tenant of known ``appeal`` (default
    1, what an entrant expects); spending pools ``pools`` (default the month's). A bid is
    EUR/m2/yr and may be negative (no format is viable), -inf where no format may take the
    unit."""
    p, u, i = m.p, m.units, mo.inputs
    pools = mo.pools if pools is None else pools
    appeal = np.ones(len(units)) if appeal is None else np.asarray(appeal, dtype=float)
    units = np.asarray(units, dtype=np.int64)
    area = u.area[units] if area is None else np.asarray(area, dtype=float)
    nb = len(_BRANCHES)
    best = np.full(len(units), -np.inf)
    best_branch = np.zeros(len(units), dtype=np.int64)
    best_chain = np.zeros(len(units), dtype=bool)
    for op in (INDEPENDENT, CHAIN):
        uu = np.repeat(units, nb)
        aa = np.repeat(area, nb)
        bb = np.tile(_BRANCHES, len(units))
        chain = np.full(len(uu), op == CHAIN)
        popup = np.zeros(len(uu), bool)
        attr = prospective(p, u, uu, bb, chain, popup, mo.street, i.unit_attraction, aa)
        visits = (attr * mo.flows.potential[:, uu]).sum(axis=0) * np.repeat(appeal, nb)
        rev = forecast_revenue(pools, bb, visits, passers_term(u.footfall[uu], aa))
        bid = bid_rent(p, rev, aa, bb, operator_of(chain), np.ones(len(uu)), popup,
                       mo.costs, 1.0 + i.levy[uu]).reshape(len(units), nb)
        if op == CHAIN and chains_allowed is not None:
            bid = np.where(np.asarray(chains_allowed)[:, None], bid, -np.inf)
        if op == INDEPENDENT and independents_allowed is not None:
            bid = np.where(np.asarray(independents_allowed)[:, None], bid, -np.inf)
        k = bid.argmax(axis=1)
        top = bid[np.arange(len(units)), k]
        better = top > best
        best = np.where(better, top, best)
        best_branch = np.where(better, _BRANCHES[k], best_branch)
        best_chain = np.where(better, op == CHAIN, best_chain)
    return best, best_branch, best_chain


@dataclass
class FormatTable:
    """Every format's bid for each of a set of units, linear in its forecast revenue:
    bid = slope x R - const (EUR/m2/yr), with R = D_b v / (V_b + v) + I_b s / (S_b + s) from the
    spending pools (`sim.economics`). Built once, it answers for any state of the pools, which
    lets a sequence of placements each count those placed before it."""

    units: np.ndarray  # (U,)
    branches: np.ndarray  # (F,) branch of each format
    chain: np.ndarray  # (F,) chain format
    visits: np.ndarray  # (U, F) expected visits
    passers: np.ndarray  # (U,) passers-by term
    slope: np.ndarray  # (U, F)
    const: np.ndarray  # (U, F)
    allowed: np.ndarray  # (U, F)

    def revenue(self, pools: Pools, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        v = self.visits[rows]
        s = self.passers[rows][..., None]
        b = self.branches
        dv = pools.visits[b] + v
        ds = pools.passers[b] + s
        dest = pools.destination[b] * np.divide(v, dv, out=np.zeros_like(v), where=dv > 0)
        imp = pools.impulse[b] * np.divide(np.broadcast_to(s, v.shape), ds,
                                           out=np.zeros_like(v), where=ds > 0)
        return dest + imp

    def bids(self, pools: Pools, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Bids (EUR/m2/yr) of every format for the units in ``rows`` (-inf where a format is
        not allowed)."""
        bid = self.slope[rows] * self.revenue(pools, rows) - self.const[rows]
        return np.where(self.allowed[rows], bid, -np.inf)


def format_table(m: CityCentreModel, mo: Month, units: np.ndarray,
                 appeal: np.ndarray | None = None,
                 chains_allowed: np.ndarray | None = None) -> FormatTable:
    """The `FormatTable` of ``units`` in the model's current state and month ``mo`` (every
    commercial branch run by an independent or a chain; chains only where
    ``chains_allowed``)."""
    p, u, i = m.p, m.units, mo.inputs
    units = np.asarray(units, dtype=np.int64)
    n_u = len(units)
    branches = np.tile(_BRANCHES, 2)
    chain = np.repeat([False, True], len(_BRANCHES))
    n_f = len(branches)
    uu = np.repeat(units, n_f)
    bb = np.tile(branches, n_u)
    cc = np.tile(chain, n_u)
    area = u.area[uu]
    attr = prospective(p, u, uu, bb, cc, np.zeros(len(uu), bool), mo.street, i.unit_attraction)
    appeal = np.ones(n_u) if appeal is None else np.asarray(appeal, dtype=float)
    visits = ((attr * mo.flows.potential[:, uu]).sum(axis=0) * np.repeat(appeal, n_f))
    op = operator_of(cc)
    c = mo.costs
    share = (1.0 + i.levy[uu]) * area / 12.0
    slope = (operating_margin(p, bb, op) - p.required_margin[op]) / share
    popup = np.zeros(len(uu), bool)
    const = (fixed_costs(p, area, op, np.ones(len(uu)), c.cost_index)
             + opening_costs(p, area, op, popup, c) / lease_length(p, popup)
             + p.required_income[op] * c.cost_index) / share
    allowed = np.ones((n_u, n_f), dtype=bool)
    if chains_allowed is not None:
        allowed[:, chain] = np.asarray(chains_allowed, dtype=bool)[:, None]
    return FormatTable(units=units, branches=branches, chain=chain,
                       visits=visits.reshape(n_u, n_f),
                       passers=passers_term(u.footfall[units], u.area[units]),
                       slope=slope.reshape(n_u, n_f), const=const.reshape(n_u, n_f),
                       allowed=allowed)
