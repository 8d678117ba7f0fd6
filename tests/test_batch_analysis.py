"""Batch analysis: paired effects, bootstrap intervals, [P31] robustness verdicts, the analyse and
sensitivity commands on tiny sweeps, and the EMA Workbench adapter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.batch import run_many
from sim.batch.analysis import (
    OUTCOMES,
    available_outcomes,
    bootstrap_ci,
    paired_effects,
    robustness,
    run_outcomes,
    verdict,
)
from sim.batch.sensitivity import stochastic_share
from sim.cli import app


def synthetic_values(effect: dict[str, float], reps: int = 6) -> pd.DataFrame:
    """Long outcome table: 2 scenarios x policies none/a; policy a = none + effect (per outcome)
    with the replicate's noise shared by both policies (common random numbers); a zero effect gets a
    +-0.05 zig-zag of exactly zero mean instead."""
    rng = np.random.default_rng(1)
    rows = []
    for scen in ("s1", "s2"):
        for rep in range(reps):
            for outcome, eff in effect.items():
                base = 1.0 + rng.normal(0, 0.1)
                jitter = rng.normal(0, 1e-4) if eff else 0.05 * (-1) ** rep
                for pol, v in (("none", base), ("a", base + eff + jitter)):
                    rows.append(dict(town="small", scenario=scen, policy=pol, point=0,
                                     replicate=rep, run_id=f"{scen}{rep}{pol}", seed=rep,
                                     outcome=outcome, value=v))
    return pd.DataFrame(rows)


def test_paired_effects_recover_the_effect_and_judge_it_by_direction():
    values = synthetic_values({"vacancy_rate": -0.05, "footfall": -0.05, "diversity": 0.0})
    eff = paired_effects(values, n_boot=500, seed=0)
    assert list(eff.columns[:6]) == ["scenario", "policy", "outcome", "mean", "ci_low",
                                     "ci_high"]
    assert set(eff["policy"]) == {"a"} and len(eff) == 2 * 3
    v = eff[eff["outcome"] == "vacancy_rate"]
    assert np.allclose(v["mean"], -0.05, atol=1e-3)
    assert (v["ci_low"] <= v["mean"]).all() and (v["mean"] <= v["ci_high"]).all()
    # Lower vacancy is good, lower footfall is bad, no change is neutral.
    assert set(v["judgement"]) == {"good"}
    assert set(eff.loc[eff["outcome"] == "footfall", "judgement"]) == {"bad"}
    assert set(eff.loc[eff["outcome"] == "diversity", "judgement"]) == {"neutral"}
    # Same seed, same intervals.
    assert paired_effects(values, n_boot=500, seed=0).equals(eff)


def test_bootstrap_interval():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 1.0, 40)
    lo, hi = bootstrap_ci(x, 2000, 0.95, np.random.default_rng(5))
    assert lo < x.mean() < hi and hi - lo < 1.0
    assert bootstrap_ci(x, 2000, 0.95, np.random.default_rng(5)) == (lo, hi)
    assert np.isnan(bootstrap_ci(x[:1], 100, 0.95, np.random.default_rng(0))[0])


@pytest.mark.parametrize(("good", "m", "expected"), [
    (4, 4, "safe"), (3, 4, "safe"), (2, 4, "conditional"), (1, 4, "gamble"), (0, 4, "no_help"),
    (6, 8, "safe"), (5, 8, "conditional"), (1, 5, "gamble"), (5, 5, "safe")])
def test_p31_verdict(good, m, expected):
    assert verdict(good, m) == expected


def test_robustness_counts_scenarios():
    eff = pd.DataFrame({
        "scenario": ["s1", "s2", "s3", "s4", "s1", "s2", "s3", "s4"],
        "policy": ["a"] * 4 + ["b"] * 4, "outcome": ["vacancy_rate"] * 8,
        "judgement": ["good", "good", "good", "bad", "good", "neutral", "neutral", "neutral"],
        "town": "small", "point": 0})
    r = robustness(eff).set_index("policy")
    assert r.loc["a", ["good", "neutral", "bad"]].tolist() == [3, 0, 1]
    assert r.loc["a", "verdict"] == "safe" and r.loc["a", "bad_in"] == "s4"
    assert r.loc["b", "verdict"] == "gamble"
    only = robustness(eff, scenarios=["s2", "s3"]).set_index("policy")
    assert only.loc["a", "n_scenarios"] == 2 and only.loc["b", "verdict"] == "no_help"


def test_outcomes_use_new_columns_when_present_and_skip_them_otherwise():
    ts = pd.DataFrame({"run_id": ["r"] * 24, "step": range(24),
                       "vacancy_rate": np.r_[np.zeros(12), np.ones(12)],
                       "public_cost": np.arange(24.0)})
    chosen = available_outcomes(ts.columns)
    assert [o.name for o in chosen] == ["vacancy_rate", "public_cost"]
    vals = run_outcomes(ts, chosen, window_months=12).iloc[0]
    assert vals["vacancy_rate"] == 1.0  # mean of the last 12 months
    assert vals["public_cost"] == 23.0  # cumulative: the last value
    assert OUTCOMES["public_cost"].good == "lower" and OUTCOMES["footfall"].good == "higher"


def test_stochastic_share():
    x = np.linspace(0, 1, 10)[:, None]
    assert stochastic_share(np.repeat(x, 3, axis=1))[0] == 0.0  # no seed noise
    noise = np.random.default_rng(0).normal(size=(10, 50))
    share, share_mean = stochastic_share(noise)  # nothing but seed noise
    assert 0.9 < share <= 1.0 and share_mean > 0.5
    assert np.isnan(stochastic_share(x)[0])  # one replicate: unknown


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyse") / "out"
    res = run_many(towns=["small"], scenarios=["baseline", "ontspannen_stad"],
                   policies=["none", "compaction"], replicates=3, years=1, out=out)
    assert res.n_ok == 12
    return out, res


def test_analyse_command_writes_tables_and_figures(tiny_sweep):
    out, res = tiny_sweep
    r = CliRunner().invoke(app, ["analyse", str(out)])
    assert r.exit_code == 0, r.output
    folder = out / "analysis"
    eff = pd.read_csv(folder / "effects.csv")
    assert list(eff.columns[:6]) == ["scenario", "policy", "outcome", "mean", "ci_low",
                                     "ci_high"]
    assert set(eff["policy"]) == {"compaction"} and set(eff["scenario"]) == {
        "baseline", "ontspannen_stad"}
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 2 * 2 * summary["outcome"].nunique()
    rob = pd.read_csv(folder / "robustness.csv")
    assert set(rob["verdict"]) <= {"safe", "conditional", "gamble", "no_help"}
    assert (folder / "effects_vacancy_rate.png").stat().st_size > 0
    assert (folder / "timeseries_vacancy_rate.png").stat().st_size > 0
    # The effect is the mean of the paired (same seed) differences of the run outcomes.
    ts = res.timeseries()
    last = ts.sort_values("step").groupby("run_id").tail(12).groupby(
        ["scenario", "policy", "replicate"])["vacancy_rate"].mean().unstack("policy")
    diff = (last["compaction"] - last["none"]).groupby("scenario").mean()
    got = eff[eff["outcome"] == "vacancy_rate"].set_index("scenario")["mean"]
    assert np.allclose(got.sort_index(), diff.sort_index(), rtol=1e-5)


def test_run_many_in_memory_and_analyse_method():
    res = run_many(towns=["small"], policies=["none", "blurring"], replicates=2, years=1)
    assert res.root is None and res.n_ok == 4
    assert set(res.timeseries()["policy"]) == {"none", "blurring"}
    a = res.analyse()
    assert set(a.effects["policy"]) == {"blurring"}


def test_analyse_rejects_a_folder_without_a_sweep(tmp_path):
    r = CliRunner().invoke(app, ["analyse", str(tmp_path)])
    assert r.exit_code == 2 and "no sweep here" in r.stderr


MORRIS = """\
[experiment]
name = "morris"
towns = ["small"]
replicates = 2
years = 1
[sample]
method = "morris"
n = 2
seed = 1
[sample.ranges]
contagion_strength = [0.5, 2.0]
"spend_factor_65plus.fashion" = [0.2, 0.6]
[analysis]
outcomes = ["vacancy_rate", "footfall"]
"""


def test_sensitivity_command_on_a_tiny_morris_design(tmp_path):
    spec = tmp_path / "morris.toml"
    spec.write_text(MORRIS)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sensitivity", str(spec), "--out", str(out), "--workers", "1",
                                 "--quiet"])
    assert r.exit_code == 0, r.output
    idx = pd.read_csv(out / "sensitivity" / "indices.csv")
    assert len(idx) == 2 * 2 and set(idx["factor"]) == {"contagion_strength",
                                                        "spend_factor_65plus.fashion"}
    assert (idx["mu_star"] >= 0).all() and np.isfinite(idx["mu_star"]).all()
    sto = pd.read_csv(out / "sensitivity" / "stochastic.csv")
    assert ((sto["seed_share"] >= 0) & (sto["seed_share"] <= 1)).all()
    assert list((out / "sensitivity").glob("indices_*.png"))
    assert len(pd.read_parquet(out / "manifest.parquet")) == (2 + 1) * 2 * 2
    # An LHS design cannot be screened.
    spec.write_text(MORRIS.replace('"morris"', '"lhs"'))
    r = CliRunner().invoke(app, ["sensitivity", str(spec), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2 and "needs morris or sobol" in r.stderr


def test_ema_workbench_adapter():
    ema = pytest.importorskip("ema_workbench")
    from sim.batch.ema import ema_model

    model = ema_model(town="small", scenarios=["baseline", "ontspannen_stad"],
                      policies=["none", "compaction"],
                      uncertainties={"contagion_strength": (0.5, 2.0)},
                      levers={"compaction:intensity": (0.5, 2.0)},
                      outcomes=["vacancy_rate", "footfall"], replicates=2, years=1)
    assert {p.name for p in model.uncertainties} == {"contagion_strength", "preset"}
    assert {p.name for p in model.levers} == {"compaction__intensity", "arm"}
    experiments, outcomes = ema.perform_experiments(model, scenarios=2, policies=1)
    assert len(experiments) == 2
    assert np.isfinite(outcomes["vacancy_rate"]).all() and len(outcomes["footfall"]) == 2


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_sensitivity_ranks_a_known_function(method):
    """Outcome = 3 x contagion_strength (+ seed noise), independent of rent_reference: the
    indices must find it, through the design's map from sampler rows to runs."""
    from sim.batch.design import expand
    from sim.batch.sensitivity import analyse_sensitivity
    from sim.batch.spec import parse_spec

    spec = parse_spec({
        "experiment": {"name": "k", "towns": ["small"], "replicates": 3, "years": 1},
        "sample": {"method": method, "n": 16 if method == "sobol" else 8, "seed": 2,
                   "ranges": {"contagion_strength": [0.5, 2.0],
                              "contagion_radius": [30.0, 120.0]}}})
    d = expand(spec)
    t = d.table()
    noise = np.random.default_rng(0).normal(0, 0.01, len(t))
    ts = pd.DataFrame({"run_id": t["run_id"], "step": 1,
                       "vacancy_rate": 3 * t["contagion_strength"] + noise})
    manifest = t.assign(status="ok")
    idx, sto, notes = analyse_sensitivity(d, manifest, ts, outcomes=["vacancy_rate"])
    assert not notes
    idx = idx.set_index("factor")
    key = "mu_star" if method == "morris" else "ST"
    assert idx.loc["contagion_strength", key] > 10 * abs(idx.loc["contagion_radius", key])
    assert sto["seed_share"].iloc[0] < 0.01
    # A failed run leaves a hole: the group is skipped and named.
    manifest.loc[0, "status"] = "failed"
    idx2, _, notes2 = analyse_sensitivity(d, manifest, ts, outcomes=["vacancy_rate"])
    assert idx2.empty and "missing or failed" in notes2[0]


def test_ema_prim_and_cart_work_on_the_adapters_experiments():
    """Scenario discovery over the futures (issue 21): EMA's PRIM could not inspect a box on
    the categorical ``preset`` (a dtype error); `discovery_inputs` makes PRIM and CART work."""
    ema = pytest.importorskip("ema_workbench")
    from ema_workbench.analysis import cart, prim

    from sim.batch.ema import discovery_inputs, ema_model

    model = ema_model(town="small", scenarios=["baseline", "ontspannen_stad"],
                      uncertainties={"contagion_strength": (0.5, 2.0)},
                      outcomes=["vacancy_rate"], replicates=1, years=1)
    experiments, outcomes = ema.perform_experiments(model, scenarios=8)
    x = discovery_inputs(experiments, model)
    assert list(x.columns) == ["contagion_strength", "preset=baseline",
                               "preset=ontspannen_stad"]
    assert (x.dtypes == "float64").all()
    assert ((x["preset=baseline"] + x["preset=ontspannen_stad"]) == 1).all()
    y = outcomes["vacancy_rate"] > np.median(outcomes["vacancy_rate"])
    box = prim.Prim(x, y, mass_min=0.1).find_box()
    assert box is not None
    box.inspect()  # raised "Invalid value ... for dtype 'float64'" on the raw experiments
    assert len(box.peeling_trajectory) >= 1
    tree = cart.CART(x, y, mass_min=0.25)  # (8 experiments: at least 2 per leaf)
    tree.build_tree()
    assert len(tree.boxes) >= 1


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_sensitivity_intervals_are_reproducible(method):
    """Two passes over the same results give the same confidence intervals (SALib's bootstrap
    is seeded; Sobol's treated seed 0 as "no seed"), and another seed gives other ones."""
    from sim.batch.design import expand
    from sim.batch.sensitivity import analyse_sensitivity
    from sim.batch.spec import parse_spec

    spec = parse_spec({
        "experiment": {"name": "k", "towns": ["small"], "replicates": 2, "years": 1},
        "sample": {"method": method, "n": 16 if method == "sobol" else 8, "seed": 2,
                   "ranges": {"contagion_strength": [0.5, 2.0],
                              "contagion_radius": [30.0, 120.0]}}})
    d = expand(spec)
    t = d.table()
    noise = np.random.default_rng(0).normal(0, 0.3, len(t))
    ts = pd.DataFrame({"run_id": t["run_id"], "step": 1,
                       "vacancy_rate": 3 * t["contagion_strength"] + noise})
    manifest = t.assign(status="ok")
    conf = ["mu_star_conf"] if method == "morris" else ["S1_conf", "ST_conf"]

    def intervals(seed):
        np.random.seed(seed + 100)  # noqa: NPY002 - the global state must not matter
        idx, _, _ = analyse_sensitivity(d, manifest, ts, outcomes=["vacancy_rate"], seed=seed)
        return idx[conf]

    first = intervals(0)
    assert not first.empty and first.notna().all().all()
    pd.testing.assert_frame_equal(first, intervals(0))
    assert not first.equals(intervals(1))
