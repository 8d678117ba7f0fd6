"""Command line of batch experiments: ``binnenstad sweep | analyse | sensitivity``.

`register` adds the commands to the main typer app (`sim.cli.app`). User mistakes (bad spec,
unknown names, unreachable scheduler, a folder with another spec's results) print one line to
stderr and exit with code 2 before anything is written. A sweep with failed runs exits with 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_FAILED_RUNS, EXIT_TERMINATED, stopped
from ..errors import fail as _fail
from ..errors import note as _note
from ..limits import MAX_TEXT_FILE_BYTES
from ..safeio import FileReadError, read_text_limited
from ..signals import Terminated

WorkersOpt = Annotated[int | None, typer.Option(
    help="Local worker processes [default: every available core]; 1 runs in this process.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Dask scheduler address (tcp://HOST:PORT) instead of local workers.")]
OutOpt = Annotated[Path | None, typer.Option(
    help="Results folder [default: outputs/<experiment name>/].")]
QuietOpt = Annotated[bool, typer.Option(help="No progress bar.")]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for the Dask scheduler.")]


def _errors() -> tuple[type[Exception], ...]:
    from .executor import ExecutorError
    from .spec import SpecError
    from .store import StoreError

    return SpecError, StoreError, ExecutorError


def _run_sweep(spec_path: Path, out: Path | None, workers: int | None, scheduler: str | None,
               quiet: bool, retry_failed: bool, timeout: float, need_sensitivity: bool = False):
    from ..startup import preload

    preload()  # the model's libraries with the garbage collector paused (sim/startup.py)
    from .spec import load_spec
    from .sweep import sweep

    target = out
    try:
        spec = load_spec(spec_path)
        if need_sensitivity and (spec.sample is None or spec.sample.method == "lhs"):
            got = spec.sample.method if spec.sample else "no [sample] table"
            _fail(f"{spec_path}: sample.method: sensitivity needs morris or sobol; got {got}")
        target = out if out is not None else Path("outputs") / spec.experiment.name
        from ..idle import spec_warnings, warn

        idle = spec_warnings(spec)  # levers that cannot act (sim/idle.py), said after the runs:
        res = sweep(spec, target, workers=workers, scheduler=scheduler, progress=not quiet,
                    retry_failed=retry_failed, timeout=timeout)
    except _errors() as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        stopped("runs", target)
    except Terminated:
        stopped("runs", target, EXIT_TERMINATED)
    warn(idle)
    print(f"{len(res.manifest)} runs: {res.n_ok} ok, {res.n_failed} failed "
          f"({res.ran} run now, {res.skipped} already done); results in {target}/",
          file=sys.stderr)
    if res.n_failed:
        first = res.manifest.loc[res.manifest["status"] == "failed", "error"].iloc[0]
        print(f"failed runs are listed in {target}/manifest.parquet (status, error); first "
              f"error: {first}", file=sys.stderr)
    return spec, target, res


def sweep_cmd(
    spec: Annotated[Path, typer.Argument(help="Experiment spec (.toml), see experiments/.")],
    out: OutOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    retry_failed: Annotated[bool, typer.Option(
        help="Run again runs that failed before (finished runs are always skipped).")] = True,
    dry_run: Annotated[bool, typer.Option(
        help="Only print the size of the design and how many runs are done.")] = False,
    timeout: TimeoutOpt = 10.0,
    quiet: QuietOpt = False,
) -> None:
    """Run every town x scenario x policy x point x replicate of SPEC; re-running resumes."""
    if dry_run:
        _dry_run(spec, out)
        return
    _, _, res = _run_sweep(spec, out, workers, scheduler, quiet, retry_failed, timeout)
    if res.n_failed:
        raise typer.Exit(EXIT_FAILED_RUNS)


#: Designs up to this many cells are expanded by ``--dry-run`` to count the distinct runs and
#: the finished ones exactly; larger ones are counted from the spec (expansion takes seconds).
DRY_RUN_EXPAND_CELLS = 20_000


def _dry_run(spec_path: Path, out: Path | None) -> None:
    """The size of the design and how many runs are done, without running or writing."""
    from .design import expand
    from .spec import design_size, load_spec
    from .store import Store

    try:
        s = load_spec(spec_path)  # refuses a design above the limit, from its counts
        target = out if out is not None else Path("outputs") / s.experiment.name
        store = Store(target)
        store.check(s.run_hash())
        cells, breakdown = design_size(s)
        st = store.statuses() if target.is_dir() else {}
        ok = {rid for rid, r in st.items() if r.get("status") == "ok"}
        if cells <= DRY_RUN_EXPAND_CELLS:
            runs = [r.run_id for r in expand(s).runs]
            count, done = f"{len(runs):,} runs", len(ok.intersection(runs))
        else:
            count, done = f"{cells:,} runs at most (identical runs are merged)", len(ok)
    except _errors() as exc:
        _fail(str(exc))
    print(f"{s.experiment.name}: {breakdown} = {count}; {done:,} done in {target}/")


def _analysis_settings(root: Path, updates: dict | None = None):
    """The ``[analysis]`` table of the spec stored in the results folder, with ``updates``
    from the options (validated like the spec's own)."""
    from pydantic import ValidationError

    from .spec import AnalysisTable, SpecError, _pydantic_error, parse_toml
    from .store import SPEC_FILE

    path = root / SPEC_FILE
    raw: dict = {}
    if path.exists():
        try:
            raw = parse_toml(read_text_limited(path, MAX_TEXT_FILE_BYTES), str(path)).get(
                "analysis", {})
        except FileReadError as exc:
            _fail(f"{path}: {exc}")
        except SpecError as exc:
            _fail(str(exc))
    if not isinstance(raw, dict):
        _fail(f"{path}: [analysis] must be a table")
    try:
        return AnalysisTable.model_validate({**raw, **(updates or {})})
    except ValidationError as exc:  # (--window becomes window_months, --reference reference)
        _fail(str(_pydantic_error(f"{path} [analysis] with the options", exc)))


def analyse_cmd(
    folder: Annotated[Path, typer.Argument(help="Results folder of a sweep.")],
    outcome: Annotated[list[str] | None, typer.Option(
        help="Outcome to analyse, repeatable [default: the spec's, else all recorded].")] = None,
    reference: Annotated[str | None, typer.Option(
        help="Policy the effects are measured against [default: none].")] = None,
    window: Annotated[int | None, typer.Option(
        help="Months at the end of each run averaged into its outcome [default: 12].")] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
) -> None:
    """Write summary.csv, effects.csv, robustness.csv and figures into FOLDER/analysis/
    (replaced as a whole). Runs whose files are damaged are named and left out."""
    from ..outdir import ResultsFolderError
    from .analysis import OUTCOMES, analyse, write_analysis
    from .store import Store, StoreError, damage_message

    for o in outcome or []:
        if o not in OUTCOMES:
            _fail(f"unknown --outcome {o!r}; allowed: {', '.join(OUTCOMES)}")
    if window is not None and window < 1:
        _fail(f"--window must be at least 1 month (got {window})")
    store = Store(folder)
    try:
        meta = store.meta()
        if meta is None:
            _fail(f"{folder}: no sweep here (experiment.json missing)")
        manifest = store.manifest()
    except StoreError as exc:
        _fail(str(exc))
    updates = {k: v for k, v in (("reference", reference), ("window_months", window),
                                 ("outcomes", outcome or None)) if v is not None}
    settings = _analysis_settings(folder, updates)
    if not (folder / "timeseries").is_dir():
        _fail(f"{folder}: no timeseries table (not kept, or no run finished)")
    wanted = {"step", "date", *(o.column for o in OUTCOMES.values())}
    try:
        columns = [c for c in store.columns("timeseries") if c in wanted]
        ts = store.read("timeseries", columns=columns, damaged="skip")
    except StoreError as exc:
        _fail(str(exc))
    damaged = store.last_damaged
    if damaged:  # left out of the analysis, and marked in the manifest
        bad = manifest["run_id"].isin(list(damaged))
        manifest.loc[bad, "status"] = "damaged"
        manifest.loc[bad, "error"] = manifest.loc[bad, "run_id"].map(damaged)
    factors = [f["name"] for f in meta.get("factors", []) if f["kind"] != "lever"]
    result = analyse(manifest, ts, settings=settings, factors=factors)
    if not result.outcomes:
        _fail(f"{folder}: none of the outcomes {', '.join(settings.outcomes or OUTCOMES)} is "
              "recorded in its timeseries")
    if result.summary.empty:
        _fail(f"{folder}: no finished runs to analyse")
    try:
        written = write_analysis(folder, result, manifest, ts, figures=figures)
    except ResultsFolderError as exc:
        _fail(str(exc))
    for note in result.notes:
        _note(note)
    if damaged:
        _note(damage_message(folder, damaged).replace(" damaged: ", " damaged and left out: "))
    n_ok = int((manifest["status"] == "ok").sum())
    print(f"analysed {n_ok} of {len(manifest)} runs, {len(result.outcomes)} outcomes; wrote "
          f"{len(written)} files to {folder / 'analysis'}/", file=sys.stderr)
    if not result.robustness.empty:
        counts = result.robustness.groupby("verdict").size()
        print("robustness verdicts (lever x outcome): " + ", ".join(
            f"{v} {counts.get(v, 0)}" for v in ("safe", "conditional", "gamble", "no_help")),
            file=sys.stderr)


def sensitivity_cmd(
    spec: Annotated[Path, typer.Argument(help="Spec with [sample] method morris or sobol.")],
    out: OutOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    outcome: Annotated[list[str] | None, typer.Option(
        help="Outcome to analyse, repeatable [default: the spec's, else all recorded].")] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
    timeout: TimeoutOpt = 10.0,
    quiet: QuietOpt = False,
) -> None:
    """Run SPEC's Morris or Sobol design (resumable), then write sensitivity indices, the
    stochastic share of variance and plots into OUT/sensitivity/."""
    from ..outdir import ResultsFolderError
    from .analysis import OUTCOMES
    from .design import expand
    from .sensitivity import analyse_sensitivity, write_sensitivity
    from .store import Store, StoreError

    for o in outcome or []:
        if o not in OUTCOMES:
            _fail(f"unknown --outcome {o!r}; allowed: {', '.join(OUTCOMES)}")
    s, target, res = _run_sweep(spec, out, workers, scheduler, quiet, True, timeout,
                                need_sensitivity=True)
    a = s.analysis
    try:  # (a resumed sweep ran damaged runs again; a file damaged since is named here)
        ts = Store(target).read("timeseries")
        indices, stochastic, notes = analyse_sensitivity(
            expand(s), res.manifest, ts, outcomes=outcome or a.outcomes,
            window_months=a.window_months, confidence=a.confidence, seed=a.seed)
        written = write_sensitivity(target, indices, stochastic, figures=figures)
    except (StoreError, ResultsFolderError) as exc:
        _fail(str(exc))
    for note in notes:
        _note(note)
    print(f"wrote {len(written)} files to {target / 'sensitivity'}/", file=sys.stderr)
    if res.n_failed:
        raise typer.Exit(EXIT_FAILED_RUNS)


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``analyse`` and ``sensitivity`` to the main command-line app."""
    app.command("sweep")(sweep_cmd)
    app.command("analyse")(analyse_cmd)
    app.command("sensitivity")(sensitivity_cmd)
