"""Batch experiments: sweeps over towns x scenarios x policies x parameter points x replicates.

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

import sys
import types
from importlib import import_module
from typing import Any

__all__ = ["ExperimentSpec", "SpecError", "SweepResult", "load_spec", "run_many", "sweep"]

# Lazy (PEP 562): `binnenstad --help` imports the batch command line, which must not pull in
# Mesa, pandas and numba through the spec and sweep modules.
_HOME = {"ExperimentSpec": "spec", "SpecError": "spec", "load_spec": "spec",
         "SweepResult": "sweep", "run_many": "sweep", "sweep": "sweep"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Package(types.ModuleType):
    """The function `sweep` shares its name with its module: importing the submodule would bind
    the module over the exported function (as the eager import used to prevent), so the
    package keeps the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOME and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
