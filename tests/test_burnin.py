"""Burn-in: every run starts from a stationary state reached under start-year drivers, so the start
vacancy is an outcome of the model, and a run started later lands where an earlier run goes."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.burnin import stationary
from sim.scenarios.loader import load_scenario

from .conftest import run_model


def test_stationarity_criterion():
    flat = np.full(48, 0.1)
    shops = np.full(48, 200.0)
    ok, change = stationary(flat, shops, 24, 0.01)
    assert ok and change == 0.0
    rising = np.linspace(0.05, 0.15, 48)
    assert not stationary(rising, shops, 24, 0.01)[0]
    fewer = np.r_[np.full(24, 200.0), np.full(24, 190.0)]
    assert not stationary(flat, fewer, 24, 0.01)[0]  # shops still falling by 5%
    assert not stationary(flat[:30], shops[:30], 24, 0.01)[0]  # too short to judge


def test_burn_in_ends_at_a_year_end_within_its_bounds_and_is_not_recorded():
    m = run_model("small", years=1, seed=2)
    rep = m.burn_in_report
    p = m.p
    assert rep.months % 12 == 0 and p.burn_in_min_months <= rep.months <= (
        p.burn_in_max_months + 11)
    assert m.burn_in_months == rep.months
    ts, _, events = m.recorder.frames()
    assert len(ts) == 12 and ts.date.iloc[0].month == 1 and ts.date.iloc[0].year == 2013
    assert (events.date.dt.year >= 2013).all()
    assert ts.public_cost.iloc[0] == 0 and ts.housing_added.iloc[0] >= 0


def test_burn_in_holds_drivers_at_the_start_year_and_shocks_neutral():
    sc = load_scenario("corona")
    m = sim.CityCentreModel("small", sc, start_year=2020, rng=1, burn_in=False)
    assert m.in_burn_in and m.year_f == 2020.0
    assert m.driver("visit_shock") == 0.0  # a shock is neutral during the burn-in
    assert m.driver("online_share_fashion") == pytest.approx(
        m.p.traj["online_share_fashion"](2020.0))
    m.month()
    assert m.year_f == 2020.0  # frozen while burning in


def test_start_vacancy_is_an_outcome_not_an_input():
    """No parameter sets the start vacancy: different demand gives a different start."""
    rich = run_model("small", years=0, seed=3, overrides={"spend_per_capita": 4000.0})
    poor = run_model("small", years=0, seed=3, overrides={"spend_per_capita": 1200.0})
    assert poor.vacancy_rate() > rich.vacancy_rate()


def test_a_later_start_lands_where_an_earlier_run_goes():
    """[issue 11] A run started in 2018 lands within 2 points of a run started in 2013 and
    followed to 2018 (mean over paired seeds, medium town)."""
    seeds = range(5)
    early = [sim.run(town="medium", start=2013, years=6, seed=s, figures=False).timeseries
             for s in seeds]
    late = [sim.run(town="medium", start=2018, years=1, seed=s, figures=False).timeseries
            for s in seeds]
    v13 = np.mean([t[t.year == 2018].vacancy_rate.mean() for t in early])
    v18 = np.mean([t[t.year == 2018].vacancy_rate.mean() for t in late])
    assert abs(v13 - v18) <= 0.02, (v13, v18)
