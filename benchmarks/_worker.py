"""Measurements that need a fresh process: JIT compile time, whole-run time and peak memory.

`run.py` starts this file as a subprocess, ``python benchmarks/_worker.py '<json task>'``, and
reads one JSON object from its last line of output. The helpers are imported by `run.py` too.

Tasks:
    {"task": "compile"}: import time and first-call time of every kernel (cold with an empty
        ``NUMBA_CACHE_DIR``: compilation; warm: loading the cached machine code).
    {"task": "run", "size": "medium" | {"n_units": ...}, "months": 144}: model setup time and
        simulation time (kernels loaded from the cache first, so neither includes compilation),
        kernel time per step and peak resident memory of the process.
    {"task": "baseline"}: peak memory of a process that only imports the model and loads the
        kernels (what every run pays before its town exists).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import defaultdict

KERNEL_NAMES = ("visitor_flows", "push_flows", "local_vacancy", "update_asking_rents")


def tiny_kernel_calls(kernels) -> dict:
    """One call of each kernel on tiny inputs, through the `Kernels` wrapper (so the argument
    types are the ones the model uses). Returns {kernel: zero-argument callable}."""
    import numpy as np

    ptr = np.array([0, 2, 4], np.int64)
    cu = np.array([0, 1, 0, 1], np.int32)
    un = np.array([0, 1], np.int64)
    order = np.array([[1, 0], [0, 1]], np.int32)
    pred = np.array([[0, 0], [1, 1]], np.int32)
    ones = np.ones(2)
    return {
        "visitor_flows": lambda: kernels.visitor_flows(
            ptr, cu, np.ones((2, 4)), un, np.ones((3, 2)), np.ones((3, 2, 2)), np.full(3, 0.5),
            np.array([2, 2, 2]), np.ones((2, 1)), np.array([0])),
        "push_flows": lambda: kernels.push_flows(np.ones((2, 2)), order, pred),
        "local_vacancy": lambda: kernels.local_vacancy(
            ptr, cu, un, np.array([True, False]), np.array([True, True])),
        "update_asking_rents": lambda: kernels.update_asking_rents(
            ones, ones, ones, np.array([3, 0]), np.array([True, False]), ones, ones * 0.01, 0.5),
    }


def warm_kernels() -> float:
    """Load (or compile) every numba kernel; returns the seconds it took."""
    from sim.kernels import Kernels

    t0 = time.perf_counter()
    for call in tiny_kernel_calls(Kernels("numba")).values():
        call()
    return time.perf_counter() - t0


def make_town(size, catchment_factor: float = 1.0, seed: int = 0):
    """A preset name or a dict of `TownPreset` fields -> a generated `Town`."""
    import dataclasses

    from sim.town import TownPreset, generate_town

    preset = size if isinstance(size, str) else TownPreset(**size)
    town = generate_town(preset, seed=seed)
    if catchment_factor != 1.0:
        town = dataclasses.replace(town, catchment_population=town.catchment_population
                                   * catchment_factor)
    return town


def instrument(model) -> dict[str, float]:
    """Time every kernel call of ``model`` (seconds, summed per kernel, in the returned dict)."""
    acc: dict[str, float] = defaultdict(float)
    for name in KERNEL_NAMES:
        fn = getattr(model.kernels, name)

        def timed(*args, _fn=fn, _name=name, **kwargs):
            t = time.perf_counter()
            out = _fn(*args, **kwargs)
            acc[_name] += time.perf_counter() - t
            return out

        setattr(model.kernels, name, timed)
    return acc


def run_model(size, months: int, catchment_factor: float = 1.0, seed: int = 1) -> dict:
    """Set up and run one model; wall times exclude compilation (kernels must be loaded)."""
    from sim.model import CityCentreModel

    town_t0 = time.perf_counter()
    town = make_town(size, catchment_factor)
    t0 = time.perf_counter()
    model = CityCentreModel(town, rng=seed)
    t1 = time.perf_counter()
    acc = instrument(model)
    trips = []
    t2 = time.perf_counter()
    for _ in range(months):
        model.run_months(1)
        trips.append(model.trips_month)
    t3 = time.perf_counter()
    net = model.net
    return {
        "town_s": t0 - town_t0,
        "model_s": t1 - t0,
        "setup_s": t1 - town_t0,
        "sim_s": t3 - t2,
        "months": months,
        "step_s": (t3 - t2) / months,
        "kernel_step_s": {k: v / months for k, v in acc.items()},
        "n_units": int(model.town.n_units),
        "n_nodes": int(model.town.n_nodes),
        "n_candidates": len(net.cand_unit),
        "trips_per_month": float(sum(trips) / len(trips)),
        "vacancy_end": float(model.vacancy_rate()),
    }


def maxrss_mib() -> float:
    """Peak resident memory of this process, ``ru_maxrss`` (KiB on Linux) in MiB. Linux carries
    the peak of the pre-exec image (the parent's, with vfork) over ``execve``, so start workers
    from a small parent; `hwm_mib` does not have this problem."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def hwm_mib() -> float:
    """Peak resident memory of this process image (``VmHWM`` of /proc/self/status) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main(task: dict) -> dict:
    if task["task"] == "compile":
        t0 = time.perf_counter()
        from sim.kernels import Kernels

        out = {"import_s": time.perf_counter() - t0, "first_call_s": {}}
        for name, call in tiny_kernel_calls(Kernels("numba")).items():
            t = time.perf_counter()
            call()
            out["first_call_s"][name] = time.perf_counter() - t
        out["total_s"] = sum(out["first_call_s"].values())
        return out
    if task["task"] == "baseline":
        import sim.model  # noqa: F401

        return {"kernel_load_s": warm_kernels(), "maxrss_mib": maxrss_mib(), "hwm_mib": hwm_mib()}
    if task["task"] == "run":
        load = warm_kernels()
        out = run_model(task["size"], int(task.get("months", 144)),
                        float(task.get("catchment_factor", 1.0)), int(task.get("seed", 1)))
        out["kernel_load_s"] = load
        out["maxrss_mib"] = maxrss_mib()
        out["hwm_mib"] = hwm_mib()
        return out
    raise ValueError(f"unknown task {task['task']!r}")


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
