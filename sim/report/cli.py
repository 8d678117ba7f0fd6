"""Command line of reports: ``binnenstad report DIR`` and ``binnenstad compare``.

`register` adds both to the main typer app (`sim.cli.app`). User mistakes (a folder that is not a
sweep, an empty sweep, unknown names, replicates < 1, a folder holding another experiment) print
one line ``binnenstad: error: ...`` to stderr and exit 2 before anything is written.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..deprecation import deprecated_alias
from ..errors import EXIT_FAILED_RUNS, EXIT_TERMINATED, stopped
from ..errors import fail as _fail
from ..signals import Terminated
from .compare import DEFAULT_POLICIES, P31_FUTURES


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def split_policies(text: str) -> list[str]:
    """Comma-separated policies, where a lever's own ``key=value`` settings are comma-separated
    too: ``none,compaction:grant=100,start=2016,blurring`` -> ``["none",
    "compaction:grant=100,start=2016", "blurring"]`` (a piece ``key=value`` without a lever name
    continues the policy before it)."""
    policies: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        if policies and re.fullmatch(r"[A-Za-z_]\w*\s*=[^:+]*", piece):
            policies[-1] += "," + piece
        else:
            policies.append(piece)
    return policies


#: Deprecated alias of `split_policies` (a policy is what was called an arm).
split_arms = deprecated_alias(split_policies, "split_arms")


def report_cmd(
    folder: Annotated[Path, typer.Argument(help="Results folder of a sweep (binnenstad sweep or "
                                                "binnenstad compare).")],
    figures: Annotated[bool, typer.Option(help="Embed figures in the page.")] = True,
) -> None:
    """Write FOLDER/report/index.html (self-contained, printable) and FOLDER/report/tables.xlsx:
    effects of each lever in each future with intervals, the [P31] verdict per lever, what the
    levers mean and realised, the stock change behind vacancy, limits and how to reproduce."""
    from ..batch.store import DESIGN_FILE, Store, StoreError, damage_message
    from .errors import ReportError
    from .render import HTML_FILE, write_report

    store = Store(folder)
    try:  # a damaged run (file missing, truncated, changed) is named; no report is written
        bad = store.damaged() if (folder / DESIGN_FILE).is_file() else {}
    except StoreError as exc:
        _fail(str(exc))
    if bad:
        _fail(damage_message(folder, bad))
    try:
        target = write_report(folder, with_figures=figures)
    except (ReportError, StoreError) as exc:  # StoreError: damaged runs found while reading
        _fail(str(exc))
    print(f"report: {target / HTML_FILE} (and tables.xlsx)", file=sys.stderr)


def compare_cmd(
    town: Annotated[str, typer.Option(help="Town preset or town file.")] = "medium",
    scenarios: Annotated[str, typer.Option(
        help="Futures, comma-separated (binnenstad scenarios lists them).")] = ",".join(
        P31_FUTURES),
    policies: Annotated[str, typer.Option(
        help="Policies, comma-separated; 'none' is the reference, lever+lever combines, "
             "lever:key=value sets (binnenstad policies lists the levers).")] = ",".join(
        DEFAULT_POLICIES),
    replicates: Annotated[int, typer.Option(
        help="Replicates (seeds) per future x policy; policies share seeds (common random "
             "numbers).")] = 10,
    years: Annotated[int | None, typer.Option(
        help="Simulated years [default: each future to its own end year].")] = None,
    start: Annotated[int | None, typer.Option(
        help="First year of every run [default: each future's own start year].")] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the replicate seeds.")] = 0,
    workers: Annotated[int | None, typer.Option(
        help="Local worker processes [default: every available core].")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Results folder [default: outputs/compare_<town>/]; run again to resume.")] = None,
    figures: Annotated[bool, typer.Option(help="Embed figures in the report.")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Compare levers across futures in one command: run every future x policy x replicate (each
    future from its own start year) and write the report (OUT/report/index.html, tables.xlsx)."""
    from ..startup import preload

    preload()  # the model's libraries with the garbage collector paused (sim/startup.py)
    from ..batch.executor import ExecutorError, check_workers
    from ..batch.store import StoreError
    from .compare import compare_spec
    from .errors import ReportError
    from .render import HTML_FILE, write_report

    t0 = time.perf_counter()
    scen, pols = _names(scenarios), split_policies(policies)
    try:
        if workers is not None:
            check_workers(workers)
    except ExecutorError as exc:
        _fail(str(exc))
    try:
        target = out if out is not None else Path("outputs") / compare_spec(
            town, scen, pols, replicates, years, start, seed).experiment.name
        spec = compare_spec(town, scen, pols, replicates, years, start, seed, target)
    except ReportError as exc:
        _fail(str(exc))
    from ..batch.sweep import sweep
    from ..idle import spec_warnings, warn

    idle = spec_warnings(spec)  # levers that cannot act (sim/idle.py); the report lists them too

    try:
        res = sweep(spec, target, workers=workers, progress=not quiet)
    except (StoreError, ExecutorError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        stopped("runs", target)
    except Terminated:
        stopped("runs", target, EXIT_TERMINATED)
    t_runs = time.perf_counter() - t0
    warn(idle)  # after the runs: a user error before them stays one line
    print(f"{len(res.manifest)} runs: {res.n_ok} ok, {res.n_failed} failed ({res.ran} run now, "
          f"{res.skipped} already done) in {t_runs:.0f} s", file=sys.stderr)
    try:
        report = write_report(target, with_figures=figures)
    except (ReportError, StoreError) as exc:
        _fail(str(exc), EXIT_FAILED_RUNS)
    print(f"report: {report / HTML_FILE} (and tables.xlsx); {time.perf_counter() - t0:.0f} s "
          "in all", file=sys.stderr)
    if res.n_failed:
        first = res.manifest.loc[res.manifest["status"] == "failed", "error"].iloc[0]
        print(f"failed runs are listed in {target}/manifest.parquet; first error: {first}",
              file=sys.stderr)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``compare`` to the main command-line app."""
    app.command("report")(report_cmd)
    app.command("compare")(compare_cmd)
