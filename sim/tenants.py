"""Tenants' month: accounts, exits, lease ends, search and matching, format changes.

The rules run on whole arrays (`sim.economics`, `sim.exits`, `sim.market`); the agents (`Shop`,
`OfficeUser`, `Entrepreneur`) carry out the decisions for themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import BRANCHES, Entrepreneur, OfficeUser, Shop
from .agents.entrepreneur import SEARCHER_TYPES, draw_age
from .economics import (
    fixed_costs,
    operating_margin,
    operator_of,
    passers_term,
    required_profit,
)
from .exits import IS_PROTECTED, closure_decisions, surrender_terms
from .functions import Anchor, Function
from .market import (
    MarketView,
    Searcher,
    admissible,
    assign,
    candidate_units,
    evaluate,
    stranded,
)
from .owners import alternative_rents, book_start_rents

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .month import Month

#: Anchors that renew in place rather than look for another unit.
_STAY_PUT = (int(Anchor.DEPARTMENT_STORE), int(Anchor.SUPERMARKET), int(Anchor.CULTURE),
             int(Anchor.MARKET_SQUARE))
_SECOND_FUNCTIONS = np.array([int(Function.HORECA), int(Function.SERVICES),
                              int(Function.CULTURE)])


def sitting_bids(m: CityCentreModel, mo: Month, units: np.ndarray) -> np.ndarray:
    """The rent (EUR/m2/yr) each sitting tenant of ``units`` could pay on its smoothed revenue:
    its operating margin (a mixed-use unit's second function at that function's margin) less
    its fixed costs and what it needs; its opening costs are sunk."""
    u, p = m.units, m.p
    op = operator_of(u.chain[units])
    c = mo.costs
    revenue = u.revenue_ema[units]
    now = u.revenue[units] + u.revenue_online[units]
    second_share = np.divide(u.revenue_second[units], now, out=np.zeros(len(units)),
                             where=now > 0)
    g = np.where(u.second_function[units] >= 0, u.second_function[units], 0)
    margin = ((1.0 - second_share) * operating_margin(p, u.function[units], op)
              + second_share * operating_margin(p, g, op))
    surplus = (margin * revenue
               - fixed_costs(p, u.area[units], op, u.cost_factor[units], c.cost_index)
               - required_profit(p, revenue, op, c.cost_index))
    share = 1.0 + mo.inputs.levy[units]
    return 12.0 * surplus / np.maximum(u.area[units], 1e-9) / share


def initial_rents_and_cash(m: CityCentreModel, mo: Month) -> None:
    """Rents, accounts and asking rents of the generated start state. A sitting tenant's rent is
    the renewal bargain between its bid on this month's revenue and the owner's running costs
    (the rule of `lease_ends`); the burn-in then lets the market settle."""
    u, p = m.units, m.p
    shop = np.flatnonzero(u.occupied_commercial)
    u.revenue_ema[shop] = u.revenue[shop] + u.revenue_online[shop]
    bid = sitting_bids(m, mo, shop)
    floor = np.maximum(alternative_rents(m, mo)[shop], p.owner_running_cost)
    rent = np.maximum(floor + p.renewal_owner_share * (bid - floor), floor)
    contract = u.contract_rent.copy()
    contract[shop] = rent
    housing = u.active & (u.function == Function.HOUSING)
    office = u.active & (u.function == Function.OFFICE)
    contract[housing] = p.housing_rent[u.zone[housing]]
    contract[office] = m.office_rent[office]
    for unit, user in m.office_at.items():  # office users in shop units bargain like shops
        res = max(float(np.maximum(alternative_rents(m, mo)[unit], p.owner_running_cost)), 0.0)
        contract[unit] = max(res + p.renewal_owner_share * (user.bid - res), res)
    vacant = np.flatnonzero(u.vacant_eligible)
    if len(vacant):  # vacant units: owners ask what neighbours pay
        for z in np.unique(u.zone[vacant]):
            paid = rent[u.zone[shop] == z]
            ask = float(np.median(paid)) if len(paid) else float(np.median(rent)) if len(
                rent) else p.owner_running_cost
            contract[vacant[u.zone[vacant] == z]] = ask
    m.ledger.start_tenancies({"contract_rent": contract})
    book_start_rents(m)
    op = operator_of(u.chain[shop])
    fixed = fixed_costs(p, u.area[shop], op, u.cost_factor[shop], mo.costs.cost_index)
    u.cash[shop] = p.reserve_months * (fixed + rent * u.area[shop] / 12.0)
    finances(m, mo, initial=True)


def finances(m: CityCentreModel, mo: Month, initial: bool = False) -> float:
    """The month's accounts of every tenant: profit after rent, the smoothed profit after what
    the operator needs, and (independents) cash after the entrepreneur's drawings: the
    entrepreneur draws what it needs when the shop earns it and lives on less when it does not,
    down to ``subsistence_income``; only below that do the shop's reserves fall. The
    municipality pays running rent subsidies as far as its budget allows; in a shock, owners
    forgive part of the rent of tenants whose revenue fell by the qualifying loss. Returns the
    national support paid to tenants this month (EUR)."""
    u, p, i = m.units, m.p, mo.inputs
    shop = u.occupied_commercial
    op = operator_of(u.chain)
    c = mo.costs
    revenue = u.revenue + u.revenue_online
    fixed = fixed_costs(p, u.area, op, u.cost_factor, c.cost_index)
    rent = u.contract_rent * u.area / 12.0
    owed = np.where(shop & (u.subsidy_until > m.clock), u.subsidy_share * rent, 0.0)
    total = float(owed.sum())
    paid = m.municipality.pay(total, "rent subsidy") if total > 0 else 0.0
    subsidy = owed * (paid / total if total > 0 else 0.0)
    support = i.cost_support * (rent + fixed)
    national = float(np.where(shop, support, 0.0).sum())
    hit = shop & (revenue < (1.0 - p.shock_relief_loss) * u.revenue_ema)
    relief = np.where(hit, i.rent_relief * rent, 0.0) if i.rent_relief > 0 else 0.0
    second = np.where(u.second_function >= 0, u.second_function, 0)
    gross = (operating_margin(p, u.function, op) * (revenue - u.revenue_second)
             + operating_margin(p, second, op) * u.revenue_second)
    profit = (gross - fixed - rent * (1.0 + i.levy) + subsidy + support + relief
              - u.startup_monthly)
    needs = required_profit(p, revenue, op, c.cost_index)
    econ = profit - needs
    tau = p.profit_smoothing_months
    first = ((m.clock - u.opened) <= 1) | initial
    u.profit[:] = np.where(shop, profit, 0.0)
    u.profit_ema[:] = np.where(shop, np.where(first, econ, u.profit_ema + (econ - u.profit_ema)
                                               / tau), 0.0)
    u.revenue_ema[:] = np.where(shop, np.where(first, revenue, u.revenue_ema
                                               + (revenue - u.revenue_ema) / tau), 0.0)
    u.loss_months[:] = np.where(shop & (u.profit_ema < 0), u.loss_months + 1, 0)
    indep = shop & ~u.chain
    drawings = np.clip(profit, p.subsistence_income * c.cost_index, np.maximum(
        needs, p.subsistence_income * c.cost_index))
    u.cash[:] = np.where(indep, u.cash + profit - drawings, np.where(shop, u.cash, 0.0))
    return national


def closures(m: CityCentreModel, mo: Month) -> None:
    """Shops that stop trading before their lease ends (`sim.exits`): bankruptcies, agreed
    surrenders (the tenant pays the owner's fee), pop-ups at the end of their short lease
    unless they can afford a regular lease."""
    u, p = m.units, m.p
    regular = u.contract_rent / (1.0 - p.popup_rent_discount)
    extra = (regular - u.contract_rent) * u.area / 12.0
    can_stay = u.popup & (u.profit_ema - extra >= 0) & (u.cash >= 0)
    wants, _ = surrender_terms(p, u, m.clock)  # the fee goes to the owner (no cash account)
    decisions = closure_decisions(p, u, m.clock, can_stay, wants)
    stay = u.popup & (u.lease_end <= m.clock) & can_stay & u.occupied_commercial
    for unit in np.flatnonzero(stay):
        m.ledger.popup_stays(int(unit), float(regular[unit]))
    for cause, mask in decisions.items():
        for unit in np.flatnonzero(mask):
            shop = m.shop_at.get(int(unit))
            if shop is not None:
                shop.close(cause)


def lease_ends(m: CityCentreModel, mo: Month) -> list[Searcher]:
    """Leases ending this month: office users renew or leave; shops weigh renewing (the
    bargain between their bid and the owner's reservation rent of last month) against moving, so
    they search this month (`search_and_match` settles it). Anchors renew in place if they
    can."""
    u, p = m.units, m.p
    res = m.last_month.reservation
    theta = p.renewal_owner_share
    moves = m.stream("offices").random(u.n)  # drawn in full every month (aligned stream)
    for unit in [k for k, user in m.office_at.items() if u.lease_end[k] <= m.clock]:
        user = m.office_at[unit]
        if moves[unit] >= p.office_move_probability and user.bid >= res[unit]:
            m.ledger.sign(unit, float(res[unit] + theta * (user.bid - res[unit])), popup=False)
        else:
            user.leave(cause="moves on" if moves[unit] < p.office_move_probability
                       else "lease_end")
    due = np.flatnonzero(u.occupied_commercial & ~u.popup & (u.lease_end <= m.clock))
    # Municipal culture and the market square are not run for profit: they renew as they are.
    public = due[IS_PROTECTED[u.anchor[due]]]
    for unit in public:
        m.ledger.renew(int(unit), float(u.contract_rent[unit]))
    due = due[~IS_PROTECTED[u.anchor[due]]]
    if len(due) == 0:
        return []
    leaving = _term_end_exits(m, due)
    bid = sitting_bids(m, mo, due)
    viable = (bid >= res[due]) & ~leaving
    rent = np.where(viable, res[due] + theta * (bid - res[due]), np.nan)
    home_surplus = np.where(viable, (bid - rent) * u.area[due], -np.inf)
    mo.pending_renewals = {int(k): float(r) for k, r in zip(due, rent, strict=True)}
    searchers = []
    for k, hs, out in zip(due, home_surplus, leaving, strict=True):
        if u.anchor[k] in _STAY_PUT or out:
            continue
        searchers.append(relocation_searcher(m, mo, int(k), float(hs)))
    return searchers


def _term_end_exits(m: CityCentreModel, due: np.ndarray) -> np.ndarray:
    """Of the shops whose term ends (``due``), which leave the centre for a reason of their own:
    a chain whose head office would rather trade elsewhere, an independent past its retirement
    age without a successor (they close now); successors take over the others past their
    retirement age. Returns a bool mask over ``due``."""
    u, p = m.units, m.p
    leaving = np.zeros(len(due), dtype=bool)
    chain = u.chain[due]
    advantage = m.driver("periphery_margin_advantage")
    head_office = chain & (u.profit_ema[due] < advantage * u.revenue_ema[due])
    age = (m.clock - u.birth_clock[due]) / 12.0
    retiring = ~chain & (age >= u.retire_age[due])
    rng = m.stream("succession")
    draws = rng.random(u.n)  # drawn in full every month (aligned stream)
    lo, hi = p.retirement_age
    for j in np.flatnonzero(retiring):
        unit = int(due[j])
        if u.profit_ema[unit] >= 0 and draws[unit] < p.successor_probability:
            age_new = float(draw_age(p, rng))
            m.ledger.succession(unit, m.clock - round(12 * age_new), rng.uniform(lo, hi))
        else:
            leaving[j] = True
            m.shop_at[unit].close("retirement")
    for j in np.flatnonzero(head_office):
        leaving[j] = True
        m.shop_at[int(due[j])].close("chain_review")
    return leaving


def relocation_searcher(m: CityCentreModel, mo: Month, k: int, home_surplus: float,
                        allowed: np.ndarray | None = None) -> Searcher:
    """A shop in unit ``k`` looking for a better unit (staying is worth ``home_surplus``)."""
    u = m.units
    return Searcher(
        agent=m.shop_at[k], kind="relocation", branches=np.array([int(u.function[k])]),
        chain=bool(u.chain[k]), cost_factor=float(u.cost_factor[k]),
        min_area=0.5 * float(u.area[k]), max_area=2.0 * float(u.area[k]), home=k,
        home_surplus=home_surplus, own_visits=float(mo.flows.main_visits[k]),
        own_passers=float(passers_term(u.footfall[k], u.area[k])), appeal=float(u.appeal[k]),
        allowed=allowed, grant_eligible=bool(mo.inputs.grant_origin[k]))


def _arrivals(m: CityCentreModel, mo: Month) -> None:
    """New searchers this month (Poisson by type) join those still looking."""
    u, p, i = m.units, m.p, mo.inputs
    rng = m.stream("arrivals")
    n_active = float(u.active.sum())
    rate = m.driver("entrant_arrival_rate") * n_active / 100.0
    mix = np.asarray(p.entrant_mix, dtype=float)
    lam = rate * mix / mix.sum() * i.arrivals
    counts = rng.poisson(np.append(lam, m.driver("office_seekers") * n_active / 100.0))
    for kind, count in zip(SEARCHER_TYPES, counts, strict=True):
        for _ in range(int(count)):
            age = float(draw_age(p, rng))
            Entrepreneur(m, kind, cost_factor=float(np.exp(rng.normal(0.0, p.entrant_cost_sd))),
                         months_left=int(p.search_months), birth_clock=m.clock - round(12 * age),
                         willingness=float(np.exp(rng.normal(0.0, p.office_rent_sd))))


_BRANCH_CODES = {k: np.array([int(b) for b in v], dtype=np.int64) for k, v in BRANCHES.items()}


def searcher_of(m: CityCentreModel, e: Entrepreneur) -> Searcher:
    """What an entrepreneur looks for and can pay."""
    p = m.p
    if e.kind == "office":
        return Searcher(agent=e, kind="office", branches=np.empty(0, np.int64),
                        max_area=p.office_max_area, office_bid=e.willingness)
    return Searcher(agent=e, kind=e.kind, branches=_BRANCH_CODES[e.kind],
                    chain=e.chain, popup=e.popup, cost_factor=e.cost_factor,
                    optimism=1.0 if e.chain else p.entrant_optimism,
                    max_area=p.chain_max_area if e.chain else p.entrant_max_area,
                    subsidised=not (e.chain or e.popup), allowed=getattr(e, "allowed", None))


def search_and_match(m: CityCentreModel, mo: Month, leaving: list[Searcher]) -> None:
    """Entrants, office users and shops at lease end search; leases are signed best surplus
    first; shops that did not move renew or close; the bids seen go into ``mo.seen_bids``."""
    u, p, i = m.units, m.p, mo.inputs
    _arrivals(m, mo)
    entrants = list(m.agents_by_type[Entrepreneur]) if Entrepreneur in m.agents_by_type else []
    searchers = [searcher_of(m, e) for e in entrants] + leaving
    for mech in m.mechanisms:
        searchers += mech.searchers(m, mo)
    vacant = u.vacant_eligible
    view = MarketView(
        p=p, u=u, pools=mo.pools, potential=mo.flows.potential, street=mo.street,
        unit_attraction=i.unit_attraction, levy=i.levy, costs=mo.costs,
        asking=u.asking_rent, reservation=mo.reservation, forced=i.forced_letting & vacant,
        retail_pool=vacant & i.retail_lettable, office_pool=vacant & i.office_permit,
        reloc_annual=p.relocation_cost_per_m2 * 12.0 / p.lease_months,
        relocation_grant=i.relocation_grant,
        rent_subsidy=i.rent_subsidy if m.municipality.can_pay() else np.zeros(u.n),
        popup_rent_subsidy=i.popup_rent_subsidy if m.municipality.can_pay() else np.zeros(u.n),
        office_rent=m.office_rent)
    rng = m.stream("search")
    k = int(p.entrant_candidates + round(i.extra_candidates))
    cands = candidate_units(view, searchers, rng, k)
    forced = np.flatnonzero(view.forced & view.retail_pool)
    if len(forced):  # the municipality brings every searcher the units under the ordinance
        cands = [np.union1d(c, forced[admissible(s, forced, u.area[forced])]) if not s.office
                 else c for c, s in zip(cands, searchers, strict=True)]
    matches, seen = evaluate(view, searchers, cands)
    signed = assign(matches)
    mo.stranded = stranded(matches, signed)
    moved: set[int] = set()
    done: set[int] = set()
    traits = m.stream("shop_traits")
    for match in signed:
        s = match.searcher
        if s.kind == "relocation":
            moved.add(s.home)
            grant = (float(i.relocation_grant[match.unit] * u.area[match.unit])
                     if s.grant_eligible else 0.0)
            if grant > 0:
                grant = m.municipality.pay(grant, "relocation grant")
            # Moving and re-fitting are paid over the new lease, less any grant.
            s.agent.move_to(match.unit, match.rent, max(
                p.relocation_cost_per_m2 * u.area[match.unit] - grant, 0.0) / p.lease_months)
        elif s.office:
            OfficeUser.sign(m, match.unit, match.rent,
                            s.office_bid * m.office_rent[match.unit])
            done.add(id(s.agent))
            s.agent.remove()
        else:
            e = s.agent
            if isinstance(e, Entrepreneur):
                m.ledger.open_shop(match.unit, match.branch, chain=e.chain, popup=e.popup,
                                   rent=match.rent, cost_factor=e.cost_factor,
                                   birth_clock=e.birth_clock, subsidy=match.subsidy,
                                   rng=traits, costs=mo.costs)
                Shop(m, match.unit)
                done.add(id(e))
                e.remove()
    for e in entrants:
        if id(e) not in done:
            e.wait()
    for unit, rent in mo.pending_renewals.items():
        if unit in moved or unit not in m.shop_at:
            continue
        if np.isfinite(rent):
            m.ledger.renew(unit, rent)
        else:
            m.shop_at[unit].close("lease_end")
    mo.seen_bids = seen


def mixed_use(m: CityCentreModel, mo: Month) -> None:
    """Where the zoning plan permits it, a shop reviewing its format adds a second function
    (bar, counter, service point) when the extra margin from that function's spending pool pays
    for the fit-out over the rest of its lease [P31]."""
    u, p, i = m.units, m.p, mo.inputs
    cand = u.occupied_commercial & i.mixed_use_permit & (u.second_function < 0) & ~u.popup
    if not cand.any():
        return
    draws = m.stream("format").random(u.n)
    look = np.flatnonzero(cand & (draws < p.format_review_rate * 2.0 * u.innovativeness))
    if len(look) == 0:
        return
    from .attraction import location_factor, tenant_factor

    common = (tenant_factor(p, u, m.clock) * location_factor(p, u, mo.street, i.unit_attraction))
    best_gain = np.full(len(look), 0.0)
    best_g = np.full(len(look), -1)
    op = operator_of(u.chain[look])
    months_left = np.maximum(u.lease_end[look] - m.clock, 12)
    cost = p.mixed_use_cost * u.area[look] / months_left
    for g in _SECOND_FUNCTIONS:
        own = u.function[look] == g
        sv = p.mixed_use_attraction * (p.stop_preference[:, g][:, None]
                                       * mo.flows.potential[:, look]).sum(axis=0) * common[look]
        rev = mo.pools.destination[g] * np.divide(sv, mo.pools.visits[g] + sv,
                                                  out=np.zeros(len(look)),
                                                  where=mo.pools.visits[g] + sv > 0)
        gain = np.where(own, -np.inf, operating_margin(p, np.full(len(look), g), op) * rev - cost)
        better = gain > best_gain
        best_gain = np.where(better, gain, best_gain)
        best_g = np.where(better, g, best_g)
    for unit, g, c in zip(look, best_g, cost, strict=True):
        if g >= 0:
            m.ledger.add_second_function(int(unit), int(g), float(c))

