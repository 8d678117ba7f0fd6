"""Benchmark suite of the binnenstad model: one command, ``python benchmarks/run.py [--quick]``.

Writes ``benchmarks/results.json``, ``benchmarks/scaling.png``, ``benchmarks/profile_medium.txt``
and the results section of ``benchmarks/README.md`` (between ``<!-- results:start -->`` and
``<!-- results:end -->``). See the README for what each benchmark measures.

Numba's cache goes to a fresh temporary directory: the compile-time benchmark fills it (cold,
then warm) and every later measurement loads the kernels from it first, so no timing below
includes compilation. In-process kernel timings run with BLAS on one thread, as the model runs
them (`sim.threads`), except where the effect of that limit is the measurement. Times are
medians of repeated runs; the repeat counts and the load average around each part are recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START, END = "<!-- results:start -->", "<!-- results:end -->"
GIB = 1024.0

#: Repeat counts (full run, --quick run). Kernel calls repeat up to ``kernel_max`` times within
#: about ``kernel_budget_s`` seconds per implementation (at least 3).
REPEATS = {
    "full": {"compile": 2, "kernel_budget_s": 2.0, "kernel_max": 50, "blas": 15, "cli": 7,
             "cli_run": 3, "whole": {"small": 5, "medium": 5, "large": 3, "xl": 2},
             "whole_blas": {"medium": 3, "large": 3}, "extra_sizes": 1,
             "trip_months": 36, "trip_repeats": 2, "kernel_path": 50, "idiomatic": 3,
             "groups": 5, "fidelity": 8},
    "quick": {"compile": 1, "kernel_budget_s": 0.5, "kernel_max": 20, "blas": 5, "cli": 3,
              "cli_run": 1, "whole": {"small": 2, "medium": 2, "large": 1},
              "whole_blas": {"medium": 1}, "extra_sizes": 1, "trip_months": 12,
              "trip_repeats": 1, "kernel_path": 20, "idiomatic": 2, "groups": 2, "fidelity": 2},
}
#: Extra town sizes for the unit-scaling panel, between the presets (catchment ~ interpolated).
EXTRA_SIZES = {
    "full": [dict(n_units=300, catchment_population=55_000, n_department_stores=0,
                  n_supermarkets=2, n_market_squares=1, n_culture=1),
             dict(n_units=1_200, catchment_population=180_000, n_department_stores=2,
                  n_supermarkets=5, n_market_squares=1, n_culture=3),
             dict(n_units=5_000, catchment_population=600_000, n_department_stores=5,
                  n_supermarkets=15, n_market_squares=3, n_culture=10)],
    "quick": [dict(n_units=300, catchment_population=55_000, n_department_stores=0,
                   n_supermarkets=2, n_market_squares=1, n_culture=1)],
}
KERNEL_SIZES = {"full": ["medium", "large", "xl"], "quick": ["medium", "large"]}
BLAS_SIZES = ("medium", "large")
TRIP_FACTORS = {"full": [1 / 16, 1 / 4, 1, 4, 16, 64], "quick": [1 / 4, 1, 4, 16]}
IDIOMATIC_FACTORS = {"full": [1 / 16, 1 / 4, 1], "quick": [1 / 16, 1 / 4]}
FIDELITY_N = {"full": [1_000, 4_000, 16_000, 64_000], "quick": [1_000, 4_000, 16_000]}
TARGETS = {"kernel_speedup": 100.0, "medium_s": 1.5, "large_s": 15.0,
           "xl_s": 120.0, "xl_mem_gib": 2.0, "cli_s": 2.5}
#: Command lines timed from start to exit (arguments after ``binnenstad``).
HELP_ARGS = {"help": ["--help"], "run_help": ["run", "--help"]}
SMALL_RUN_ARGS = ["run", "--town", "small", "--years", "1", "--no-figures", "--quiet"]
MEDIUM_RUN_ARGS = ["run", "--town", "medium", "--no-figures", "--quiet"]
MONTHS = 144
KERNEL_NAMES = ("visitor_flows", "push_flows", "local_vacancy", "update_asking_rents")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(xs) -> float:
    return float(statistics.median(xs))


def load() -> float:
    return round(os.getloadavg()[0], 2)


def time_calls(fn, repeats: int, warmup: int = 1) -> dict:
    """Median (and min, max) wall time of ``repeats`` calls of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return {"median_s": median(ts), "min_s": min(ts), "max_s": max(ts), "repeats": repeats}


def time_budget(fn, budget_s: float, max_repeats: int, min_repeats: int = 3) -> dict:
    """`time_calls` with as many repeats as fit in about ``budget_s`` (one warm-up call)."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    n = int(min(max_repeats, max(min_repeats, budget_s / max(first, 1e-9))))
    return time_calls(fn, n, warmup=0)


def worker(task: dict, env: dict | None = None) -> dict:
    """Run one `_worker.py` task in a fresh Python process."""
    out = subprocess.run([sys.executable, str(HERE / "_worker.py"), json.dumps(task)],
                         capture_output=True, text=True, env=env or dict(os.environ), cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"worker {task} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- machine
def machine_info() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                ram_kib = int(line.split()[1])
    versions = {}
    for pkg in ("numpy", "numba", "mesa", "scipy", "pandas", "llvmlite", "threadpoolctl"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    from sim.threads import blas_controller

    blas = [{"package": "numpy" if "numpy.libs" in lib.info()["filepath"] else "scipy",
             **{k: lib.info()[k] for k in ("prefix", "version", "num_threads", "architecture")}}
            for lib in blas_controller().lib_controllers]
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "ram_gib": round(ram_kib / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions, "blas": blas,
            "loadavg_start": os.getloadavg()}


# ---------------------------------------------------------------------------------- compile
def bench_compile(reps: int) -> dict:
    """First-call time of every kernel in fresh processes: cold (empty cache dir) and warm."""
    cold, warm = [], []
    cache_dir = None
    for _ in range(reps):
        if cache_dir:
            shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir = tempfile.mkdtemp(prefix="binnenstad-numba-")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        cold.append(worker({"task": "compile"}, env))
    for _ in range(reps):
        warm.append(worker({"task": "compile"}, env))

    def summary(runs):
        names = runs[0]["first_call_s"]
        return {"first_call_s": {k: median(r["first_call_s"][k] for r in runs) for k in names},
                "total_s": median(r["total_s"] for r in runs),
                "import_s": median(r["import_s"] for r in runs), "repeats": len(runs)}

    return {"cold": summary(cold), "warm": summary(warm), "cache_dir": cache_dir}


# ---------------------------------------------------------------------------------- whole runs
def _whole_task(label: str, size, blas: str = "one") -> dict:
    log(f"  whole run {label} ({blas} BLAS thread{'s' if blas != 'one' else ''})")
    return worker({"task": "run", "size": size, "months": MONTHS, "blas": blas})


def _whole(label: str, size, n: int, blas: str = "one", runs: list | None = None) -> dict:
    """Summary (medians) of ``n`` whole runs (or of the given ``runs``)."""
    runs = runs or [_whole_task(label, size, blas) for _ in range(n)]
    n = len(runs)
    first = runs[0]
    keys = ("town_s", "init_s", "burn_in_s", "burn_in_kernel_s", "setup_s", "sim_s", "total_s",
            "step_s", "kernel_load_s", "setup_cpu_s", "sim_cpu_s", "total_cpu_s")
    out = {k: median(r[k] for r in runs) for k in keys}
    out.update({
        "repeats": n, "blas": blas,
        "sim_s_min": min(r["sim_s"] for r in runs), "sim_s_max": max(r["sim_s"] for r in runs),
        "total_s_min": min(r["total_s"] for r in runs),
        "total_s_max": max(r["total_s"] for r in runs),
        "kernel_step_s": {k: median(r["kernel_step_s"][k] for r in runs) for k in KERNEL_NAMES},
        "maxrss_mib": max(r["maxrss_mib"] for r in runs),
        "hwm_mib": max(r["hwm_mib"] for r in runs),
        "burn_in_months": [r["burn_in_months"] for r in runs],
        "burn_in_converged": all(r["burn_in_converged"] for r in runs),
        **{k: first[k] for k in ("n_units", "n_nodes", "n_entries", "kernel_nonzero",
                                 "trips_per_month")},
    })
    ks = out["kernel_step_s"]
    out["months_per_s"] = 1.0 / out["step_s"]
    out["flow_kernels_step_s"] = ks["visitor_flows"] + ks["push_flows"]
    out["kernel_share"] = sum(ks.values()) / out["step_s"]
    return out


def bench_whole_runs(reps: dict, extra: list[dict], extra_reps: int) -> dict:
    """144-month runs per size, each repeat in a fresh process (warm numba cache)."""
    out = {"baseline": worker({"task": "baseline"})}
    for name, n in reps.items():
        out[name] = _whole(name, name, n)
    for spec in extra:
        out[f"custom_{spec['n_units']}"] = _whole(f"custom_{spec['n_units']}", spec, extra_reps)
    return out


def bench_whole_blas(reps: dict) -> dict:
    """Whole runs with the model's one-BLAS-thread limit and with it switched off, in
    alternating order (one, default, default, one, ...) so that the machine's load hits both
    alike."""
    out = {}
    for name, n in reps.items():
        runs: dict = {"one": [], "default": []}
        for i in range(n):
            for blas in (("one", "default") if i % 2 == 0 else ("default", "one")):
                runs[blas].append(_whole_task(name, name, blas))
        out[name] = {blas: _whole(name, name, n, blas, rs) for blas, rs in runs.items()}
    return out


# ---------------------------------------------------------------------------------- kernels
def capture_kernel_inputs(model) -> dict:
    """The (checked, converted) arguments of every backend kernel call of one model month."""
    k = model.kernels
    seen: dict = {}
    originals = {name: getattr(k, name) for name in ("_flows", "_push", "_local", "_rents")}
    for name, fn in originals.items():
        def record(*args, _fn=fn, _name=name):
            seen[_name] = args
            return _fn(*args)
        setattr(k, name, record)
    try:
        model.run_months(1)
    finally:
        for name, fn in originals.items():
            setattr(k, name, fn)
    return seen


def rel_diff(a, b) -> float:
    import numpy as np

    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        scale = max(float(np.abs(y).max()), 1e-300)
        worst = max(worst, float(np.abs(np.asarray(x) - np.asarray(y)).max()) / scale)
    return worst


def kernel_model(size: str):
    """A model of ``size`` after its burn-in (xl: without, to save about a minute; the kernels'
    cost depends on the shapes, not on the state)."""
    from sim.flows import flow_geometry
    from sim.model import CityCentreModel

    model = CityCentreModel(size, rng=1, burn_in=size != "xl")
    # The sparse kernels, whatever the model would choose (`sim.flows.use_dense`): the dense
    # formulation is measured beside them ("Sparse against dense").
    model.geometry = flow_geometry(model.p, model.town, model.net, dense=False)
    return model


def bench_kernels(size: str, reps: dict) -> tuple[dict, dict]:
    """Numba vs reference twin vs vectorised NumPy per kernel on the arrays of one month of a
    ``size`` town, plus the sparse flow kernels against the dense formulation they replaced;
    BLAS on one thread."""
    import numpy as np

    from sim.kernels import flows, footfall, neighbourhood, rents, vectorised

    model = kernel_model(size)
    burned = model.burn_in_report.months > 0
    args = capture_kernel_inputs(model)
    budget, mx = reps["kernel_budget_s"], reps["kernel_max"]
    pairs = {
        "visitor_flows": ("_flows", flows.visitor_flows_numba, flows.visitor_flows_reference,
                          vectorised.visitor_flows_vectorised),
        "push_flows": ("_push", footfall.push_flows_numba, footfall.push_flows_reference,
                       vectorised.push_flows_vectorised),
        "local_vacancy": ("_local", neighbourhood.local_vacancy_numba,
                          neighbourhood.local_vacancy_reference,
                          vectorised.local_vacancy_vectorised),
        "update_asking_rents": ("_rents", rents.update_asking_rents_numba,
                                rents.update_asking_rents_reference,
                                vectorised.update_asking_rents_vectorised),
    }
    out: dict = {"size": size, "burn_in": burned}
    for name, (key, fast, ref, vec) in pairs.items():
        a = args[key]
        log(f"  {size} {name}")
        tn = time_budget(lambda fast=fast, a=a: fast(*a), budget, mx)
        # The interpreted per-path walk of push_flows_reference takes minutes on xl.
        skip_ref = name == "push_flows" and size == "xl"
        tr = None if skip_ref else time_budget(lambda ref=ref, a=a: ref(*a), budget, mx)
        same = vec is ref
        tv = tr if same else time_budget(lambda vec=vec, a=a: vec(*a), budget, mx)
        want = fast(*a)
        out[name] = {"numba": tn, "reference": tr, "vectorised": tv,
                     "vectorised_is_reference": same,
                     "speedup": tr["median_s"] / tn["median_s"] if tr else None,
                     "speedup_vectorised": tv["median_s"] / tn["median_s"],
                     "max_rel_diff": rel_diff(want, ref(*a)) if tr else None,
                     "max_rel_diff_vectorised": rel_diff(want, vec(*a))}
    # the dense formulation the sparse kernels replaced (issue 20), on the same month
    from dense_net import dense_network

    from sim.kernels import dense
    from sim.kernels.flows import od_dense

    a = args["_flows"]
    dn = dense_network(model)
    dense_args = (dn["kernel"], *a[3:])
    visits, od, exit_mass, _ = flows.visitor_flows_numba(*a)
    full = od_dense(a[0], a[1], od, exit_mass, a[9], a[10])
    tdf = time_budget(lambda: dense.visitor_flows_dense_numba(*dense_args), budget, mx)
    tdr = time_budget(lambda: dense.visitor_flows_dense_reference(*dense_args), budget, mx)
    tdp = time_budget(lambda: dense.push_flows_dense_numba(full, dn["order"], dn["pred"]),
                      budget, mx)
    dvis, dod, _ = dense.visitor_flows_dense_numba(*dense_args)
    vf, pf = out["visitor_flows"], out["push_flows"]
    out["dense"] = {
        "flows_numba": tdf, "flows_numpy": tdr, "push_numba": tdp,
        "speedup_flows": tdf["median_s"] / vf["numba"]["median_s"],
        "speedup_push": tdp["median_s"] / pf["numba"]["median_s"],
        "speedup_both": (tdf["median_s"] + tdp["median_s"])
        / (vf["numba"]["median_s"] + pf["numba"]["median_s"]),
        "max_rel_diff": max(rel_diff(visits, dvis), rel_diff(full, dod))}
    n_nodes = len(a[0]) - 1
    out["shape"] = {"nodes": n_nodes, "units": int(a[5].shape[1]),
                    "sources": int((np.diff(a[0]) > 0).sum()),
                    "purposes": int(a[5].shape[0]), "ages": int(a[2].shape[1]),
                    "rounds": int(np.max(a[8])), "pairs": len(a[1]),
                    "tree_entries": len(args["_push"][7]),
                    "kernel_nonzero_share": len(a[1]) / n_nodes**2,
                    "network_mib": model.net.nbytes() / 2**20,
                    "dense_mib": (dn["kernel"].nbytes + 3 * n_nodes**2 * 8) / 2**20}
    return out, args


def bench_blas(args: dict, reps: int) -> dict:
    """The flow kernel (numba, and its NumPy twin) with BLAS on one thread against the default
    (OpenBLAS's own choice: one thread per core), interleaved call by call so that changes in
    the machine's load hit both alike."""
    from sim.kernels.flows import visitor_flows_numba, visitor_flows_reference
    from sim.threads import blas_controller, one_blas_thread

    ctrl = blas_controller()
    default_threads = max(lib.num_threads for lib in ctrl.lib_controllers)
    a = args["_flows"]
    fns = {"numba": visitor_flows_numba, "reference": visitor_flows_reference}
    times: dict = {(impl, mode): [] for impl in fns for mode in ("one", "default")}
    for fn in fns.values():
        fn(*a)
    for i in range(reps):
        modes = ("one", "default") if i % 2 == 0 else ("default", "one")
        for mode in modes:
            for impl, fn in fns.items():
                if mode == "one":
                    with one_blas_thread(ctrl):
                        t = time.perf_counter()
                        fn(*a)
                        times[impl, mode].append(time.perf_counter() - t)
                else:
                    t = time.perf_counter()
                    fn(*a)
                    times[impl, mode].append(time.perf_counter() - t)
    out = {"default_threads": default_threads, "repeats": reps}
    for impl in fns:
        one, dflt = median(times[impl, "one"]), median(times[impl, "default"])
        out[impl] = {"one_s": one, "default_s": dflt, "default_over_one": dflt / one,
                     "one_max_s": max(times[impl, "one"]),
                     "default_max_s": max(times[impl, "default"])}
    return out


# ---------------------------------------------------------------------------------- scaling
def bench_trip_scaling(factors, idiom_factors, months: int, repeats: int,
                       kernel_reps: int, group_reps: int) -> list[dict]:
    """Time per step at medium size against the number of visitor trips (catchment x factor)."""
    import mesa_idiomatic
    from _worker import instrument, make_town

    from sim.model import CityCentreModel

    rows = []
    for f in factors:
        steps, kern, trips = [], [], []
        for rep in range(repeats):
            model = CityCentreModel(make_town("medium", f), rng=1 + rep)
            acc = instrument(model.kernels)
            t0 = time.perf_counter()
            for _ in range(months):
                model.run_months(1)
                trips.append(model.trips_month)
            steps.append((time.perf_counter() - t0) / months)
            kern.append((acc["visitor_flows"] + acc["push_flows"]) / months)
        # The flow kernels alone, replayed on the last month's arrays (less noise than in-run).
        inputs = mesa_idiomatic.capture_flow_inputs(model)
        isolated = time_calls(lambda inputs=inputs, k=model.kernels:
                              mesa_idiomatic.expected_flows(inputs, k), kernel_reps)
        groups = time_calls(lambda inputs=inputs: mesa_idiomatic.group_month(inputs),
                            group_reps)
        row = {"catchment_factor": f, "trips_per_month": float(sum(trips) / len(trips)),
               "step_s": median(steps), "flow_kernels_step_s": median(kern),
               "flow_kernels_isolated_s": isolated["median_s"],
               "group_agents_s": groups["median_s"], "repeats": repeats, "months": months,
               "kernel_repeats": kernel_reps, "group_repeats": group_reps}
        if f in idiom_factors:
            day = mesa_idiomatic.sampled_day(inputs, seed=1)
            row["idiomatic_day_s"] = day["total_s"]
            row["idiomatic_visitors"] = day["n_visitors"]
        rows.append(row)
        log(f"  trips x{f:g}: {row['trips_per_month']:,.0f} trips/month, "
            f"{1e3 * row['step_s']:.2f} ms/step, kernels {1e3 * isolated['median_s']:.3f} ms")
    return rows


# ---------------------------------------------------------------------------------- Mesa idiom
def bench_idiomatic(size: str, reps: dict) -> dict:
    """Mesa agents (one per sampled visitor for one representative day; one per visitor group
    for a month's expected flows) against the model's flow submodel."""
    import mesa_idiomatic
    import numpy as np

    from sim.model import CityCentreModel

    model = CityCentreModel(size, rng=1)
    model.run_months(12)
    inputs = mesa_idiomatic.capture_flow_inputs(model)
    kernel_path = time_calls(lambda: mesa_idiomatic.month_flows(model), reps["kernel_path"])
    kernel_only = time_calls(lambda: mesa_idiomatic.expected_flows(inputs, model.kernels),
                             reps["kernel_path"])
    days = [mesa_idiomatic.sampled_day(inputs, seed=s) for s in range(reps["idiomatic"])]
    day_s = median(d["total_s"] for d in days)
    n = days[0]["n_visitors"]
    groups = [mesa_idiomatic.group_month(inputs) for _ in range(reps["groups"])]
    group_s = median(g["total_s"] for g in groups)
    from sim.kernels.flows import od_dense

    visits, od, exit_mass, _ = model.kernels.visitor_flows(*mesa_idiomatic.flow_args(inputs))
    od = od_dense(inputs["ptr"], inputs["col"], od, exit_mass, inputs["exit_prob"],
                  inputs["entry_node"])
    g = groups[0]
    return {"size": size, "visitors_per_day": n, "trips_per_month": float(inputs["m0"].sum()),
            "idiomatic_day_s": day_s,
            "idiomatic_create_s": median(d["create_s"] for d in days),
            "idiomatic_step_s": median(d["step_s"] for d in days),
            "idiomatic_us_per_visitor": 1e6 * day_s / n,
            "idiomatic_all_days_s": day_s * mesa_idiomatic.DAYS_PER_MONTH,
            "group_month_s": group_s, "groups_start": g["groups_start"],
            "group_steps": g["group_steps"], "group_rounds": g["rounds"],
            "group_max_rel_diff": max(rel_diff(g["visits"], visits), rel_diff(g["od"], od)),
            "group_us_per_step": 1e6 * group_s / g["group_steps"],
            "kernel_path_s": kernel_path["median_s"], "flow_kernels_s": kernel_only["median_s"],
            "ratio": day_s / kernel_path["median_s"],
            "ratio_all_days": day_s * mesa_idiomatic.DAYS_PER_MONTH / kernel_path["median_s"],
            "ratio_groups": group_s / kernel_path["median_s"],
            "units": int(np.asarray(inputs["attr"]).shape[1]),
            "nodes": int(inputs["m0"].shape[2]),
            "repeats": {"idiomatic": reps["idiomatic"], "groups": reps["groups"],
                        "kernel_path": reps["kernel_path"]}}


def bench_fidelity(ns: list[int], reps: int) -> dict:
    """Sampling noise of per-node footfall of sampled visitors vs the expected flows (small)."""
    import mesa_idiomatic
    import numpy as np

    from sim.model import CityCentreModel

    model = CityCentreModel("small", rng=1)
    model.run_months(12)
    inputs = mesa_idiomatic.capture_flow_inputs(model)
    exp_visits, expected = mesa_idiomatic.expected_flows(inputs, model.kernels)
    trips = float(inputs["m0"].sum())
    n_day = round(trips / mesa_idiomatic.DAYS_PER_MONTH)
    rows = []
    for n in sorted({*ns, n_day}):
        foot, vis = [], []
        for rep in range(reps):
            day = mesa_idiomatic.sampled_day(inputs, n, seed=1000 + rep)
            foot.append(mesa_idiomatic.relative_rmse(day["footfall"], expected * n / trips))
            shop = exp_visits > 0
            vis.append(mesa_idiomatic.relative_rmse(day["visits"][shop],
                                                    exp_visits[shop] * n / trips))
        rows.append({"n_visitors": n, "representative_day": n == n_day,
                     "footfall_rel_rmse": float(np.mean(foot)),
                     "footfall_rel_rmse_sd": float(np.std(foot)),
                     "visits_rel_rmse": float(np.mean(vis)),
                     "footfall_rmse_x_sqrt_n": float(np.mean(foot) * np.sqrt(n)),
                     "replicates": reps})
        log(f"  fidelity n={n}: footfall rel. RMSE {np.mean(foot):.4f}")
    x = np.log([r["n_visitors"] for r in rows])
    slope = float(np.polyfit(x, np.log([r["footfall_rel_rmse"] for r in rows]), 1)[0])
    return {"size": "small", "nodes": len(expected), "trips_per_month": trips,
            "rows": rows, "loglog_slope": slope}


# ---------------------------------------------------------------------------------- profile
def bench_profile() -> dict:
    """pyinstrument profile of a medium run: set-up with burn-in, then 144 recorded months; the
    tree goes to profile_medium.txt."""
    from pyinstrument import Profiler

    from sim.model import CityCentreModel

    profiler = Profiler(interval=0.0005)
    profiler.start()
    t0 = time.perf_counter()
    model = CityCentreModel("medium", rng=1)
    t1 = time.perf_counter()
    model.run_months(MONTHS)
    t2 = time.perf_counter()
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False,
                                processor_options={"filter_threshold": 0.01})
    keep = [ln for ln in text.splitlines() if ln.strip()][:110]
    (HERE / "profile_medium.txt").write_text(
        f"pyinstrument profile: medium town, set-up with {model.burn_in_report.months} months "
        f"of burn-in ({t1 - t0:.2f} s), then {MONTHS} recorded monthly steps ({t2 - t1:.2f} s); "
        "warm numba cache.\nFrames under 1% of the total are hidden.\n\n" + "\n".join(keep)
        + "\n")
    root = profiler.last_session.root_frame()
    model_py = os.path.join("sim", "model.py")

    def find(frame, function, suffix, found):
        if frame.function == function and frame.file_path and frame.file_path.endswith(suffix):
            found.append(frame)
            return found
        for child in frame.children:
            find(child, function, suffix, found)
        return found

    months = find(root, "month", model_py, [])
    records = find(root, "record_month", os.path.join("sim", "record.py"), [])
    parts: dict[str, float] = {}
    inner: dict[str, float] = {}
    kernels: dict[str, float] = {}

    def walk_kernels(frame):
        if frame.file_path and frame.file_path.endswith(os.path.join("kernels", "__init__.py")):
            kernels[frame.function] = kernels.get(frame.function, 0.0) + frame.time
            return
        for child in frame.children:
            walk_kernels(child)

    for m in months:
        for child in m.children:
            name = child.function if child.function != "[self]" else "month (own code)"
            parts[name] = parts.get(name, 0.0) + child.time
            for grand in child.children:
                if grand.function != "[self]":
                    key = f"{name} > {grand.function}"
                    inner[key] = inner.get(key, 0.0) + grand.time
        walk_kernels(m)
    for r in records:
        parts["record_month"] = parts.get("record_month", 0.0) + r.time
        for grand in r.children:
            if grand.function != "[self]":
                key = f"record_month > {grand.function}"
                inner[key] = inner.get(key, 0.0) + grand.time
    return {"total_s": root.time, "setup_s": t1 - t0, "run_s": t2 - t1,
            "burn_in_months": model.burn_in_report.months,
            "month_s": sum(m.time for m in months), "months_profiled": len(months),
            "parts_s": dict(sorted(parts.items(), key=lambda kv: -kv[1])),
            "inner_s": dict(sorted(inner.items(), key=lambda kv: -kv[1])[:12]),
            "kernels_s": dict(sorted(kernels.items(), key=lambda kv: -kv[1]))}


# ---------------------------------------------------------------------------------- CLI
def _cli_command() -> list[str]:
    script = Path(sys.executable).with_name("binnenstad")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.cli"]


def _time_process(cmd: list[str], reps: int, cwd: Path) -> dict:
    """Wall time from start to exit of ``cmd`` (one warm-up run first), and the CPU time (user +
    system) the process used: on a shared machine the CPU time is the steadier figure, and on an
    idle one the two agree (the command runs on one core)."""
    import resource

    ts, cpu = [], []
    for i in range(reps + 1):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if res.returncode != 0:
            raise RuntimeError(f"{cmd} failed:\n{res.stderr[-2000:]}")
        if i:
            ts.append(wall)
            cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return {"median_s": median(ts), "min_s": min(ts), "max_s": max(ts), "repeats": reps,
            "cpu_median_s": median(cpu)}


def bench_cli(reps: int, run_reps: int) -> dict:
    """The command line from start to exit (fresh process, warm numba cache): the help screens
    (start-up), runs, and their parts: the interpreter alone, the imports, and the in-process
    phases the run records in run.json (setup = inputs, town, street network, initial state and
    burn-in, including loading the kernels; simulate; write)."""
    cmd = _cli_command()
    py = [sys.executable, "-c"]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        out = {"help": _time_process([*cmd, *HELP_ARGS["help"]], reps, cwd),
               "run_help": _time_process([*cmd, *HELP_ARGS["run_help"]], reps, cwd),
               "small_run": _time_process([*cmd, *SMALL_RUN_ARGS, "--out", "s"], reps, cwd),
               "medium_run": _time_process([*cmd, *MEDIUM_RUN_ARGS, "--out", "m"], run_reps,
                                           cwd),
               "lister": _time_process([*cmd, "scenarios"], reps, cwd),
               "python": _time_process([*py, "pass"], reps, cwd),
               "import_cli": _time_process([*py, "import sim.cli"], reps, cwd),
               "import_model": _time_process([*py, "import sim.cli, sim.runner, sim.model"],
                                             reps, cwd)}
        out["small_in_process_s"] = json.loads((cwd / "s" / "run.json").read_text())[
            "wall_time_s"]
        meta = json.loads((cwd / "m" / "run.json").read_text())
        out["medium_in_process_s"] = meta["wall_time_s"]
        out["medium_burn_in"] = meta.get("burn_in")
    out["commands"] = {"help": "binnenstad --help", "run_help": "binnenstad run --help",
                       "small_run": "binnenstad " + " ".join(SMALL_RUN_ARGS),
                       "medium_run": "binnenstad " + " ".join(MEDIUM_RUN_ARGS)}
    return out


# ---------------------------------------------------------------------------------- plot
def plot_scaling(trips: list[dict], runs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
    x = np.array([r["trips_per_month"] for r in trips])
    ax1.loglog(x, [1e3 * r["step_s"] for r in trips], "o-", label="whole model step")
    ax1.loglog(x, [1e3 * r["flow_kernels_isolated_s"] for r in trips], "s-",
               label="flow + footfall kernels (expected flows)")
    ax1.loglog(x, [1e3 * r["group_agents_s"] for r in trips], "v-", color="C2",
               label="Mesa: one agent per visitor group\n(expected flows, same result)")
    idi = [r for r in trips if "idiomatic_day_s" in r]
    if idi:
        xi = np.array([r["trips_per_month"] for r in idi])
        yi = np.array([1e3 * r["idiomatic_day_s"] for r in idi])
        ax1.loglog(xi, yi, "^--", color="C3",
                   label="Mesa: one agent per visitor\n(one representative day, sampled)")
        ax1.loglog(x, yi[-1] * x / xi[-1], ":", color="grey", label="slope 1 (linear in trips)")
    ax1.set_xlabel("visitor trips per month (medium town, catchment scaled)")
    ax1.set_ylabel("wall time (ms)")
    ax1.set_title("Cost vs number of trips")
    ax1.legend(fontsize=7)
    ax1.grid(True, which="both", alpha=0.3)

    sized = sorted((v for k, v in runs.items() if k != "baseline"), key=lambda v: v["n_units"])
    u = np.array([v["n_units"] for v in sized])
    ax2.loglog(u, [1e3 * v["step_s"] for v in sized], "o-", label="whole model step")
    ax2.loglog(u, [1e3 * v["flow_kernels_step_s"] for v in sized], "s-",
               label="flow + footfall kernels")
    ref = 1e3 * sized[0]["step_s"]
    ax2.loglog(u, ref * u / u[0], ":", color="grey", label="slope 1")
    ax2.loglog(u, ref * (u / u[0]) ** 2, "--", color="lightgrey", label="slope 2")
    for v in sized:
        ax2.annotate(f"{v['n_nodes']:,} nodes\n{v['months_per_s']:.3g} months/s",
                     (v["n_units"], 1e3 * v["step_s"]), fontsize=6, xytext=(4, -14),
                     textcoords="offset points")
    ax2.set_xticks(u, [f"{int(n):,}" for n in u], fontsize=7)
    ax2.minorticks_off()
    ax2.set_xlabel("units in the town")
    ax2.set_ylabel("wall time per recorded monthly step (ms)")
    ax2.set_title("Cost vs town size (144-month runs)")
    ax2.legend(fontsize=7)
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------------- report
def _ms(s: float | None) -> str:
    if s is None:
        return "not run"
    return f"{1e3 * s:.3g} ms" if s < 1 else f"{s:.3g} s"


def _x(r: float | None) -> str:
    if r is None:
        return ""
    return f"{r:.2g}x" if r < 10 else f"{r:,.0f}x"


def _status(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load(res: dict, part: str) -> str:
    a, b = res["load"][part]
    return f"load {a:.1f}-{b:.1f}" if abs(a - b) >= 0.05 else f"load {a:.1f}"


def render_cli(c: dict) -> str:
    """The 'Command line, start to exit' section."""
    ip, im = c["small_in_process_s"], c["medium_in_process_s"]

    def row(label, r):
        return (f"| {label} | {r['median_s']:.2f} s ({r['min_s']:.2f}-{r['max_s']:.2f}, "
                f"{r['repeats']} runs) | {r['cpu_median_s']:.2f} s |")

    cm = c["commands"]
    bi = c.get("medium_burn_in") or {}
    out = ["### Command line, start to exit", "",
           "Fresh process per run, warm numba cache, after one warm-up run; wall time from "
           "start to exit as a user sees it, and the CPU time (user + system) of the process, "
           "the steadier figure on a shared machine.", "",
           "| what | start to exit, median (min-max) | CPU time, median |", "|---|---|---|",
           row(f"`{cm['help']}`", c["help"]),
           row(f"`{cm['run_help']}`", c["run_help"]),
           row(f"`{cm['small_run']}`", c["small_run"]),
           row(f"`{cm['medium_run']}` (12 years)", c["medium_run"]),
           row("`binnenstad scenarios` (a listing command)", c["lister"]),
           row("`python -c pass` (the interpreter alone)", c["python"]),
           row("`python -c 'import sim.cli'`", c["import_cli"]),
           row("`python -c 'import sim.cli, sim.runner, sim.model'` (Mesa, pandas, SciPy, "
               "numba)", c["import_model"]),
           "", f"In-process phases (run.json `wall_time_s`): small 1 year: setup "
           f"{ip['setup']:.2f} s, simulate {ip['simulate']:.2f} s, write {ip['write']:.3f} s; "
           f"medium 12 years: setup {im['setup']:.2f} s (includes the burn-in"
           + (f", {bi['months']} months" if "months" in bi else "")
           + f"), simulate {im['simulate']:.2f} s, write {im['write']:.2f} s. The rest of "
           "start-to-exit is the interpreter, the imports and loading the cached kernels."]
    return "\n".join(out)


def render(res: dict) -> str:
    m, reps = res["machine"], res["repeats"]
    v = m["versions"]
    blas = "; ".join(f"{b['package']}'s OpenBLAS {b['version']} ({b['architecture']}, "
                     f"{b['num_threads']} threads by default)" for b in m["blas"])
    out = [f"_Generated by `python benchmarks/run.py{' --quick' if res['mode'] == 'quick' else ''}`"
           f" on {res['date']} ({res['mode']} mode, {res['wall_s'] / 60:.1f} min)._", ""]
    out += ["**Machine.** " + f"{m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
            f"{m['ram_gib']} GiB RAM; Python {m['python']}, numba {v['numba']}, "
            f"numpy {v['numpy']}, scipy {v['scipy']}, Mesa {v['mesa']}; BLAS: {blas}; "
            f"{m['platform']}. Load average (1 min) at start {m['loadavg_start'][0]:.2f}, at end "
            f"{m['loadavg_end'][0]:.2f}; around each part as given. Other engineers' jobs share "
            "the two cores: medians damp their effect but do not remove it.", ""]
    k, w = res["kernels"], res["whole_runs"]
    km = k["medium"]
    rows = []
    for name in ("visitor_flows", "push_flows"):
        r = km[name]
        rows.append((f"{name}: numba vs reference twin (medium; issue 3)", "≥ 100x",
                     f"{_x(r['speedup'])} (vs vectorised NumPy: {_x(r['speedup_vectorised'])})",
                     r["speedup"] >= TARGETS["kernel_speedup"]))
    kx = k.get("xl", km)["dense"]
    rows.append((f"visitor_flows + push_flows: sparse vs the dense formulation "
                 f"({'xl' if 'xl' in k else 'medium'}; issue 20)", "faster",
                 f"{_x(kx['speedup_both'])} (flows {_x(kx['speedup_flows'])}, push "
                 f"{_x(kx['speedup_push'])})", kx["speedup_both"] > 1.0))
    for size, key in (("medium", "medium_s"), ("large", "large_s"), ("xl", "xl_s")):
        if size in w:
            r = w[size]
            rows.append((f"{size}: 12 years incl. town, set-up and burn-in",
                         f"≤ {TARGETS[key]:g} s",
                         f"{r['total_s']:.2f} s, min {r['total_s_min']:.2f} s, CPU "
                         f"{r['total_cpu_s']:.2f} s (burn-in {r['burn_in_s']:.2f} s, 12 years "
                         f"{r['sim_s']:.2f} s)", r["total_s"] <= TARGETS[key]))
    if "xl" in w:
        rows.append(("xl: peak memory (ru_maxrss)", "≤ 2 GiB",
                     f"{w['xl']['maxrss_mib'] / GIB:.2f} GiB",
                     w["xl"]["maxrss_mib"] / GIB <= TARGETS["xl_mem_gib"]))
    c = res["cli"]
    for key in ("help", "run_help", "small_run"):  # small_run: issue 8's start-up target
        rows.append((f"`{c['commands'][key]}`, start to exit", f"< {TARGETS['cli_s']:g} s",
                     f"{c[key]['median_s']:.2f} s ({c[key]['cpu_median_s']:.2f} s CPU)",
                     c[key]["median_s"] < TARGETS["cli_s"]))
    out += ["### Targets", "", "| target | goal | measured | status |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {cc} | {_status(d)} |" for a, b, cc, d in rows]
    if "xl" not in w:
        out += ["", "(--quick: xl not run.)"]

    # ---- kernels
    out += ["", "### Kernels: numba, reference twin, vectorised NumPy", "",
            "Arrays of one model month (medium and large after their burn-in; xl without "
            "burn-in, its first month: the kernels' cost depends on the array shapes, not on the "
            "state). Raw backend functions (wrapper checks excluded), BLAS on one thread as in "
            f"the model; median of 3-{reps['kernel_max']} calls (as many as fit in about "
            f"{reps['kernel_budget_s']:g} s). **Reference** = the twin `--backend reference` "
            "runs. **Vectorised** = `sim.kernels.vectorised`, the numba kernel's own algorithm in "
            "whole-array NumPy; for `visitor_flows`, `local_vacancy` and `update_asking_rents` "
            "that is the reference twin itself, for `push_flows` the twin is an interpreted "
            "per-path loop and the vectorised version a separate one. Ratio = NumPy time / "
            "numba time.", "",
            "| town | kernel | numba | reference twin | ratio | vectorised NumPy | ratio | "
            "max. rel. difference (ref. / vect.) |", "|---|---|---|---|---|---|---|---|"]
    for size, ks in k.items():
        for name in KERNEL_NAMES:
            r = ks[name]
            vec = ("= reference" if r["vectorised_is_reference"]
                   else _ms(r["vectorised"]["median_s"]))
            vr = "" if r["vectorised_is_reference"] else _x(r["speedup_vectorised"])
            ref_t = _ms(r["reference"]["median_s"]) if r["reference"] else "not run"
            rd = f"{r['max_rel_diff']:.1e}" if r["max_rel_diff"] is not None else "-"
            out.append(f"| {size} | {name} | {_ms(r['numba']['median_s'])} | {ref_t} | "
                       f"{_x(r['speedup'])} | {vec} | {vr} | {rd} / "
                       f"{r['max_rel_diff_vectorised']:.1e} |")
    out += ["", "`push_flows` reference on xl: not run (its interpreted walk over every "
            "origin-destination path takes minutes).", "",
            "**Sparse against dense** (issue 20): the model's kernels work on the stop-choice "
            "pairs (sources within the radius) and the cut shortest-path trees "
            "(`sim.kernels.flows`, `sim.kernels.footfall`); the dense formulation they replaced "
            "(`sim.kernels.dense`: every node pair, full trees) on the same month's arrays. "
            "Ratio = dense time / sparse time (numba both).", "",
            "| town | nodes | sources | pairs (share of nodes^2) | flows: sparse | dense numba | "
            "dense NumPy | ratio | push: sparse | dense | ratio | max. rel. diff. | lists MiB "
            "(dense) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size, ks in k.items():
        d, s = ks["dense"], ks["shape"]
        out.append(f"| {size} | {s['nodes']:,} | {s['sources']:,} | {s['pairs']:,} "
                   f"({100 * s['kernel_nonzero_share']:.0f}%) | "
                   f"{_ms(ks['visitor_flows']['numba']['median_s'])} | "
                   f"{_ms(d['flows_numba']['median_s'])} | {_ms(d['flows_numpy']['median_s'])} | "
                   f"{_x(d['speedup_flows'])} | {_ms(ks['push_flows']['numba']['median_s'])} | "
                   f"{_ms(d['push_numba']['median_s'])} | {_x(d['speedup_push'])} | "
                   f"{d['max_rel_diff']:.1e} | {s['network_mib']:.1f} ({s['dense_mib']:.0f}) |")

    # ---- BLAS threads
    b = res["blas"]
    out += ["", "### BLAS threads: one (the model's setting) against the default", "",
            "`visitor_flows` on the arrays above, with BLAS limited to one thread "
            "(`sim.threads.one_blas_thread`) and with OpenBLAS's default "
            f"({next(iter(b.values()))['default_threads']} threads), calls interleaved; "
            "median (max).", "",
            "| town | numba: one thread | numba: default | default / one | NumPy twin: one | "
            "NumPy twin: default | default / one | load |", "|---|---|---|---|---|---|---|---|"]
    for size, r in b.items():
        nb, rf = r["numba"], r["reference"]
        out.append(f"| {size} | {_ms(nb['one_s'])} ({_ms(nb['one_max_s'])}) | "
                   f"{_ms(nb['default_s'])} ({_ms(nb['default_max_s'])}) | "
                   f"{nb['default_over_one']:.2f} | {_ms(rf['one_s'])} ({_ms(rf['one_max_s'])}) | "
                   f"{_ms(rf['default_s'])} ({_ms(rf['default_max_s'])}) | "
                   f"{rf['default_over_one']:.2f} | {_load(res, 'blas_' + size)} |")
    wb = res.get("whole_blas", {})
    if wb:
        out += ["", "Whole runs (town, set-up, burn-in and 12 years; fresh processes, one and "
                "default alternating), median (min-max) wall time, and the CPU time of all "
                f"the process's threads ({_load(res, 'whole_blas')}):", "",
                "| town | runs | one BLAS thread: wall | CPU | default BLAS threads: wall | CPU | "
                "default / one (wall) | flow kernels per month: one / default |",
                "|---|---|---|---|---|---|---|---|"]
        for size, r in wb.items():
            one, d = r["one"], r["default"]
            out.append(f"| {size} | {one['repeats']} + {d['repeats']} | {one['total_s']:.2f} s "
                       f"({one['total_s_min']:.2f}-{one['total_s_max']:.2f}) | "
                       f"{one['total_cpu_s']:.2f} s | {d['total_s']:.2f} s "
                       f"({d['total_s_min']:.2f}-{d['total_s_max']:.2f}) | "
                       f"{d['total_cpu_s']:.2f} s | {d['total_s'] / one['total_s']:.2f} | "
                       f"{_ms(one['flow_kernels_step_s'])} / {_ms(d['flow_kernels_step_s'])} |")

    # ---- compile
    c = res["compile"]
    out += ["", "### JIT compile time (fresh process per measurement)", "",
            f"Cold: empty `NUMBA_CACHE_DIR` (compiles and writes the cache); warm: the same "
            f"cache (loads machine code; the first kernel also pays numba's one-time set-up). "
            f"Median of {c['cold']['repeats']} processes each. Not included in any other "
            "timing.", "",
            "| kernel | cold (compile) | warm (cache load) |", "|---|---|---|"]
    for name, cold in c["cold"]["first_call_s"].items():
        out.append(f"| {name} | {cold:.2f} s | {c['warm']['first_call_s'][name]:.3f} s |")
    out.append(f"| **all kernels** | **{c['cold']['total_s']:.2f} s** | "
               f"**{c['warm']['total_s']:.3f} s** |")

    # ---- whole runs
    out += ["", f"### Whole runs: {MONTHS} recorded months (12 years) per town size", "",
            "Each repeat in a fresh process with a warm numba cache, kernels loaded before the "
            "clock starts. Town = `generate_town`; set-up = `CityCentreModel(town)` without its "
            "burn-in (street network, all-pairs shortest paths, decay kernel, initial state); "
            "burn-in = the months under start-year drivers until the centre is stationary "
            "(`sim.burnin`, part of every run); 12 years = `run_months(144)` (recorded). "
            "Total CPU = CPU time of the process over the whole run (on a busy machine wall "
            "time also counts waiting for a core). Months/s and the kernels' share are of the "
            "recorded months. Peak memory = "
            "`ru_maxrss` of the process (a process that only imports the model and loads the "
            f"kernels peaks at {w['baseline']['maxrss_mib']:.0f} MiB). Medians.", "",
            "| town | units | nodes | repeats | town + set-up | burn-in (months) | 12 years "
            "(min-max) | total (min-max) | total CPU | months/s | ms/month | kernels' share of "
            "a month (flows + footfall) | peak memory |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(((n, r) for n, r in w.items() if n != "baseline"),
                          key=lambda nr: nr[1]["n_units"]):
        months = sorted(set(r["burn_in_months"]))
        bm = "/".join(str(x) for x in months)
        out.append(f"| {name} | {r['n_units']:,} | {r['n_nodes']:,} | {r['repeats']} | "
                   f"{r['town_s'] + r['init_s']:.2f} s | {r['burn_in_s']:.2f} s ({bm}) | "
                   f"{r['sim_s']:.2f} s ({r['sim_s_min']:.2f}-{r['sim_s_max']:.2f}) | "
                   f"{r['total_s']:.2f} s ({r['total_s_min']:.2f}-{r['total_s_max']:.2f}) | "
                   f"{r['total_cpu_s']:.2f} s | {r['months_per_s']:,.0f} | "
                   f"{1e3 * r['step_s']:.3g} | {100 * r['kernel_share']:.0f}% "
                   f"({100 * r['flow_kernels_step_s'] / r['step_s']:.0f}%) | "
                   f"{r['maxrss_mib']:,.0f} MiB |")
    out += ["", f"Load during the whole runs: {_load(res, 'whole_runs')}."]

    if "cli" in res:
        out += ["", render_cli(res["cli"]), "", f"({_load(res, 'cli')}.)"]

    # ---- scaling
    t = res["trip_scaling"]
    sc = res["scaling_fit"]
    out += ["", "### Scaling", "", "![scaling](scaling.png)", "",
            f"Left: medium town, catchment population scaled by the factor ({t[0]['months']} "
            f"recorded months per run after the burn-in, median of {t[0]['repeats']} runs; "
            "'replayed' = `visitor_flows` + `push_flows` on the last month's arrays, median of "
            f"{t[0]['kernel_repeats']} calls; group agents: `mesa_idiomatic.GroupRounds`, median "
            f"of {t[0]['group_repeats']}). Right: the whole runs above.", "",
            "| catchment factor | trips / month | ms per month | flow kernels, ms per month "
            "(in run) | flow kernels, ms (replayed) | Mesa, one agent per visitor group, one "
            "month | Mesa, one agent per visitor, one day |", "|---|---|---|---|---|---|---|"]
    for r in t:
        idi = (f"{_ms(r['idiomatic_day_s'])} ({r['idiomatic_visitors']:,} agents)"
               if "idiomatic_day_s" in r else "")
        out.append(f"| {r['catchment_factor']:g} | {r['trips_per_month']:,.0f} | "
                   f"{1e3 * r['step_s']:.2f} | {1e3 * r['flow_kernels_step_s']:.3f} | "
                   f"{1e3 * r['flow_kernels_isolated_s']:.3f} | {_ms(r['group_agents_s'])} | "
                   f"{idi} |")
    out += ["", f"Log-log slopes. Against trips: flow kernels {sc['kernels_vs_trips']:.2f} "
            f"(replayed; {sc['kernels_in_run_vs_trips']:.2f} in the run), whole month "
            f"{sc['step_vs_trips']:.2f}. Against units: whole month {sc['step_vs_units']:.2f}, "
            f"flow kernels {sc['kernels_vs_units']:.2f}, burn-in + set-up "
            f"{sc['setup_vs_units']:.2f}; against street nodes: flow kernels "
            f"{sc['kernels_vs_nodes']:.2f} (the node-pair work is nodes^2 per product)."]

    # ---- idiomatic
    out += ["", "### Idiomatic Mesa versions", "",
            "Per visitor: one `mesa.Agent` per sampled visitor for one representative day "
            "(create + `shuffle_do`); a month is about 30.4 such days. Per group: one "
            "`mesa.Agent` per (purpose, age band, node) group stepping through the stop rounds, "
            "the exact expected flows (max. rel. difference to `visitor_flows` given). Model: "
            "the flow submodel `_flows` for a month (attractiveness, trip starts, `visitor_flows`,"
            " `push_flows`). Ratio = Mesa time / model time.", "",
            "| town | per visitor: visitors per day | one day | µs per visitor | x30.4 days "
            "| ratio (one day / month) | per group: groups, group steps | one month | ratio | "
            "max. rel. difference | model: one month |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["idiomatic"]:
        out.append(f"| {r['size']} | {r['visitors_per_day']:,} | {_ms(r['idiomatic_day_s'])} | "
                   f"{r['idiomatic_us_per_visitor']:.0f} | {_ms(r['idiomatic_all_days_s'])} | "
                   f"{r['ratio']:,.0f}x / {r['ratio_all_days']:,.0f}x | {r['groups_start']:,}, "
                   f"{r['group_steps']:,} | {_ms(r['group_month_s'])} | "
                   f"{r['ratio_groups']:,.0f}x | {r['group_max_rel_diff']:.1e} | "
                   f"{_ms(r['kernel_path_s'])} |")

    # ---- fidelity
    f = res["fidelity"]
    out += ["", "### Statistical fidelity of sampled visitors", "",
            f"Small town ({f['nodes']} street nodes, {f['trips_per_month']:,.0f} trips/month). "
            "Relative RMSE over nodes of the sampled per-node footfall against the expected "
            "flows scaled to the same number of visitors (mean of "
            f"{f['rows'][0]['replicates']} replicates); visits: same over units with visits.", "",
            "| sampled visitors | footfall rel. RMSE | RMSE x √n | visits rel. RMSE |",
            "|---|---|---|---|"]
    for r in f["rows"]:
        tag = " (one representative day)" if r["representative_day"] else ""
        out.append(f"| {r['n_visitors']:,}{tag} | {100 * r['footfall_rel_rmse']:.2f}% "
                   f"(± {100 * r['footfall_rel_rmse_sd']:.2f}) | {r['footfall_rmse_x_sqrt_n']:.2f}"
                   f" | {100 * r['visits_rel_rmse']:.2f}% |")
    out += ["", f"Log-log slope of RMSE vs n: {f['loglog_slope']:.2f} (1/√n is -0.5). Expected "
            "flows: 0 (no sampling noise)."]

    # ---- profile
    p = res["profile"]
    total = p["total_s"]
    out += ["", "### Profile of a medium run (pyinstrument)", "",
            f"Set-up with {p['burn_in_months']} months of burn-in ({p['setup_s']:.2f} s under "
            f"the profiler) and {MONTHS} recorded months ({p['run_s']:.2f} s); "
            f"`CityCentreModel.month` (burn-in and recorded months) takes {p['month_s']:.2f} s "
            f"of {total:.2f} s. Full tree in "
            "[profile_medium.txt](profile_medium.txt); the parts of a month, summed over all "
            "months (record_month: recorded months only):", "",
            "| part of a month | time | share of the profiled total |", "|---|---|---|"]
    for name, s in list(p["parts_s"].items())[:12]:
        out.append(f"| {name} | {s:.3f} s | {100 * s / total:.1f}% |")
    out += ["", "Inside them, the largest: " + "; ".join(
        f"{n} {s:.3f} s ({100 * s / total:.1f}%)" for n, s in list(p["inner_s"].items())[:8])
        + ".", "", "Kernel wrappers: " + ", ".join(
        f"{n} {s:.3f} s ({100 * s / total:.1f}%)" for n, s in p["kernels_s"].items()) + "."]
    return "\n".join(out)


def write_readme(section: str) -> None:
    path = HERE / "README.md"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{section}\n{END}{tail}")


def loglog_slope(x, y) -> float:
    import numpy as np

    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


class Loads(dict):
    """Load average (1 min) at the start and end of each part of the suite."""

    def part(self, name: str):
        outer = self

        class _Part:
            def __enter__(self):
                outer[name] = [load(), None]

            def __exit__(self, *exc):
                outer[name][1] = load()

        return _Part()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats, no xl town, fewer scaling points (a few minutes)")
    ap.add_argument("--cli-only", action="store_true",
                    help="only the command-line timings, printed (README and results.json are "
                         "left alone); for a re-measurement when the machine is quiet")
    opts = ap.parse_args()
    if opts.cli_only:
        start = load()
        cli = bench_cli(REPEATS["full"]["cli"], REPEATS["full"]["cli_run"])
        print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, load average {start:.2f} at start, "
              f"{load():.2f} at end\n\n{render_cli(cli)}")
        print(json.dumps(cli))
        return
    mode = "quick" if opts.quick else "full"
    reps = REPEATS[mode]
    t_start = time.perf_counter()
    loads = Loads()
    res: dict = {"mode": mode, "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "machine": machine_info(), "repeats": reps, "targets": TARGETS, "load": loads}

    log("JIT compile time (cold / warm cache, fresh processes)")
    with loads.part("compile"):
        res["compile"] = bench_compile(reps["compile"])
    cache_dir = res["compile"].pop("cache_dir")
    os.environ["NUMBA_CACHE_DIR"] = cache_dir  # every later process and import: warm cache
    sys.path.insert(0, str(HERE))
    try:
        # Whole runs first: worker processes are started while this process is still small
        # (Linux carries a parent's peak RSS into a vforked child's ru_maxrss).
        log("whole runs (fresh process per repeat)")
        with loads.part("whole_runs"):
            res["whole_runs"] = bench_whole_runs(reps["whole"], EXTRA_SIZES[mode],
                                                 reps["extra_sizes"])
        log("whole runs, one BLAS thread against the default, interleaved")
        with loads.part("whole_blas"):
            res["whole_blas"] = bench_whole_blas(reps["whole_blas"])
        log("command line, start to exit (fresh processes)")
        with loads.part("cli"):
            res["cli"] = bench_cli(reps["cli"], reps["cli_run"])
        from _worker import warm_kernels

        warm_kernels()
        from sim.threads import blas_controller, one_blas_thread

        ctrl = blas_controller()
        res["kernels"], res["blas"] = {}, {}
        for size in KERNEL_SIZES[mode]:
            log(f"kernels at {size}")
            with loads.part(f"kernels_{size}"), one_blas_thread(ctrl):
                res["kernels"][size], args = bench_kernels(size, reps)
            if size in BLAS_SIZES:
                log(f"BLAS threads at {size}")
                with loads.part(f"blas_{size}"):
                    res["blas"][size] = bench_blas(args, reps["blas"])
            del args

        with one_blas_thread(ctrl):
            log("scaling with the number of trips")
            with loads.part("trip_scaling"):
                res["trip_scaling"] = bench_trip_scaling(
                    TRIP_FACTORS[mode], IDIOMATIC_FACTORS[mode], reps["trip_months"],
                    reps["trip_repeats"], reps["kernel_path"], reps["groups"])
            log("idiomatic Mesa versions")
            with loads.part("idiomatic"):
                res["idiomatic"] = [bench_idiomatic("small", reps)]
                if mode == "full":
                    res["idiomatic"].append(bench_idiomatic("medium", {**reps, "idiomatic": 3}))
            log("statistical fidelity of sampled visitors")
            with loads.part("fidelity"):
                res["fidelity"] = bench_fidelity(FIDELITY_N[mode], reps["fidelity"])
        log("profile of a medium run")
        with loads.part("profile"):
            res["profile"] = bench_profile()
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)

    t = res["trip_scaling"]
    sized = [v for k, v in res["whole_runs"].items() if k != "baseline"]
    trips = [r["trips_per_month"] for r in t]
    units = [v["n_units"] for v in sized]
    kern = [v["flow_kernels_step_s"] for v in sized]
    res["scaling_fit"] = {
        "kernels_vs_trips": loglog_slope(trips, [r["flow_kernels_isolated_s"] for r in t]),
        "kernels_in_run_vs_trips": loglog_slope(trips, [r["flow_kernels_step_s"] for r in t]),
        "step_vs_trips": loglog_slope(trips, [r["step_s"] for r in t]),
        "step_vs_units": loglog_slope(units, [v["step_s"] for v in sized]),
        "kernels_vs_units": loglog_slope(units, kern),
        "kernels_vs_nodes": loglog_slope([v["n_nodes"] for v in sized], kern),
        "setup_vs_units": loglog_slope(units, [v["setup_s"] for v in sized]),
    }
    plot_scaling(t, res["whole_runs"], HERE / "scaling.png")
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["wall_s"] = time.perf_counter() - t_start
    (HERE / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    write_readme(render(res))
    log(f"done in {res['wall_s'] / 60:.1f} min: results.json, README.md, scaling.png, "
        "profile_medium.txt")


if __name__ == "__main__":
    main()
