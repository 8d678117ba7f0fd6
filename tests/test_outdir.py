"""Results folders: replaced as a whole, locked, cleaned after killed runs (real subprocess kills),
and default names that differ for every setting that changes the result."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim
from sim import runner
from sim.cli import app
from sim.outdir import CSV_FILES, RESULT_FILES, ResultsFolder, ResultsFolderError, _host

CLI = [sys.executable, "-m", "sim.cli"]
TABLES = {"timeseries.parquet", "units.parquet", "events.parquet", "run.json"}


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _wait_for_tmp(parent: Path, proc: subprocess.Popen, timeout: float = 60.0) -> Path:
    """The run's temporary folder, once the process has created it."""
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        found = [p for p in parent.glob(".*binnenstad-tmp-*") if p.is_dir()]
        if found:
            return found[0]
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError("no temporary folder appeared")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "run", "--quiet", "--no-figures", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_results_folder_replaced_as_a_whole(tmp_path):
    out = tmp_path / "res"
    sim.run(town="small", years=1, seed=1, out=out, figures=True)
    assert {"map.png", "footfall.png"} <= {p.name for p in out.iterdir()}
    sim.run(town="small", years=1, seed=2, out=out, figures=False)
    assert {p.name for p in out.iterdir()} == TABLES  # no figures left from the first run
    assert _hidden(tmp_path) == []  # no temporary folder, no lock file


def test_folder_with_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(ResultsFolderError, match=r"thesis\.tex"):
        sim.run(town="small", years=1, out=out, figures=False)
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    assert _hidden(tmp_path) == []


def test_failure_while_writing_keeps_previous_results(tmp_path, monkeypatch):
    out = tmp_path / "res"
    sim.run(town="small", years=1, seed=1, out=out, figures=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(result, folder, figures, csv=False):
        result.timeseries.to_parquet(folder / "timeseries.parquet")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "_write_into", full_disk)
    with pytest.raises(ResultsFolderError, match=r"No space left on device.*previous results"):
        sim.run(town="small", years=1, seed=2, out=out, figures=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _hidden(tmp_path) == []


def test_lock_refuses_a_second_run_in_another_process(tmp_path):
    """A run holding the folder (here: this process) makes another process's run fail at once."""
    out = tmp_path / "res"
    holder = ResultsFolder(out).open()
    try:
        proc = subprocess.run([*CLI, "run", "--town", "small", "--years", "1", "--quiet",
                               "--out", str(out)], capture_output=True, text=True, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, proc.stderr
        assert len(lines) == 1 and f"another run (pid {os.getpid()})" in lines[0], proc.stderr
        assert str(out) in lines[0]
    finally:
        holder.abort()
    assert not out.exists() and _hidden(tmp_path) == []


def test_lock_in_process_cli(tmp_path, capsys):
    out = tmp_path / "res"
    holder = ResultsFolder(out).open()
    try:
        with pytest.raises(SystemExit) as exc:
            app(args=["run", "--town", "small", "--years", "1", "--quiet", "--out", str(out)],
                prog_name="binnenstad")
        assert exc.value.code == 2
        assert "is writing to it" in capsys.readouterr().err
    finally:
        holder.abort()


def test_sigkill_leaves_a_temp_folder_that_the_next_run_removes(tmp_path):
    out = tmp_path / "res"
    proc = _start(["--town", "medium", "--years", "60", "--out", str(out)], tmp_path)
    tmp = _wait_for_tmp(tmp_path, proc)
    proc.kill()
    proc.wait(timeout=30)
    assert tmp.is_dir() and not out.exists()  # what a killed run leaves behind
    live = tmp_path / f".other.binnenstad-tmp-{_host()}-{os.getpid()}-0badc0de"
    live.mkdir()  # a live process's temporary folder must survive the cleaning
    sim.run(town="small", years=1, out=out, figures=False)
    assert not tmp.exists()
    assert live.is_dir()
    assert {p.name for p in out.iterdir()} == TABLES
    assert _hidden(tmp_path) == [live.name]


def test_sigterm_cleans_up_and_keeps_previous_results(tmp_path):
    out = tmp_path / "res"
    sim.run(town="small", years=1, seed=1, out=out, figures=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = _start(["--town", "medium", "--years", "60", "--out", str(out)], tmp_path)
    _wait_for_tmp(tmp_path, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == (
        f"binnenstad: terminated; {out}/ is unchanged (the run did not finish and its temporary "
        "files were removed)")
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _hidden(tmp_path) == []


def _wait_for_main(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until the command's main() has installed its SIGTERM handler (Linux: SigCgt in
    /proc/<pid>/status); before that, Python itself is still starting."""
    status = Path(f"/proc/{proc.pid}/status")
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end and status.exists():
        caught = next((ln.split()[1] for ln in status.read_text().splitlines()
                       if ln.startswith("SigCgt:")), "0")
        if int(caught, 16) >> (signal.SIGTERM - 1) & 1:
            return
        time.sleep(0.01)


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.2])
def test_ctrl_c_during_start_up(tmp_path, delay):
    """SIGINT while the command starts (imports, town, scenario, model): one line, exit 130."""
    out = tmp_path / "res"
    proc = subprocess.Popen([*CLI, "run", "--town", "large", "--years", "100", "--quiet",
                             "--out", str(out)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for_main(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # Before the output folder is opened the line is plain; afterwards it says the folder is
    # unchanged.
    assert err.strip().splitlines() in (["binnenstad: interrupted"], [
        f"binnenstad: interrupted; {out}/ is unchanged (the run did not finish and its "
        "temporary files were removed)"]), err
    assert not out.exists() and _hidden(tmp_path) == []


def test_old_folder_of_a_run_killed_mid_swap_is_restored(tmp_path):
    out = tmp_path / "res"
    sim.run(town="small", years=1, out=out, figures=False)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    old = tmp_path / f".res.binnenstad-old-{_host()}-{_dead_pid()}-12345678"
    out.rename(old)  # killed after renaming the old results away, before moving the new in
    folder = ResultsFolder(out).open()
    folder.abort()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    assert _hidden(tmp_path) == []


def test_current_folder_is_never_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for out in (".", "", tmp_path.parent):
        with pytest.raises(ValueError, match=r"current folder|must name a folder"):
            sim.run(town="small", years=1, out=Path(out), figures=False)
    assert list(tmp_path.iterdir()) == []


def test_stale_lock_file_of_a_killed_run_is_removed(tmp_path):
    (tmp_path / ".gone.binnenstad-lock").write_text(str(_dead_pid()))
    ResultsFolder(tmp_path / "res").open().abort()
    assert _hidden(tmp_path) == []


def test_missing_parents_are_made_and_removed_on_failure(tmp_path):
    out = tmp_path / "a" / "b" / "res"
    with pytest.raises(ValueError, match="unknown scenario"):
        sim.run(town="small", scenario="nope", out=out)
    assert not (tmp_path / "a").exists()
    folder = ResultsFolder(out).open()
    folder.abort()
    assert not (tmp_path / "a").exists()


def test_result_file_names_match_what_a_run_writes(tmp_path):
    sim.run(town="small", years=1, out=tmp_path / "r", figures=True)
    assert {p.name for p in (tmp_path / "r").iterdir()} == RESULT_FILES - CSV_FILES - {
        "animation.gif", "animation.mp4"}
    sim.run(town="small", years=1, out=tmp_path / "r", figures=True, csv=True)  # replaced
    assert {p.name for p in (tmp_path / "r").iterdir()} == RESULT_FILES - {
        "animation.gif", "animation.mp4"}


def test_default_names_differ_for_every_setting():
    base = {"scenario": "baseline", "town": "small", "seed": 0, "policies": ["compaction"],
            "start": 2013, "years": 12, "town_seed": 0, "backend": "numba"}
    changes = {"scenario": "corona", "town": "medium", "seed": 1,
               "policies": ["compaction:intensity=2"], "start": 2014, "years": 11,
               "town_seed": 1, "backend": "reference"}
    names = {runner.default_out(**base)}
    for key, value in changes.items():
        names.add(runner.default_out(**{**base, key: value}))
    assert len(names) == 1 + len(changes)
    assert runner.default_out(**base) == runner.default_out(**base)
    a = runner.default_out(**{**base, "policies": ["blurring:intensity=2,start=2020"]})
    b = runner.default_out(**{**base, "policies": ["blurring: start=2020 , intensity=2"]})
    assert a == b  # the same settings in another order or spacing are the same run
    name = a.name
    assert name.startswith("baseline-small-s0-2013+12y-ts0-numba-blurring.intensity=2.start=2020-")
    long = runner.default_out(**{**base, "policies": [f"lever{i}:intensity=1" for i in range(50)]})
    assert len(long.name) <= 111 and long.parent == Path("outputs")


def test_cli_default_folder_includes_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        app(args=["run", "--town", "small", "--years", "1", "--quiet", "--no-figures",
                  "--policy", "compaction:intensity=2", "--start", "2015"], prog_name="binnenstad")
    assert exc.value.code == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "outputs").iterdir()
    assert folder.name.startswith("baseline-small-s0-2015+1y-ts0-numba-compaction.intensity=2-")
