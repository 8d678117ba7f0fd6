"""One test per agent rule: each asserts the rule's behaviour on a controlled state."""

from __future__ import annotations

import numpy as np
import pytest

from sim.agents import Entrepreneur, Municipality, PropertyOwner, Resident, Shop, Visitor
from sim.functions import Anchor, Function

from .conftest import run_model


@pytest.fixture()
def model():
    return run_model("small", years=0, seed=7)


def _a_shop(m, chain=False):
    u = m.units
    cand = [k for k, s in m.shop_at.items() if u.chain[k] == chain and not u.popup[k]
            and u.anchor[k] == Anchor.NONE]
    return m.shop_at[cand[0]]


def test_shop_closes_when_cash_runs_out(model):
    m, u = model, model.units
    shop = _a_shop(m)
    no_draw = np.ones((u.n, 4))  # no random exits
    u.cash[shop.unit] = 10.0
    assert not Shop.closure_decisions(m, no_draw)["bankruptcy"][shop.unit]
    u.cash[shop.unit] = -1.0
    assert Shop.closure_decisions(m, no_draw)["bankruptcy"][shop.unit]


def test_chain_outlet_survives_negative_cash_but_not_review(model):
    m, u = model, model.units
    shop = _a_shop(m, chain=True)
    u.cash[shop.unit] = -1e6
    u.profit_ema[shop.unit] = -100.0
    draws = np.ones((u.n, 4))
    draws[:, 2] = 0.0  # the review would close every loss-maker
    m.steps = m.p.chain_review_month % 12 + 1  # not a review month
    out = Shop.closure_decisions(m, draws)
    assert not out["bankruptcy"][shop.unit] and not out["chain_review"][shop.unit]
    m.steps = m.p.chain_review_month  # steps k simulates calendar month k
    assert m.calendar_month == m.p.chain_review_month
    assert Shop.closure_decisions(m, draws)["chain_review"][shop.unit]
    u.profit_ema[shop.unit] = 100.0
    assert not Shop.closure_decisions(m, draws)["chain_review"][shop.unit]
    draws[:, 3] = 0.0  # drift to the periphery hits profitable outlets too
    assert Shop.closure_decisions(m, draws)["periphery_drift"][shop.unit]


def test_contagion_hazard_needs_vacant_neighbours_and_strength(model):
    m, u = model, model.units
    shop = _a_shop(m)
    draws = np.ones((u.n, 4))
    draws[:, 1] = 0.001
    m.local_vacancy_unit[:] = 0.0
    assert not Shop.closure_decisions(m, draws)["contagion"][shop.unit]
    m.local_vacancy_unit[:] = 1.0
    assert Shop.closure_decisions(m, draws)["contagion"][shop.unit]
    m.p.contagion_strength = 0.0
    assert not Shop.closure_decisions(m, draws)["contagion"][shop.unit]


def test_closing_vacates_the_unit_and_anchors_old_rent(model):
    m, u = model, model.units
    shop = _a_shop(m)
    k = shop.unit
    u.contract_rent[k] = 321.0
    n_agents = len(m.agents)
    shop.close("bankruptcy")
    assert u.function[k] == Function.VACANT and u.vacant[k]
    assert u.asking_rent[k] == 321.0
    assert k not in m.shop_at and len(m.agents) == n_agents - 1
    assert m.recorder.events[-1][4] == "closure"


def test_popup_leaves_at_lease_end_unless_it_did_well(model):
    m, u = model, model.units
    vacant = np.flatnonzero(u.vacant & u.eligible)[0]
    m._update_entry_estimates()
    m.open_shop(int(vacant), int(Function.FASHION), chain=False, popup=True,
                rng=np.random.default_rng(0))
    assert u.popup[vacant] and u.lease_end[vacant] > m.steps
    u.lease_end[vacant] = m.steps
    draws = np.ones((u.n, 4))
    u.profit_ema[vacant] = -5.0
    assert Shop.closure_decisions(m, draws)["popup_end"][vacant]
    u.profit_ema[vacant] = 5.0
    draws[:, 2] = 0.0
    assert not Shop.closure_decisions(m, draws)["popup_end"][vacant]


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


def test_relocation_moves_to_clearly_better_unit(model):
    m, u = model, model.units
    shop = _a_shop(m)
    src = shop.unit
    vacant = np.flatnonzero(u.vacant & u.eligible)
    m._update_entry_estimates()
    u.profit_ema[src] = 1e9  # doing very well: stays
    assert shop.consider_relocation(vacant) is None
    u.profit_ema[src] = 0.0
    best = vacant[np.argmax(u.footfall[vacant])]
    u.asking_rent[best] = 1.0  # a bargain in a busy spot
    u.zone[best] = min(u.zone[best], u.zone[src])
    moved = shop.consider_relocation(np.array([best]))
    assert moved == best and shop.unit == best
    assert u.vacant[src] and not u.vacant[best] and m.shop_at[best] is shop


def test_entrepreneur_opens_only_above_threshold(model):
    m, u = model, model.units
    vacant = np.flatnonzero(u.vacant & u.eligible)
    m._update_entry_estimates()
    rng = np.random.default_rng(1)
    ent = Entrepreneur(m, "starter")
    m.p.entry_margin_threshold = 0.99
    assert ent.choose(vacant, rng) is None
    m.p.entry_margin_threshold = -10.0
    unit, branch = ent.choose(vacant, rng)
    assert unit in vacant and Function(branch) in ent_branches("starter")
    ent.open_shop(unit, branch, rng)
    assert u.function[unit] == branch and unit in m.shop_at
    assert u.contract_rent[unit] == pytest.approx(u.asking_rent[unit])
    with pytest.raises(ValueError, match="allowed: starter"):
        Entrepreneur(m, "robot")


def ent_branches(kind):
    from sim.agents.entrepreneur import BRANCHES

    return BRANCHES[kind]


def test_popup_gets_rent_discount_and_short_lease(model):
    m, u = model, model.units
    k = int(np.flatnonzero(u.vacant & u.eligible)[0])
    u.asking_rent[k] = 200.0
    m._update_entry_estimates()
    m.open_shop(k, int(Function.MAKER), chain=False, popup=True, rng=np.random.default_rng(2))
    assert u.contract_rent[k] == pytest.approx(200.0 * (1 - m.p.popup_rent_discount))
    lo, hi = m.p.popup_lease_months
    assert lo <= u.lease_end[k] - m.steps <= hi


def test_owner_converts_long_vacancy_when_housing_pays(model):
    m, u = model, model.units
    k = int(np.flatnonzero(u.vacant & u.eligible)[0])
    owner = m.owners[int(u.owner[k])]
    assert isinstance(owner, PropertyOwner)
    m.p.housing_rent = 1e6
    m.p.conversion_probability = 1.0
    assert owner.wants_conversion(k, draw_credit=0.0, draw_act=0.0)
    assert not owner.wants_conversion(k, draw_credit=1.0, draw_act=0.0)  # no finance
    m.p.housing_rent = 0.0
    assert not owner.wants_conversion(k, draw_credit=0.0, draw_act=0.0)  # retail pays more
    n_res = len(m.residents)
    m.convert_to_housing(k)
    assert u.function[k] == Function.HOUSING and not u.eligible[k]
    assert len(m.residents) > n_res


def test_institutional_owner_holds_out_longer(model):
    p = model.p
    assert p.rent_grace_months[1] > p.rent_grace_months[0]
    assert p.rent_decay[1] < p.rent_decay[0]


def test_resident_households_age_and_renew(model):
    m = model
    r = m.residents[0]
    assert isinstance(r, Resident)
    before = r.ages.copy()
    rng = np.random.default_rng(0)
    m.p.resident_move_out = 0.0
    assert not r.age_one_year(rng) or r.ages.min() > 95
    np.testing.assert_allclose(r.ages, before + 1)
    m.p.resident_move_out = 1.0
    assert r.age_one_year(rng)
    r.renew(rng)
    assert 1 <= r.size <= 4 and r.ages.max() <= 99


def test_centre_households_are_small(model):
    sizes = np.array([r.size for r in model.residents])
    assert 1.3 <= sizes.mean() <= 1.9  # [OV] 1.5-1.7 persons


def test_visitor_groups_plan_trips_from_their_class(model):
    m = model
    trips = np.zeros((2, 2, 3))
    trips[0, 1, 2] = 100.0
    v = next(v for v in m.visitors if v.origin >= 0 and v.age_band == 1 and v.purpose == 2)
    assert isinstance(v, Visitor)
    assert v.plan_trips(trips, 0.25) == pytest.approx(25.0)
    r = next(v for v in m.visitors if v.origin < 0 and v.age_band == 1 and v.purpose == 2)
    assert r.plan_trips(trips, 1.0) == 0.0


def test_over_65s_spend_less_in_retail(model):
    from sim.demand import spending_per_capita

    s = spending_per_capita(model.p, 2013)
    assert s[1, Function.FASHION] == pytest.approx(0.6 * s[0, Function.FASHION])
    assert s[1, Function.HORECA] == pytest.approx(s[0, Function.HORECA])


def test_municipality_applies_its_levers(model):
    calls = []

    class Lever:
        def apply(self, m):
            calls.append(m.steps)

    model.municipality = Municipality(model, [Lever()])
    model.run_months(2)
    assert calls == [1, 2]


def test_department_store_anchor_leaves_with_its_tenant():
    m = run_model("medium", years=0, seed=2)
    u = m.units
    k = int(np.flatnonzero(u.anchor == Anchor.DEPARTMENT_STORE)[0])
    m.shop_at[k].close("bankruptcy")
    assert u.anchor[k] == Anchor.NONE and u.vacant[k]


def test_relocation_event_names_the_branch_and_costs_follow_area(model):
    m, u = model, model.units
    shop = _a_shop(m)
    src = shop.unit
    branch = u.function[src]
    vacant = np.flatnonzero(u.vacant & u.eligible)
    m._update_entry_estimates()
    u.profit_ema[src] = 0.0
    best = vacant[np.argmax(u.footfall[vacant])]
    u.asking_rent[best] = 1.0
    u.zone[best] = min(u.zone[best], u.zone[src])
    per_m2 = u.fixed_cost[src] / u.area[src]
    assert shop.consider_relocation(np.array([best])) == best
    out = [e for e in m.recorder.events if e[4] == "relocation_out"][-1]
    assert out[5] == m.recorder.model.units.function.dtype.type(branch) or out[5] != "vacant"
    assert u.fixed_cost[best] / u.area[best] == pytest.approx(per_m2)


def test_levers_draw_from_their_own_streams(model):
    a = model.stream("policy:compaction").random()
    b = model.stream("policy:blurring").random()
    assert a != b and model.stream("policy:compaction") is model.streams["policy:compaction"]
