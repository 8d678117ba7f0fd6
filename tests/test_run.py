"""End-to-end: the Python API, reproducibility, the CLI and its handling of bad input."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import run
from sim.cli import app
from sim.record import EVENT_COLUMNS, TIMESERIES_COLUMNS, UNIT_COLUMNS

CONTRACT = ["date", "step", "vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop",
            "vacancy_rate_fringe", "n_units_retail_eligible", "n_vacant", "n_shops",
            "n_chain_shops", "n_popups", "footfall_total", "footfall_core", "footfall_aanloop",
            "mean_rent_core", "mean_rent_aanloop", "online_share", "share_65plus", "n_residents",
            "openings", "closures", "conversions", "shannon_diversity"]
UNIT_CONTRACT = ["year", "unit_id", "x", "y", "zone", "function", "branch", "is_vacant",
                 "floor_area", "rent", "footfall", "months_vacant"]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_api_returns_contract_tables():
    res = run(town="small", years=2, seed=4)
    assert set(CONTRACT) <= set(res.timeseries.columns)
    assert list(res.timeseries.columns) == TIMESERIES_COLUMNS
    assert set(UNIT_CONTRACT) <= set(res.units.columns) and list(res.units.columns) == UNIT_COLUMNS
    assert list(res.events.columns) == EVENT_COLUMNS
    assert len(res.timeseries) == 24
    assert res.timeseries.date.iloc[0] == pd.Timestamp("2013-01-01")
    assert res.timeseries.date.iloc[-1] == pd.Timestamp("2014-12-01")
    # every unit at least once a year (start state + each December)
    assert sorted(res.units.year.unique()) == [2012, 2013, 2014]
    assert set(res.events.kind) <= {"opening", "closure", "relocation_out", "relocation_in",
                                    "conversion", "popup_open", "popup_end", "office_open",
                                    "office_close",
                                    "succession", "sale", "split", "merge", "mixed_use",
                                    "policy"}


def test_same_seed_identical_files_different_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    run(town="small", years=3, seed=9, out=a, figures=False)
    run(town="small", years=3, seed=9, out=b, figures=False)
    run(town="small", years=3, seed=10, out=c, figures=False)
    for name in ("timeseries.parquet", "units.parquet", "events.parquet"):
        assert _digest(a / name) == _digest(b / name), name
    ta = pd.read_parquet(a / "timeseries.parquet")
    tc = pd.read_parquet(c / "timeseries.parquet")
    assert not ta.equals(tc)


def test_reproducible_across_processes(tmp_path):
    """Same inputs + seed give identical tables in a separate worker process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        other = pool.submit(run, town="small", years=2, seed=21, figures=False).result()
    here = run(town="small", years=2, seed=21, figures=False)
    pd.testing.assert_frame_equal(here.timeseries, other.timeseries)
    pd.testing.assert_frame_equal(here.events, other.events)


def test_cli_run_writes_everything(tmp_path):
    import gc

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", "--town", "small", "--years", "1", "--seed", "2",
                                   "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert gc.isenabled()  # the start-up pause (sim/startup.py) ends before the simulation
    for name in ("timeseries.parquet", "units.parquet", "events.parquet", "run.json",
                 "vacancy_by_zone.png", "map.png", "footfall.png"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 2 and meta["years"] == 1 and meta["scenario"] == "baseline"
    assert "contagion_strength" in meta["params"] and "versions" in meta
    assert meta["sources"]["share_65plus"].startswith("[OV]")
    assert meta["burn_in"]["months"] >= 60 and meta["burn_in"]["months"] % 12 == 0
    assert set(meta["wall_time_s"]) >= {"setup", "simulate", "write"}
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 12 and ts.vacancy_rate.between(0, 1).all()


@pytest.mark.parametrize(("args", "needle"), [
    (["--town", "huge"], "allowed: small, medium, large, xl"),
    (["--scenario", "utopia"], "unknown scenario 'utopia'; allowed:"),
    (["--policy", "free_parking"], "unknown policy 'free_parking'"),
    (["--years", "0"], "--years must be a whole number from 1 to 200"),
    (["--years", "-3"], "--years must be a whole number from 1 to 200"),
    (["--backend", "gpu"], "allowed: numba, reference"),
])
def test_cli_bad_input_one_line_exit_2_nothing_written(tmp_path, args, needle):
    out = tmp_path / "never"
    res = CliRunner().invoke(app, ["run", "--out", str(out), "--quiet", *args])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], res.stderr
    assert not out.exists()


def test_cli_malformed_town_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    res = CliRunner().invoke(app, ["run", "--town", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "bad.geojson" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_cli_lists():
    r = CliRunner()
    out = r.invoke(app, ["scenarios"])
    assert out.exit_code == 0 and "baseline" in out.stdout
    assert r.invoke(app, ["policies"]).exit_code == 0
    params = r.invoke(app, ["params"])
    assert params.exit_code == 0 and "contagion_strength" in params.stdout


def test_baseline_medium_patterns(medium_run):
    """The default run shows what the baseline scenario expects (its ``expects``): vacancy rises
    after 2015, aanloop vacancy exceeds core vacancy, online share rises; and closures hit units
    that had lost footfall. Levels are not asserted: they are calibrated, not built in."""
    ts, units, events = medium_run.recorder.frames()
    early = ts[ts.year <= 2015]
    late = ts[ts.year >= 2020]
    assert late.vacancy_rate.mean() > early.vacancy_rate.mean()
    assert late.vacancy_rate_aanloop.mean() > late.vacancy_rate_core.mean()
    assert ts.online_share.iloc[-1] > ts.online_share.iloc[0]
    # Every zone has some vacancy at some point (frictional in the core).
    for zone in ("core", "aanloop"):
        assert 0 < ts[f"vacancy_rate_{zone}"].max(), zone
    # Units that closed had lower footfall than units that stayed open.
    start = units[units.year == units.year.min()].set_index("unit_id")
    closed = set(events[events.kind == "closure"].unit_id)
    shops = start[start.branch != ""]
    assert shops.loc[shops.index.isin(closed), "footfall"].median() < shops.loc[
        ~shops.index.isin(closed), "footfall"].median()


def test_baseline_medium_no_zone_is_emptied(medium_run):
    ts, _, _ = medium_run.recorder.frames()
    for zone in ("core", "aanloop"):
        assert ts[f"vacancy_rate_{zone}"].max() < 0.6, zone


def test_contagion_acts_through_what_visitors_see():
    """Vacancy contagion [OV: 'a street with empty gaps is not attractive; the consumer skips
    it, so the remaining shops struggle too']: when a shop's neighbours fall vacant, it draws
    fewer visits with contagion on, and no fewer with it off (no closure hazard is involved)."""
    from .conftest import run_model

    def visit_loss(strength: float) -> float:
        m = run_model("small", years=0, seed=3, burn_in=False,
                      overrides={"contagion_strength": strength})
        u, net = m.units, m.net
        shops = [s.unit for s in m.shop_at.values() if u.anchor[s.unit] == 0]
        k = max(shops, key=lambda j: int(u.occupied_commercial[net.near_unit[
            net.near_ptr[u.node[j]]:net.near_ptr[u.node[j] + 1]]].sum()))
        share_before = m.flows.main_visits[k] / m.flows.main_visits.sum()
        near = net.near_unit[net.near_ptr[u.node[k]]:net.near_ptr[u.node[k] + 1]]
        for j in near:
            if j != k and j in m.shop_at and u.anchor[j] == 0:
                m.shop_at[j].close("test")
        from sim.initial import flows_and_revenue

        m.update_local_vacancy(m.last_month)
        flows_and_revenue(m, m.last_month)
        return share_before - m.flows.main_visits[k] / m.flows.main_visits.sum()

    assert visit_loss(3.0) > visit_loss(0.0) + 1e-4


@pytest.mark.parametrize(("body", "needle"), [
    ('[scenario]\nname = "x"\nextends = "baseline"\n[params.contagion_strength]\nvalue = -2\n'
     'unit = "dimensionless"\nsource = "me"\n', "params.contagion_strength.value = -2"),
    ('[scenario]\nname = "x"\nextends = "x.toml"\n', "cycle"),
])
def test_cli_bad_user_scenario_file(tmp_path, body, needle):
    f = tmp_path / "x.toml"
    f.write_text(body)
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["run", "--scenario", str(f), "--out", str(out), "--quiet"])
    assert res.exit_code == 2 and needle in res.stderr and "x.toml" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not out.exists()


def test_cli_bad_lever_setting(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["run", "--policy", "compaction:intensity=lots", "--out",
                                   str(out), "--quiet"])
    assert res.exit_code == 2 and "compaction" in res.stderr and "intensity" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not out.exists()


def test_cli_user_scenario_file_runs(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[scenario]\nname = "mine"\nextends = "baseline"\n'
                 '[trajectories.online_share_fashion]\nunit = "fraction"\nsource = "me"\n'
                 'points = { 2013 = 0.5 }\n')
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["run", "--town", "small", "--scenario", str(f), "--years", "1",
                                   "--out", str(out), "--quiet", "--no-figures"])
    assert res.exit_code == 0, res.stderr
    meta = json.loads((out / "run.json").read_text())
    assert meta["scenario"] == "mine" and meta["sources"]["online_share_fashion"] == "me"


def test_command_line_imports_are_lazy() -> None:
    """`binnenstad --help` and every command's start must not pay for Mesa, pandas, numba or
    matplotlib (issue 8: lazy imports); they are imported inside the commands that need them."""
    import subprocess
    import sys

    # sim.policies too: `binnenstad policies` lists and explains the levers without Mesa.
    code = ("import sys, sim.cli, sim.policies; heavy = [m for m in ('mesa', 'pandas', 'numba', "
            "'matplotlib', 'scipy', 'pyabc', 'SALib', 'distributed') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
