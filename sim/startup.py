"""Start-up cost of the command line: the heavy imports under a paused garbage collector.

Importing Mesa, pandas, SciPy and numba creates about 190,000 long-lived objects. With the cyclic
garbage collector running, each import triggers collections that walk them again and free almost
nothing, and the interpreter walks them once more at exit: together about a third of a short
run's start-to-exit time (`benchmarks/README.md`, "Command line"). Commands therefore import
their libraries inside `collector_paused`, which moves what the imports created into the
collector's permanent generation (`gc.freeze`) and switches collection back on, so the
simulation itself runs with the collector as usual.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

#: What a simulation command needs: the model and its kernels (numba), Mesa, pandas and SciPy.
MODEL_MODULES = ("sim.runner", "sim.model", "sim.town_io", "sim.scenarios.whatif", "sim.outdir")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block, then freeze the objects that exist.

    Collection is switched back on only if it was on before, and also when the block raises.
    Frozen objects are never collected; for import-time objects (modules, classes, functions)
    that is their fate anyway.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def preload(modules: tuple[str, ...] = MODEL_MODULES) -> None:
    """Import ``modules`` (dotted names) under `collector_paused`."""
    with collector_paused():
        for name in modules:
            importlib.import_module(name)
