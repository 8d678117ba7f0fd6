"""Run a simulation end to end and write its results: the engine behind `binnenstad run` and
`sim.run`.

All inputs are resolved and validated before anything is written; results are written to a
temporary folder next to ``out`` and moved into place file by file, so a failed or interrupted run
never leaves half-written tables behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .model import CityCentreModel
from .policies import parse_policy
from .scenarios.loader import CentreScenario, load_scenario
from .town import Town


@dataclass
class RunResult:
    """The tables of one run (see `sim.record` for their columns) and its metadata."""

    timeseries: pd.DataFrame
    units: pd.DataFrame
    events: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    model: CityCentreModel | None = None
    town: Town | None = None
    node_footfall: Any = None  # passers-by per day per street node, last month


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("binnenstad", "mesa", "numpy", "numba", "pandas", "pyarrow", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None


def default_out(scenario: str, town: str, seed: int, policies: Sequence[str]) -> Path:
    """``outputs/<scenario>-<town>-s<seed>[-<policies>]/`` with file paths reduced to stems."""
    parts = [Path(scenario).stem, Path(town).stem, f"s{seed}"]
    parts += [p.split(":")[0] for p in policies]
    return Path("outputs") / "-".join(parts)


def prepare(town: str | Town = "medium", scenario: str | CentreScenario = "baseline",
            policies: Sequence[str] = (), years: int = 12, seed: int = 0,
            town_seed: int = 0) -> tuple[Town, CentreScenario, list[Any]]:
    """Resolve and validate every input; raises ValueError subclasses with one-line messages."""
    if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
        raise ValueError(f"years must be a positive whole number of years, got {years!r}")
    from .town_io import resolve_town

    t = resolve_town(town, seed=town_seed) if isinstance(town, str) else town
    sc = scenario if isinstance(scenario, CentreScenario) else load_scenario(scenario)
    levers = [parse_policy(p) for p in policies]
    return t, sc, levers


def run(town: str | Town = "medium", scenario: str | CentreScenario = "baseline",
        policies: Sequence[str] = (), start: int | None = None, years: int = 12, seed: int = 0,
        out: str | Path | None = None, backend: str = "numba", town_seed: int = 0,
        figures: bool = True, progress: Callable[[], None] | None = None,
        keep_model: bool = False) -> RunResult:
    """Run one simulation and return its tables as DataFrames.

    Args:
        town: preset name (``small``, ``medium``, ``large``, ``xl``), a GeoJSON town file or a
            `Town`.
        scenario: preset name, a scenario TOML file or a `CentreScenario`.
        policies: lever specs, e.g. ``["compaction", "popup_programme:intensity=2"]``.
        start: first recorded year (the run starts in January after its burn-in); default:
            the scenario's own start year.
        years: number of simulated years (12 monthly steps each).
        seed: root seed of the run.
        out: folder to write the results to; ``None`` writes nothing.
        backend: kernel backend, ``"numba"`` or ``"reference"``.
        town_seed: seed of a generated town.
        figures: also write the PNG figures when ``out`` is given.
        progress: called once per simulated month.
        keep_model: keep the model object on the result (for inspection in notebooks).
    """
    t0 = time.perf_counter()
    twn, sc, levers = prepare(town, scenario, policies, years, seed, town_seed)
    if start is None:
        start = sc.start_year
    model = CityCentreModel(twn, sc, levers, start_year=start, rng=seed, backend=backend)
    t1 = time.perf_counter()
    model.run_months(12 * years, progress=progress)
    t2 = time.perf_counter()
    ts, units, events = model.recorder.frames()
    meta = {
        "scenario": sc.name,
        "scenario_files": list(sc.chain),
        "town": twn.name,
        "town_meta": twn.meta,
        "n_units": twn.n_units,
        "n_street_nodes": twn.n_nodes,
        "policies": list(policies),
        "start_year": start,
        "burn_in": model.burn_in_report.as_dict(),
        "scenario_notes": list(sc.notes),
        "years": years,
        "seed": seed,
        "town_seed": town_seed,
        "backend": backend,
        "params": sc.params,
        "trajectories": {k: {"years": list(v[0]), "values": list(v[1])}
                         for k, v in sc.trajectories.items()},
        "units": sc.units,
        "sources": sc.sources,
        "versions": _versions(),
        "git_commit": _git_commit(),
        "wall_time_s": {"setup": round(t1 - t0, 4), "simulate": round(t2 - t1, 4)},
    }
    result = RunResult(ts, units, events, meta, model if keep_model else None, twn,
                       model.node_footfall.copy())
    if out is not None:
        write_results(result, Path(out), figures=figures)
    return result


def write_results(result: RunResult, out: Path, figures: bool = True) -> None:
    """Write the Parquet tables, run.json and figures into ``out`` atomically (file by file)."""
    from .figures import write_figures

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        t0 = time.perf_counter()
        result.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        result.units.to_parquet(tmp / "units.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        if figures:
            write_figures(result, tmp)
        result.meta["wall_time_s"]["write"] = round(time.perf_counter() - t0, 4)
        with (tmp / "run.json").open("w") as fh:
            json.dump(result.meta, fh, indent=2, default=str)
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
