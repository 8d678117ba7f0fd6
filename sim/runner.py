"""Run a simulation end to end and write its results: the engine behind `binnenstad run` and
`sim.run`.

All inputs are validated (`sim.validate`) and resolved, and the output folder is checked and
locked (`sim.outdir.ResultsFolder`), before the simulation starts; results are written to a
temporary sibling folder that replaces ``out`` as a whole at the end, so a failed or interrupted
run never leaves half-written or mixed results behind.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import validate as v
from .invariants import assert_frames, assert_invariants, check_enabled
from .outdir import ResultsFolder
from .provenance import git_commit, package_versions
from .safetext import csv_frame
from .scenarios.loader import CentreScenario
from .scenarios.whatif import apply_whatifs
from .town import Town

if TYPE_CHECKING:
    import pandas as pd

    from .fork import StateCache
    from .model import CityCentreModel


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
    return dict(_versions_once())


@functools.cache
def _versions_once() -> dict[str, str]:
    # Asked once per process (a few ms each time: importlib.metadata scans the path).
    return package_versions(("scipy",), python=True)


#: Longest readable prefix of a default folder name (the hash follows it).
_PREFIX_CHARS = 100


def _spec_key(spec: Any) -> str:
    """What identifies a town or scenario argument: a preset name, an absolute file path, or the
    object's name."""
    if isinstance(spec, str | Path):
        text = str(spec).strip()
        p = Path(text)
        return str(p.resolve()) if p.suffix or p.exists() else text.lower()
    return f"<{type(spec).__name__} {getattr(spec, 'name', '?')}>"


def _readable(spec: Any) -> str:
    if isinstance(spec, str | Path):
        return Path(str(spec).strip()).stem or "x"
    return str(getattr(spec, "name", type(spec).__name__))


def _norm_policy(spec: str) -> tuple[str, list[tuple[str, str]]]:
    from .policies.spec import LeverSpec

    lever = LeverSpec.parse(spec).normalised()
    return lever.name, [list(kv) for kv in lever.settings]


def default_out(scenario: Any = "baseline", town: Any = "medium", seed: int = 0,
                policies: Sequence[str] = (), start: int = 2013, years: int = 12,
                town_seed: int = 0, backend: str = "numba",
                params: Mapping[str, Any] | None = None,
                driver_scale: Mapping[str, float] | None = None) -> Path:
    """``outputs/<readable settings>-<hash>``: one folder per distinct run.

    The readable part lists scenario, town, seed, start year and years, town seed, backend and the
    levers with their settings (file paths reduced to their stems, long names cut); the 10-digit
    hash covers all of them in full (file paths resolved, lever settings sorted, what-ifs
    included), so runs that differ in any setting never share a folder and repeating a command
    replaces its own results.
    """
    levers = [_norm_policy(p) for p in policies]
    key = {"scenario": _spec_key(scenario), "town": _spec_key(town), "seed": int(seed),
           "start": int(start), "years": int(years), "town_seed": int(town_seed),
           "backend": backend, "policies": levers}
    if params or driver_scale:  # absent otherwise, so plain runs keep their folder names
        key["whatif"] = {"params": dict(params or {}), "driver_scale": dict(driver_scale or {})}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    parts = [_readable(scenario), _readable(town), f"s{seed}", f"{start}+{years}y",
             f"ts{town_seed}", backend]
    parts += [name + "".join(f".{k}={val}" for k, val in items) for name, items in levers]
    if params or driver_scale:
        parts.append("whatif")
    prefix = re.sub(r"[^A-Za-z0-9._=+-]", "_", "-".join(parts))[:_PREFIX_CHARS]
    return Path("outputs") / f"{prefix}-{digest}"


def prepare(town: str | Path | Town = "medium", scenario: str | Path | CentreScenario = "baseline",
            policies: Sequence[str] = (), years: int = 12, seed: int = 0,
            town_seed: int = 0) -> tuple[Town, CentreScenario, list[Any]]:
    """Validate and resolve every input; raises `sim.validate.InputError` (a ValueError; for a
    wrong type also a TypeError), `TownFileError`, `TownTooLargeError`, `ScenarioError` or
    `PolicyError`, each with a one-line message naming the argument or file and field."""
    from .policies import parse_policy
    from .scenarios.loader import load_scenario
    from .space import check_network_size
    from .town_io import resolve_town

    v.check_years(years)
    v.check_seed(seed)
    v.check_seed(town_seed, "town_seed")
    town = v.check_spec(town, "town", "a preset name (small, medium, large, xl), a .geojson "
                        "file or a sim.Town", (Town,))
    scenario = v.check_spec(scenario, "scenario", "a preset name, a .toml file or a "
                            "CentreScenario", (CentreScenario,))
    specs = v.check_policies(policies)
    t = resolve_town(town, seed=town_seed) if isinstance(town, str) else town
    if isinstance(town, Town):
        try:
            t.validate()
        except ValueError as e:
            raise v.InputError(f"town {t.name!r}: {e}") from None
    check_network_size(t.n_nodes, f"town {t.name!r}")
    sc = scenario if isinstance(scenario, CentreScenario) else load_scenario(scenario)
    levers = [parse_policy(p) for p in specs]
    return t, sc, levers


def run(town: str | Path | Town = "medium", scenario: str | Path | CentreScenario = "baseline",
        policies: Sequence[str] = (), start: int | None = None, years: int = 12, seed: int = 0,
        out: str | Path | ResultsFolder | None = None, backend: str = "numba",
        town_seed: int = 0, figures: bool = True, progress: Callable[[], None] | None = None,
        keep_model: bool = False, check: bool | None = None,
        params: Mapping[str, Any] | None = None,
        driver_scale: Mapping[str, float] | None = None, csv: bool = False,
        states: StateCache | None = None) -> RunResult:
    """Run one simulation and return its tables as DataFrames.

    Every argument is checked before the simulation starts (one-line `ValueError`s, `TypeError`s
    for wrong types; limits in `sim.validate`), and so is ``out``: it must be writable, not locked
    by another run, and empty or a previous results folder.

    Args:
        town: preset name (``small``, ``medium``, ``large``, ``xl``), a GeoJSON town file or a
            `Town`.
        scenario: preset name, a scenario TOML file or a `CentreScenario`.
        policies: lever specs, e.g. ``["compaction", "popup_programme:intensity=2"]``; each lever
            and each setting at most once.
        start: first recorded year (the run starts in January after its burn-in); default:
            the scenario's own start year; it must lie within the years the scenario covers.
        years: number of recorded years (1-200; 12 monthly steps each).
        seed: root seed of the run (a whole number >= 0).
        out: folder to write the results to, replaced as a whole at the end; ``None`` writes
            nothing.
        backend: kernel backend, ``"numba"`` or ``"reference"``.
        town_seed: seed of a generated town (>= 0).
        figures: also write the PNG figures when ``out`` is given.
        progress: called once per simulated month.
        keep_model: keep the model object on the result (for inspection in notebooks).
        check: check the model invariants after every month and the output tables at the end
            (`sim.invariants`) and raise `InvariantError` at the first violation; None: on if
            ``$BINNENSTAD_CHECK`` is set.
        params: quick what-if: parameter values that replace the scenario's, e.g.
            ``{"online_growth_cap": 0.5, "rent_level": {"core": 250}}`` (checked as in a
            scenario file; see `sim.scenarios.whatif`).
        driver_scale: quick what-if: ``{driver or pattern: factor}`` scales each driver's change
            from its value at ``start``, e.g. ``{"online_share_*": 2}`` (online growth twice as
            fast).
        csv: also write the tables as CSV files (``timeseries.csv`` ...) when ``out`` is given.
        states: a `sim.fork.StateCache`: the run starts from a copy of the settled state (set-up
            and burn-in, and the spin-up where no lever acts in it) of its town, scenario, start
            year, seed and backend, computed once per cache; results are identical to a run
            without it (``run.json`` says under ``settled_state`` where the state came from).
    """
    t0 = time.perf_counter()
    if start is not None:
        v.check_start(start)
    v.check_backend(backend)
    v.check_flag(figures, "figures")
    v.check_flag(keep_model, "keep_model")
    v.check_flag(csv, "csv")
    v.check_callback(progress, "progress")
    folder = out if isinstance(out, ResultsFolder) else None
    target = None if folder else v.check_out(out)
    specs = v.check_policies(policies)
    params = v.check_mapping(params, "params")
    driver_scale = v.check_mapping(driver_scale, "driver_scale")
    twn, sc, levers = prepare(town, scenario, specs, years, seed, town_seed)
    start = v.check_scenario_start(start, sc)
    sc = apply_whatifs(sc, params, driver_scale, float(start))
    if target is not None:
        folder = ResultsFolder(target).open()
    try:
        return _simulate(twn, sc, levers, specs, start, years, seed, backend, town_seed,
                         figures, progress, keep_model, check_enabled(check), folder, t0,
                         {"params": params, "driver_scale": driver_scale}, csv, states)
    except BaseException:
        if folder is not None:
            folder.abort()
        raise


def _simulate(twn: Town, sc: CentreScenario, levers: list[Any], policies: list[str], start: int,
              years: int, seed: int, backend: str, town_seed: int, figures: bool,
              progress: Callable[[], None] | None, keep_model: bool, check: bool,
              folder: ResultsFolder | None, t0: float,
              whatif: dict[str, Any] | None = None, csv: bool = False,
              states: StateCache | None = None) -> RunResult:
    from .model import CityCentreModel

    settled = None
    if states is None:
        model = CityCentreModel(twn, sc, levers, start_year=start, rng=seed, backend=backend)
    else:
        before = dict(states.counts)
        state = states.get(twn, sc, start, seed, backend)
        model = state.fork(levers)
        source = next((k for k, n in states.counts.items() if n != before[k]), "memory")
        settled = {"key": state.key, "source": source}
    t1 = time.perf_counter()
    tick = progress
    if check:
        def tick() -> None:
            assert_invariants(model)
            if progress is not None:
                progress()
    model.run_months(12 * years, progress=tick)
    t2 = time.perf_counter()
    ts, units, events = model.recorder.frames()
    if check:
        assert_frames(ts, units)
    meta = {
        "scenario": sc.name,
        "scenario_files": list(sc.chain),
        "town": twn.name,
        "town_meta": twn.meta,
        "n_units": twn.n_units,
        "n_street_nodes": twn.n_nodes,
        "policies": policies,
        "start_year": start,
        "whatif": whatif or {"params": {}, "driver_scale": {}},
        "burn_in": model.burn_in_report.as_dict(),
        "scenario_notes": list(sc.notes),
        "years": years,
        "seed": seed,
        "town_seed": town_seed,
        "backend": backend,
        "params": sc.params,
        "trajectories": {k: {"years": list(val[0]), "values": list(val[1])}
                         for k, val in sc.trajectories.items()},
        "units": sc.units,
        "sources": sc.sources,
        "versions": _versions(),
        "git_commit": git_commit(),
        "invariants_checked": check,
        "settled_state": settled,
        "wall_time_s": {"setup": round(t1 - t0, 4), "simulate": round(t2 - t1, 4)},
    }
    result = RunResult(ts, units, events, meta, model if keep_model else None, twn,
                       model.node_footfall.copy())
    if folder is not None:
        folder.write(lambda tmp: _write_into(result, tmp, figures, csv))
        folder.commit()
    return result


def write_results(result: RunResult, out: str | Path, figures: bool = True,
                  csv: bool = False) -> None:
    """Write the Parquet tables (and CSV copies if ``csv``), run.json and figures of ``result``
    into folder ``out``, replacing it as a whole (see `sim.outdir`)."""
    folder = ResultsFolder(v.check_out(out)).open()
    try:
        folder.write(lambda tmp: _write_into(result, tmp, figures, csv))
        folder.commit()
    except BaseException:
        folder.abort()
        raise


#: The tables of a run, by file stem.
TABLES = ("timeseries", "units", "events")


def _write_into(result: RunResult, folder: Path, figures: bool, csv: bool = False) -> None:
    t0 = time.perf_counter()
    for name in TABLES:
        frame = getattr(result, name)
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        if csv:  # plain comma-separated, ISO dates, point decimals (Excel: Data > From Text/CSV);
            # text that a spreadsheet would run as a formula is written as text (sim.safetext)
            csv_frame(frame).to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    if figures:
        from .figures import write_figures  # matplotlib is imported only when figures are drawn

        write_figures(result, folder)
    result.meta.setdefault("wall_time_s", {})["write"] = round(time.perf_counter() - t0, 4)
    with (folder / "run.json").open("w") as fh:
        json.dump(result.meta, fh, indent=2, default=str)
