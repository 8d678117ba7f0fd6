"""Expand a spec into runs: town x scenario x policy x parameter point x replicate.

Common random numbers: replicate ``r`` gets the seed ``SeedSequence(spec seed).spawn(R)[r]``
under every town, scenario, policy and point, so differences between policies (or points) at the
same replicate are paired: the seed's noise is shared and cancels in the contrast. Adding
replicates keeps the seeds of the existing ones.

Points come from ``[grid]`` (full factorial, in spec order) crossed with ``[sample]`` (SALib's
Latin hypercube, Sobol (Saltelli) or Morris sampler). A point's uncertainty factors (scenario
parameters, driver multipliers) define its ``point`` number; its lever settings change the
policy's text. Runs whose effective inputs coincide (e.g. ``none`` under two points that differ
only in a lever setting) are one run.

Each run has a deterministic ``run_id``: a short hash of the inputs that decide its results.
Runs are ordered replicate by replicate, so a sweep stopped early has whole replicates.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..deprecation import with_deprecated_columns
from ..policies.spec import LeverSpec
from .factors import Factor, apply_levers, canonical, scenario_changes
from .spec import ExperimentSpec

#: Key columns of every run, in order (factor columns follow).
KEY_COLUMNS = ("run_id", "town", "scenario", "policy", "point", "replicate", "seed")


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates ``0 .. replicates-1``: one child of ``SeedSequence(root_seed)`` each,
    as a non-negative 63-bit integer (fits Parquet int64; the model reseeds from it)."""
    children = np.random.SeedSequence(int(root_seed)).spawn(int(replicates))
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


@dataclass(frozen=True)
class Run:
    """One simulation of a sweep: its keys and everything a worker needs to run it.

    ``values`` are the factor columns (``None`` where a lever setting does not apply to the
    policy); ``overrides`` (JSON) and ``scales`` change the scenario; ``levers`` are the policy's
    lever specs.
    """

    run_id: str
    town: str
    scenario: str
    policy: str
    point: int
    replicate: int
    seed: int
    start: int
    years: int
    values: tuple[tuple[str, Any], ...]
    town_path: str
    town_seed: int
    scenario_path: str
    levers: tuple[str, ...]
    overrides: str
    scales: tuple[tuple[str, float], ...]
    backend: str

    def keys(self) -> dict[str, Any]:
        """The run's key columns and factor values (the columns it adds to every table)."""
        out: dict[str, Any] = {"run_id": self.run_id, "town": self.town,
                               "scenario": self.scenario, "policy": self.policy,
                               "point": self.point, "replicate": self.replicate,
                               "seed": self.seed}
        out.update(self.values)
        out["start"], out["years"] = self.start, self.years
        return out


@dataclass
class Design:
    """The expanded experiment.

    Attributes:
        spec: the spec it came from.
        factors: grid and sample factors.
        points: every design point (factor name -> value) in design order: grid x sample.
        sample: the raw SALib sample matrix (rows = sample points) or None.
        runs: the distinct runs, replicate by replicate.
        cells: one row per design cell (town, scenario, policy as the spec names it, ``row`` =
            index into `points`, replicate) with the ``run_id`` that serves it; the map from a
            sampler's rows to runs. The column ``arm`` is a deprecated duplicate of ``policy``.
    """

    spec: ExperimentSpec
    factors: list[Factor]
    points: list[dict[str, Any]]
    sample: np.ndarray | None
    runs: list[Run]
    cells: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """One row per run: key columns, factor columns, start, years."""
        cols = [*KEY_COLUMNS, *(f.name for f in self.factors), "start", "years"]
        return pd.DataFrame([r.keys() for r in self.runs], columns=cols)


def salib_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """SALib ``problem`` dict of the spec's sampled ranges."""
    assert spec.sample is not None
    names = list(spec.sample.ranges)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(map(float, spec.sample.ranges[n])) for n in names]}


def sample_matrix(spec: ExperimentSpec) -> np.ndarray | None:
    """The SALib sample of the spec's ranges (rows = points), or None without ``[sample]``."""
    s = spec.sample
    if s is None:
        return None
    problem = salib_problem(spec)
    if s.method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, s.n, seed=s.seed)
    if s.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, s.n, calc_second_order=s.second_order, seed=s.seed)
    from SALib.sample import morris

    return morris.sample(problem, s.n, num_levels=s.levels, seed=s.seed)


def design_points(spec: ExperimentSpec, sample: np.ndarray | None) -> list[dict[str, Any]]:
    """Grid points (full factorial) crossed with sample points; ``[{}]`` for neither."""
    factors = {f.name: f for f in spec.factors}
    grid = [dict(zip(spec.grid, combo, strict=True))
            for combo in itertools.product(*spec.grid.values())] if spec.grid else [{}]
    samples: list[dict[str, Any]] = [{}]
    if sample is not None:
        names = list(spec.sample.ranges)  # type: ignore[union-attr]
        samples = [dict(zip(names, row.tolist(), strict=True)) for row in sample]
    return [{k: factors[k].coerce(v) for k, v in {**g, **s}.items()}
            for g in grid for s in samples]


def run_id(inputs: dict[str, Any]) -> str:
    """16 hex digits of the SHA-256 of the run's inputs (canonical JSON)."""
    return hashlib.sha256(canonical(inputs).encode()).hexdigest()[:16]


def expand(spec: ExperimentSpec) -> Design:
    """Expand ``spec`` into its runs (see the module docstring)."""
    factors = spec.factors
    by_name = {f.name: f for f in factors}
    sample = sample_matrix(spec)
    points = design_points(spec, sample)
    seeds = replicate_seeds(spec.experiment.seed, spec.experiment.replicates)
    exp = spec.experiment

    # Number the distinct uncertainty combinations in order of first appearance.
    point_of: dict[str, int] = {}
    point_ids = []
    for pt in points:
        key = canonical({k: v for k, v in pt.items() if by_name[k].uncertainty})
        point_ids.append(point_of.setdefault(key, len(point_of)))

    runs: dict[str, Run] = {}
    cells = []
    for rep, seed in enumerate(seeds):
        for town in exp.towns:
            for scen in exp.scenarios:
                for row, (pt, pid) in enumerate(zip(points, point_ids, strict=True)):
                    fvals = {by_name[k]: v for k, v in pt.items()}
                    overrides, scales = scenario_changes(fvals)
                    for named in exp.policies:
                        policy, levers = apply_levers(named, fvals)
                        used = {LeverSpec.name_of(p) for p in levers}
                        values = tuple((f.name, pt[f.name] if f.uncertainty or f.target in used
                                        else None) for f in factors)
                        inputs = {"town": spec.town_path(town), "town_seed": exp.town_seed,
                                  "scenario": spec.scenario_path(scen), "policy": policy,
                                  "overrides": overrides, "scales": scales,
                                  "start": spec.start_of(scen), "years": spec.years_of(scen),
                                  "seed": seed, "backend": exp.backend}
                        rid = run_id(inputs)
                        cells.append((town, scen, named, row, rep, rid))
                        if rid in runs:
                            continue
                        runs[rid] = Run(
                            run_id=rid, town=town, scenario=scen, policy=policy, point=pid,
                            replicate=rep, seed=seed, start=spec.start_of(scen),
                            years=spec.years_of(scen), values=values,
                            town_path=spec.town_path(town), town_seed=exp.town_seed,
                            scenario_path=spec.scenario_path(scen), levers=levers,
                            overrides=canonical(overrides),
                            scales=tuple(sorted(scales.items())), backend=exp.backend)
    cell_frame = with_deprecated_columns(pd.DataFrame(
        cells, columns=["town", "scenario", "policy", "row", "replicate", "run_id"]))
    return Design(spec, factors, points, sample, list(runs.values()), cell_frame)
