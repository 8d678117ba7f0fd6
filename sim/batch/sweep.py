"""Run a sweep: validate, expand, skip what is done, execute, record. The engine behind
``binnenstad sweep`` and `sim.run_many`.

Order of work, so that a user mistake never touches existing results: validate the spec and
expand the design; take the folder's lock and check the folder under it (read only; another
spec's results are refused); start the executor (an unreachable scheduler fails here); only
then write the spec and design, and run. A resumed sweep checks every finished run's files
(`sim.batch.store.Store.damaged`) and runs damaged ones again. A full or read-only disk stops the
sweep with one line (`StoreError`); the runs finished before are kept and a later call resumes.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..limits import MAX_TEXT_FILE_BYTES
from ..provenance import git_commit, package_versions
from ..safeio import FileReadError, read_text_limited
from .design import Design, expand
from .executor import WorkerDied, make_executor
from .spec import ExperimentSpec, SpecError, load_spec, parse_spec, parse_toml
from .store import Store, StoreError, disk_error
from .worker import Batch, Task, execute_batch, share_key, sharing, warm_up


@dataclass
class SweepResult:
    """Results of a sweep: the manifest and its tables, on disk (``root``) or in memory.

    Attributes:
        root: results folder, or None when `run_many` ran without ``out`` (tables in memory).
        manifest: one row per run (keys, factor values, status, wall_s, sim_s, error).
        ran: runs executed by this call; skipped: runs already done before it.
    """

    root: Path | None
    manifest: pd.DataFrame
    ran: int = 0
    skipped: int = 0
    spec: ExperimentSpec | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def n_ok(self) -> int:
        return int((self.manifest["status"] == "ok").sum())

    @property
    def n_failed(self) -> int:
        return int((self.manifest["status"] == "failed").sum())

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A results table (``timeseries``, ``units`` or ``events``) of the successful runs,
        with the run keys (``run_id``, ``town``, ``scenario``, ``policy``, ``point``,
        ``replicate``, ``seed``, factor values) as columns."""
        if self.root is None:
            df = self.tables[name]
            return df if columns is None else df[list(dict.fromkeys(["run_id", *columns]))]
        return Store(self.root).read(name, columns=columns)

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Monthly rows of every successful run (see `table`)."""
        return self.table("timeseries", columns)

    def units(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Yearly unit snapshots of every successful run (see `table`)."""
        return self.table("units", columns)

    def analyse(self, **kwargs: Any) -> Any:
        """Summary, paired effects and robustness (`sim.batch.analysis.analyse`)."""
        from .analysis import analyse

        settings = self.spec.analysis if self.spec is not None else None
        factors = [f.name for f in self.spec.factors if f.uncertainty] if self.spec else []
        kwargs.setdefault("factors", factors)
        return analyse(self.manifest, self.timeseries(), settings=settings, **kwargs)


def _versions() -> dict[str, str]:
    return package_versions(("SALib",))


def tasks_for(design: Design, root: Path) -> list[Task]:
    """One `Task` per run of the design, writing under ``root``."""
    o = design.spec.outputs
    dtypes = tuple((f.name, f.dtype) for f in design.factors)
    cols = tuple(o.timeseries_columns) if o.timeseries_columns is not None else None
    return [Task(run, str(root), tuple(o.tables), cols, o.units_years, dtypes)
            for run in design.runs]


def batches(tasks: Sequence[Task], workers: int) -> list[Batch]:
    """The tasks in batches of runs that share a settled state (`worker.share_key`), in the
    order of their first run (replicate by replicate). A batch holds at most
    ``ceil(tasks / (2 x workers))`` runs, so that a sweep with few settled states still keeps
    every worker busy (each part of a split batch computes its own burn-in). Without sharing
    (``$BINNENSTAD_SHARE_BURN_IN=0``) every task is its own batch."""
    if not sharing():
        return [Batch((t,)) for t in tasks]
    groups: dict[tuple, list[Task]] = {}
    for t in tasks:
        groups.setdefault(share_key(t.run), []).append(t)
    size = max(1, math.ceil(len(tasks) / (2 * max(int(workers), 1))))
    return [Batch(tuple(g[i:i + size])) for g in groups.values() for i in range(0, len(g), size)]


def _progress(enabled: bool, console: Any = None) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("runs"), TextColumn("[red]{task.fields[failed]} failed"),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=console or Console(stderr=True), disable=not enabled)


def sweep(spec: ExperimentSpec | str | Path, out: str | Path, *, workers: int | None = None,
          scheduler: str | None = None, progress: bool = True, retry_failed: bool = True,
          timeout: float = 10.0, console: Any = None) -> SweepResult:
    """Run every run of ``spec`` that ``out`` does not hold yet; return the manifest.

    Args:
        spec: a validated spec or the path of a spec file.
        out: results folder (created; a folder with another spec's results is refused).
        workers: local worker processes (default: every available core; 1 = in this process).
        scheduler: Dask scheduler address (``tcp://HOST:PORT``) instead of local workers.
        progress: show a progress bar with ETA and the failed-run count (on stderr).
        retry_failed: run again the runs that failed before (finished ones are always skipped).
        timeout: seconds to wait for the Dask scheduler.

    Raises:
        SpecError, StoreError, ExecutorError: one-line messages, before anything is written.
    """
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    design = expand(spec)
    root = Path(out)
    store = Store(root)
    spec_hash = spec.run_hash()
    ran = 0
    with store.lock():
        store.check(spec_hash)  # under the lock: nobody changes the folder meanwhile
        executor = make_executor(workers, scheduler, initializer=warm_up, timeout=timeout)
        new = not root.exists()
        with executor:
            try:
                todo, skipped = _prepare(store, spec, design, spec_hash, retry_failed, root)
            except OSError as exc:
                if new:  # ours alone (we hold the lock) and nothing was run: leave no trace
                    shutil.rmtree(root, ignore_errors=True)
                raise StoreError(f"{root}: cannot write the sweep's files "
                                 f"({exc.strerror or exc}); nothing was run") from None
            failed = 0
            stop: OSError | None = None
            try:
                with _progress(progress, console) as bar:
                    job = bar.add_task(spec.experiment.name, total=len(todo), failed=0)
                    work = batches(todo, getattr(executor, "workers", 1))
                    for batch, results in executor.map_unordered(execute_batch, work):
                        if isinstance(results, OSError) and disk_error(results):
                            stop = results  # the disk, not the run: stop, keep what is done
                            break
                        if isinstance(results, BaseException):
                            reason = (str(results) if isinstance(results, WorkerDied)
                                      else f"{type(results).__name__}: {results}")
                            results = [{"run_id": task.run.run_id, "status": "failed",
                                        "error": " ".join(reason.split()), "wall_s": None,
                                        "sim_s": None, "worker": None, "finished":
                                        datetime.now(UTC).isoformat(timespec="seconds")}
                                       for task in batch.tasks]
                            try:
                                for record in results:
                                    store.write_status(record)
                            except OSError as exc:
                                if not disk_error(exc):
                                    raise
                                stop = exc
                                break
                        ran += len(results)
                        failed += sum(r.get("status") != "ok" for r in results)
                        bar.update(job, advance=len(results), failed=failed)
            finally:
                manifest = _manifest(store)
            if stop is not None:
                n_ok = int((manifest["status"] == "ok").sum())
                kept = (f"the {n_ok} finished runs are kept" if n_ok != 1 else
                        "the 1 finished run is kept")
                raise StoreError(
                    f"{root}: cannot write the results ({stop.strerror or stop}); {kept}; make "
                    "room (or make the folder writable) and run the same command again to "
                    "resume")
    return SweepResult(root, manifest, ran=ran, skipped=skipped, spec=spec)


def _prepare(store: Store, spec: ExperimentSpec, design: Design, spec_hash: str,
             retry_failed: bool, root: Path) -> tuple[list[Task], int]:
    """Write the spec, metadata and design; return the runs still to do and how many are done.
    Runs whose files are damaged (missing, truncated, changed) are run again."""
    store.clean_temporary()
    meta = {"spec_hash": spec_hash, "name": spec.experiment.name,
            "description": spec.experiment.description, "source": spec.source,
            "n_runs": len(design.runs),
            "factors": [{"name": f.name, "kind": f.kind, "dtype": f.dtype}
                        for f in design.factors],
            "created": datetime.now(UTC).isoformat(),
            "versions": _versions(), "git_commit": git_commit()}
    store.init(meta, spec.text, design.table())
    statuses = store.statuses()
    damaged = store.damaged(statuses, deep=True)
    done = {rid for rid, r in statuses.items() if rid not in damaged and (
        r.get("status") == "ok" or (not retry_failed and r.get("status") == "failed"))}
    todo = [t for t in tasks_for(design, root) if t.run.run_id not in done]
    return todo, len(design.runs) - len(todo)


def _manifest(store: Store) -> pd.DataFrame:
    """Rebuild the manifest; on a full disk compute it without writing it."""
    try:
        return store.write_manifest()
    except OSError:
        return store.manifest()


def _spec_from_args(spec: str | Path | ExperimentSpec | None, overrides: dict[str, Any],
                    tables: dict[str, Any]) -> ExperimentSpec:
    if isinstance(spec, ExperimentSpec) and not overrides and not tables:
        return spec
    base: Path | None = None
    source = "<run_many>"
    raw: dict[str, Any] = {}
    if isinstance(spec, ExperimentSpec):
        raw = tomllib.loads(spec.text)
    elif spec is not None:
        p = Path(spec)
        try:
            text = read_text_limited(p, MAX_TEXT_FILE_BYTES)
        except FileReadError as exc:
            raise SpecError(f"{p}: spec file: {exc}") from None
        raw = parse_toml(text, str(p))
        base, source = p.parent, str(p)
    exp = dict(raw.get("experiment", {}))
    exp.setdefault("name", "run_many")
    exp.update({k: v for k, v in overrides.items() if v is not None})
    raw["experiment"] = exp
    raw.update({k: v for k, v in tables.items() if v is not None})
    return parse_spec(raw, source=source, base=base)


def run_many(spec: str | Path | ExperimentSpec | None = None, *,
             towns: Sequence[str] | None = None, scenarios: Sequence[str] | None = None,
             policies: Sequence[str] | None = None, replicates: int | None = None,
             start: int | None = None, years: int | None = None, seed: int | None = None,
             grid: dict[str, list[Any]] | None = None, sample: dict[str, Any] | None = None,
             outputs: dict[str, Any] | None = None, name: str | None = None,
             out: str | Path | None = None, workers: int | None = 1,
             scheduler: str | None = None, progress: bool = False) -> SweepResult:
    """Run a batch of simulations from a notebook: every town x scenario x policy x point x
    replicate, with common random numbers across policies, scenarios and points.

    Give a spec (file path or `ExperimentSpec`), keyword arguments, or both (keywords override
    the spec's ``[experiment]`` fields and replace its ``grid``/``sample``/``outputs`` tables).
    Without ``out`` the runs are written to a temporary folder, loaded into memory and the
    folder removed; with ``out`` they stay there (and a second call resumes).

    Example:
        >>> res = run_many(towns=["small"], scenarios=["baseline", "ontspannen_stad"],
        ...                policies=["none", "compaction"], replicates=3, years=2)
        >>> res.timeseries().groupby(["scenario", "policy"]).vacancy_rate.mean()

    Args:
        workers: local worker processes (1 = in this process); ``scheduler``: a Dask address.
        progress: show a progress bar.
    """
    keys = dict(towns=list(towns) if towns is not None else None,
                scenarios=list(scenarios) if scenarios is not None else None,
                policies=list(policies) if policies is not None else None,
                replicates=replicates, start=start, years=years, seed=seed, name=name)
    tables = dict(grid=grid, sample=sample, outputs=outputs)
    the_spec = _spec_from_args(spec, keys, tables)
    if out is not None:
        return sweep(the_spec, out, workers=workers, scheduler=scheduler, progress=progress)
    tmp = Path(tempfile.mkdtemp(prefix="binnenstad-run_many-"))
    try:
        res = sweep(the_spec, tmp / "sweep", workers=workers, scheduler=scheduler,
                    progress=progress)
        store = Store(tmp / "sweep")
        frames = {}
        for name_ in the_spec.outputs.tables:
            frames[name_] = (store.read(name_) if res.n_ok else pd.DataFrame())
        return SweepResult(None, res.manifest, ran=res.ran, skipped=res.skipped,
                           spec=the_spec, tables=frames)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

