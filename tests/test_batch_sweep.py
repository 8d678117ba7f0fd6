"""Batch sweeps: resume, failed runs, kill safety, identical results with 1 worker, 2 workers and
Dask, refused folders and unreachable schedulers. Small town, 1-year runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from sim.batch import run_many, sweep
from sim.batch.spec import parse_spec
from sim.batch.store import Store, write_table
from sim.cli import app

TINY = """\
[experiment]
name = "tiny"
towns = ["small"]
scenarios = ["baseline", "ontspannen_stad"]
policies = ["none", "compaction"]
replicates = {replicates}
years = 1
"""
SORT = {"timeseries": ["run_id", "step"], "units": ["run_id", "year", "unit_id"]}


def write_spec(tmp_path: Path, replicates: int = 2, extra: str = "") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(replicates=replicates) + extra)
    return path


def contents(root: Path, table: str) -> pd.DataFrame:
    """Every row of a Parquet dataset, in a canonical order (what 'identical results' means)."""
    df = pd.read_parquet(root / table)
    for c in ("town", "scenario"):
        df[c] = df[c].astype(str)
    return df.sort_values(SORT[table]).reset_index(drop=True)


def assert_same_results(a: Path, b: Path) -> None:
    for table in SORT:
        assert_frame_equal(contents(a, table), contents(b, table))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The tiny sweep with 4 replicates, run in this process (1 worker)."""
    tmp = tmp_path_factory.mktemp("reference")
    res = sweep(write_spec(tmp, replicates=4), tmp / "out", workers=1, progress=False)
    assert res.n_ok == 16 and res.ran == 16
    return tmp / "out"


def test_results_layout_and_keys(reference):
    m = pd.read_parquet(reference / "manifest.parquet")
    assert len(m) == 16 and (m["status"] == "ok").all() and m["run_id"].is_unique
    assert {"run_id", "town", "scenario", "policy", "replicate", "seed", "status", "wall_s",
            "error"} <= set(m.columns)
    ts = pd.read_parquet(reference / "timeseries")
    assert {"run_id", "town", "scenario", "policy", "replicate", "seed", "vacancy_rate"} <= set(
        ts.columns)
    assert len(ts) == 16 * 12
    # Common random numbers: one seed per replicate under every policy and scenario.
    assert (ts.groupby("replicate")["seed"].nunique() == 1).all()
    assert len(pd.read_parquet(reference / "units")) > 0


def test_two_workers_give_identical_results(reference, tmp_path):
    res = run_many(write_spec(tmp_path, replicates=4), out=tmp_path / "out", workers=2)
    assert res.n_ok == 16
    assert_same_results(reference, tmp_path / "out")


def test_resume_skips_finished_runs_and_retries_failed_ones(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[scenario]\nname = "mine"\nextends = "baseline"\n')
    spec_path = write_spec(tmp_path, extra="")
    spec_path.write_text(spec_path.read_text().replace('"ontspannen_stad"', '"mine.toml"'))
    from sim.batch.spec import load_spec

    spec = load_spec(spec_path)
    out = tmp_path / "out"
    user.unlink()  # the runs under this scenario fail in the worker; the others do not stop
    first = sweep(spec, out, workers=1, progress=False)
    m = first.manifest
    assert first.n_failed == 4 and first.n_ok == 4
    failed = m[m["status"] == "failed"]
    assert set(failed["scenario"]) == {"mine.toml"}
    assert failed["error"].str.contains("mine.toml").all()
    # Restore the file: re-running runs only the failed ones.
    user.write_text('[scenario]\nname = "mine"\nextends = "baseline"\n')
    second = sweep(spec, out, workers=1, progress=False)
    assert second.ran == 4 and second.skipped == 4 and second.n_ok == 8
    before = {t: contents(out, t) for t in SORT}
    # An interrupted sweep: two status records lost, a stray temporary file left behind.
    lost = second.manifest["run_id"].iloc[[1, 6]]
    for rid in lost:
        (out / "runs" / f"{rid}.json").unlink()
    stray = out / "timeseries" / ".tmp-stray"
    stray.write_bytes(b"half a parquet file")
    third = sweep(spec, out, workers=1, progress=False)
    assert third.ran == 2 and third.skipped == 6 and third.n_ok == 8
    assert not stray.exists()
    for t in SORT:
        assert_frame_equal(contents(out, t), before[t])


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import pyarrow as pa

    import sim.batch.store as store

    target = tmp_path / "t" / "x.parquet"

    def crash(src, dst):  # the temporary file is complete; the disk fails at the rename
        assert Path(src).stat().st_size > 0
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", crash)
    with pytest.raises(OSError):
        write_table(target, pa.table({"a": [1]}))
    assert list(target.parent.iterdir()) == []


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(cond, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError
        time.sleep(0.01)


def _n_status(out: Path) -> int:
    folder = out / "runs"
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


def test_sigkill_of_a_worker_and_of_the_main_process_loses_nothing(reference, tmp_path):
    spec = write_spec(tmp_path, replicates=4)
    out = tmp_path / "out"
    proc = _cli("sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet",
                cwd=tmp_path)
    main = psutil.Process(proc.pid)
    family: list[psutil.Process] = []
    try:
        _wait_for(lambda: _n_status(out) >= 2)
        family = main.children(recursive=True)
        # A worker process (its pid is in the status records) dies: the sweep goes on.
        record = json.loads(next((out / "runs").glob("*.json")).read_text())
        os.kill(int(record["worker"].rsplit(":", 1)[1]), signal.SIGKILL)
        n_killed_worker = _n_status(out)
        _wait_for(lambda: _n_status(out) >= n_killed_worker + 3)
        family = main.children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)  # now the main process
        proc.wait(timeout=30)
        # Its worker processes notice and end (no orphans left running).
        _, orphans = psutil.wait_procs(family, timeout=15)
        assert not orphans, [p.cmdline() for p in orphans]
    finally:
        _, alive = psutil.wait_procs(family, timeout=15)
        for p in alive:
            p.kill()
        if proc.poll() is None:
            proc.kill()
    done = _n_status(out)
    assert 0 < done < 16, "the kill should land mid-sweep"
    # Every file in place is complete: status records parse, Parquet files read.
    for f in (out / "runs").glob("*.json"):
        assert json.loads(f.read_text())["status"] == "ok"
    for f in out.rglob("*.parquet"):
        if not f.name.startswith("."):
            pq.read_table(f)
    # Re-running resumes and ends with the results of an uninterrupted sweep.
    res = sweep(spec, out, workers=1, progress=False)
    assert res.skipped == done and res.n_ok == 16
    assert_same_results(reference, out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_cluster_gives_identical_results(reference, tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen(
            [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
             "--local-directory", str(tmp_path / "dask")], cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(lambda: _port_open(port), timeout=60)
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        res = sweep(write_spec(tmp_path, replicates=4), tmp_path / "out", scheduler=address,
                    progress=False, timeout=30)
        assert res.n_ok == 16
        workers = set(res.manifest["worker"])
        assert len(workers) >= 1 and not any(str(os.getpid()) in w for w in workers)
        assert_same_results(reference, tmp_path / "out")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_unreachable_scheduler_is_one_line_exit_2(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(write_spec(tmp_path)), "--out", str(out),
                                   "--scheduler", f"tcp://127.0.0.1:{_free_port()}",
                                   "--timeout", "1"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0]
    assert not out.exists()


def test_folder_with_another_specs_results_is_refused_untouched(reference, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in reference.rglob("*")}
    other = tmp_path / "other.toml"
    other.write_text(TINY.format(replicates=1))
    res = CliRunner().invoke(app, ["sweep", str(other), "--out", str(reference), "--quiet"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds results of another spec" in lines[0]
    assert {p: p.stat().st_mtime_ns for p in reference.rglob("*")} == before
    # A folder with unrelated files is refused too.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    res = CliRunner().invoke(app, ["sweep", str(other), "--out", str(tmp_path / "mine")])
    assert res.exit_code == 2 and "holds no sweep" in res.stderr


def test_a_second_sweep_into_a_locked_folder_is_refused(tmp_path):
    spec = parse_spec({"experiment": {"name": "l", "towns": ["small"], "years": 1}})
    store = Store(tmp_path / "out")
    with store.lock():
        from sim.batch.store import StoreError

        with pytest.raises(StoreError, match=r"another sweep \(pid \d+\) is writing"):
            sweep(spec, tmp_path / "out", workers=1, progress=False)


def _square_or_die(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # this task kills its worker process
    return x * x


def test_process_pool_isolates_a_task_that_kills_its_worker():
    from sim.batch.executor import ProcessExecutor, WorkerDied

    with ProcessExecutor(2) as ex:
        results = dict(ex.map_unordered(_square_or_die, range(8)))
    assert isinstance(results.pop(3), WorkerDied)
    assert results == {x: x * x for x in range(8) if x != 3}
