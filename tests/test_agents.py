"""One test per rule of the economic core: each asserts the rule's behaviour on a controlled state
(tenants' bids and exits, owners' reservation rents, valuation, sales, conversion, splits and
merges, matching, the municipality's budget, residents)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.agents import Entrepreneur, Municipality, PropertyOwner, Resident, Shop
from sim.economics import CostInputs, Pools, bid_rent, forecast_revenue
from sim.exits import closure_decisions
from sim.functions import CHAIN, INDEPENDENT, N_FUNCTIONS, Anchor, Function
from sim.market import Match, Searcher, assign
from sim.property import (
    FUND,
    PRIVATE,
    alternative_rent,
    breaching_owners,
    mark_book_rents,
    reservation_rents,
    unit_values,
)

from .conftest import run_model


@pytest.fixture()
def model():
    return run_model("small", years=0, seed=7, burn_in=False)


def _a_shop(m, chain=False):
    """A shop of the kind asked for (the settled start state of a small town holds few
    independents: if there is none, one chain outlet is handed to an independent operator)."""
    u = m.units
    plain = [k for k in m.shop_at if not u.popup[k] and u.anchor[k] == Anchor.NONE]
    cand = [k for k in plain if u.chain[k] == chain]
    if not cand:
        k = plain[0]
        u.chain[k], u.chain_id[k] = chain, (-1 if not chain else u.chain_id[k])
        u.retire_age[k] = 60.0 if not chain else u.retire_age[k]
        cand = [k]
    return m.shop_at[cand[0]]


def _costs(index: float = 1.0) -> CostInputs:
    return CostInputs(cost_index=index, startup_factor=1.0, popup_startup_factor=1.0)


# ---------------------------------------------------------------------------- tenants' economics
def test_bid_rent_rises_with_revenue_and_subsidy_and_falls_with_levy(model):
    p = model.p
    b = np.array([int(Function.FASHION)] * 3)
    op = np.array([INDEPENDENT] * 3)
    args = dict(area=np.full(3, 100.0), branches=b, op=op, cost_factor=np.ones(3),
                popup=np.zeros(3, bool), c=_costs())
    bid = bid_rent(p, np.array([5e3, 2e4, 6e4]), **args)
    assert bid[0] < 0 < bid[1] < bid[2]  # a quiet unit cannot pay its keep
    subsidised = bid_rent(p, np.full(3, 2e4), rent_share=0.75, **args)
    levied = bid_rent(p, np.full(3, 2e4), rent_share=1.05, **args)
    assert levied[0] < bid[1] < subsidised[0]
    dearer = bid_rent(p, np.full(3, 2e4), **{**args, "c": _costs(1.2)})
    assert dearer[0] < bid[1]


def test_independents_win_small_quiet_units_and_chains_large_busy_ones(model):
    p = model.p
    b = np.array([int(Function.FASHION)] * 2)
    op = np.array([INDEPENDENT, CHAIN])
    kw = dict(branches=b, op=op, cost_factor=np.ones(2), popup=np.zeros(2, bool), c=_costs())
    small = bid_rent(p, np.full(2, 1.2e4), area=np.full(2, 60.0), **kw)
    large = bid_rent(p, np.full(2, 2.5e5), area=np.full(2, 800.0), **kw)
    assert small[INDEPENDENT] > small[CHAIN]
    assert large[CHAIN] > large[INDEPENDENT]


def test_entrant_counts_itself_in_the_branch_pool():
    pools = Pools(destination=np.full(N_FUNCTIONS, 1000.0), impulse=np.zeros(N_FUNCTIONS),
                  visits=np.zeros(N_FUNCTIONS), passers=np.zeros(N_FUNCTIONS),
                  online_share=np.zeros(N_FUNCTIONS), centre=np.zeros(N_FUNCTIONS))
    b = np.array([int(Function.FASHION)])
    alone = forecast_revenue(pools, b, np.array([10.0]), np.array([0.0]))
    assert alone[0] == pytest.approx(1000.0)  # a pioneer takes the whole (leaking) pool
    pools.visits[int(Function.FASHION)] = 30.0
    crowded = forecast_revenue(pools, b, np.array([10.0]), np.array([0.0]))
    assert crowded[0] == pytest.approx(250.0)  # 10 of 40 visits
    moving = forecast_revenue(pools, b, np.array([10.0]), np.array([0.0]), own_visits=10.0)
    assert moving[0] == pytest.approx(1000.0 / 3.0)  # its own 10 visits are not competitors


def test_revenue_pools_are_shared_by_visits(model):
    m, u = model, model.units
    shop = u.occupied_commercial
    f = u.function
    for b in np.unique(f[shop]):
        mask = shop & (f == b) & (u.second_function < 0)
        if mask.sum() < 2:
            continue
        dest = m.pools.destination[b] * m.flows.main_visits[mask] / m.pools.visits[b]
        imp = u.revenue[mask] - dest
        assert np.all(imp >= -1e-9)
        break


# ---------------------------------------------------------------------------- exits
def _decide(m, can_stay=None, surrender=None):
    u = m.units
    can_stay = np.zeros(u.n, bool) if can_stay is None else can_stay
    surrender = np.zeros(u.n, bool) if surrender is None else surrender
    return closure_decisions(m.p, u, m.clock, can_stay, surrender)


def test_independent_goes_bankrupt_when_cash_runs_out(model):
    m, u = model, model.units
    k = _a_shop(m).unit
    u.cash[k] = 10.0
    assert not _decide(m)["bankruptcy"][k]
    u.cash[k] = -1.0
    assert _decide(m)["bankruptcy"][k]


def test_the_entrepreneur_lives_on_less_before_the_reserves_fall(model):
    """Cash falls only when the shop earns less than the subsistence income; between that and
    what the entrepreneur needs, it draws what the shop earns."""
    from sim import tenants

    m, u, p = model, model.units, model.p
    k = _a_shop(m).unit
    mo = m.last_month
    p.required_income = np.array([5000.0, 0.0])
    p.subsistence_income = 1000.0

    def cash_after(revenue: float) -> float:
        u.revenue[k], u.revenue_online[k], u.revenue_second[k] = revenue, 0.0, 0.0
        u.cash[k] = 5000.0
        tenants.finances(m, mo)
        return float(u.cash[k]), float(u.profit[k])

    lo, hi = 1e3, 1e6
    for _ in range(60):  # the revenue at which the month's profit is 3000 EUR
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cash_after(mid)[1] < 3000.0 else (lo, mid)
    cash, profit = cash_after(hi)
    assert 1000.0 < profit < 5000.0 and cash == pytest.approx(5000.0)  # draws all it earns
    cash, profit = cash_after(1.0)
    assert profit < 1000.0 and cash == pytest.approx(5000.0 - (1000.0 * mo.costs.cost_index
                                                               - profit))


def test_independent_surrenders_its_lease_for_the_owners_fee_after_a_lasting_shortfall(model):
    from sim.exits import surrender_terms

    m, u, p = model, model.units, model.p
    k = _a_shop(m).unit
    u.lease_end[k] = m.clock + 36
    u.profit_ema[k] = -2000.0  # 2,000 EUR a month below what it needs
    u.cash[k] = 1e6
    # asks once the shortfall has lasted the patience (months; a calibrated value may be
    # fractional, so the first whole month at or past it)
    u.loss_months[k] = math.ceil(p.exit_patience_months) - 1
    assert not surrender_terms(p, u, m.clock)[0][k]
    u.loss_months[k] += 1
    wants, fee = surrender_terms(p, u, m.clock)
    assert wants[k] and 0 < fee[k] <= 36 * u.contract_rent[k] * u.area[k] / 12.0 + 1e-9
    assert _decide(m, surrender=wants)["surrender"][k]
    u.cash[k] = 0.5 * fee[k]  # cannot pay the fee: trades on
    assert not surrender_terms(p, u, m.clock)[0][k]
    u.cash[k], u.profit_ema[k] = 1e6, -1e-3  # staying costs less than the fee
    assert not surrender_terms(p, u, m.clock)[0][k]


def test_retirement_at_the_term_end_unless_a_profitable_shop_finds_a_successor(model):
    from sim import tenants

    m, u, p = model, model.units, model.p
    shops = [k for k in m.shop_at if not u.chain[k] and not u.popup[k] and u.anchor[k] == 0]
    if len(shops) < 3:
        _a_shop(m)
        shops = [s.unit for s in m.shop_at.values() if u.anchor[s.unit] == 0][:3]
        for k in shops:
            u.chain[k] = False
    a, b, c = shops[:3]
    for k in (a, b, c):
        u.retire_age[k] = 65.0
        u.birth_clock[k] = m.clock - 12 * 66
        u.profit_ema[k] = 100.0
    u.profit_ema[c] = -1.0  # nobody takes over a loss-maker
    p.successor_probability = 1.0
    out = tenants._term_end_exits(m, np.array([a, c]))
    assert out.tolist() == [False, True] and a in m.shop_at and c not in m.shop_at
    assert (m.clock - u.birth_clock[a]) / 12.0 < u.retire_age[a]  # the successor is younger
    p.successor_probability = 0.0
    assert tenants._term_end_exits(m, np.array([b])).tolist() == [True]


def test_chain_head_office_decides_at_the_term_end_against_the_periphery(model):
    from sim import tenants

    m, u = model, model.units
    k = _a_shop(m, chain=True).unit
    m.p.traj["periphery_margin_advantage"].values[:] = 0.02
    u.revenue_ema[k] = 1e5
    u.profit_ema[k] = 0.05 * 1e5
    assert not tenants._term_end_exits(m, np.array([k]))[0] and k in m.shop_at
    u.cash[k] = -1e6  # head office carries the cash: no bankruptcy
    assert not _decide(m)["bankruptcy"][k]
    u.profit_ema[k] = 0.01 * 1e5  # 1% margin, the periphery promises 2%
    assert not _decide(m)["bankruptcy"][k]  # no review before the term ends
    assert tenants._term_end_exits(m, np.array([k]))[0] and k not in m.shop_at


def test_there_is_no_flat_or_contagion_closure_hazard(model):
    m, u = model, model.units
    m.local_vacancy_unit[:] = 1.0
    u.cash[:] = 1e6
    u.loss_months[:] = 0
    u.retire_age[:] = 1000.0
    out = _decide(m)
    assert not any(mask.any() for mask in out.values())


def test_closing_vacates_the_unit_and_the_owner_asks_the_last_rent(model):
    m, u = model, model.units
    shop = _a_shop(m)
    k = shop.unit
    u.contract_rent[k] = 321.0
    n_agents = len(m.agents)
    shop.close("bankruptcy")
    assert u.function[k] == Function.VACANT and u.vacant[k]
    assert u.asking_rent[k] == 321.0 and u.book_rent[k] == 321.0
    assert k not in m.shop_at and len(m.agents) == n_agents - 1


def test_department_store_anchor_leaves_with_its_tenant():
    m = run_model("medium", years=0, seed=2, burn_in=False)
    u = m.units
    k = int(np.flatnonzero(u.anchor == Anchor.DEPARTMENT_STORE)[0])
    m.shop_at[k].close("bankruptcy")
    assert u.anchor[k] == Anchor.NONE and u.vacant[k]


def test_online_channel_adoption_follows_innovativeness(model):
    m, u = model, model.units
    shops = u.occupied_commercial & ~u.popup
    u.online_channel[:] = False
    u.innovativeness[shops] = 0.0
    draws = np.full(u.n, 1e-9)
    assert not Shop.adopt_online_channel(m, draws).any()
    u.innovativeness[shops] = 1.0
    adopted = Shop.adopt_online_channel(m, draws)
    assert adopted[shops].all() and u.online_channel[shops].all()


# ---------------------------------------------------------------------------- owners
def test_unleveraged_owner_needs_only_running_costs_and_leveraged_one_more(model):
    m, u, p = model, model.units, model.p
    book = m.owner_book
    k = int(np.flatnonzero(u.active & u.eligible & (book.kind[u.owner] == PRIVATE))[0])
    owner = int(u.owner[k])
    forced = np.zeros(u.n, bool)
    book.debt[owner] = 0.0
    res = reservation_rents(p, u, book, unit_values(p, u, book), forced)
    assert res[k] == pytest.approx(p.owner_running_cost)
    values = unit_values(p, u, book)
    book.debt[owner] = p.covenant_ltv * values[u.owner == owner].sum()  # at the covenant
    res = reservation_rents(p, u, book, values, forced)
    assert res[k] == pytest.approx(u.book_rent[k], rel=1e-6)  # cannot let below the book
    forced[k] = True
    assert reservation_rents(p, u, book, values, forced)[k] == p.owner_running_cost


def test_conversion_option_raises_the_reservation_rent_where_permitted(model):
    m, u, p = model, model.units, model.p
    permit = np.ones(u.n, bool)
    alt = alternative_rent(p, u, m.owner_book, permit, 1.0, 1.0, np.zeros(u.n))
    none = alternative_rent(p, u, m.owner_book, ~permit, 1.0, 1.0, np.zeros(u.n))
    no_credit = alternative_rent(p, u, m.owner_book, permit, 1.0, 0.0, np.zeros(u.n))
    live = u.active & u.eligible
    assert np.all(alt[live] > 0) and np.all(none == 0) and np.all(no_credit == 0)
    subsidised = alternative_rent(p, u, m.owner_book, permit, 1.0, 1.0, np.full(u.n, 300.0))
    assert np.all(subsidised[live] > alt[live])


def test_appraiser_marks_a_long_vacant_unit_to_the_market_evidence(model):
    m, u, p = model, model.units, model.p
    k = _a_shop(m).unit
    m.shop_at[k].close("test")
    u.book_rent[k] = 200.0
    u.best_bid[k], u.best_bid_month[k] = 60.0, m.clock
    u.months_vacant[k] = int(p.valuation_lag_months)
    u.book_rent[:] = mark_book_rents(p, u, m.clock)
    assert u.book_rent[k] == 200.0  # still within the lag
    u.months_vacant[k] += 1
    u.book_rent[:] = mark_book_rents(p, u, m.clock)
    assert u.book_rent[k] == pytest.approx(60.0)


def test_owner_in_breach_sells_to_a_new_private_owner(model):
    from sim import owners

    m, u, p = model, model.units, model.p
    book = m.owner_book
    k = _a_shop(m).unit
    m.shop_at[k].close("test")
    seller = int(u.owner[k])
    values = unit_values(p, u, book)
    book.debt[seller] = 2.0 * values[u.owner == seller].sum()
    assert seller in breaching_owners(p, values, u, book)
    n_owners = book.n
    owners._sales(m)
    assert book.n > n_owners and book.kind[u.owner[k]] == PRIVATE and u.owner[k] != seller
    assert isinstance(m.owners[int(u.owner[k])], PropertyOwner)


def test_owner_converts_where_the_dwelling_is_worth_more(model):
    from sim import owners

    m, u, p = model, model.units, model.p
    k = _a_shop(m).unit
    m.shop_at[k].close("test")
    u.months_vacant[k] = 10**3
    m.inputs.conversion_permit[:] = True
    p.conversion_probability = 1.0
    m.p.traj["credit_availability"].values[:] = 1.0
    p.housing_rent = np.full(3, 0.0)
    owners._conversions(m, m.last_month)
    assert u.eligible[k]  # housing worth nothing: stays a shop unit
    p.housing_rent = np.full(3, 1e4)
    n_res = len(m.residents)
    owners._conversions(m, m.last_month)
    assert u.function[k] == Function.HOUSING and not u.eligible[k]
    assert len(m.residents) > n_res
    m.inputs.conversion_permit[:] = False


def test_owner_splits_a_large_empty_unit_into_its_slots(model):
    from sim import owners

    m = run_model("medium", years=0, seed=2, burn_in=False)
    u, p = m.units, m.p
    k = int(np.flatnonzero(u.anchor == Anchor.DEPARTMENT_STORE)[0])
    m.shop_at[k].close("test")
    u.months_vacant[k] = 10**3
    p.conversion_probability = 1.0
    m.p.traj["credit_availability"].values[:] = 1.0
    area = float(u.area[k])
    active_area = float(u.area[u.active].sum())
    p.subdivision_cost = 0.0
    owners._splits(m, m.last_month)
    parts = np.flatnonzero(u.active & ((u.parent == k) | (np.arange(u.n) == k)))
    assert len(parts) >= 2 and u.area[k] < area
    assert u.area[u.active].sum() == pytest.approx(active_area)  # floor area conserved
    assert u.vacant[parts].all() and u.eligible[parts].all()


def test_owner_merges_two_neighbouring_empty_units_when_the_whole_lets_for_more(model,
                                                                                monkeypatch):
    from sim import owners

    m, u, p = model, model.units, model.p
    pairs = [(a, b) for a in range(u.n) for b in range(a + 1, u.n)
             if u.active[a] and u.active[b] and u.node[a] == u.node[b] and u.eligible[a]
             and u.eligible[b] and u.anchor[a] == 0 and u.anchor[b] == 0]
    a, b = pairs[0]
    for k in (a, b):
        if k in m.shop_at:
            m.shop_at[k].close("test")
        if k in m.office_at:
            m.office_at[k].leave("test")
        u.months_vacant[k] = 10**3
    u.owner[b] = u.owner[a]
    p.conversion_probability = 1.0
    m.p.traj["credit_availability"].values[:] = 1.0
    total = u.area[a] + u.area[b]
    # Bids per m2 that grow with floor area: the whole lets for more than the parts.
    monkeypatch.setattr(owners, "best_bids", lambda m_, mo_, units, area: np.asarray(area, float))
    p.merge_cost = 1e9  # but joining them costs too much
    owners._merges(m, m.last_month)
    assert u.active[a] and u.active[b]
    p.merge_cost = 0.0
    owners._merges(m, m.last_month)
    assert not (u.active[a] and u.active[b])
    keep = a if u.active[a] else b
    assert u.area[keep] == pytest.approx(total) and u.parent[a + b - keep] == keep


# ---------------------------------------------------------------------------- matching
def test_each_unit_and_searcher_signs_once_in_a_stable_matching():
    s1, s2 = Searcher(agent=None, kind="starter", branches=np.array([2])), Searcher(
        agent=None, kind="chain", branches=np.array([2]))
    out = assign([Match(s1, 5, 2, 100.0, 1e3, index=0), Match(s2, 5, 2, 100.0, 5e3, index=1),
                  Match(s1, 6, 2, 100.0, 2e3, index=0)])
    assert [(m.searcher, m.unit) for m in out] == [(s2, 5), (s1, 6)]


def test_searchers_wait_and_leave_after_their_search_months(model):
    e = Entrepreneur(model, "starter", cost_factor=1.0, months_left=2, birth_clock=-400)
    e.wait()
    assert e.months_left == 1 and e in model.agents
    e.wait()
    assert e not in model.agents
    with pytest.raises(ValueError, match="allowed: starter"):
        Entrepreneur(model, "robot", 1.0, 1, 0)


def test_a_month_of_matching_fills_units_only_where_bids_clear(model):
    m, u = model, model.units
    for k in [s.unit for s in list(m.shop_at.values())[:10]]:
        if u.anchor[k] == Anchor.NONE:
            m.shop_at[k].close("test")
    u.asking_rent[u.vacant] = 1e6  # nobody can pay
    m.month()
    # no lease at an impossible rent (owners may convert, but nobody signs at 1e6)
    assert (u.contract_rent[u.active & ~u.vacant] < 1e6).all()
    assert (m.seen_bids[u.vacant] < 1e6).all()


# ---------------------------------------------------------------------------- municipality
def test_municipality_pays_within_its_yearly_budget(model):
    mun = Municipality(model, [])
    mun.new_month(2015, 1000.0)
    assert mun.pay(600.0, "a") == 600.0
    assert mun.pay(600.0, "b") == 400.0 and not mun.afford(1.0)
    mun.new_month(2015, 1000.0)  # same year: nothing new
    assert mun.pay(10.0, "c") == 0.0
    mun.new_month(2016, 1000.0)
    assert mun.pay(10.0, "c") == 10.0
    assert mun.public_cost == 1010.0 and mun.spent_by == {"a": 600.0, "b": 400.0, "c": 10.0}


def test_fund_owner_kind_exists_and_municipality_owns_public_anchors(model):
    m, u = model, model.units
    assert m.owner_book.kind[0] == 2 and FUND == 3
    public = np.isin(u.anchor, (Anchor.MARKET_SQUARE, Anchor.CULTURE)) & u.active
    assert (u.owner[public] == 0).all()


# ---------------------------------------------------------------------------- residents
def test_resident_households_age_and_renew(model):
    m = model
    r = m.residents[0]
    assert isinstance(r, Resident)
    before = r.ages.copy()
    rng = np.random.default_rng(0)
    m.p.resident_move_out = 0.0
    assert not r.age_one_year(rng) or r.ages.min() > 95
    np.testing.assert_allclose(r.ages, before + 1)
    assert r.youngest == r.ages.min()
    m.p.resident_move_out = 1.0
    assert r.age_one_year(rng)
    r.renew(rng)
    assert 1 <= r.size <= 4 and r.ages.max() <= 99 and r.youngest == r.ages.min()


def test_centre_households_are_small(model):
    sizes = np.array([r.size for r in model.residents])
    assert 1.3 <= sizes.mean() <= 1.9  # [OV] 1.5-1.7 persons


def test_levers_draw_from_their_own_streams(model):
    a = model.stream("policy:compaction").random()
    b = model.stream("policy:blurring").random()
    assert a != b and model.stream("policy:compaction") is model.streams["policy:compaction"]
