"""``binnenstad validate``: the validation suite over replicated runs (see `validate`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..batch.cli import QuietOpt, SchedulerOpt, TimeoutOpt, WorkersOpt


def validate_cmd(
    out: Annotated[Path, typer.Option(help="Output folder for report.md, tables and figures.")]
    = Path("validation"),
    replicates: Annotated[int, typer.Option(help="Replicate runs per check (>= 2).")] = 10,
    town: Annotated[str, typer.Option(help="Town of the hindcast (small, medium, large, xl).")]
    = "medium",
    calibration: Annotated[Path, typer.Option(
        help="Calibration config whose [parameters] give the Sobol ranges.")]
    = Path("experiments/calibration/historical.toml"),
    sobol_n: Annotated[int, typer.Option(
        help="Saltelli base sample size of the Sobol analysis; 0 skips it.")] = 16,
    sobol_replicates: Annotated[int, typer.Option(help="Replicates per Sobol point (>= 2).")]
    = 2,
    sobol_years: Annotated[int, typer.Option(help="Years of each Sobol run.")] = 12,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = 10.0,
    quiet: QuietOpt = False,
) -> None:
    """Check the model against the source documents' targets over replicated runs; write
    OUT/report.md with figures (hindcast by zone, spatial patterns, Sobol indices)."""
    from ..batch.executor import ExecutorError
    from ..batch.store import StoreError
    from ..errors import fail as _fail
    from ..outdir import ResultsFolder, ResultsFolderError
    from ..signals import active
    from ..town_io import resolve_town
    from .cli import _bar, _executor
    from .config import CalibrationConfigError, load_config
    from .validate import VALIDATION_FILES, VALIDATION_FOLDERS, validate

    if replicates < 2:
        _fail(f"--replicates {replicates}: allowed: a whole number >= 2 (intervals need two)")
    if sobol_n < 0 or (sobol_n and sobol_replicates < 2):
        _fail("--sobol-n must be >= 0 and --sobol-replicates >= 2")
    if not 1 <= sobol_years <= 40:
        _fail(f"--sobol-years {sobol_years}: allowed: 1 to 40")
    try:
        resolve_town(town, seed=0)
    except (ValueError, OSError) as exc:
        _fail(f"--town: {exc}")
    try:
        cfg = load_config(calibration)
    except CalibrationConfigError as exc:
        _fail(f"--calibration: {exc}")
    # Written as a whole (sim.outdir): checked and locked now, filled in a temporary folder,
    # swapped in at the end; a failure or an interrupt leaves the previous report as it was.
    try:
        folder = ResultsFolder(out, replaceable=VALIDATION_FILES,
                               folders=VALIDATION_FOLDERS).open()
    except ResultsFolderError as exc:
        _fail(f"--out: {exc}")
    if (sig := active()) is not None:
        sig.writing(out)
    try:
        try:
            ex = _executor(workers, scheduler, timeout)
        except ExecutorError as exc:
            _fail(str(exc))
        with ex, _bar(quiet) as bar:
            tasks: dict[str, int] = {}

            def progress(label: str, done: int, total: int) -> None:
                if bar is None:
                    return
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=total)
                bar.update(tasks[label], completed=done, total=total)

            def fill(tmp: Path) -> None:
                validate(tmp, ex, replicates=replicates, town=town, sobol_n=sobol_n,
                         sobol_replicates=sobol_replicates, sobol_years=sobol_years,
                         priors=cfg.priors, fitted=set(cfg.target_names), workers=workers,
                         scheduler=scheduler, progress=progress)

            try:
                folder.write(fill)
            except StoreError as exc:  # the Sobol sweep's disk failure
                where = str(folder.tmp)
                folder.abort()
                _fail(f"--out {out}: cannot write the validation "
                      f"({str(exc).replace(where, str(out))}); the previous results are "
                      "unchanged")
        folder.commit()
    except ResultsFolderError as exc:
        _fail(f"--out: {exc}")
    except BaseException:  # a mistake, Ctrl-C, SIGTERM: the previous results stay
        folder.abort()
        raise
    print(f"validation report: {out / 'report.md'}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the main command-line app."""
    app.command("validate")(validate_cmd)
