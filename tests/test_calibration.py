"""Calibration (binnenstad calibrate), the historical scenario and the validation suite, reduced
to sizes that run in the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.batch.executor import make_executor
from sim.calibration.config import CalibrationConfigError, load_config
from sim.calibration.fit import run_abc
from sim.calibration.model import distance
from sim.calibration.targets import TARGETS, Tables, structural_share, vacancy_in, yearly_change
from sim.cli import app
from sim.params import Trajectory
from sim.scenarios.loader import load_scenario

TINY = """
[calibration]
name = "tiny"
scenario = "historical"
town = "small"
years = 6
replicates = 1
seed = 1
targets = ["vacancy_2007", "aanloop_above_core_2012"]

[budget]
population_size = 4
max_generations = 2
max_simulations = 40
max_hours = 0.2
min_epsilon = 0.0

[parameters]
entrant_optimism = { low = 0.8, high = 1.3 }
"fixed_cost_per_m2.independent" = { low = 20, high = 80 }
"""


def tiny(tmp_path: Path, text: str = TINY, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- targets
def _ts(months: int = 36, start: int = 2011, **cols) -> pd.DataFrame:
    t = np.arange(months)
    ts = pd.DataFrame({"year": start + t // 12, "month": 1 + t % 12})
    for k, v in cols.items():
        ts[k] = v(t) if callable(v) else v
    return ts


def test_target_measures_read_the_right_months():
    ts = _ts(vacancy_rate=lambda t: t / 100.0, shop_revenue=lambda t: 100.0 + 0 * t,
             vacancy_structural_1y=lambda t: t / 200.0)
    tables = Tables(ts, pd.DataFrame())
    assert vacancy_in((2012, 1), (2012, 12))(tables) == pytest.approx(np.mean(range(12, 24)) / 100)
    assert yearly_change("shop_revenue", 2012)(tables) == pytest.approx(0.0)
    assert structural_share(2012)(tables) == pytest.approx(0.5)
    assert np.isnan(structural_share(2030)(tables))


def test_standardised_shortfalls_and_verdicts():
    level, above = TARGETS["vacancy_2007"], TARGETS["aanloop_above_core_2012"]
    assert level.standardised(level.observed + 2 * level.sd) == pytest.approx(2.0)
    assert above.standardised(0.05) == 0.0 and above.standardised(-0.04) == pytest.approx(-2.0)
    assert level.passes(level.observed + 1.9 * level.sd, 1.0)
    assert not level.passes(level.observed + 2.1 * level.sd, 0.0)
    assert above.passes(0.05, 0.01) and not above.passes(0.01, 0.01)
    assert TARGETS["vacancy_2024"].passes(0.1, 0.01) is None
    assert distance({"z:a": 3.0, "z:b": 4.0, "raw:a": 99.0}) == pytest.approx(5.0)
    assert distance({"z:a": float("nan")}) == float("inf")


# --------------------------------------------------------------------------- historical
def test_historical_scenario_back_casts_the_drivers_to_2007():
    h = load_scenario("historical")
    assert (h.start_year, h.end_year) == (2007, 2024)
    assert [Path(p).stem for p in h.chain] == ["_defaults", "_calibrated", "baseline", "corona",
                                              "historical"]
    online = Trajectory(*h.trajectories["online_share_fashion"])
    assert online(2007) < online(2013) / 1.8  # ~13% a year before 2013 [OV]
    spend = Trajectory(*h.trajectories["spending_index"])
    assert spend(2009) < spend(2008) and spend(2013) < spend(2011)  # the crisis dips
    assert Trajectory(*h.trajectories["visit_shock"])(2020.3) > 0  # the lockdowns
    for name in h.trajectories:
        assert h.sources[name].strip(), name


# --------------------------------------------------------------------------- config errors
@pytest.mark.parametrize(("edit", "needles"), [
    (lambda t: t.replace('entrant_optimism =', 'nope ='), ["parameters.nope", "not a known"]),
    (lambda t: t.replace('"aanloop_above_core_2012"', '"bogus"'),
     ["calibration.targets", "'bogus'", "vacancy_2007"]),
    (lambda t: t.replace("low = 0.8, high = 1.3", "low = 0.8, high = 9"),
     ["entrant_optimism", "leaves the schema range", "[0, 5]"]),
    (lambda t: t.replace("low = 0.8, high = 1.3", "low = 1.3, high = 0.8"), ["low < high"]),
    (lambda t: t.replace("entrant_optimism = { low = 0.8, high = 1.3 }",
                         "lease_months = { low = 24, high = 96 }"),
     ["lease_months", "source document value", "free parameters"]),
    (lambda t: t.replace('"fixed_cost_per_m2.independent"', "fixed_cost_per_m2"),
     ["fixed_cost_per_m2 is a map whose keys differ", "fixed_cost_per_m2.chain"]),
    (lambda t: t.replace("years = 6", "years = 2"), ["years = 2", "aanloop_above_core_2012",
                                                     "years >= 6"]),
    (lambda t: t.replace("population_size = 4", "population_size = 1"),
     ["budget.population_size"]),
    (lambda t: t + "\n[extra]\nx = 1\n", ["extra"]),
    (lambda t: t.replace('[calibration]', '[calibration'), ["not valid TOML"]),
])
def test_bad_configs_give_one_line_and_write_nothing(tmp_path, edit, needles):
    path = tiny(tmp_path, edit(TINY), "bad.toml")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["calibrate", str(path), "--out", str(out), "--quiet"])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.exit_code == 2, res.output
    assert len(lines) == 1 and lines[0].startswith("binnenstad: error: "), lines
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert not out.exists()


def test_unreachable_scheduler_is_one_line(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["calibrate", str(tiny(tmp_path)), "--out", str(out),
                                   "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1"])
    assert res.exit_code == 2 and "cannot reach the Dask scheduler" in res.stderr
    assert not out.exists()


def test_screen_without_a_screening_table_is_refused(tmp_path):
    res = CliRunner().invoke(app, ["calibrate", str(tiny(tmp_path)), "--screen",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "[screening]" in res.stderr


# --------------------------------------------------------------------------- the procedure
@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """The tiny calibration on one worker, and on two workers interrupted after one
    generation and resumed."""
    root = tmp_path_factory.mktemp("cal")
    cfg = load_config(tiny(root))
    with make_executor(1) as ex:
        one = run_abc(cfg, root / "one", ex, log=lambda m: None)
    first = cfg.model_copy(update={"budget": cfg.budget.model_copy(
        update={"max_generations": 1})})
    messages: list[str] = []
    with make_executor(2) as ex:
        run_abc(first, root / "two", ex, log=messages.append)
        two = run_abc(cfg, root / "two", ex, log=messages.append)
    return cfg, one, two, messages


def test_calibration_is_the_same_on_one_or_two_workers_and_after_a_resume(tiny_runs):
    _cfg, one, two, messages = tiny_runs
    assert messages and "resuming tiny: 1 generation(s) done" in messages[0]
    pd.testing.assert_frame_equal(one.posterior, two.posterior)
    assert len(one.generations) == 2
    assert (one.generations.epsilon.diff().dropna() <= 0).all()  # thresholds do not rise


def test_posterior_lies_within_the_priors_and_is_summarised(tiny_runs):
    cfg, one, _, _ = tiny_runs
    for name, (lo, hi) in cfg.priors.items():
        assert one.posterior[name].between(lo, hi).all()
    assert one.posterior.weight.sum() == pytest.approx(1.0)
    s = one.summary.set_index("parameter")
    assert (s.posterior_q025 <= s.posterior_median).all()
    assert (s.posterior_median <= s.posterior_q975).all()
    assert set(one.chosen) == set(cfg.priors)


def test_calibrate_command_writes_the_overlay_and_install_loads_it(tmp_path, monkeypatch):
    """The whole command on the tiny config: tables, report, overlay with provenance; the
    overlay is installed into a copy of the scenario folder (not the package's own)."""
    import shutil

    import sim.scenarios.loader as loader

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["calibrate", str(tiny(tmp_path)), "--out", str(out),
                                   "--workers", "2", "--quiet"])
    assert res.exit_code == 0, res.output
    for f in ("posterior.parquet", "generations.csv", "parameters.csv", "fit.csv",
              "fit_defaults.csv", "overlay.toml", "report.md", "posterior.png", "fit.png"):
        assert (out / f).is_file(), f
    overlay = (out / "overlay.toml").read_text()
    assert "[params.entrant_optimism]" in overlay and "calibrated: " in overlay
    fit = pd.read_csv(out / "fit.csv")
    assert set(fit.result) <= {"pass", "fail", "reported"} and (fit.runs == 10).all()
    scenarios = tmp_path / "scenarios"
    shutil.copytree(loader.SCENARIO_DIR, scenarios,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(loader, "SCENARIO_DIR", scenarios)
    res = CliRunner().invoke(app, ["calibrate", str(tiny(tmp_path)), "--out", str(out),
                                   "--install"])
    assert res.exit_code == 0, res.output
    b = load_scenario("baseline")
    assert b.sources["entrant_optimism"].startswith("calibrated: ")
    chosen = pd.read_csv(out / "parameters.csv").set_index("parameter").posterior_median
    assert b.params["entrant_optimism"] == pytest.approx(chosen["entrant_optimism"], rel=1e-5)
    assert b.params["fixed_cost_per_m2"]["independent"] == pytest.approx(
        chosen["fixed_cost_per_m2.independent"], rel=1e-5)
    assert b.params["fixed_cost_per_m2"]["chain"] == 60.0  # the other key is the default's


# --------------------------------------------------------------------------- validation
def test_validate_writes_the_report_with_every_section(tmp_path):
    out = tmp_path / "val"
    res = CliRunner().invoke(app, ["validate", "--out", str(out), "--replicates", "2",
                                   "--town", "small", "--calibration", str(tiny(tmp_path)),
                                   "--sobol-n", "2", "--sobol-years", "1", "--workers", "2",
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    report = (out / "report.md").read_text()
    for section in ("Targets:", "hindcast.png", "Small towns swing more", "Moran",
                    "Global sensitivity (Sobol)", "seed_share"):
        assert section in report, section
    targets = pd.read_csv(out / "targets.csv")
    assert set(targets.target) == set(TARGETS)
    assert set(targets.result) <= {"pass", "fail", "reported"}
    paths = pd.read_parquet(out / "hindcast_paths.parquet")
    assert paths.date.min() == pd.Timestamp("2007-01-01")
    assert paths.date.max() == pd.Timestamp("2024-12-01")
    spatial = pd.read_csv(out / "spatial.csv")
    assert {"rent_gradient_pct_per_100m", "rent_footfall_elasticity", "moran_i"} <= set(
        spatial.measure)


def test_validate_refuses_bad_options_in_one_line(tmp_path):
    for args, needle in ((["--replicates", "1"], "--replicates"),
                         (["--town", "nowhere"], "--town"),
                         (["--calibration", str(tmp_path / "none.toml")], "--calibration")):
        res = CliRunner().invoke(app, ["validate", "--out", str(tmp_path / "v"), *args])
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.exit_code == 2 and len(lines) == 1 and needle in lines[0], res.stderr
        assert not (tmp_path / "v").exists()


def test_a_wrong_config_cannot_resume_another_calibration(tmp_path):
    from sim.calibration.fit import ResumeError

    cfg = load_config(tiny(tmp_path))
    other = load_config(tiny(tmp_path, TINY.replace("seed = 1", "seed = 2"), "other.toml"))
    with make_executor(1) as ex:
        short = cfg.model_copy(update={"budget": cfg.budget.model_copy(
            update={"max_generations": 1, "population_size": 4})})
        run_abc(short, tmp_path / "o", ex, log=lambda m: None)
        with pytest.raises(ResumeError, match="another config"):
            run_abc(other, tmp_path / "o", ex, log=lambda m: None)


def test_config_loader_accepts_the_shipped_config():
    cfg = load_config(Path(__file__).parent.parent / "experiments" / "calibration"
                      / "historical.toml")
    assert cfg.screening is not None and len(cfg.screening.priors) >= 20
    assert set(cfg.priors) <= set(cfg.screening.priors)
    with pytest.raises(CalibrationConfigError):
        load_config(Path("no/such/file.toml"))



@pytest.fixture(scope="module")
def installed_fit() -> pd.DataFrame:
    """Every target of the calibration window at the installed values, over the 10 replicate
    seeds of `binnenstad validate` (a reduced validation: 7 years instead of 18)."""
    from sim.calibration.fit import fit_table
    from sim.calibration.model import replicate_seeds
    from sim.calibration.validate import VALIDATION_SEED_ROOT

    cfg = load_config(Path(__file__).parent.parent / "experiments" / "calibration"
                      / "historical.toml")
    with make_executor(2) as ex:
        return fit_table(cfg, {}, replicate_seeds(VALIDATION_SEED_ROOT, 10), ex).set_index(
            "target")


#: Fit targets that do not hold significantly at the installed values over these seeds (strict
#: expected failures below; docs/calibration.md reports them).
NOT_MET = ("aanloop_rises_faster", "outlets_grow_larger")


@pytest.mark.xfail(strict=True, reason=(
    "finding: the installed values were fitted on 2026-11-29, before leases with obligations, "
    "bargained rents, owners' conversion choices and one history; at them no target of the "
    "calibration window holds (vacancy 2007 1.1% against 6.9%; aanloop below the core in 2012, "
    "-1.8 points): the calibration must be run again (issue 'Calibration')"))
def test_installed_values_meet_the_calibration_window_targets(installed_fit):
    """The sources' levels and directions of 2007-2013 [OV][G32] hold at the installed values
    (those that do not are the next test)."""
    fit = installed_fit[installed_fit.role == "fit"].drop(index=list(NOT_MET))
    assert (fit.result == "pass").all(), fit[fit.result != "pass"][["model_mean", "result"]]


@pytest.mark.xfail(strict=True, reason="finding: with the calibrated values the aanloopstraten' "
                   "vacancy rises faster than the core's, and the mean outlet grows larger, on "
                   "average but not significantly over 10 runs (the fit traded them for the "
                   "levels); docs/calibration.md")
@pytest.mark.parametrize("target", NOT_MET)
def test_installed_values_directions_not_met(installed_fit, target):
    assert installed_fit.result[target] == "pass"
