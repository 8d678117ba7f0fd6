"""The invariant checker (`sim.invariants`): silent on healthy runs, loud on each kind of
corruption, wired into ``binnenstad run --check`` and ``sim.run(check=...)``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.cli import app
from sim.invariants import (
    CHECK_ENV,
    CHECKS,
    RENT_FLOOR,
    SKIP_ENV,
    InvariantError,
    assert_frames,
    assert_invariants,
    check_enabled,
    check_frames,
    check_invariants,
    skipped_checks,
)
from sim.model import CityCentreModel

from .conftest import run_model


@pytest.fixture
def model() -> CityCentreModel:
    return run_model("small", years=1, seed=2)


def test_healthy_runs_pass(small_run, model):
    assert check_invariants(small_run) == []
    assert check_invariants(model) == []
    ts, units, _ = small_run.recorder.frames()
    assert check_frames(ts, units) == []


def test_tests_run_with_the_check_on():
    assert check_enabled()
    assert skipped_checks() == frozenset()  # no check is skipped: no known defect left


@pytest.mark.parametrize(("corrupt", "needle"), [
    (lambda m: m.units.revenue.__setitem__(4, math.nan), "units.revenue[4] is nan"),
    (lambda m: m.units.cash.__setitem__(0, math.inf), "units.cash[0] is inf"),
    (lambda m: m.units.months_vacant.__setitem__(2, -1), "units.months_vacant[2] = -1"),
    (lambda m: m.units.dwellings.__setitem__(1, -3), "units.dwellings[1] = -3"),
    (lambda m: m.units.asking_rent.__setitem__(3, -5.0), "unit 3 asks a rent of -5.0"),
    (lambda m: m.demand.online.__setitem__((0, 0, 2), m.demand.online[0, 0, 2] + 1.0),
     "demand total != online + outside + centre"),
    (lambda m: m.leakage.__setitem__(2, -10.0), "leakage of function 2 is -10"),
    (lambda m: m.recorder.rows[-1].__setitem__("vacancy_rate", 1.5),
     "vacancy_rate = 1.5 is outside [0, 1]"),
    (lambda m: m.recorder.rows[-1].__setitem__("n_shops", -1), "n_shops = -1.0 is negative"),
    (lambda m: m.recorder.rows[-1].__setitem__("footfall_core", math.nan),
     "footfall_core = nan"),
    (lambda m: m.recorder.rows[-1].__setitem__("spend_leakage",
                                               m.recorder.rows[-1]["spend_leakage"] - 1e3),
     "spend_total"),
    (lambda m: m.recorder.rows[-1].__setitem__("public_cost", -1.0),
     "public_cost = -1.0 is negative"),
])
def test_each_corruption_is_reported(model, corrupt, needle):
    corrupt(model)
    problems = check_invariants(model)
    assert problems and any(needle in p for p in problems), problems
    assert all("\n" not in p and p.startswith(f"step {model.steps}") for p in problems)
    with pytest.raises(InvariantError, match="invariant violated at step"):
        assert_invariants(model)


def test_rent_floor(model, monkeypatch):
    occupied = np.flatnonzero(model.units.occupied_commercial)[0]
    model.units.contract_rent[occupied] = 6e-8
    problems = check_invariants(model)
    assert any(f"occupied unit {occupied} pays a rent of 6e-08" in p for p in problems)
    assert check_invariants(model, skip={"rent_floor"}) == []
    monkeypatch.setenv(SKIP_ENV, "rent_floor,finite")
    assert_invariants(model)  # skipped
    monkeypatch.setenv(SKIP_ENV, "rent")
    with pytest.raises(ValueError, match="unknown check 'rent'"):
        skipped_checks()
    assert set(CHECKS) >= {"rent_floor", "spending", "finite"}


def test_clustering_is_defined_when_nothing_is_vacant(model):
    from sim.record import morans_i

    u = model.units
    u.function[u.vacant] = 1  # nothing vacant: Moran's I is undefined, recorded as 0
    assert morans_i(model) == 0.0
    model.recorder.rows[-1]["vacancy_clustering"] = math.nan
    assert any("vacancy_clustering" in p for p in check_invariants(model))


def test_check_frames_reports_bad_tables(small_run):
    ts, units, _ = small_run.recorder.frames()
    bad = ts.copy()
    bad.loc[3, "share_65plus"] = 1.2
    bad.loc[4, "n_vacant"] = -1
    bad.loc[5, "spend_online"] = math.inf
    out = " | ".join(check_frames(bad, units))
    assert "share_65plus row 3 is outside [0, 1]" in out
    assert "n_vacant row 4 is negative" in out
    assert "spend_online row 5 is inf" in out
    bu = units.copy()
    k = int(np.flatnonzero((~bu.is_vacant & (bu.branch != "")).to_numpy())[0])
    bu.loc[k, "rent"] = 0.5
    bu.loc[0, "footfall"] = -1.0
    out = " | ".join(check_frames(ts, bu))
    assert f"units row {k}: occupied unit pays a rent of 0.5" in out
    assert "units.footfall has negative values" in out
    assert not any("rent" in p for p in check_frames(ts, bu, skip={"rent_floor"}))
    with pytest.raises(InvariantError, match=r"in the output tables: units\.footfall"):
        assert_frames(ts, bu)
    cum = ts.assign(public_cost=np.r_[np.arange(len(ts) - 1, dtype=float), 0.0])
    assert any("public_cost decreases" in p for p in check_frames(cum, units))


def _poison_revenue(monkeypatch, at_step: int = 5):
    from sim import economics

    original = economics.month_revenue

    def revenue(m, mo):
        original(m, mo)
        if m.steps == at_step:
            m.units.revenue[7] = math.nan

    monkeypatch.setattr(economics, "month_revenue", revenue)


def test_cli_check_stops_at_first_violation(tmp_path, monkeypatch, capsys):
    _poison_revenue(monkeypatch)
    monkeypatch.delenv(CHECK_ENV, raising=False)
    out = tmp_path / "o"
    with pytest.raises(SystemExit) as exc:
        app(args=["run", "--town", "small", "--years", "1", "--quiet", "--check", "--out",
                  str(out)], prog_name="binnenstad")
    lines = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 3
    assert len(lines) == 1
    assert lines[0].startswith("binnenstad: error: invariant violated at step 5: units.")
    assert "[7] is nan (must be finite)" in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_api_check_flag_and_env(monkeypatch, tmp_path):
    _poison_revenue(monkeypatch, at_step=3)
    with pytest.raises(InvariantError, match="step 3"):
        sim.run(town="small", years=1, check=True, out=tmp_path / "o")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(CHECK_ENV, "0")
    res = sim.run(town="small", years=1, figures=False)  # off: the poisoned value goes through
    assert res.meta["invariants_checked"] is False
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(InvariantError):
        sim.run(town="small", years=1, figures=False)


def test_popup_rents_stay_above_the_floor(monkeypatch):
    """A closing pop-up leaves the undiscounted rent as the asking rent, so a strong pop-up
    programme does not push occupied rents toward zero (issue 8, class 8)."""
    monkeypatch.delenv(SKIP_ENV, raising=False)
    sim.run(town="small", years=3, seed=1, policies=["popup_programme:intensity=10"],
            figures=False, check=True)


def test_rent_floor_constant_is_documented():
    assert 0 < RENT_FLOOR <= 10
