"""Quick what-ifs (--set, --driver-scale), CSV tables and the lever and scenario help."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.cli import app
from sim.help_text import lever_help, scenario_help
from sim.params import Trajectory
from sim.policies import POLICIES
from sim.runner import default_out
from sim.scenarios.loader import ScenarioError, available_scenarios, load_scenario
from sim.scenarios.whatif import parse_assignments, resolve_scales, scale_drivers


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@settings(max_examples=60, deadline=None)
@given(years=st.lists(st.integers(2000, 2060), min_size=1, max_size=6, unique=True),
       values=st.lists(st.floats(0.0, 0.5), min_size=6, max_size=6),
       factor=st.floats(0.0, 2.0), start=st.floats(1995.0, 2065.0),
       probes=st.lists(st.floats(1990.0, 2070.0), min_size=1, max_size=8))
def test_scaling_multiplies_the_change_after_the_start_and_keeps_the_past(
        baseline, years, values, factor, start, probes):
    years = sorted(years)
    pts = (tuple(float(y) for y in years), tuple(values[: len(years)]))
    sc = baseline.for_run(0)
    sc = type(sc)(**{**sc.fields(), "trajectories": {**sc.trajectories,
                                                     "online_share_fashion": pts}})
    old = Trajectory(*pts)
    v0 = old(start)
    try:
        scaled = Trajectory(*scale_drivers(sc, {"online_share_fashion": factor}, start)
                            .trajectories["online_share_fashion"])
    except ScenarioError:  # refused only if a scaled point leaves the driver's range [0, 1]
        later = [v0 + factor * (v - v0) for y, v in zip(*pts, strict=True) if y > start]
        assert min(later) < 0 or max(later) > 1
        return
    for t in probes:
        want = old(t) if t <= start else v0 + factor * (old(t) - v0)
        assert scaled(t) == pytest.approx(want, abs=1e-12)


def test_factor_one_is_the_scenario_and_zero_freezes_the_driver(baseline):
    same = scale_drivers(baseline, {"share_65plus": 1.0}, 2016.0)
    frozen = scale_drivers(baseline, {"share_65plus": 0.0}, 2016.0)
    old, one, zero = (Trajectory(*s.trajectories["share_65plus"]) for s in (baseline, same,
                                                                            frozen))
    for t in (2013.0, 2016.0, 2020.5, 2040.0):
        assert one(t) == pytest.approx(old(t))
    assert zero(2030.0) == pytest.approx(old(2016.0)) and zero(2014.0) == pytest.approx(
        old(2014.0))
    assert old(2030.0) != pytest.approx(old(2016.0))  # the driver does change in the scenario


def test_patterns_expand_to_every_matching_driver():
    names = resolve_scales({"online_share_*": 2.0})
    assert len(names) == 10 and all(n.startswith("online_share_") for n in names)
    with pytest.raises(ScenarioError, match="matched twice"):
        resolve_scales({"online_share_*": 2.0, "online_share_daily": 1.5})


def test_assignments_read_toml_values_and_map_keys():
    got = parse_assignments(["huff_radius=400", "housing_rent.core=250",
                             "conversion_allowed={core = true}", "resident_centre_share=0.3"])
    assert got == {"huff_radius": 400, "housing_rent": {"core": 250},
                   "conversion_allowed": {"core": True}, "resident_centre_share": 0.3}


@pytest.fixture(scope="module")
def online_twice():
    kw = {"town": "small", "years": 6, "seed": 3, "figures": False}
    return (sim.run(**kw), sim.run(**kw, driver_scale={"online_share_*": 2.0}))


def test_online_growth_twice_as_fast(online_twice):
    """The recorded online share's rise from the start doubles; the first month is unchanged."""
    base, fast = (r.timeseries for r in online_twice)
    assert fast.online_share.iloc[0] == pytest.approx(base.online_share.iloc[0], abs=2e-3)
    rise_b = base.online_share.iloc[-1] - base.online_share.iloc[0]
    rise_f = fast.online_share.iloc[-1] - fast.online_share.iloc[0]
    assert rise_b > 0.02
    assert rise_f == pytest.approx(2 * rise_b, rel=0.15)
    assert fast.spend_online.iloc[-1] > base.spend_online.iloc[-1]
    assert online_twice[1].meta["whatif"]["driver_scale"] == {"online_share_*": 2.0}
    assert "what-if" in online_twice[1].meta["sources"]["online_share_fashion"]


def test_a_parameter_override_reaches_the_model():
    r = sim.run(town="small", years=1, figures=False, keep_model=True,
                params={"huff_radius": 350.0, "housing_rent": {"core": 260.0}})
    assert r.model.p.huff_radius == 350.0
    assert r.meta["params"]["housing_rent"]["core"] == 260.0
    assert r.meta["params"]["housing_rent"]["aanloop"] == load_scenario("baseline").params[
        "housing_rent"]["aanloop"]
    assert r.meta["sources"]["huff_radius"].startswith("user override")


def test_whatifs_get_their_own_default_folder():
    plain = default_out()
    assert default_out(params={"huff_radius": 400}) != plain
    assert default_out(driver_scale={"online_share_*": 2}) != plain
    assert default_out(params={"huff_radius": 400}) != default_out(params={"huff_radius": 500})
    assert default_out() == plain  # no what-if: the folder of earlier releases


def test_csv_tables_match_the_parquet_tables(tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        app(args=["run", "--quiet", "--town", "small", "--years", "1", "--no-figures", "--csv",
                  "--set", "huff_radius=400", "--driver-scale", "share_65plus=2",
                  "--out", str(out)], prog_name="binnenstad")
    assert exc.value.code == 0, capsys.readouterr().err
    for name in ("timeseries", "units", "events"):
        pq = pd.read_parquet(out / f"{name}.parquet")
        csv = pd.read_csv(out / f"{name}.csv")
        assert list(csv.columns) == list(pq.columns)
        assert len(csv) == len(pq)
    ts_pq, ts_csv = (pd.read_parquet(out / "timeseries.parquet"),
                     pd.read_csv(out / "timeseries.csv"))
    assert np.allclose(ts_csv.vacancy_rate, ts_pq.vacancy_rate)
    assert ts_csv.date.iloc[0] == "2013-01-01"
    meta = json.loads((out / "run.json").read_text())
    assert meta["whatif"] == {"params": {"huff_radius": 400},
                              "driver_scale": {"share_65plus": 2.0}}
    assert "One seed is one story" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_lever_help_explains_every_setting(name):
    text = lever_help(name)
    cls = POLICIES[name]
    assert text.startswith(f"{name}: ")
    for key, s in cls.spec().items():
        assert f"  {key}" in text and s.allowed() in text
        if s.kind in ("float", "int"):
            assert s.unit, f"{name}.{key} has no unit"
            assert f"{key} [{s.unit}]" in text
    assert "Sources:" in text  # every lever cites its source document


@pytest.mark.parametrize("name", sorted(available_scenarios()))
def test_scenario_help_tells_years_assumptions_and_expectations(name):
    sc = load_scenario(name)
    text = scenario_help(name)
    assert f"Years: {sc.start_year}-{sc.end_year}" in text
    for item in (*sc.assumes, *sc.expects):
        assert " ".join(item.split()[:3]) in " ".join(text.split())
    if name != "baseline":
        assert f"Changes against {Path(sc.chain[-2]).stem}" in text


def test_a_start_outside_the_scenario_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        app(args=["run", "--quiet", "--scenario", "binnenstad_united", "--start", "2014"],
            prog_name="binnenstad")
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert "2018-2038" in err[0]
