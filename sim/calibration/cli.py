"""``binnenstad calibrate CONFIG`` and ``binnenstad validate``.

User mistakes (a bad config, unknown parameters or targets, priors outside the schema range, an
unreachable scheduler, a folder holding another calibration) print one line to stderr and exit
2 before anything is written. Ctrl-C exits 130; running the same command again resumes from the
last complete generation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..batch.cli import QuietOpt, SchedulerOpt, TimeoutOpt, WorkersOpt
from ..errors import fail as _fail
from ..errors import stopped
from ..safeio import PathNameError, path_name
from ..safetext import csv_frame

#: Seeds of the fit table at the chosen values (fit and check targets with 95% intervals).
FIT_SEEDS = 10


def _executor(workers: int | None, scheduler: str | None, timeout: float) -> Any:
    from ..batch.executor import make_executor
    from ..batch.worker import warm_up

    return make_executor(workers, scheduler, initializer=warm_up, timeout=timeout)


def _bar(quiet: bool) -> Any:
    if quiet:
        from contextlib import nullcontext

        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True))


def calibrate_cmd(
    config: Annotated[Path, typer.Argument(help="Calibration config (.toml), see "
                                                "experiments/calibration/.")],
    out: Annotated[Path | None, typer.Option(
        help="Output folder [default: outputs/calibration/<name>/].")] = None,
    screen: Annotated[bool, typer.Option(
        help="Run the Morris screening of the config's [screening] candidates instead.")]
    = False,
    install: Annotated[bool, typer.Option(
        help="Copy the finished calibration's overlay to sim/scenarios/_calibrated.toml, so "
             "baseline (and every preset) uses the fitted values.")] = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = 10.0,
    quiet: QuietOpt = False,
) -> None:
    """Fit the free parameters to the source documents' targets (ABC-SMC with pyabc)."""
    from ..startup import preload

    preload()  # the model's libraries with the garbage collector paused (sim/startup.py)
    from ..batch.executor import ExecutorError
    from .config import CalibrationConfigError, load_config
    from .fit import ResumeError

    try:
        cfg = load_config(config)
    except CalibrationConfigError as exc:
        _fail(str(exc))
    if out is None:  # the name becomes a folder: one path component (sim.safeio.path_name)
        try:
            path_name(cfg.run.name)
        except PathNameError as exc:
            _fail(f"{config}: calibration.name: {exc}")
    folder = out if out is not None else Path("outputs") / "calibration" / cfg.run.name
    if install:
        _install(folder)
        return
    if screen and cfg.screening is None:
        _fail(f"{config}: --screen needs a [screening] table with candidate parameters")
    lock, made = _open_folder(folder)  # locked first; the folder is checked under the lock
    try:
        try:
            ex = _executor(workers, scheduler, timeout)
        except ExecutorError as exc:
            _fail(str(exc))
        try:
            with ex, _bar(quiet) as bar:
                if screen:
                    _screen(cfg, folder, ex, bar)
                else:
                    _calibrate(cfg, folder, ex, bar)
        except (ResumeError, ExecutorError) as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            stopped("generations", folder)
        except Exception as exc:
            why = disk_failure(exc)
            if why is None:
                raise
            _fail(f"--out {folder}: cannot write the calibration ({why}); the generations "
                  "finished before are kept; make room (or make the folder writable) and run "
                  "the same command again to resume")
    finally:
        lock.release()
        _remove_empty(made)  # the folders made here, if nothing was written into them


#: SQLite's messages (pyabc's database) for a disk that is full, read-only or failing.
_SQLITE_DISK = ("database or disk is full", "attempt to write a readonly database",
                "disk I/O error", "unable to open database file")


def disk_failure(exc: BaseException | None) -> str | None:
    """The reason if ``exc`` or what caused it is a failure of the disk (full, read-only, a
    quota, no permission; also SQLite's messages for them, which SQLAlchemy wraps), else
    None."""
    from ..batch.store import disk_error

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if disk_error(exc):
            return getattr(exc, "strerror", None) or str(exc)
        text = str(getattr(exc, "orig", None) or exc)
        for needle in _SQLITE_DISK:
            if needle in text:
                return needle
        exc = exc.__cause__ or exc.__context__
    return None


def _open_folder(folder: Path) -> tuple[Any, list[Path]]:
    """Check the calibration's folder (written in place, so that a calibration can resume),
    take its lock (``.<name>.binnenstad-lock`` beside it) and check it again under the lock,
    create it and write a probe file. Returns the lock and the folders created (deepest first);
    a failure is one line (exit 2) and leaves nothing behind."""
    from ..outdir import BusyError, FolderLock
    from ..safeio import no_dangling_link

    try:
        no_dangling_link(folder)
    except PathNameError as exc:
        _fail(f"--out {folder}: {exc}")
    if folder.exists() and not folder.is_dir():
        _fail(f"--out {folder}: exists and is not a folder")
    path = Path(os.path.abspath(folder))
    made: list[Path] = []
    p = path
    while not p.exists():
        made.append(p)
        p = p.parent
    lock = FolderLock(path)
    try:
        for q in reversed(made[1:]):
            q.mkdir()
        lock.acquire("another calibration (pid {pid}) is writing to it; wait for it to finish "
                     "or choose another --out")
        if path.exists() and not path.is_dir():
            raise BusyError("exists and is not a folder")
        path.mkdir(exist_ok=True)
        probe = path / f".probe-{os.getpid()}"
        try:  # a full disk creates the file and then fails to write it: remove it either way
            probe.write_bytes(b"\0" * 4096)
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
    except BusyError as exc:
        lock.release()
        _remove_empty(made)
        _fail(f"--out {folder}: {exc}")
    except OSError as exc:
        lock.release()
        _remove_empty(made)
        _fail(f"--out {folder}: cannot write in {p} ({exc.strerror or exc})")
    return lock, made


def _remove_empty(folders: list[Path]) -> None:
    for q in folders:
        with contextlib.suppress(OSError):
            q.rmdir()


def _screen(cfg: Any, folder: Path, ex: Any, bar: Any) -> None:
    from .screening import screen

    task = bar.add_task("Morris screening", total=None) if bar else None

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.update(task, completed=done, total=total)

    idx = screen(cfg, folder, ex, progress)
    top = idx[idx.output == "distance"].sort_values("rank")
    print("rank  parameter                          mu* of the distance", file=sys.stderr)
    for row in top.itertuples():
        print(f"{row.rank:4d}  {row.parameter:34s} {row.mu_star:8.3f} (+- {row.mu_star_conf:.3f})",
              file=sys.stderr)
    print(f"screening written to {folder}/screening/", file=sys.stderr)


def _calibrate(cfg: Any, folder: Path, ex: Any, bar: Any) -> None:
    from .fit import FIT_SEED_ROOT, fit_table, overlay_text, replicate_seeds, run_abc
    from .report import calibration_report

    task = bar.add_task("generation 0", total=cfg.budget.population_size) if bar else None

    def progress(t: int, done: int, total: int) -> None:
        if bar is not None:
            bar.update(task, description=f"generation {t}", completed=done, total=total)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    result = run_abc(cfg, folder, ex, progress, log)
    if bar is not None:
        bar.update(task, description="fit at the chosen values", completed=0, total=None)
    fit = fit_table(cfg, result.chosen, replicate_seeds(FIT_SEED_ROOT, FIT_SEEDS), ex)
    prior_fit = fit_table(cfg, {}, replicate_seeds(FIT_SEED_ROOT, FIT_SEEDS), ex)
    result.posterior.to_parquet(folder / "posterior.parquet", index=False)
    csv_frame(result.generations).to_csv(folder / "generations.csv", index=False)
    csv_frame(result.summary).to_csv(folder / "parameters.csv", index=False)
    csv_frame(fit).to_csv(folder / "fit.csv", index=False)
    csv_frame(prior_fit).to_csv(folder / "fit_defaults.csv", index=False)
    (folder / "overlay.toml").write_text(overlay_text(cfg, result, fit))
    calibration_report(cfg, result, fit, prior_fit, folder)
    passed = int(((fit.role == "fit") & (fit.result == "pass")).sum())
    n_fit = int((fit.role == "fit").sum())
    print(f"{len(result.generations)} generations, final threshold "
          f"{result.generations.epsilon.iloc[-1]:.2f}; fit targets passed {passed} of {n_fit}; "
          f"{result.runs_per_second:.2f} runs/s; results in {folder}/ (install the overlay with "
          f"--install)", file=sys.stderr)


def _install(folder: Path) -> None:
    from ..scenarios.loader import SCENARIO_DIR, ScenarioError, load_scenario

    src = folder / "overlay.toml"
    if not src.is_file():
        _fail(f"{folder}: has no overlay.toml; run the calibration to its end first")
    dest = SCENARIO_DIR / "_calibrated.toml"
    try:
        backup = dest.read_bytes()
        shutil.copyfile(src, dest)
    except OSError as exc:
        _fail(f"--install: cannot write {dest} ({exc.strerror or exc}); _calibrated.toml left "
              "unchanged (a read-only install: copy overlay.toml there by hand)")
    try:
        load_scenario("baseline")
    except ScenarioError as exc:
        dest.write_bytes(backup)
        _fail(f"{src}: the overlay does not load ({exc}); _calibrated.toml left unchanged")
    print(f"installed {src} as {dest}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` to the main command-line app (``validate`` is registered by
    `sim.calibration.validate_cli.register`, which imports this module, not the other way
    round)."""
    app.command("calibrate")(calibrate_cmd)
