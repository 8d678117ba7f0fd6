"""Command line of batch experiments: ``binnenstad sweep | analyse | sensitivity``.

`register` adds the commands to the main typer app (`sim.cli.app`). User mistakes (bad spec,
unknown names, unreachable scheduler, a folder with another spec's results) print one line to
stderr and exit with code 2 before anything is written. A sweep with failed runs exits with 1.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Annotated, NoReturn

import typer

WorkersOpt = Annotated[int | None, typer.Option(
    help="Local worker processes [default: every available core]; 1 runs in this process.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Dask scheduler address (tcp://HOST:PORT) instead of local workers.")]
OutOpt = Annotated[Path | None, typer.Option(
    help="Results folder [default: outputs/<experiment name>/].")]
QuietOpt = Annotated[bool, typer.Option(help="No progress bar.")]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for the Dask scheduler.")]


def _fail(message: str) -> None:
    print(f"binnenstad: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def interrupted(what: str, folder: Path | None) -> NoReturn:
    """Ctrl-C in a resumable command: one line saying what is kept in ``folder``, exit 130."""
    kept = (f"; finished {what} are kept in {folder}/; run the same command again to resume"
            if folder else "")
    print(f"binnenstad: interrupted{kept}", file=sys.stderr)
    raise typer.Exit(130) from None


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
        interrupted("runs", target)
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
    """Run every town x scenario x arm x point x replicate of SPEC; re-running resumes."""
    if dry_run:
        from .design import expand
        from .spec import load_spec
        from .store import Store

        try:
            s = load_spec(spec)
            d = expand(s)
            target = out if out is not None else Path("outputs") / s.experiment.name
            Store(target).check(s.run_hash())
        except _errors() as exc:
            _fail(str(exc))
        st = Store(target).statuses() if target.is_dir() else {}
        ok = sum(1 for r in d.runs if st.get(r.run_id, {}).get("status") == "ok")
        e = s.experiment
        print(f"{s.experiment.name}: {len(e.towns)} towns x {len(e.scenarios)} scenarios x "
              f"{len(e.policies)} arms x {len(d.points)} points x {e.replicates} replicates = "
              f"{len(d.runs)} runs; {ok} done in {target}/")
        return
    _, _, res = _run_sweep(spec, out, workers, scheduler, quiet, retry_failed, timeout)
    if res.n_failed:
        raise typer.Exit(1)


def _analysis_settings(root: Path):
    """The ``[analysis]`` table of the spec stored in the results folder."""
    from pydantic import ValidationError

    from .spec import AnalysisTable
    from .store import SPEC_FILE

    path = root / SPEC_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("analysis", {})
        return AnalysisTable.model_validate(raw)
    except FileNotFoundError:
        return AnalysisTable()
    except (tomllib.TOMLDecodeError, ValidationError, OSError) as exc:
        _fail(f"{path}: [analysis]: {' '.join(str(exc).split())}")


def analyse_cmd(
    folder: Annotated[Path, typer.Argument(help="Results folder of a sweep.")],
    outcome: Annotated[list[str] | None, typer.Option(
        help="Outcome to analyse, repeatable [default: the spec's, else all recorded].")] = None,
    reference: Annotated[str | None, typer.Option(
        help="Arm the effects are measured against [default: none].")] = None,
    window: Annotated[int | None, typer.Option(
        help="Months at the end of each run averaged into its outcome [default: 12].")] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
) -> None:
    """Write summary.csv, effects.csv, robustness.csv and figures into FOLDER/analysis/."""
    import pyarrow.dataset as pads

    from .analysis import OUTCOMES, analyse, write_analysis
    from .store import Store, StoreError

    store = Store(folder)
    try:
        meta = store.meta()
        if meta is None:
            _fail(f"{folder}: no sweep here (experiment.json missing)")
        manifest = store.write_manifest()
    except StoreError as exc:
        _fail(str(exc))
    settings = _analysis_settings(folder)
    updates = {k: v for k, v in (("reference", reference), ("window_months", window),
                                 ("outcomes", outcome or None)) if v is not None}
    for o in outcome or []:
        if o not in OUTCOMES:
            _fail(f"unknown --outcome {o!r}; allowed: {', '.join(OUTCOMES)}")
    if window is not None and window < 1:
        _fail(f"--window must be at least 1 month (got {window})")
    settings = settings.model_copy(update=updates)
    if "timeseries" not in (p.name for p in folder.iterdir()):
        _fail(f"{folder}: no timeseries table (not kept, or no run finished)")
    schema = pads.dataset(folder / "timeseries", format="parquet", partitioning="hive").schema
    wanted = {"step", "date", *(o.column for o in OUTCOMES.values())}
    columns = [c for c in schema.names if c in wanted]
    ts = store.read("timeseries", columns=columns)
    factors = [f["name"] for f in meta.get("factors", []) if f["kind"] != "lever"]
    result = analyse(manifest, ts, settings=settings, factors=factors)
    if not result.outcomes:
        _fail(f"{folder}: none of the outcomes {', '.join(settings.outcomes or OUTCOMES)} is "
              "recorded in its timeseries")
    if result.summary.empty:
        _fail(f"{folder}: no finished runs to analyse")
    written = write_analysis(folder, result, manifest, ts, figures=figures)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
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
    from .analysis import OUTCOMES
    from .design import expand
    from .sensitivity import analyse_sensitivity, write_sensitivity
    from .store import Store

    for o in outcome or []:
        if o not in OUTCOMES:
            _fail(f"unknown --outcome {o!r}; allowed: {', '.join(OUTCOMES)}")
    s, target, res = _run_sweep(spec, out, workers, scheduler, quiet, True, timeout,
                                need_sensitivity=True)
    a = s.analysis
    ts = Store(target).read("timeseries")
    indices, stochastic, notes = analyse_sensitivity(
        expand(s), res.manifest, ts, outcomes=outcome or a.outcomes,
        window_months=a.window_months, confidence=a.confidence, seed=a.seed)
    written = write_sensitivity(target, indices, stochastic, figures=figures)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(written)} files to {target / 'sensitivity'}/", file=sys.stderr)
    if res.n_failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``analyse`` and ``sensitivity`` to the main command-line app."""
    app.command("sweep")(sweep_cmd)
    app.command("analyse")(analyse_cmd)
    app.command("sensitivity")(sensitivity_cmd)
