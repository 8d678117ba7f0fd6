"""Owners' month: valuation, covenant breaches and sales, conversion, splitting and merging, and
asking rents. The rules are in `sim.property`; this module applies them to every owner at once
and lets the `PropertyOwner` agents carry out their decisions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from .agents import PropertyOwner
from .bids import best_format
from .functions import Anchor, Function
from .params import Params
from .property import (
    MUNICIPALITY,
    PRIVATE,
    LettingEvidence,
    alternative_rent,
    breaching_owners,
    conversion_choice,
    conversion_financed,
    evidence_rent,
    housing_value,
    mark_book_rents,
    reservation_rents,
    unit_values,
    unit_yield,
)
from .rng import stream
from .town import Town

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .month import Month

def with_slots(town: Town, p: Params) -> tuple[Town, np.ndarray]:
    """The town with dormant slots appended for every unit large enough to be split (up to
    ``subdivide_max_parts`` parts each), and the parent of each unit (-1 for the town's own
    units)."""
    area = town.floor_area
    n_parts = np.where(area >= p.subdivide_min_area,
                       np.minimum(np.floor(area / p.subdivide_target_area),
                                  p.subdivide_max_parts), 1)
    extra = np.maximum(n_parts.astype(np.int64) - 1, 0)
    parents = np.repeat(np.arange(town.n_units), extra)
    parent = np.r_[np.full(town.n_units, -1, dtype=np.int64), parents]
    if len(parents) == 0:
        return town, parent

    def ext(a: np.ndarray, fill=None) -> np.ndarray:
        add = a[parents] if fill is None else np.full(len(parents), fill, dtype=a.dtype)
        return np.r_[a, add].astype(a.dtype)

    return dataclasses.replace(
        town, unit_x=ext(town.unit_x), unit_y=ext(town.unit_y), unit_node=ext(town.unit_node),
        unit_zone=ext(town.unit_zone), floor_area=ext(town.floor_area),
        upper_floors=ext(town.upper_floors, 0), retail_allowed=ext(town.retail_allowed),
        owner=ext(town.owner), function=ext(town.function, int(Function.VACANT)),
        chain=ext(town.chain, False), anchor=ext(town.anchor, int(Anchor.NONE))), parent


def initial_balance_sheets(m: CityCentreModel, mo: Month, rng: np.random.Generator) -> None:
    """Each owner's debt: with probability ``debt_share`` of its type it is financed at
    ``loan_to_value`` of its portfolio's start value; the municipality has no debt."""
    p, u, book = m.p, m.units, m.owner_book
    values = np.bincount(u.owner, weights=unit_values(p, u, book), minlength=book.n)
    kind = book.kind
    typed = np.minimum(kind, 1)
    has_debt = (kind != MUNICIPALITY) & (rng.random(book.n) < p.debt_share[typed])
    book.debt[:] = np.where(has_debt, p.loan_to_value[typed] * values, 0.0)
    mo.reservation = reservation_rents(p, u, book, unit_values(p, u, book),
                                       np.zeros(u.n, dtype=bool), alternative_rents(m, mo))


def book_start_rents(m: CityCentreModel) -> None:
    """At the start owners ask and book what their units are let for."""
    u = m.units
    u.asking_rent[:] = u.contract_rent
    u.book_rent[:] = u.contract_rent


def alternative_rents(m: CityCentreModel, mo: Month) -> np.ndarray:
    """This month's rent equivalent of every owner's conversion option (`sim.property`)."""
    i = mo.inputs
    subsidy = i.conversion_subsidy if m.municipality.can_pay() else np.zeros(m.units.n)
    return alternative_rent(m.p, m.units, m.owner_book, i.conversion_permit,
                            m.driver("housing_demand_index"),
                            m.driver("credit_availability"), subsidy)


def property_market(m: CityCentreModel, mo: Month) -> None:
    """The owners' month: appraisal, sales by owners in breach of covenant, the reservation
    rents that follow (into ``mo``), and decisions on conversion, splitting and merging."""
    p, u, book = m.p, m.units, m.owner_book
    u.book_rent[:] = mark_book_rents(p, u, m.clock)
    _sales(m)
    values = unit_values(p, u, book)
    mo.reservation = reservation_rents(p, u, book, values, mo.inputs.forced_letting,
                                       alternative_rents(m, mo))
    _conversions(m, mo)
    _splits(m, mo)
    _merges(m, mo)


def sell(m: CityCentreModel, unit: int, buyer: PropertyOwner, price: float,
         rebook: bool = False) -> None:
    """The owner of ``unit`` sells it to ``buyer`` at ``price`` (EUR). With ``rebook`` the
    buyer's book rests on the price it paid: it books and asks the market evidence."""
    m.owners[int(m.units.owner[unit])].sell(int(unit), buyer, price)
    if rebook:
        u = m.units
        u.book_rent[unit] = evidence_rent(m.p, u, m.clock)[unit]


def convert(m: CityCentreModel, unit: int, cause: str) -> None:
    """The owner of vacant ``unit`` converts it to housing; new households move in."""
    new = m.ledger.convert_to_housing(unit, cause=cause)
    m.households.move_in(unit, new, m.stream("conversion_households"))


def _sales(m: CityCentreModel) -> None:
    """Owners in breach sell (vacant units first, then let ones) to a new private owner at the
    market value until the covenant holds again [OV: banks withdraw from commercial property]."""
    p, u, book = m.p, m.units, m.owner_book
    values = unit_values(p, u, book)
    # Only units that are active and retail-eligible are for sale; an owner in breach with none
    # left (its units converted or dormant) has nothing to sell this month.
    sellable = u.active & u.eligible
    breach = breaching_owners(p, values, u, book)
    breach = breach[np.bincount(u.owner[sellable], minlength=book.n)[breach] > 0]
    if len(breach) == 0:
        return
    market = evidence_rent(p, u, m.clock) * u.area / unit_yield(p, u, book)
    for owner_id in breach:
        mine = np.flatnonzero((u.owner == owner_id) & sellable)
        order = mine[np.lexsort((-u.area[mine], ~u.vacant[mine]))]
        for unit in order:
            # A sale changes only the sold unit (its owner, and its book if vacant), so the
            # values of the units the seller keeps are those computed above.
            v_owner = float(values[u.owner == owner_id].sum())
            if book.debt[owner_id] <= p.covenant_ltv * v_owner:
                break
            rng = m.stream("owners")
            typed = PRIVATE
            # A let unit sells at its value under the lease, an empty one at the market
            # evidence: the seller realises the gap to its book value.
            price = float(market[unit] if u.vacant[unit] else values[unit])
            debt = (p.loan_to_value[typed] * price if rng.random() < p.debt_share[typed]
                    else 0.0)
            buyer = PropertyOwner(m, book.add(typed, debt))
            m.owners.append(buyer)
            vacant = bool(u.vacant[unit])
            sell(m, int(unit), buyer, price, rebook=vacant)
            if vacant:
                u.asking_rent[unit] = u.book_rent[unit]


def _conversions(m: CityCentreModel, mo: Month) -> None:
    """Every month each owner of a vacant unit where the zoning plan permits housing weighs
    converting it now against holding it for a retail tenant, with the letting time its zone
    shows (`sim.property.conversion_choice`), and converts where the dwelling is worth more by
    its hurdle and it can finance the works (`conversion_financed`). No waiting time or review
    chance stands in for the decision: the
    owner's numbers decide, and banks ration the credit (`credit_availability`)."""
    p, u, i = m.p, m.units, mo.inputs
    cand = np.flatnonzero(u.vacant_eligible & i.conversion_permit & (u.anchor == Anchor.NONE))
    if len(cand) == 0:
        return
    subsidy = i.conversion_subsidy if m.municipality.can_pay() else np.zeros(u.n)
    demand = m.driver("housing_demand_index")
    book = m.owner_book
    gain = conversion_choice(p, u, book, cand, demand, subsidy, m.clock,
                             m.letting_evidence.months_to_let())
    cost = np.maximum(p.conversion_cost - subsidy[cand], 0.0) * u.area[cand]
    # A bank answers a plan once a year (its lending round): the January draws of the
    # ``conversions`` stream decide the whole year, so a refused owner tries again next year.
    january = max(m.clock - (m.calendar_month - 1), 0)
    bank = (stream(m.seed, "conversions", january).random(u.n)[cand]
            < m.driver("credit_availability"))
    ok = (gain > 0) & conversion_financed(p, u, book, cand, unit_values(p, u, book),
                                          np.maximum(gain, 0.0), cost, bank)
    for unit in cand[ok]:
        s = float(min(subsidy[unit], p.conversion_cost) * u.area[unit])
        if s > 0:
            s = m.municipality.pay(s, "conversion subsidy")
        hv = float(housing_value(p, u, np.array([unit]), demand)[0])
        cost = max(p.conversion_cost * u.area[unit] - s, 0.0)
        u.book_rent[unit] = max(hv - cost, 0.0) * p.housing_yield / u.area[unit]
        owner = m.owners[int(u.owner[unit])]
        convert(m, int(unit), cause=owner.kind)


def best_bids(m: CityCentreModel, mo: Month, units: np.ndarray, area: np.ndarray
              ) -> np.ndarray:
    """The best rent (EUR/m2/yr) any independent or chain format could bid for a unit of
    floor area ``area[i]`` at the place of ``units[i]`` (an owner's view of a re-planned
    unit), counting only formats that take a unit of that size (independents up to
    ``entrant_max_area``, chains up to ``chain_max_area``); 0 where none would."""
    p = m.p
    area = np.asarray(area, dtype=float)
    bid = best_format(m, mo, units, area, chains_allowed=area <= p.chain_max_area,
                      independents_allowed=area <= p.entrant_max_area)[0]
    return np.where(np.isfinite(bid), bid, 0.0)


def _splits(m: CityCentreModel, mo: Month) -> None:
    """An owner splits a large long-vacant unit into parts when the parts' rents beat the
    whole's net of the cost (capitalised at its yield) and the split is financed."""
    p, u = m.p, m.units
    draws = m.stream("splits").random((u.n, 2))
    slots = np.bincount(u.parent[(u.parent >= 0) & ~u.active], minlength=u.n)
    cand = np.flatnonzero(u.vacant_eligible & (u.area >= p.subdivide_min_area) & (slots > 0)
                          & (u.months_vacant >= p.subdivide_min_vacant_months)
                          & (draws[:, 0] < p.conversion_probability))
    if len(cand) == 0:
        return
    credit = m.driver("credit_availability")
    cand = cand[draws[cand, 1] < credit]
    if len(cand) == 0:
        return
    k = np.minimum(np.floor(u.area[cand] / p.subdivide_target_area), slots[cand] + 1)
    k = np.maximum(k, 2)
    part = u.area[cand] / k
    whole = np.maximum(best_bids(m, mo, cand, u.area[cand]), 0.0) * u.area[cand]
    parts = np.maximum(best_bids(m, mo, cand, part), 0.0) * u.area[cand]
    y = unit_yield(p, u, m.owner_book)[cand]
    go = parts - whole > p.subdivision_cost * u.area[cand] * y * (1.0 + p.conversion_hurdle)
    for unit, n_parts, a in zip(cand[go], k[go], part[go], strict=True):
        children = np.flatnonzero((u.parent == unit) & ~u.active)[: int(n_parts) - 1]
        m.ledger.split(int(unit), children, float(a),
                       max(u.asking_rent[unit], p.owner_running_cost))


def _merges(m: CityCentreModel, mo: Month) -> None:
    """An owner joins two neighbouring vacant units of its own (same street segment) when the
    whole's rent beats the parts' net of the cost; the smaller becomes a dormant slot."""
    p, u = m.p, m.units
    vac = np.flatnonzero(u.vacant_eligible & (u.months_vacant >= p.subdivide_min_vacant_months)
                         & (u.anchor == Anchor.NONE))
    if len(vac) < 2:
        return
    key = u.node[vac] * (u.owner.max() + 1) + u.owner[vac]
    order = np.argsort(key, kind="stable")
    vac, key = vac[order], key[order]
    pairs = [(vac[j], vac[j + 1]) for j in range(len(vac) - 1) if key[j] == key[j + 1]]
    if not pairs:
        return
    draws = m.stream("merges").random((u.n, 2))
    credit = m.driver("credit_availability")
    pairs = [(a, b) for a, b in pairs
             if draws[a, 0] < p.conversion_probability and draws[a, 1] < credit]
    if not pairs:
        return
    a = np.array([x for x, _ in pairs])
    b = np.array([y for _, y in pairs])
    joint = u.area[a] + u.area[b]
    both = np.maximum(best_bids(m, mo, a, joint), 0.0) * joint
    apart = (np.maximum(best_bids(m, mo, a, u.area[a]), 0.0) * u.area[a]
             + np.maximum(best_bids(m, mo, b, u.area[b]), 0.0) * u.area[b])
    y = unit_yield(p, u, m.owner_book)[a]
    go = both - apart > p.merge_cost * joint * y * (1.0 + p.conversion_hurdle)
    used: set[int] = set()
    for keep, give in zip(a[go], b[go], strict=True):
        if keep in used or give in used:
            continue
        used.update((int(keep), int(give)))
        m.ledger.merge(int(keep), int(give))


def record_lettings(evidence: LettingEvidence, ledger_lettings: np.ndarray,
                    m: CityCentreModel) -> None:
    """Owners add the month's lettings and vacant units by zone to their evidence."""
    u = m.units
    vacant = np.bincount(u.zone[u.vacant_eligible], minlength=evidence.vacant.shape[1])
    evidence.add(ledger_lettings, vacant)


def learn_from_bids(m: CityCentreModel, mo: Month) -> None:
    """Owners keep the best recent bid seen in the month's matching as market evidence."""
    p, u, seen = m.p, m.units, mo.seen_bids
    fresh = seen > 0
    better = fresh & ((seen >= u.best_bid) | (m.clock - u.best_bid_month > p.bid_evidence_months))
    u.best_bid[better] = seen[better]
    u.best_bid_month[better] = m.clock


def asking_rents(m: CityCentreModel, mo: Month) -> None:
    """Owners hold, cut or learn from bids (kernel `update_asking_rents`)."""
    p, u = m.p, m.units
    u.asking_rent[:] = m.kernels.update_asking_rents(
        u.asking_rent, u.contract_rent, u.months_vacant.astype(np.int64), u.vacant,
        mo.seen_bids, np.asarray(mo.reservation, dtype=float), p.asking_rent_hold_months,
        p.asking_rent_step, p.bid_learning)

