"""Measurements that need a fresh process: JIT compile time, whole-run time and peak memory.

`run.py` starts this file as a subprocess, ``python benchmarks/_worker.py '<json task>'``, and
reads one JSON object from its last line of output. The helpers are imported by `run.py` too.

Tasks:
    {"task": "compile"}: import time and first-call time of every kernel (cold with an empty
        ``NUMBA_CACHE_DIR``: compilation; warm: loading the cached machine code).
    {"task": "run", "size": "medium" | {"n_units": ...}, "months": 144, "blas": "one"}: the
        phases of a run, timed apart: town generation, model set-up (street network, decay
        kernel, initial state; `CityCentreModel` without its burn-in), burn-in, and the
        recorded months (`run_months`); kernel time per phase and peak resident memory. The
        kernels are loaded from the cache first, so nothing includes compilation. ``"blas":
        "default"`` switches off the model's one-BLAS-thread limit (`sim.threads`), to measure
        what it buys.
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
FLOW_KERNELS = ("visitor_flows", "push_flows")
#: `Kernels` methods timed under each kernel's name: the dense formulation, which the model
#: runs on small street networks (`sim.flows.use_dense`), counts as the flow kernels.
TIMED_METHODS = {"visitor_flows": "visitor_flows", "visitor_flows_dense": "visitor_flows",
                 "push_flows": "push_flows", "push_flows_dense": "push_flows",
                 "local_vacancy": "local_vacancy", "update_asking_rents": "update_asking_rents"}


def tiny_kernel_calls(kernels) -> dict:
    """One call of each kernel on tiny inputs, through the `Kernels` wrapper (so the argument
    types are the ones the model uses). Returns {kernel: zero-argument callable}."""
    import numpy as np

    ptr = np.array([0, 2, 4], np.int64)
    near = np.array([0, 1, 0, 1], np.int32)
    un = np.array([0, 1], np.int64)
    tree = (np.array([0, 1, 2], np.int64), np.array([1, 0], np.int32),
            np.array([0, 1], np.int32))
    ones = np.ones(2)
    return {
        "visitor_flows": lambda: kernels.visitor_flows(
            ptr, near, np.ones((4, 2)), np.ones((2, 2)), un, np.ones((4, 2)),
            np.ones((4, 2, 2)), np.full(4, 0.5), np.array([2, 3, 1, 2]), np.ones((2, 1)),
            np.array([0])),
        "push_flows": lambda: kernels.push_flows(ptr, near, np.ones(4), ones, np.ones((2, 1)),
                                                 np.array([0]), *tree),
        "local_vacancy": lambda: kernels.local_vacancy(
            ptr, near, un, np.array([True, False]), np.array([True, True])),
        "update_asking_rents": lambda: kernels.update_asking_rents(
            ones, ones, np.array([3, 0]), np.array([True, False]), ones, ones * 0.5, 2.0, 0.01,
            0.5),
        "visitor_flows_dense": lambda: kernels.visitor_flows_dense(
            np.ones((2, 2, 2)), np.ones((2, 2)), un, np.ones((4, 2)), np.ones((4, 2, 2)),
            np.full(4, 0.5), np.array([2, 3, 1, 2]), np.ones((2, 1)), np.array([0])),
        "push_flows_dense": lambda: kernels.push_flows_dense(
            np.ones((2, 2)), np.array([[1, 0], [0, 1]], np.int32),
            np.array([[-9999, 0], [1, -9999]], np.int32)),
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


def instrument(kernels) -> dict[str, float]:
    """Time every kernel call of a `Kernels` object (seconds, summed per kernel, in the returned
    dict, which the caller may reset). Pass the class to time every model built afterwards."""
    acc: dict[str, float] = defaultdict(float)
    for method, name in TIMED_METHODS.items():
        fn = getattr(kernels, method)

        def timed(*args, _fn=fn, _name=name, **kwargs):
            t = time.perf_counter()
            out = _fn(*args, **kwargs)
            acc[_name] += time.perf_counter() - t
            return out

        setattr(kernels, method, timed)
    return acc


def time_burn_in() -> dict:
    """Wrap `sim.burnin.run` (the model calls it through the module) to time the burn-in."""
    from sim import burnin

    out = {"s": 0.0}
    inner = burnin.run

    def timed(model):
        t = time.perf_counter()
        report = inner(model)
        out["s"] = time.perf_counter() - t
        return report

    burnin.run = timed
    return out


def default_blas_threads() -> None:
    """Switch off the model's one-BLAS-thread limit in this process (benchmark of the limit)."""
    from contextlib import nullcontext

    import sim.model

    sim.model.one_blas_thread = lambda controller: nullcontext()


def run_model(size, months: int, catchment_factor: float = 1.0, seed: int = 1) -> dict:
    """Set up (with burn-in) and run one model; kernels must be loaded (no compile time)."""
    from sim.kernels import Kernels
    from sim.model import CityCentreModel

    burn = time_burn_in()
    acc = instrument(Kernels)
    c0, t0 = time.process_time(), time.perf_counter()
    town = make_town(size, catchment_factor)
    t1 = time.perf_counter()
    acc.clear()
    model = CityCentreModel(town, rng=seed)
    c2, t2 = time.process_time(), time.perf_counter()
    setup_kernels = dict(acc)
    acc.clear()
    trips = []
    t3 = time.perf_counter()
    for _ in range(months):
        model.run_months(1)
        trips.append(model.trips_month)
    c4, t4 = time.process_time(), time.perf_counter()
    burn_months = model.burn_in_report.months + model.burn_in_report.spin_up_months
    return {
        "town_s": t1 - t0,
        "init_s": t2 - t1 - burn["s"],
        "burn_in_s": burn["s"],
        "burn_in_months": burn_months,
        "burn_in_converged": bool(model.burn_in_report.converged),
        "burn_in_kernel_s": sum(setup_kernels.values()),
        "setup_s": t2 - t0,
        "sim_s": t4 - t3,
        "total_s": t4 - t0,
        "setup_cpu_s": c2 - c0,  # CPU time of all the process's threads
        "sim_cpu_s": c4 - c2,
        "total_cpu_s": c4 - c0,
        "months": months,
        "step_s": (t4 - t3) / months,
        "kernel_step_s": {k: acc.get(k, 0.0) / months for k in KERNEL_NAMES},
        "n_units": int(model.town.n_units),
        "n_nodes": int(model.town.n_nodes),
        "n_entries": len(model.town.entry_node),
        "kernel_nonzero": int(model.net.n_pairs),
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
        if task.get("blas", "one") == "default":
            default_blas_threads()
        out = run_model(task["size"], int(task.get("months", 144)),
                        float(task.get("catchment_factor", 1.0)), int(task.get("seed", 1)))
        out["blas"] = task.get("blas", "one")
        out["kernel_load_s"] = load
        out["maxrss_mib"] = maxrss_mib()
        out["hwm_mib"] = hwm_mib()
        return out
    raise ValueError(f"unknown task {task['task']!r}")


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
