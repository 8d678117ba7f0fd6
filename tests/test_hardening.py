"""Behaviour behind the bad-input catalogue (issue 21): what the commands do with hostile folders,
disks, signals and spreadsheets, beyond refusing with one line.

* Formula injection (class 2): text a user controls (a scenario's description, labels) arrives
  in CSV files with a leading apostrophe and in ``tables.xlsx`` as a text cell, never a formula.
* Files follow the umask (class 11); the lock file lives beside the folder (as the README says).
* Check-then-lock (class 3): a writer takes the lock before it checks the folder; two sweeps of
  different specs started together into one folder leave one spec's results, and the other is
  refused with one line.
* Read-only and full disks (class 7), on a real tmpfs (root only; skipped elsewhere): every
  writing command gives one line, exit 2, keeps what was there, and a sweep stopped by a full
  disk resumes once there is room.
* Damaged sweep folders (class 8): a stray copy of a run's file is never counted; a deleted run
  file is named and left out by ``analyse``, and run again by a resumed sweep.
* Signals at the swap (class 9): a SIGTERM while the results folder is swapped in ends with exit
  0 and a note that the results are complete; nothing is left behind.
* Unsorted extracts (class 12): an extract in JOSM order gives the same town, with a note.
* Design size (class 5): ``--dry-run`` of a design at the run limit answers at once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import app

ROOT = Path(__file__).parent.parent


# ------------------------------------------------------------------------------ helpers
def cli(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, list[str]]:
    """Run the command line in this process; return the exit code and stderr's lines."""
    try:
        app(args=[str(a) for a in args], prog_name="binnenstad")
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    cli.out = captured.out  # type: ignore[attr-defined]
    return code, [ln for ln in captured.err.splitlines() if ln.strip()]


def one_error(code: int, lines: list[str], *needles: str) -> str:
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("binnenstad: error: "), lines
    assert "Traceback" not in lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root`` (hidden ones too) with the bytes of files."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def spec_text(name: str = "t", policies: str = '["none", "compaction"]', replicates: int = 2,
              scenarios: str | None = None, extra: str = "") -> str:
    scen = f"scenarios = {scenarios}\n" if scenarios else ""
    return (f'[experiment]\nname = "{name}"\ntowns = ["small"]\n{scen}policies = {policies}\n'
            f"replicates = {replicates}\nyears = 1\n{extra}")


def run_files(root: Path) -> list[Path]:
    return sorted((root / "timeseries").rglob("*.parquet"))


# --------------------------------------------------- 2. formula injection, 11. the umask
EVIL = '=HYPERLINK("http://example.invalid/x","click me")'


@pytest.fixture(scope="module")
def evil_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep under umask 027 whose scenario label and description start with ``=``, with its
    analysis and report."""
    from sim.batch.spec import load_spec
    from sim.batch.sweep import sweep

    base = tmp_path_factory.mktemp("evil")
    (base / "=cmd.toml").write_text('[scenario]\nname = "evil"\nextends = "baseline"\n'
                                    f"description = {json.dumps(EVIL)}\n")
    (base / "s.toml").write_text(spec_text(scenarios='["=cmd.toml"]'))
    old = os.umask(0o027)
    try:
        sweep(load_spec(base / "s.toml"), base / "sweep", workers=1, progress=False)
        for args in (["analyse", base / "sweep", "--no-figures"],
                     ["report", base / "sweep", "--no-figures"]):
            try:
                app(args=[str(a) for a in args], prog_name="binnenstad")
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
        import sim

        sim.run(town="small", years=1, out=base / "run", figures=True, csv=True)
    finally:
        os.umask(old)
    return base


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    from sim.safetext import csv_frame

    df = pd.DataFrame({"text": ["=1+1", "+cmd", "-cmd", "@SUM(A1)", "\tx", "\rx", "plain",
                                "-0.5", "+3e4", None],
                       "cat": pd.Categorical(["=a", "b"] * 5), "num": range(10)})
    out = csv_frame(df)
    assert out["text"].tolist()[:6] == ["'=1+1", "'+cmd", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out["text"].tolist()[6:9] == ["plain", "-0.5", "+3e4"]  # numbers run nothing
    assert out["text"].isna().tolist()[9]
    assert out["cat"].tolist()[:2] == ["'=a", "b"]
    assert out["num"].tolist() == list(range(10))
    assert df["text"].iloc[0] == "=1+1"  # the caller's frame is not changed
    assert csv_frame(pd.DataFrame({"=x": [1]})).columns.tolist() == ["'=x"]


def test_analysis_csv_files_hold_labels_as_text(evil_sweep: Path) -> None:
    import csv

    summary = (evil_sweep / "sweep" / "analysis" / "summary.csv").read_text()
    cells = [c for row in csv.reader(summary.splitlines()) for c in row]
    assert "'=cmd.toml" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells), [
        c for c in cells if c.startswith(("=", "+", "@"))]


def test_report_workbook_holds_no_formula(evil_sweep: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(evil_sweep / "sweep" / "report" / "tables.xlsx")
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    found.append(cell.value)
    assert EVIL in found  # kept exactly, as text
    assert "=cmd.toml" in found


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
            for p in root.rglob("*") if not p.is_symlink()}


def test_files_follow_the_umask(evil_sweep: Path) -> None:
    for folder in ("sweep", "run"):
        modes = _modes(evil_sweep / folder)
        assert modes
        files = {k: oct(v) for k, v in modes.items() if (evil_sweep / folder / k).is_file()}
        dirs = {k: oct(v) for k, v in modes.items() if (evil_sweep / folder / k).is_dir()}
        assert set(files.values()) == {"0o640"}, files  # not mkstemp's 0600, not 0644
        assert set(dirs.values()) <= {"0o750"}, dirs


def test_the_lock_file_lives_beside_the_folder(tmp_path: Path) -> None:
    from sim.batch.store import Store

    store = Store(tmp_path / "out")
    lock = tmp_path / ".out.binnenstad-lock"
    with store.lock():
        assert lock.is_file() and lock.read_text() == str(os.getpid())
        assert not (tmp_path / "out").exists()  # the folder itself is not needed for it
    assert not lock.exists()


# ------------------------------------------------------------------ 3. check-then-lock
def test_the_sweep_checks_its_folder_under_the_lock(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder check runs while the lock is held (so nobody changes the folder between
    the check and the writing)."""
    from sim.batch import store as store_mod
    from sim.batch.spec import parse_spec
    from sim.batch.sweep import sweep
    from sim.outdir import FolderLock

    held: list[bool] = []
    real_check = store_mod.Store.check

    def check(self: Any, spec_hash: str) -> None:
        probe = FolderLock(self.root)  # a second open of the lock fails while it is held
        try:
            probe.acquire("held")
            probe.release()
            held.append(False)
        except ValueError:
            held.append(True)
        real_check(self, spec_hash)

    monkeypatch.setattr(store_mod.Store, "check", check)
    spec = parse_spec({"experiment": {"name": "a", "towns": ["small"], "years": 1}})
    sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert held == [True]


@pytest.mark.slow
def test_two_sweeps_of_different_specs_into_one_folder(tmp_path: Path) -> None:
    """Started together (the race of the second trial: both exited 0 and mixed the folder):
    one finishes, the other is refused with one line, and the folder holds one spec's runs."""
    for name, pol in (("a", '["none"]'), ("b", '["compaction"]')):
        (tmp_path / f"{name}.toml").write_text(spec_text(name, pol, replicates=2))
    procs = [subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(tmp_path / f),
                               "--out", str(tmp_path / "out"), "--quiet", "--workers", "1"],
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path)
             for f in ("a.toml", "b.toml")]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    lines = [ln for ln in loser.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("binnenstad: error: "), loser
    assert "another sweep (pid" in lines[0] or "holds results of another spec" in lines[0]
    winner = next(i for i, (code, _) in enumerate(results) if code == 0)
    meta = json.loads((tmp_path / "out" / "experiment.json").read_text())
    assert meta["name"] == "ab"[winner]
    manifest = pd.read_parquet(tmp_path / "out" / "manifest.parquet")
    assert set(manifest["policy"]) == {("none", "compaction")[winner]}
    assert len(run_files(tmp_path / "out")) == 2 and (manifest["status"] == "ok").all()


# ------------------------------------------------------- 7. read-only and full disks
class Disk:
    """A tmpfs mounted at ``path`` for one test."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True)

    def fill(self) -> Path:
        """Fill the disk to the last byte (a file ``filler``)."""
        filler = self.path / "filler"
        with filler.open("wb") as fh:
            for size in (2**20, 2**12, 1):
                try:
                    while True:
                        fh.write(b"\0" * size)
                        fh.flush()
                except OSError:
                    continue
        return filler


@pytest.fixture
def disk(tmp_path: Path) -> Any:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0777", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()})")
    try:
        yield Disk(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _extract(path: Path) -> None:
    from sim.town_osm.synthetic import write_example_extract

    write_example_extract(path, n_premises=60)


def test_every_writing_command_on_a_read_only_disk(disk: Disk, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sim
    from sim.batch.spec import load_spec
    from sim.batch.sweep import sweep

    d = disk.path
    (d / "s.toml").write_text(spec_text(replicates=1))
    sweep(load_spec(d / "s.toml"), d / "sweep", workers=1, progress=False)
    sim.run(town="small", years=1, out=d / "run", figures=False)
    _extract(d / "ex.osm")
    cal = ROOT / "experiments" / "calibration" / "historical.toml"
    disk.remount("ro")
    before = tree(d)
    monkeypatch.chdir(tmp_path)
    commands = {
        "run into a previous folder": ["run", "--quiet", "--town", "small", "--years", "1",
                                       "--out", d / "run"],
        "run into a new folder": ["run", "--quiet", "--years", "1", "--out", d / "new"],
        "sweep resumed": ["sweep", d / "s.toml", "--out", d / "sweep", "--quiet", "--workers",
                          "1"],
        "sweep new": ["sweep", d / "s.toml", "--out", d / "sweep2", "--quiet"],
        "analyse": ["analyse", d / "sweep", "--no-figures"],
        "report": ["report", d / "sweep", "--no-figures"],
        "compare": ["compare", "--town", "small", "--scenarios", "baseline", "--policies",
                    "none", "--replicates", "1", "--years", "1", "--quiet", "--workers", "1",
                    "--out", d / "c"],
        "sensitivity": ["sensitivity", ROOT / "experiments" / "sensitivity_morris.toml",
                        "--out", d / "sens", "--quiet"],
        "animate": ["animate", d / "run"],
        "town from-osm": ["town", "from-osm", d / "ex.osm", "--out", d / "t.geojson"],
        "calibrate": ["calibrate", cal, "--out", d / "cal", "--quiet"],
        "validate": ["validate", "--calibration", cal, "--out", d / "val", "--quiet",
                     "--replicates", "2", "--town", "small"],
    }
    for what, args in commands.items():
        code, lines = cli(args, capsys)
        line = one_error(code, lines)
        assert "Read-only file system" in line, (what, line)
        assert tree(d) == before, what


def test_full_disk_keeps_results_and_the_sweep_resumes(disk: Disk, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import sim
    from sim.batch.store import Store


    d = disk.path
    monkeypatch.chdir(tmp_path)
    (d / "s.toml").write_text(spec_text(replicates=3))  # 6 runs
    sim.run(town="small", years=1, out=d / "run", figures=False, seed=1)
    _extract(d / "ex.osm")
    previous_run = tree(d / "run")
    # The disk fills up after the third run (the fourth cannot write its files).
    # (the sweep runs batches of runs that share a settled state, each through worker.execute)
    worker_mod = importlib.import_module("sim.batch.worker")
    real_execute, calls = worker_mod.execute, []

    def execute(task: Any) -> Any:
        calls.append(task.run.run_id)
        if len(calls) == 4:
            disk.fill()
        return real_execute(task)

    monkeypatch.setattr(worker_mod, "execute", execute)
    code, lines = cli(["sweep", d / "s.toml", "--out", d / "sweep", "--quiet", "--workers",
                       "1"], capsys)
    one_error(code, lines, "No space left on device", "the 3 finished runs are kept",
              "run the same command again to resume")
    assert len(Store(d / "sweep").damaged()) == 0
    # Every other writing command on the full disk: one line, nothing changed.
    before = tree(d)
    for args, needles in (
            (["run", "--quiet", "--town", "small", "--years", "1", "--seed", "2", "--out",
              d / "run", "--no-figures"], ["No space left", "run"]),
            (["compare", "--town", "small", "--scenarios", "baseline", "--policies", "none",
              "--replicates", "1", "--years", "1", "--quiet", "--workers", "1", "--out",
              d / "c"], ["No space left"]),
            (["run", "--quiet", "--town", "small", "--years", "1", "--seed", "2", "--out",
              d / "run"], ["No space left", "run"]),  # with figures
            (["run", "--quiet", "--town", "small", "--years", "1", "--out", d / "new", "--csv"],
             ["No space left"]),
            (["town", "from-osm", d / "ex.osm", "--out", d / "t.geojson"], ["No space left"]),
            (["analyse", d / "sweep"], ["No space left"]),
            (["report", d / "sweep", "--no-figures"], ["No space left"]),
            (["animate", d / "run", "--no-mp4"], ["No space left"]),
            (["sweep", d / "s.toml", "--out", d / "sweep2", "--quiet", "--workers", "1"],
             ["No space left"]),
            (["sensitivity", ROOT / "experiments" / "sensitivity_morris.toml", "--out",
              d / "sens", "--quiet"], ["No space left"]),
            (["validate", "--calibration", ROOT / "experiments" / "calibration" /
              "historical.toml", "--out", d / "val", "--quiet", "--replicates", "2", "--town",
              "small"], ["No space left"]),
            (["calibrate", ROOT / "experiments" / "calibration" / "historical.toml", "--out",
              d / "cal", "--quiet"], ["No space left"])):
        code, lines = cli(args, capsys)
        one_error(code, lines, *needles)
        assert tree(d) == before, args
    assert tree(d / "run") == previous_run
    # Room again: the same command resumes, runs the three missing runs only, and the folder is
    # whole.
    (d / "filler").unlink()
    monkeypatch.setattr(worker_mod, "execute", real_execute)
    code, lines = cli(["sweep", d / "s.toml", "--out", d / "sweep", "--workers", "1"], capsys)
    assert code == 0, lines
    assert "3 run now, 3 already done" in lines[-1], lines
    store = Store(d / "sweep")
    assert store.damaged() == {}
    manifest = store.manifest()
    assert len(manifest) == 6 and (manifest["status"] == "ok").all()
    ts = store.read("timeseries")
    assert ts.groupby("run_id").size().nunique() == 1 and ts["run_id"].nunique() == 6


def test_calibration_database_on_a_full_disk_is_one_line(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """pyabc's SQLite database reports a full disk through SQLAlchemy ("database or disk is
    full"): one line saying the finished generations are kept."""
    import sqlite3

    import sim.calibration.fit as fit

    class OperationalError(Exception):  # as sqlalchemy.exc wraps sqlite3's error
        def __init__(self) -> None:
            super().__init__("(sqlite3.OperationalError) database or disk is full\n[SQL: ...]")
            self.orig = sqlite3.OperationalError("database or disk is full")

    def full(*args: Any, **kwargs: Any) -> None:
        raise OperationalError()

    monkeypatch.setattr(fit, "run_abc", full)
    monkeypatch.chdir(tmp_path)
    code, lines = cli(["calibrate", ROOT / "experiments" / "calibration" / "historical.toml",
                       "--out", tmp_path / "cal", "--quiet", "--workers", "1"], capsys)
    one_error(code, lines, "--out", "database or disk is full", "generations finished before "
              "are kept", "resume")
    assert list(tmp_path.iterdir()) == []  # nothing was written: the folder made is removed


def test_validate_replaces_its_folder_as_a_whole(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing validation leaves the previous report as it was; a folder with other files is
    not used."""
    import sim.calibration.validate as val

    out = tmp_path / "val"
    out.mkdir()
    (out / "report.md").write_text("the previous report")

    def fails(folder: Path, *args: Any, **kwargs: Any) -> None:
        (folder / "report.md").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(val, "validate", fails)
    cal = ROOT / "experiments" / "calibration" / "historical.toml"
    args = ["validate", "--calibration", cal, "--out", out, "--quiet", "--replicates", "2",
            "--town", "small", "--workers", "1"]
    code, lines = cli(args, capsys)
    one_error(code, lines, "No space left", "previous results are unchanged")
    assert tree(tmp_path) == {"val": None, "val/report.md": b"the previous report"}
    (out / "mine.txt").write_text("notes")
    code, lines = cli(args, capsys)
    one_error(code, lines, "holds 'mine.txt'", "folders: sobol")


# ------------------------------------------------------------ 8. damaged sweep folders
@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim.batch.spec import parse_spec
    from sim.batch.sweep import sweep

    root = tmp_path_factory.mktemp("damaged") / "sweep"
    spec = parse_spec({"experiment": {"name": "d", "towns": ["small"],
                                      "policies": ["none", "compaction"], "replicates": 2,
                                      "years": 1}, "outputs": {"tables": ["timeseries"]}})
    sweep(spec, root, workers=1, progress=False)
    (root / "spec.toml").write_text(spec.text)
    return root


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _analyse(root: Path, capsys: pytest.CaptureFixture) -> tuple[list[str], pd.DataFrame]:
    code, lines = cli(["analyse", root, "--no-figures"], capsys)
    assert code == 0, lines
    return lines, pd.read_csv(root / "analysis" / "effects.csv")


def test_a_stray_copy_of_a_run_file_is_not_counted(finished_sweep: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    from sim.batch.store import Store

    clean = _copy(finished_sweep, tmp_path / "clean")
    _, effects = _analyse(clean, capsys)
    stray = _copy(finished_sweep, tmp_path / "stray")
    f = run_files(stray)[0]
    shutil.copy(f, f.with_name("copy-of-" + f.name))  # its rows would count twice
    shutil.copy(f, f.parent.parent / "stray.parquet")
    assert len(Store(stray).read("timeseries")) == len(Store(clean).read("timeseries"))
    lines, effects2 = _analyse(stray, capsys)
    pd.testing.assert_frame_equal(effects, effects2)
    assert not any("damaged" in ln for ln in lines), lines


def test_a_deleted_run_file_is_named_left_out_and_run_again(finished_sweep: Path,
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture
                                                             ) -> None:
    from sim.batch.store import Store

    root = _copy(finished_sweep, tmp_path / "s")
    original = Store(root).read("timeseries").sort_values(["run_id", "step"],
                                                          ignore_index=True)
    victim = run_files(root)[0]
    run_id = victim.stem
    victim.unlink()
    lines, _ = _analyse(root, capsys)
    notes = [ln for ln in lines if "damaged and left out" in ln]
    assert len(notes) == 1 and run_id in notes[0] and "missing" in notes[0], lines
    summary = pd.read_csv(root / "analysis" / "summary.csv")
    assert summary["n"].min() == 1 and summary["n"].max() == 2  # the one run is left out
    code, lines = cli(["report", root], capsys)
    one_error(code, lines, "1 finished run is damaged", run_id)
    # A resumed sweep runs exactly that run again; the folder is whole and the same as before.
    code, lines = cli(["sweep", root / "spec.toml", "--out", root, "--workers", "1"], capsys)
    assert code == 0, lines
    assert "1 run now, 3 already done" in lines[-1], lines
    again = Store(root).read("timeseries").sort_values(["run_id", "step"], ignore_index=True)
    pd.testing.assert_frame_equal(original, again)


# ------------------------------------------------------------------ 9. signals at the swap
_SWAP_SCRIPT = """
import os, signal, sys
import sim.outdir as outdir

when = sys.argv[1]
real = os.rename
calls = []

def rename(src, dst):
    calls.append(dst)
    if when == "before-first" and len(calls) == 1:
        os.kill(os.getpid(), signal.SIGTERM)
    real(src, dst)
    if when == "between" and len(calls) == 1:
        os.kill(os.getpid(), signal.SIGTERM)
    if when == "after-second" and len(calls) == 2:
        os.kill(os.getpid(), signal.SIGINT)

outdir.os.rename = rename
from sim.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("when", ["before-first", "between", "after-second"])
def test_a_signal_during_the_swap(when: str, tmp_path: Path) -> None:
    """The second trial: a SIGTERM between the swap's two renames left the new results in place
    but said "terminated" (143) and left the old folder behind."""
    import sim

    out = tmp_path / "res"
    sim.run(town="small", years=1, seed=1, out=out, figures=False)
    old = tree(out)
    args = ["run", "--quiet", "--town", "small", "--years", "1", "--seed", "2", "--out",
            str(out), "--no-figures"]
    p = subprocess.run([sys.executable, "-c", _SWAP_SCRIPT, when, *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 0, p.stderr
    word = "Ctrl-C" if when == "after-second" else "SIGTERM"
    assert lines[-1] == (f"binnenstad: note: {word} received after the command had finished; "
                         f"the results in {out}/ are complete"), p.stderr
    assert any("results in" in ln for ln in lines[:-1])  # the summary was printed
    assert "Traceback" not in p.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no old or temporary folder
    new = tree(out)
    assert set(new) == set(old) and new != old  # the new run's (seed 2) complete results
    assert json.loads((out / "run.json").read_text())["seed"] == 2


_TINY_MORRIS = """
[experiment]
name = "tiny_morris"
description = "Two-parameter Morris screening, small town, one year."
towns = ["small"]
scenarios = ["baseline"]
policies = ["none"]
replicates = 2
seed = 7
years = 1

[sample]
method = "morris"
n = 2
levels = 4
seed = 7

[sample.ranges]
contagion_strength = [0.5, 2.0]
entrant_optimism = [0.8, 1.3]

[outputs]
tables = ["timeseries"]

[analysis]
outcomes = ["vacancy_rate"]
window_months = 12
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", ["compare", "sensitivity", "validate"])
def test_a_signal_between_the_renames_of_the_other_writing_commands(command: str,
                                                                     tmp_path: Path) -> None:
    """compare, sensitivity and validate replace their folders by the same swap: a SIGTERM
    between its two renames ends with exit 0, a note naming the complete folder and nothing
    left behind. (animate writes one file, replaced in one step: no swap to interrupt.)"""
    out = tmp_path / "out"
    if command == "compare":
        args = ["compare", "--town", "small", "--scenarios", "baseline", "--policies",
                "none,biz:start=2013", "--replicates", "1", "--years", "1", "--quiet",
                "--workers", "1", "--no-figures", "--out", str(out)]
        done = out / "report"
    elif command == "sensitivity":
        (tmp_path / "morris.toml").write_text(_TINY_MORRIS)
        args = ["sensitivity", str(tmp_path / "morris.toml"), "--out", str(out), "--workers",
                "1", "--quiet", "--no-figures"]
        done = out / "sensitivity"
    else:
        args = ["validate", "--town", "small", "--replicates", "2", "--sobol-n", "0",
                "--workers", "1", "--quiet", "--calibration",
                str(ROOT / "experiments" / "calibration" / "historical.toml"), "--out", str(out)]
        done = out
    first = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    old = tree(done)
    p = subprocess.run([sys.executable, "-c", _SWAP_SCRIPT, "between", *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert lines[-1] == ("binnenstad: note: SIGTERM received after the command had finished; "
                         f"the results in {done}/ are complete"), p.stderr
    hidden = sorted(q.name for q in done.parent.rglob(".*"))
    assert hidden == [], hidden  # no old folder, temporary folder or lock file
    assert set(tree(done)) == set(old)


@pytest.mark.parametrize("command", ["analyse", "report"])
@pytest.mark.parametrize("when", ["before-first", "between"])
def test_a_signal_during_the_swap_of_a_sweep_s_folders(command: str, when: str,
                                                      finished_sweep: Path,
                                                      tmp_path: Path) -> None:
    """The same swap for the folders a sweep's commands replace (analysis/, report/): a
    SIGTERM during it ends with exit 0, the complete new folder and a note; no old folder."""
    root = _copy(finished_sweep, tmp_path / "sweep")
    sub = root / ("analysis" if command == "analyse" else "report")
    args = [command, str(root), "--no-figures"]
    first = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    old = tree(sub)
    p = subprocess.run([sys.executable, "-c", _SWAP_SCRIPT, when, *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert lines[-1] == ("binnenstad: note: SIGTERM received after the command had finished; "
                         f"the results in {sub}/ are complete"), p.stderr
    leftovers = sorted(q.name for q in root.iterdir() if q.name.startswith("."))
    assert leftovers == [], leftovers  # no old folder, temporary folder or lock file
    assert set(tree(sub)) == set(old)


@pytest.mark.slow
def test_random_sigterms_say_what_state_the_folder_is_in(tmp_path: Path) -> None:
    """Ten SIGTERMs at random moments of a run into a previous results folder: either exit
    143 with the folder unchanged and the line saying so, or exit 0 with the new results
    complete; never no line, never a traceback, never anything left behind."""
    import random

    import sim

    out = tmp_path / "res"
    sim.run(town="small", years=1, seed=1, out=out, figures=False)
    rng = random.Random(21)
    outcomes = []
    for i in range(10):
        before = tree(out)
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", "--quiet", "--town",
                                 "small", "--years", "2", "--seed", str(10 + i), "--out",
                                 str(out), "--no-figures"], cwd=tmp_path, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(rng.uniform(0.5, 8.0))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines, (i, "no line")
        assert "Traceback" not in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["res"], (i, err)
        if proc.returncode == 143:
            assert lines[-1] == (f"binnenstad: terminated; {out}/ is unchanged (the run did not "
                                 "finish and its temporary files were removed)"), err
            assert tree(out) == before
        else:
            assert proc.returncode == 0, (proc.returncode, err)
            assert json.loads((out / "run.json").read_text())["seed"] == 10 + i
            assert any("results in" in ln for ln in lines), err
        outcomes.append(proc.returncode)
    assert set(outcomes) <= {0, 143}


# ------------------------------------------------------------------ 12. unsorted extracts
@pytest.mark.parametrize("negative", [False, True], ids=["josm order", "new objects"])
def test_an_unsorted_extract_gives_the_same_town(negative: bool, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("osmium")
    from tests.test_bad_input import _shuffled_osm

    _extract(tmp_path / "a.osm")
    (tmp_path / "b.osm").write_text(_shuffled_osm((tmp_path / "a.osm").read_text(), negative))
    code, lines = cli(["town", "from-osm", tmp_path / "a.osm", "--out", tmp_path / "a.geojson",
                       "--name", "x"], capsys)
    # the only note allowed: what simplifying the street network changed (sim.town_osm)
    assert code == 0 and not any(ln.startswith("note:") and "simplified" not in ln
                                 for ln in lines), lines
    code, lines = cli(["town", "from-osm", tmp_path / "b.osm", "--out", tmp_path / "b.geojson",
                       "--name", "x"], capsys)
    assert code == 0, lines
    notes = [ln for ln in lines if ln.startswith("note:") and "simplified" not in ln]
    assert len(notes) == 1 and "not in id order" in notes[0], lines
    assert ("negative ids" in notes[0]) == negative
    a, b = (json.loads((tmp_path / f"{n}.geojson").read_text()) for n in "ab")
    assert a["features"] == b["features"]
    assert {k: v for k, v in a["properties"].items() if k != "source"} == {
        k: v for k, v in b["properties"].items() if k != "source"}


# ------------------------------------------------------------------------ 5. design size
def test_dry_run_of_a_design_at_the_limit_answers_at_once(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture
                                                          ) -> None:
    from sim.limits import MAX_RUNS

    (tmp_path / "s.toml").write_text(spec_text(policies='["none"]', replicates=MAX_RUNS))
    t0 = time.perf_counter()
    code, lines = cli(["sweep", tmp_path / "s.toml", "--dry-run"], capsys)
    assert time.perf_counter() - t0 < 15  # (a loaded shared machine; about a second alone)
    assert code == 0, lines
    out = cli.out  # type: ignore[attr-defined]
    assert re.search(r"100,000 runs", "\n".join(lines) + out), (lines, out)
    assert list(tmp_path.iterdir()) == [tmp_path / "s.toml"]
