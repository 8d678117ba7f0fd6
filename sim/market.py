"""Matching searchers to vacant units: where vacancy, rents and their spatial gradient come from.

Each month every searcher (an entrant, an office user, a shop whose lease ends, a shop looking
for a unit in the heart) inspects a sample of vacant units it may use and computes its bid rent
for each unit and branch it could run there (`sim.economics`). A deal is possible where the bid
clears the owner's asking rent (its reservation for a letting this month: it starts at the
owner's estimate of the market and falls while the unit stands empty, never below the floor of
`sim.property.reservation_rents`); the rent is the bargain between the two: the asking rent plus
the owner's share ``renewal_owner_share`` of the gap to the bid (Nash bargaining, as at a
renewal). The month's matching is a deferred acceptance: every searcher proposes to its viable
units in the order of its own gain (a shop that already has a unit only where moving beats
staying by its threshold, after moving costs); each owner holds the proposal that pays it most
and rejects the others, who propose to their next unit, until no searcher and owner would both
rather deal. So no vacant unit is left with a viable bid from a searcher who went without a
lease (`stranded`). Every bid seen, signed or not, is market evidence for the owner. Nothing here
sets a vacancy rate or a rent: they follow from bids and owners' reservations [ECONOMICS
sketch].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .attraction import prospective
from .economics import CostInputs, Pools, bid_rent, forecast_revenue, operator_of, passers_term
from .functions import Function
from .params import Params
from .state import UnitState


@dataclass
class Searcher:
    """One party looking for a unit this month.

    ``home`` is the unit a shop already rents (-1 for an entrant) and ``home_surplus`` the
    surplus (EUR/yr) of staying there (-inf if it cannot stay); ``min_area``/``max_area`` bound
    the units it considers; ``office_bid`` is an office user's bid (EUR/m2/yr, before the zone's
    rent level: a multiplier)."""

    agent: Any
    kind: str
    branches: np.ndarray
    chain: bool = False
    popup: bool = False
    cost_factor: float = 1.0
    optimism: float = 1.0
    min_area: float = 0.0
    max_area: float = np.inf
    home: int = -1
    home_surplus: float = -np.inf
    own_visits: float = 0.0
    own_passers: float = 0.0
    appeal: float = 1.0  # a shop weighing a move knows its own appeal; an entrant expects 1
    subsidised: bool = False  # a new independent: eligible for a starters' rent subsidy
    office_bid: float = 0.0
    allowed: np.ndarray | None = None  # bool over units: the only units it considers
    grant_eligible: bool = False  # a mover from a unit that qualifies for a relocation grant

    @property
    def office(self) -> bool:
        return self.kind == "office"


@dataclass
class Match:
    """A viable deal: ``searcher`` (the ``index``-th of the month's searchers) would lease
    ``unit`` for ``branch`` at the bargained ``rent``."""

    searcher: Searcher
    unit: int
    branch: int
    rent: float  # EUR/m2/yr the tenant pays the owner (before subsidy)
    surplus: float  # EUR/yr: the searcher's gain from the deal (after moving costs)
    subsidy: float = 0.0  # share of the rent the municipality pays
    index: int = -1


@dataclass
class MarketView:
    """What searchers see this month."""

    p: Params
    u: UnitState
    pools: Pools
    potential: np.ndarray  # (purposes, units)
    street: np.ndarray  # (nodes,) street factor
    unit_attraction: np.ndarray
    levy: np.ndarray
    costs: CostInputs
    asking: np.ndarray  # (units,) asking rent (EUR/m2/yr)
    reservation: np.ndarray  # (units,) owners' reservation rent
    forced: np.ndarray  # (units,) forced letting applies
    retail_pool: np.ndarray  # vacant units a new retail tenant may lease
    office_pool: np.ndarray  # vacant units an office user may lease
    reloc_annual: float  # moving cost per m2 and year of lease (EUR/m2/yr)
    relocation_grant: np.ndarray  # (units,) EUR/m2 grant for moving into the unit
    rent_subsidy: np.ndarray  # (units,) starters' rent subsidy share (0 without budget)
    popup_rent_subsidy: np.ndarray  # (units,) pop-ups' rent subsidy share (0 without budget)
    office_rent: np.ndarray  # (units,) what a typical office user pays (EUR/m2/yr)


def _sample(rng: np.random.Generator, pool: np.ndarray, allowed: np.ndarray, k: int,
            weights: np.ndarray | None) -> np.ndarray:
    """Rows of up to ``k`` units of ``pool`` per searcher, drawn without replacement among the
    ``allowed`` ones (searchers x pool), weighted if ``weights`` is given (Gumbel top-k); -1
    pads rows with fewer allowed units."""
    n_s, n_p = allowed.shape
    if n_p == 0 or n_s == 0:
        return np.full((n_s, 0), -1, dtype=np.int64)
    keys = rng.random((n_s, n_p))
    if weights is not None:
        keys = np.log(np.maximum(weights, 1e-300))[None, :] - np.log(-np.log(keys))
    keys = np.where(allowed, keys, -np.inf)
    k = min(k, n_p)
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    chosen = pool[top]
    ok = np.take_along_axis(allowed, top, axis=1)
    return np.where(ok, chosen, -1)


def admissible(s: Searcher, units: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Which of ``units`` (with floor areas ``area``) searcher ``s`` may take: within its size
    bounds and, if it is limited to some units (inward movers, temporary centres), among them."""
    ok = (area >= s.min_area) & (area <= s.max_area)
    if s.allowed is not None:
        ok &= s.allowed[units]
    return ok


def candidate_units(view: MarketView, searchers: list[Searcher], rng: np.random.Generator,
                    k: int) -> list[np.ndarray]:
    """The vacant units each searcher inspects this month (same draws whatever it decides)."""
    u = view.u
    out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(searchers)
    for is_office in (False, True):
        idx = [i for i, s in enumerate(searchers) if s.office == is_office]
        pool = np.flatnonzero(view.office_pool if is_office else view.retail_pool)
        if not idx:
            continue
        area = u.area[pool]
        lo = np.array([searchers[i].min_area for i in idx])
        hi = np.array([searchers[i].max_area for i in idx])
        allowed = (area[None, :] >= lo[:, None]) & (area[None, :] <= hi[:, None])
        for j, i in enumerate(idx):
            if searchers[i].allowed is not None:
                allowed[j] &= searchers[i].allowed[pool]
        chains = np.array([searchers[i].chain for i in idx])
        rows = np.full((len(idx), min(k, len(pool))), -1, dtype=np.int64)
        # Chains prefer large, busy units (weighted draws); everyone else draws uniformly.
        for flag, weights in ((False, None), (True, area * (u.footfall[pool] + 1.0))):
            sel = np.flatnonzero(chains == flag)
            if len(sel):
                rows[sel] = _sample(rng, pool, allowed[sel], k, weights)
        for j, i in enumerate(idx):
            out[i] = rows[j][rows[j] >= 0]
    return out


def evaluate(view: MarketView, searchers: list[Searcher], candidates: list[np.ndarray]
             ) -> tuple[list[Match], np.ndarray]:
    """Every viable deal (for each searcher and unit its best branch, where its bid clears the
    owner's asking rent and, for a shop that already has a unit, moving beats staying) and the
    best bid seen per unit (EUR/m2/yr, 0 where none)."""
    p, u = view.p, view.u
    n_cand = np.array([len(c) for c in candidates], dtype=np.int64)
    branch_lists = [np.array([int(Function.OFFICE)]) if s.office else s.branches
                    for s in searchers]
    n_br = np.array([len(b) for b in branch_lists], dtype=np.int64)
    seen = np.zeros(u.n)
    if not np.any(n_cand * n_br):
        return [], seen
    # Every (searcher, candidate unit, branch) triple, built without a loop over searchers.
    width = int(n_br.max())
    br_table = np.full((len(searchers), width), -1, dtype=np.int64)
    for i, b in enumerate(branch_lists):
        br_table[i, :len(b)] = b
    pair_s = np.repeat(np.arange(len(searchers)), n_cand)
    pair_u = np.concatenate([c for c in candidates if len(c)]).astype(np.int64) if n_cand.sum() \
        else np.empty(0, np.int64)
    trip_br = br_table[pair_s].ravel()
    keep = trip_br >= 0
    si = np.repeat(pair_s, width)[keep]
    un = np.repeat(pair_u, width)[keep]
    br = trip_br[keep]
    chain = np.array([s.chain for s in searchers])[si]
    popup = np.array([s.popup for s in searchers])[si]
    office = np.array([s.office for s in searchers])[si]
    cost = np.array([s.cost_factor for s in searchers])[si]
    optimism = np.array([s.optimism for s in searchers])[si]
    subsidised = np.array([s.subsidised for s in searchers])[si]
    subsidy = np.where(popup, view.popup_rent_subsidy[un],
                       np.where(subsidised, view.rent_subsidy[un], 0.0))
    appeal = np.array([s.appeal for s in searchers])[si]
    own_v = np.array([s.own_visits for s in searchers])[si]
    own_p = np.array([s.own_passers for s in searchers])[si]
    area = u.area[un]
    attr = prospective(p, u, un, np.where(office, 0, br), chain, popup, view.street,
                       view.unit_attraction)
    visits = (attr * view.potential[:, un]).sum(axis=0) * appeal
    passers = passers_term(u.footfall[un], area)
    revenue = optimism * forecast_revenue(view.pools, br, visits, passers, own_v, own_p)
    share = 1.0 + view.levy[un] - subsidy
    bid = bid_rent(p, revenue, area, br, operator_of(chain), cost, popup, view.costs, share)
    office_bid = np.array([s.office_bid for s in searchers])[si] * view.office_rent[un]
    bid = np.where(office, office_bid, bid)
    np.maximum.at(seen, un, np.maximum(bid, 0.0))
    asking = np.where(popup, view.asking[un] * (1.0 - p.popup_rent_discount), view.asking[un])
    # Under a forced-letting rule the owner must accept a proposed tenant whose bid clears its
    # running costs; the rent is the bargain between the two (as at a lease renewal), at most
    # the asking rent.
    forced = view.forced[un]
    ask = np.where(forced, np.minimum(view.reservation[un], asking), asking)
    theta = p.renewal_owner_share
    bargain = ask + theta * np.maximum(bid - ask, 0.0)
    rent = np.where(forced, np.minimum(bargain, asking), bargain)
    # The searcher keeps its share of the gap between its bid and the rent it pays.
    surplus = (bid - rent) * area
    home = np.array([s.home for s in searchers])[si]
    moving = home >= 0
    eligible = np.array([s.grant_eligible for s in searchers])[si]
    grant = np.where(eligible, view.relocation_grant[un], 0.0) * area * 12.0 / p.lease_months
    surplus = np.where(moving, surplus - view.reloc_annual * area + grant, surplus)
    home_surplus = np.array([s.home_surplus for s in searchers])[si]
    gain = surplus - np.maximum(home_surplus, 0.0) * (1.0 + p.relocation_gain_threshold)
    ok = (bid >= ask) & (~moving | ~np.isfinite(home_surplus) | (gain > 0))
    rows = np.flatnonzero(ok)
    # One row per (searcher, unit): the branch with the largest gain (ties: the first).
    order = rows[np.lexsort((-surplus[rows], un[rows], si[rows]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (si[order][1:] != si[order][:-1]) | (un[order][1:] != un[order][:-1])
    matches = [Match(searchers[int(si[j])], int(un[j]), int(br[j]), float(rent[j]),
                     float(surplus[j]), float(subsidy[j]), int(si[j])) for j in order[first]]
    return matches, seen


def _owner_prefers(a: Match, b: Match) -> bool:
    """Whether the owner would rather sign ``a`` than ``b``: the higher rent; on a tie the
    searcher who gains more, then the earlier searcher."""
    return (a.rent, a.surplus, -a.index) > (b.rent, b.surplus, -b.index)


def assign(matches: list[Match]) -> list[Match]:
    """Deferred acceptance over the viable deals: searchers propose in the order of their own
    gain (ties: the lower unit id), each owner holds the best proposal it has had, rejected
    searchers propose to their next unit; each unit and each searcher signs at most once. The
    result is stable: no searcher and owner left apart would both rather deal with each other.
    Returns the signed deals, largest gain first."""
    options: dict[int, list[Match]] = {}
    for m in sorted(matches, key=lambda x: (x.index, -x.surplus, x.unit)):
        options.setdefault(m.index, []).append(m)
    next_option = dict.fromkeys(options, 0)
    held: dict[int, Match] = {}
    free = sorted(options)
    while free:
        s = free.pop()
        opts = options[s]
        while next_option[s] < len(opts):
            m = opts[next_option[s]]
            next_option[s] += 1
            current = held.get(m.unit)
            if current is None or _owner_prefers(m, current):
                held[m.unit] = m
                if current is not None:
                    free.append(current.index)
                break
    return sorted(held.values(), key=lambda x: (-x.surplus, x.unit))


def stranded(matches: list[Match], signed: list[Match]) -> int:
    """Vacant units left with a viable deal from a searcher who signed nowhere (0 for a
    stable matching)."""
    taken = {m.unit for m in signed}
    matched = {m.index for m in signed}
    return len({m.unit for m in matches if m.unit not in taken and m.index not in matched})
