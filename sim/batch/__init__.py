"""Batch experiments: sweeps over towns x scenarios x policy arms x parameter points x replicates.

One experiment is a TOML spec (`spec`), expanded into runs (`design`) with common random numbers,
executed through one executor seam (`executor`: local process pool or Dask distributed), stored
run by run as hive-partitioned Parquet (`store`), and analysed (`analysis`, `sensitivity`).

    from sim import run_many
    res = run_many(scenarios=["baseline", "ontspannen_stad"], policies=["none", "compaction"],
                   towns=["small"], replicates=5, years=3)
    res.timeseries().groupby(["scenario", "policy", "date"]).vacancy_rate.mean()

Command line: ``binnenstad sweep SPEC``, ``binnenstad analyse DIR``,
``binnenstad sensitivity SPEC``; see ``experiments/README.md``.
"""

from __future__ import annotations

from .spec import ExperimentSpec, SpecError, load_spec
from .sweep import SweepResult, run_many, sweep

__all__ = ["ExperimentSpec", "SpecError", "SweepResult", "load_spec", "run_many", "sweep"]
