"""What a worker process does with one run: build (or reuse) its town and scenario, simulate
with `sim.run`, write its tables and then its status record.

A worker keeps its imports, the numba kernels it loaded, the towns and scenarios it built and
the settled states (set-up and burn-in, `sim.fork`) of its last few (town, scenario, start,
seed, point) (small per-process caches), so it can run many runs cheaply: the sweep hands it
the runs that share a settled state as one `Batch`, and every policy after the first starts
from a copy of that state, with the results it would have had from its own burn-in.
``$BINNENSTAD_SHARE_BURN_IN=0`` switches the sharing off (every run its own burn-in);
``$BINNENSTAD_STATE_CACHE`` names a folder to keep settled states on disk between sweeps
(`sim.fork.StateCache`, size limit ``$BINNENSTAD_STATE_CACHE_MIB``). Errors in a run are
caught and recorded; they never stop the worker.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .design import Run
from .store import disk_error, keyed_table, status_path, table_path, write_json, write_table


class DiskError(OSError):
    """Writing a run's tables failed because of the disk (full, read-only, no permission)."""


@dataclass(frozen=True)
class Task:
    """A run plus where and what to write."""

    run: Run
    root: str
    tables: tuple[str, ...] = ("timeseries", "units")
    timeseries_columns: tuple[str, ...] | None = None
    units_years: str = "all"
    dtypes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Batch:
    """Tasks whose runs share a settled state (same town, scenario, start, seed, backend and
    parameter point; they differ in their levers), run one after another in one worker."""

    tasks: tuple[Task, ...]


#: Environment variable: ``0`` = every run computes its own burn-in (no shared states).
SHARE_ENV = "BINNENSTAD_SHARE_BURN_IN"


def share_key(run: Run) -> tuple:
    """What decides a run's settled state: all but its levers and years."""
    return (run.town_path, run.town_seed, run.scenario_path, run.overrides, run.scales,
            run.start, run.seed, run.backend)


@functools.cache
def _states() -> Any:
    from ..fork import StateCache

    return StateCache(memory=2)


def sharing() -> bool:
    """Whether runs start from shared settled states (``$BINNENSTAD_SHARE_BURN_IN``)."""
    return os.environ.get(SHARE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


@functools.lru_cache(maxsize=4)
def _town(path: str, seed: int) -> Any:
    from ..town_io import resolve_town

    return resolve_town(path, seed=seed)


@functools.lru_cache(maxsize=64)
def _scenario(path: str, overrides: str, scales: tuple[tuple[str, float], ...]) -> Any:
    from ..scenarios.loader import load_scenario
    from .factors import scale_drivers

    sc = load_scenario(path, **json.loads(overrides))
    return scale_drivers(sc, dict(scales))


def warm_up() -> None:
    """Import the model and load its numba kernels (process-pool initializer)."""
    from ..startup import preload

    preload()  # the model's libraries with the garbage collector paused (sim/startup.py)
    from ..runner import run

    run("small", years=1, figures=False)


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def simulate(run: Run) -> Any:
    """Simulate one run in this process and return its `RunResult` (nothing written)."""
    from ..runner import run as run_sim

    town = _town(run.town_path, run.town_seed)
    scenario = _scenario(run.scenario_path, run.overrides, run.scales)
    return run_sim(town, scenario, list(run.levers), start=run.start, years=run.years,
                   seed=run.seed, out=None, backend=run.backend, town_seed=run.town_seed,
                   figures=False, states=_states() if sharing() else None)


def write_tables(task: Task, result: Any) -> dict[str, dict[str, Any]]:
    """Write the run's kept tables (each atomically) under the task's root; return, per table,
    the file's path (relative to the root), rows, bytes and SHA-256 (for the status record)."""
    from .spec import TIME_COLUMNS

    run, root = task.run, Path(task.root)
    keys, dtypes = run.keys(), dict(task.dtypes)
    frames = {"timeseries": result.timeseries, "units": result.units, "events": result.events}
    files: dict[str, dict[str, Any]] = {}
    for name in task.tables:
        df = frames[name]
        if name == "timeseries" and task.timeseries_columns is not None:
            df = df[[*TIME_COLUMNS, *task.timeseries_columns]]
        elif name == "units" and task.units_years == "last" and len(df):
            df = df[df["year"] == df["year"].max()]
        path = table_path(root, name, run.town, run.scenario, run.run_id)
        info = write_table(path, keyed_table(df, keys, dtypes))
        files[name] = {"path": path.relative_to(root).as_posix(), **info}
    return files


def execute(task: Task) -> dict[str, Any]:
    """Run one task to completion: simulate, write tables, then write and return the status
    record (``status`` ok or failed, ``error`` one line; seconds: ``wall_s`` of the task,
    ``sim_s`` inside `sim.run`, ``cpu_s`` of processor time used by the task; ``files``: each
    table file with its rows and checksum). A full or read-only disk raises the `OSError`
    (`sim.batch.store.disk_error`) instead of recording the run as failed."""
    t0, c0 = time.perf_counter(), time.process_time()
    run = task.run
    record: dict[str, Any] = {"run_id": run.run_id, "status": "failed", "wall_s": None,
                              "sim_s": None, "error": None,
                              "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        t1 = time.perf_counter()
        result = simulate(run)
        record["sim_s"] = round(time.perf_counter() - t1, 6)
        wall = result.meta.get("wall_time_s", {})
        record["setup_s"], record["simulate_s"] = wall.get("setup"), wall.get("simulate")
        shared = result.meta.get("settled_state")
        record["settled"] = shared["source"] if shared else "own"
        try:
            record["files"] = write_tables(task, result)
        except OSError as exc:
            if disk_error(exc):  # the disk, not the run: the sweep stops; nothing is recorded
                raise DiskError(exc.errno, exc.strerror, exc.filename) from None
            raise
        record["status"] = "ok"
    except DiskError:
        raise
    except Exception as exc:  # a failed run is recorded and does not stop the sweep
        record["error"] = _one_line(exc)
        record["traceback"] = traceback.format_exc(limit=-6)
    record["wall_s"] = round(time.perf_counter() - t0, 6)
    record["cpu_s"] = round(time.process_time() - c0, 6)
    record["finished"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    write_json(status_path(Path(task.root), run.run_id), record)
    return record


def execute_batch(batch: Batch) -> list[dict[str, Any]]:
    """Run a batch's tasks in order (`execute`); their status records."""
    return [execute(task) for task in batch.tasks]
