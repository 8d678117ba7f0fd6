"""Invariants that must hold in every month of every run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.functions import Function
from sim.state import IS_COMMERCIAL

from .conftest import run_model


def _check_month_invariants(m) -> None:
    u = m.units
    assert len(u.function) == m.town.n_units
    assert np.all((u.function >= 0) & (u.function <= max(Function)))
    # Every commercial unit has exactly one Shop agent and vice versa.
    commercial = np.flatnonzero(IS_COMMERCIAL[u.function])
    assert sorted(m.shop_at) == commercial.tolist()
    assert all(s.unit == k for k, s in m.shop_at.items())
    assert not np.any(u.vacant & ~u.eligible), "a vacant unit must be retail-eligible"
    assert np.all(u.months_vacant[~u.vacant] == 0)
    assert np.all(u.asking_rent >= 0) and np.all(np.isfinite(u.asking_rent))
    assert np.all(u.footfall >= 0)


def test_invariants_hold_every_month():
    m = run_model("small", years=0, seed=5)
    for _ in range(48):
        m.run_for(1)
        _check_month_invariants(m)


def test_timeseries_invariants(small_run):
    ts, _, _ = small_run.recorder.frames()
    for col in ("vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop", "vacancy_rate_fringe",
                "online_share", "share_65plus", "vacancy_structural_1y"):
        assert ts[col].between(0, 1).all(), col
    # vacancy_rate is exactly n_vacant / n_units_retail_eligible
    np.testing.assert_allclose(ts.vacancy_rate, ts.n_vacant / ts.n_units_retail_eligible)
    assert (ts.step == np.arange(1, len(ts) + 1)).all()


def test_units_conserved(small_run):
    _, units, _ = small_run.recorder.frames()
    n = small_run.town.n_units
    per_year = units.groupby("year").size()
    assert (per_year == n).all()
    assert units.groupby("year")["unit_id"].nunique().eq(n).all()
    # Every unit is in exactly one state: vacant, a shop, or a non-commercial function.
    last = units[units.year == units.year.max()]
    assert (last.is_vacant | (last.branch != "") | last.function.isin(
        ["housing", "office", "market"])).all()


def test_spending_conserved(small_run):
    ts, _, _ = small_run.recorder.frames()
    accounted = ts.shop_revenue + ts.spend_leakage + ts.spend_online + ts.spend_outside
    np.testing.assert_allclose(accounted, ts.spend_total, rtol=1e-9)
    assert (ts.shop_revenue_online <= ts.spend_online + 1e-6).all()
    assert (ts.spend_leakage >= -1e-6).all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1),
       contagion=st.floats(0.0, 5.0),
       online=st.floats(0.5, 2.0))
def test_invariants_property(seed, contagion, online):
    """Vacancy stays in [0, 1] and spending is conserved for any seed and contagion strength."""
    m = run_model("small", years=0, seed=seed, overrides={"contagion_strength": contagion})
    m.p.extra["online_factor"] = online
    m.run_months(24)
    _check_month_invariants(m)
    ts, _, _ = m.recorder.frames()
    assert ts.vacancy_rate.between(0, 1).all()
    np.testing.assert_allclose(
        ts.shop_revenue + ts.spend_leakage + ts.spend_online + ts.spend_outside, ts.spend_total,
        rtol=1e-9)


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_backends_give_same_run(backend):
    """The model gives the same result on either kernel backend."""
    a = run_model("small", years=2, seed=11, backend="numba")
    b = run_model("small", years=2, seed=11, backend=backend)
    ta, _, ea = a.recorder.frames()
    tb, _, eb = b.recorder.frames()
    np.testing.assert_allclose(ta.select_dtypes("number"), tb.select_dtypes("number"),
                               rtol=1e-7, atol=1e-6)
    assert ea.equals(eb)
