"""Benchmark suite of the binnenstad model: one command, ``python benchmarks/run.py [--quick]``.

Writes ``benchmarks/results.json``, ``benchmarks/scaling.png``, ``benchmarks/profile_medium.txt``
and the results section of ``benchmarks/README.md`` (between ``<!-- results:start -->`` and
``<!-- results:end -->``). See the README for what each benchmark measures.

Numba's cache goes to a fresh temporary directory: the compile-time benchmark fills it (cold,
then warm) and every later measurement loads the kernels from it first, so no timing below
includes compilation. Times are medians of repeated runs; the repeat counts are recorded.
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

#: Repeat counts (full run, --quick run).
REPEATS = {
    "full": {"compile": 2, "kernel_numba": 50, "kernel_reference": 5, "yardstick": 30, "cli": 10,
             "whole": {"small": 5, "medium": 5, "large": 5, "xl": 3}, "extra_sizes": 1,
             "trip_months": 36, "trip_repeats": 2, "kernel_path": 50, "idiomatic": 5,
             "fidelity": 8},
    "quick": {"compile": 1, "kernel_numba": 20, "kernel_reference": 3, "yardstick": 10, "cli": 5,
              "whole": {"small": 3, "medium": 3, "large": 1}, "extra_sizes": 1,
              "trip_months": 12, "trip_repeats": 1, "kernel_path": 20, "idiomatic": 3,
              "fidelity": 2},
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
                   n_supermarkets=2, n_market_squares=1, n_culture=1),
              dict(n_units=1_200, catchment_population=180_000, n_department_stores=2,
                   n_supermarkets=5, n_market_squares=1, n_culture=3)],
}
TRIP_FACTORS = {"full": [1 / 16, 1 / 4, 1, 4, 16, 64], "quick": [1 / 4, 1, 4, 16]}
IDIOMATIC_FACTORS = {"full": [1 / 16, 1 / 4, 1], "quick": [1 / 16, 1 / 4]}
FIDELITY_N = {"full": [1_000, 4_000, 16_000, 64_000], "quick": [1_000, 4_000, 16_000]}
TARGETS = {"kernel_speedup": 100.0, "yardstick_fraction": 0.5, "medium_s": 1.5, "large_s": 15.0,
           "xl_s": 120.0, "xl_mem_gib": 2.0, "cli_s": 2.5}
#: The command whose whole-process time (start to exit) is measured.
CLI_ARGS = ["run", "--town", "small", "--years", "1", "--no-figures", "--quiet"]
MONTHS = 144


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(xs) -> float:
    return float(statistics.median(xs))


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
    for pkg in ("numpy", "numba", "mesa", "scipy", "pandas", "llvmlite"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "ram_gib": round(ram_kib / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions,
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


# ---------------------------------------------------------------------------------- kernels
def capture_kernel_inputs(model) -> dict:
    """The (checked, converted) arguments of every backend kernel call of one model step."""
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


def bench_kernels(model, reps: dict) -> tuple[dict, dict]:
    """Numba vs reference twin per kernel on the arrays of one step of ``model``."""
    import yardstick

    from sim.kernels import flows, footfall, neighbourhood, rents, vectorised

    args = capture_kernel_inputs(model)
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
    out = {}
    for name, (key, fast, ref, vec) in pairs.items():
        a = args[key]
        tn = time_calls(lambda fast=fast, a=a: fast(*a), reps["kernel_numba"])
        tr = time_calls(lambda ref=ref, a=a: ref(*a), reps["kernel_reference"])
        tv = (tr if vec is ref else
              time_calls(lambda vec=vec, a=a: vec(*a), max(reps["kernel_reference"], 10)))
        out[name] = {"numba": tn, "reference": tr, "speedup": tr["median_s"] / tn["median_s"],
                     "max_rel_diff": rel_diff(fast(*a), ref(*a)),
                     "vectorised": tv, "vectorised_is_reference": vec is ref,
                     "speedup_vectorised": tv["median_s"] / tn["median_s"],
                     "max_rel_diff_vectorised": rel_diff(fast(*a), vec(*a))}
    a = args["_flows"]
    old = time_calls(lambda: yardstick.visitor_flows_per_round(*a), reps["kernel_numba"])
    out["visitor_flows"]["previous_kernel"] = old
    out["visitor_flows"]["speedup_previous_kernel"] = (
        out["visitor_flows"]["reference"]["median_s"] / old["median_s"])
    out["visitor_flows"]["gain_over_previous_kernel"] = (
        old["median_s"] / out["visitor_flows"]["numba"]["median_s"])
    out["visitor_flows"]["max_rel_diff_previous_kernel"] = rel_diff(
        flows.visitor_flows_numba(*a), yardstick.visitor_flows_per_round(*a))
    cp = a[0]
    out["shape"] = {"nodes": len(cp) - 1, "units": len(a[3]), "candidates": int(cp[-1])}
    return out, args


def bench_yardstick(args: dict, reps: int) -> dict:
    """The real flow + footfall kernels against a bare numba walk over the same trip legs."""
    import yardstick

    from sim.kernels.flows import visitor_flows_numba
    from sim.kernels.footfall import push_flows_numba

    fa = args["_flows"]
    cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops, _, entry_node = fa
    order, pred = args["_push"][1], args["_push"][2]
    active = yardstick.active_sources(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont,
                                      max_stops)
    legs = yardstick.count_legs(active, cand_ptr, len(entry_node))

    def bare():
        _, od, _ = yardstick.bare_trip_walk(cand_ptr, cand_unit, unit_node, active, entry_node,
                                            attr.shape[1])
        return push_flows_numba(od, order, pred)

    def real():
        _, od = visitor_flows_numba(*fa)
        return push_flows_numba(od, order, pred)

    def previous():
        _, od = yardstick.visitor_flows_per_round(*fa)
        return push_flows_numba(od, order, pred)

    tb, tk, tp = (time_calls(f, reps) for f in (bare, real, previous))
    return {"legs": legs, "walks": int(active.shape[0]), "bare": tb, "kernel": tk,
            "previous_kernel": tp,
            "bare_legs_per_s": legs / tb["median_s"], "kernel_legs_per_s": legs / tk["median_s"],
            "fraction": tb["median_s"] / tk["median_s"],
            "fraction_previous_kernel": tb["median_s"] / tp["median_s"]}


# ---------------------------------------------------------------------------------- whole runs
def bench_whole_runs(reps: dict, extra: list[dict], extra_reps: int) -> dict:
    """144-month runs per size, each repeat in a fresh process (warm numba cache)."""
    out = {"baseline": worker({"task": "baseline"})}
    jobs = [(name, name, n) for name, n in reps.items()]
    jobs += [(f"custom_{spec['n_units']}", spec, extra_reps) for spec in extra]
    for label, size, n in jobs:
        runs = []
        for i in range(n):
            log(f"  whole run {label} {i + 1}/{n}")
            runs.append(worker({"task": "run", "size": size, "months": MONTHS}))
        first = runs[0]
        kernels = {k: median(r["kernel_step_s"][k] for r in runs) for k in first["kernel_step_s"]}
        out[label] = {
            "repeats": n, "setup_s": median(r["setup_s"] for r in runs),
            "town_s": median(r["town_s"] for r in runs),
            "model_s": median(r["model_s"] for r in runs),
            "sim_s": median(r["sim_s"] for r in runs),
            "sim_s_min": min(r["sim_s"] for r in runs), "sim_s_max": max(r["sim_s"] for r in runs),
            "total_s": median(r["setup_s"] + r["sim_s"] for r in runs),
            "step_s": median(r["step_s"] for r in runs), "kernel_step_s": kernels,
            "maxrss_mib": max(r["maxrss_mib"] for r in runs),
            "hwm_mib": max(r["hwm_mib"] for r in runs),
            "kernel_load_s": median(r["kernel_load_s"] for r in runs),
            **{k: first[k] for k in ("n_units", "n_nodes", "n_candidates", "trips_per_month")},
        }
    return out


# ---------------------------------------------------------------------------------- scaling
def bench_trip_scaling(factors, idiom_factors, months: int, repeats: int,
                       kernel_reps: int) -> list[dict]:
    """Time per step at medium size against the number of visitor trips (catchment x factor)."""
    import mesa_idiomatic
    from _worker import instrument, make_town

    from sim.model import CityCentreModel

    keys = ("cand_ptr", "cand_unit", "decay", "unit_node", "attr", "m0", "cont", "max_stops",
            "exit_prob", "entry_node")
    rows = []
    for f in factors:
        steps, kern, trips = [], [], []
        for rep in range(repeats):
            model = CityCentreModel(make_town("medium", f), rng=1 + rep)
            acc = instrument(model)
            t0 = time.perf_counter()
            for _ in range(months):
                model.run_months(1)
                trips.append(model.trips_month)
            steps.append((time.perf_counter() - t0) / months)
            kern.append((acc["visitor_flows"] + acc["push_flows"]) / months)
        # The flow kernels alone, replayed on the last month's arrays (less noise than in-run).
        inputs = mesa_idiomatic.capture_flow_inputs(model)
        args = [inputs[k] for k in keys]

        def flows(args=args, inputs=inputs, kernels=model.kernels):
            _, od = kernels.visitor_flows(*args)
            kernels.push_flows(od, inputs["order"], inputs["pred"])

        isolated = time_calls(flows, kernel_reps)
        row = {"catchment_factor": f, "trips_per_month": float(sum(trips) / len(trips)),
               "step_s": median(steps), "flow_kernels_step_s": median(kern),
               "flow_kernels_isolated_s": isolated["median_s"], "repeats": repeats,
               "months": months, "kernel_repeats": kernel_reps}
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
    """Per-visitor Mesa agents (one representative day) against the expected-flow kernel path."""
    import mesa_idiomatic

    from sim.model import CityCentreModel

    model = CityCentreModel(size, rng=1)
    model.run_months(12)
    inputs = mesa_idiomatic.capture_flow_inputs(model)
    kernel_path = time_calls(lambda: model._flows(model.demand), reps["kernel_path"])
    keys = ("cand_ptr", "cand_unit", "decay", "unit_node", "attr", "m0", "cont", "max_stops",
            "exit_prob", "entry_node")

    def kernels_only():
        _, od = model.kernels.visitor_flows(*(inputs[k] for k in keys))
        model.kernels.push_flows(od, inputs["order"], inputs["pred"])

    kernel_only = time_calls(kernels_only, reps["kernel_path"])
    days = [mesa_idiomatic.sampled_day(inputs, seed=s) for s in range(reps["idiomatic"])]
    day_s = median(d["total_s"] for d in days)
    n = days[0]["n_visitors"]
    return {"size": size, "visitors_per_day": n, "trips_per_month": float(inputs["m0"].sum()),
            "idiomatic_day_s": day_s,
            "idiomatic_create_s": median(d["create_s"] for d in days),
            "idiomatic_step_s": median(d["step_s"] for d in days),
            "idiomatic_us_per_visitor": 1e6 * day_s / n,
            "idiomatic_all_days_s": day_s * mesa_idiomatic.DAYS_PER_MONTH,
            "kernel_path_s": kernel_path["median_s"], "flow_kernels_s": kernel_only["median_s"],
            "ratio": day_s / kernel_path["median_s"],
            "ratio_all_days": day_s * mesa_idiomatic.DAYS_PER_MONTH / kernel_path["median_s"],
            "repeats": {"idiomatic": reps["idiomatic"], "kernel_path": reps["kernel_path"]}}


def bench_fidelity(ns: list[int], reps: int) -> dict:
    """Sampling noise of per-node footfall of sampled visitors vs the expected flows (small)."""
    import mesa_idiomatic
    import numpy as np

    from sim.model import CityCentreModel

    model = CityCentreModel("small", rng=1)
    model.run_months(12)
    inputs = mesa_idiomatic.capture_flow_inputs(model)
    expected = mesa_idiomatic.expected_footfall(inputs, model.kernels)
    keys = ("cand_ptr", "cand_unit", "decay", "unit_node", "attr", "m0", "cont", "max_stops",
            "exit_prob", "entry_node")
    exp_visits, _ = model.kernels.visitor_flows(*(inputs[k] for k in keys))
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
    """pyinstrument profile of a medium 144-month run; the tree goes to profile_medium.txt."""
    from pyinstrument import Profiler

    from sim.model import CityCentreModel

    model = CityCentreModel("medium", rng=1)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    model.run_months(MONTHS)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False,
                                processor_options={"filter_threshold": 0.01})
    lines = text.splitlines()
    keep = [ln for ln in lines if ln.strip()][:70]
    (HERE / "profile_medium.txt").write_text(
        "pyinstrument profile: medium town, 144 monthly steps (setup excluded), warm numba cache."
        "\nFrames under 1% of the run are hidden; trimmed to the top of the call tree.\n\n"
        + "\n".join(keep) + "\n")
    root = profiler.last_session.root_frame()

    def find_steps(frame, found):
        if frame.function == "step" and frame.file_path.endswith(os.path.join("sim", "model.py")):
            found.append(frame)
            return found
        for child in frame.children:
            find_steps(child, found)
        return found

    steps = find_steps(root, [])
    total = root.time
    parts: dict[str, float] = {}
    kernels: dict[str, float] = {}

    def walk(frame):
        if frame.file_path and frame.file_path.endswith(os.path.join("kernels", "__init__.py")):
            kernels[frame.function] = kernels.get(frame.function, 0.0) + frame.time
            return
        for child in frame.children:
            walk(child)

    for step in steps:
        for child in step.children:
            name = child.function if child.function != "[self]" else "step (own code)"
            parts[name] = parts.get(name, 0.0) + child.time
        walk(step)
    return {"run_s": total, "step_s": sum(step.time for step in steps),
            "parts_s": dict(sorted(parts.items(), key=lambda kv: -kv[1])),
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


def bench_cli(reps: int) -> dict:
    """The command line from start to exit (fresh process, warm numba cache) next to its parts:
    the interpreter alone, the imports, and the in-process phases the run itself records in
    run.json (setup = inputs, town, street network and initial state, including loading the
    kernels; simulate; write)."""
    cmd = _cli_command()
    py = [sys.executable, "-c"]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        out = {"command": "binnenstad " + " ".join(CLI_ARGS),
               "no_figures": _time_process([*cmd, *CLI_ARGS, "--out", "r"], reps, cwd),
               "figures": _time_process([*cmd, *CLI_ARGS[:-2], "--quiet", "--out", "f"],
                                        max(3, reps // 2), cwd),
               "lister": _time_process([*cmd, "scenarios"], reps, cwd),
               "python": _time_process([*py, "pass"], reps, cwd),
               "import_cli": _time_process([*py, "import sim.cli"], reps, cwd),
               "import_model": _time_process([*py, "import sim.cli, sim.runner, sim.model"],
                                             reps, cwd)}
        meta = json.loads((cwd / "r" / "run.json").read_text())
        meta_f = json.loads((cwd / "f" / "run.json").read_text())
    out["in_process_s"] = meta["wall_time_s"]
    out["in_process_figures_s"] = meta_f["wall_time_s"]
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
    idi = [r for r in trips if "idiomatic_day_s" in r]
    if idi:
        xi = np.array([r["trips_per_month"] for r in idi])
        yi = np.array([1e3 * r["idiomatic_day_s"] for r in idi])
        ax1.loglog(xi, yi, "^--", color="C3",
                   label="idiomatic Mesa: one agent per visitor\n(one representative day)")
        ax1.loglog(x, yi[-1] * x / xi[-1], ":", color="grey", label="slope 1 (linear in trips)")
    ax1.set_xlabel("visitor trips per month (medium town, catchment scaled)")
    ax1.set_ylabel("wall time per monthly step (ms)")
    ax1.set_title("Cost vs number of trips")
    ax1.legend(fontsize=7)
    ax1.grid(True, which="both", alpha=0.3)

    sized = sorted((v for k, v in runs.items() if k != "baseline"), key=lambda v: v["n_units"])
    u = np.array([v["n_units"] for v in sized])
    ax2.loglog(u, [1e3 * v["step_s"] for v in sized], "o-", label="whole model step")
    ax2.loglog(u, [1e3 * (v["kernel_step_s"]["visitor_flows"] + v["kernel_step_s"]["push_flows"])
                   for v in sized], "s-", label="flow + footfall kernels")
    ref = 1e3 * sized[0]["step_s"]
    ax2.loglog(u, ref * u / u[0], ":", color="grey", label="slope 1")
    ax2.loglog(u, ref * (u / u[0]) ** 2, "--", color="lightgrey", label="slope 2")
    for v in sized:
        ax2.annotate(f"{v['n_nodes']} nodes\n{v['n_candidates'] / 1e6:.2g}M cand.",
                     (v["n_units"], 1e3 * v["step_s"]), fontsize=6, xytext=(4, -14),
                     textcoords="offset points")
    ax2.set_xticks(u, [f"{int(n):,}" for n in u], fontsize=7)
    ax2.minorticks_off()
    ax2.set_xlabel("units in the town")
    ax2.set_ylabel("wall time per monthly step (ms)")
    ax2.set_title("Cost vs town size (144-month runs)")
    ax2.legend(fontsize=7)
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------------- report
def _ms(s: float) -> str:
    return f"{1e3 * s:.3g} ms" if s < 1 else f"{s:.3g} s"


def _status(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render_cli(c: dict) -> str:
    """The 'Command line, start to exit' section."""
    ip, ipf = c["in_process_s"], c["in_process_figures_s"]

    def row(label, r):
        return (f"| {label} | {r['median_s']:.2f} s ({r['min_s']:.2f}-{r['max_s']:.2f}, "
                f"{r['repeats']} runs) | {r['cpu_median_s']:.2f} s |")

    out = ["### Command line, start to exit", "",
           "Fresh process per run, warm numba cache, after one warm-up run; wall time from "
           "start to exit as a user sees it. In-process = the phases the run records in "
           "run.json (`wall_time_s`): setup (inputs, town, street network, initial state, "
           "loading the cached kernels), simulate, write. The CPU time is the steadier "
           "figure on a shared machine (the command runs on one core, so on an idle machine "
           "wall and CPU time agree).", "",
           "| what | start to exit, median (min-max) | CPU time (user + system), median |",
           "|---|---|---|",
           row(f"`{c['command']}`", c["no_figures"]),
           row("same with figures (`--figures`, the default)", c["figures"]),
           row("`binnenstad scenarios` (a listing command)", c["lister"]),
           row("`python -c pass` (the interpreter alone)", c["python"]),
           row("`python -c 'import sim.cli'`", c["import_cli"]),
           row("`python -c 'import sim.cli, sim.runner, sim.model'` (Mesa, pandas, SciPy, "
               "numba)", c["import_model"]),
           "", f"In-process, the same command: setup {ip['setup']:.2f} s, simulate "
           f"{ip['simulate']:.2f} s, write {ip['write']:.3f} s (with figures: write "
           f"{ipf['write']:.2f} s). The rest of the start-to-exit time is the interpreter, "
           "the imports (Mesa alone imports pandas, SciPy and networkx) and the exit."]
    return "\n".join(out)


def render(res: dict) -> str:
    m, reps = res["machine"], res["repeats"]
    v = m["versions"]
    out = [f"_Generated by `python benchmarks/run.py{' --quick' if res['mode'] == 'quick' else ''}`"
           f" on {res['date']} ({res['mode']} mode, {res['wall_s'] / 60:.1f} min)._", ""]
    out += ["**Machine.** " + f"{m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
            f"{m['ram_gib']} GiB RAM; Python {m['python']}, numba {v['numba']}, "
            f"numpy {v['numpy']}, Mesa {v['mesa']}; {m['platform']}. Load average at start "
            f"{m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f} (other processes "
            "share the machine; medians damp but do not remove their effect).", ""]
    k, y, w = res["kernels"], res["yardstick"], res["whole_runs"]
    y0 = y["medium"]
    rows = [("visitor_flows speed-up vs reference twin (medium; issue 3 target)", "≥ 100x",
             f"{k['visitor_flows']['speedup']:.0f}x "
             f"(vs vectorised NumPy, same algorithm: "
             f"{k['visitor_flows']['speedup_vectorised']:.0f}x)",
             k["visitor_flows"]["speedup"] >= TARGETS["kernel_speedup"]),
            ("push_flows speed-up vs reference twin (medium; issue 3 target)", "≥ 100x",
             f"{k['push_flows']['speedup']:.0f}x (vs vectorised NumPy, same algorithm: "
             f"{k['push_flows']['speedup_vectorised']:.0f}x)",
             k["push_flows"]["speedup"] >= TARGETS["kernel_speedup"]),
            ("flow + footfall throughput / bare-loop yardstick (medium)", "≥ 50%",
             f"{100 * y0['fraction']:.0f}%", y0["fraction"] >= TARGETS["yardstick_fraction"])]
    for size, key in (("medium", "medium_s"), ("large", "large_s"), ("xl", "xl_s")):
        if size in w:
            rows.append((f"{size}: 144 months, setup + run", f"≤ {TARGETS[key]:g} s",
                         f"{w[size]['total_s']:.2f} s (run {w[size]['sim_s']:.2f} s)",
                         w[size]["total_s"] <= TARGETS[key]))
    if "cli" in res:
        c = res["cli"]["no_figures"]
        rows.append((f"`{res['cli']['command']}`, start to exit, warm", f"< {TARGETS['cli_s']:g} s",
                     f"{c['median_s']:.2f} s wall ({c['cpu_median_s']:.2f} s CPU)",
                     c["median_s"] < TARGETS["cli_s"]))
    if "xl" in w:
        rows.append(("xl: peak memory (ru_maxrss)", "≤ 2 GiB",
                     f"{w['xl']['maxrss_mib'] / GIB:.2f} GiB",
                     w["xl"]["maxrss_mib"] / GIB <= TARGETS["xl_mem_gib"]))
    out += ["### Targets", "", "| target | goal | measured | status |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {_status(d)} |" for a, b, c, d in rows]
    if "xl" not in w:
        out += ["", "(--quick: xl not run.)"]

    out += ["", "### Kernel speed-ups (medium town)", "",
            f"Arrays of one model step of a medium town after 12 months "
            f"({k['shape']['nodes']} nodes, {k['shape']['units']} units, "
            f"{k['shape']['candidates']:,} stop candidates). Median of "
            f"{reps['kernel_numba']} numba calls and {reps['kernel_reference']} (reference) or "
            f"{max(reps['kernel_reference'], 10)} (vectorised) NumPy calls, raw backend functions "
            "(wrapper checks excluded). **Vectorised** = `sim.kernels.vectorised`, the numba "
            "kernel's own algorithm in whole-array NumPy: the honest measure of what compiling "
            "buys. **Reference** = the reference twin the model's `--backend reference` runs: "
            "for `push_flows` an interpreted per-path loop, for `visitor_flows` a different "
            "(per-round) formulation in NumPy; for the other two kernels it is the vectorised "
            "version.", "",
            "| kernel | numba | vectorised NumPy, same algorithm | speed-up | reference twin | "
            "speed-up | max. rel. difference (vectorised / reference) |",
            "|---|---|---|---|---|---|---|"]
    for name in ("visitor_flows", "push_flows", "local_vacancy", "update_asking_rents"):
        r = k[name]
        same = " (= reference)" if r["vectorised_is_reference"] else ""
        out.append(f"| {name} | {_ms(r['numba']['median_s'])} | "
                   f"{_ms(r['vectorised']['median_s'])}{same} | "
                   f"**{r['speedup_vectorised']:.0f}x** | {_ms(r['reference']['median_s'])} | "
                   f"{r['speedup']:.0f}x | {r['max_rel_diff_vectorised']:.1e} / "
                   f"{r['max_rel_diff']:.1e} |")
    vf = k["visitor_flows"]
    out.append(f"| visitor_flows, previous per-round kernel (numba) | "
               f"{_ms(vf['previous_kernel']['median_s'])} | | | "
               f"{_ms(vf['reference']['median_s'])} | {vf['speedup_previous_kernel']:.0f}x | "
               f"{vf['max_rel_diff_previous_kernel']:.1e} (vs current) |")

    if "cli" in res:
        out += ["", render_cli(res["cli"])]

    out += ["", "### Bare-loop yardstick (flow + footfall kernels)", "",
            f"Median of {reps['yardstick']} calls. Legs = candidate legs of every source carrying "
            "visitors, over all (purpose, age band, stop round) walks, plus exit legs.", "",
            "| town | legs walked | bare loop | kernel (current) | kernel / bare throughput "
            "| previous per-round kernel | previous / bare |", "|---|---|---|---|---|---|---|"]
    for town, r in y.items():
        out.append(f"| {town} | {r['legs']:,} | {_ms(r['bare']['median_s'])} "
                   f"({r['bare_legs_per_s'] / 1e9:.2f} G legs/s) | {_ms(r['kernel']['median_s'])}"
                   f" | {100 * r['fraction']:.0f}% | {_ms(r['previous_kernel']['median_s'])} | "
                   f"{100 * r['fraction_previous_kernel']:.0f}% |")

    c = res["compile"]
    out += ["", "### JIT compile time (fresh process per measurement)", "",
            f"Cold: empty `NUMBA_CACHE_DIR` (compiles and writes the cache); warm: the same "
            f"cache (loads machine code). Median of {c['cold']['repeats']} processes each.", "",
            "| kernel | cold (compile) | warm (cache load) |", "|---|---|---|"]
    for name, cold in c["cold"]["first_call_s"].items():
        out.append(f"| {name} | {cold:.2f} s | {c['warm']['first_call_s'][name]:.3f} s |")
    out.append(f"| **all kernels** | **{c['cold']['total_s']:.2f} s** | "
               f"**{c['warm']['total_s']:.3f} s** |")

    out += ["", f"### Whole runs: {MONTHS} monthly steps (12 years)", "",
            "Each repeat in a fresh process with a warm numba cache; kernels loaded before the "
            "clock starts. Setup = town generation + `CityCentreModel(town)` (street "
            "network, all-pairs shortest paths, stop-candidate lists, initial state); run = "
            "`run_months(144)`. Peak memory = `ru_maxrss` of the process "
            f"(a process that only imports the model and loads the kernels peaks at "
            f"{w['baseline']['maxrss_mib']:.0f} MiB; VmHWM {w['baseline']['hwm_mib']:.0f} MiB).",
            "",
            "| town | units | nodes | candidates | repeats | setup | run (median, min-max) "
            "| per step | flow kernels / step | peak memory (ru_maxrss / VmHWM) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(((n, r) for n, r in w.items() if n != "baseline"),
                          key=lambda nr: nr[1]["n_units"]):
        ks = r["kernel_step_s"]
        out.append(f"| {name} | {r['n_units']:,} | {r['n_nodes']:,} | {r['n_candidates']:,} | "
                   f"{r['repeats']} | {r['setup_s']:.2f} s | {r['sim_s']:.2f} s "
                   f"({r['sim_s_min']:.2f}-{r['sim_s_max']:.2f}) | {_ms(r['step_s'])} | "
                   f"{_ms(ks['visitor_flows'] + ks['push_flows'])} | "
                   f"{r['maxrss_mib']:,.0f} / {r['hwm_mib']:,.0f} MiB |")

    t = res["trip_scaling"]
    out += ["", "### Scaling", "", "![scaling](scaling.png)", "",
            f"Left: medium town, catchment population scaled by the factor ({t[0]['months']} "
            f"months per run, median of {t[0]['repeats']} runs; 'replayed' = `visitor_flows` + "
            f"`push_flows` on the last month's arrays, median of {t[0]['kernel_repeats']} calls). "
            "Right: the whole runs above.", "",
            "| catchment factor | trips / month | ms per step | flow kernels, ms per call "
            "(in run) | flow kernels, ms per call (replayed) | idiomatic Mesa, one day |",
            "|---|---|---|---|---|---|"]
    for r in t:
        idi = (f"{_ms(r['idiomatic_day_s'])} ({r['idiomatic_visitors']:,} agents)"
               if "idiomatic_day_s" in r else "")
        out.append(f"| {r['catchment_factor']:g} | {r['trips_per_month']:,.0f} | "
                   f"{1e3 * r['step_s']:.2f} | {1e3 * r['flow_kernels_step_s']:.3f} | "
                   f"{1e3 * r['flow_kernels_isolated_s']:.3f} | {idi} |")
    sc = res["scaling_fit"]
    out += ["", f"Log-log slopes. Against trips: flow kernels {sc['kernels_vs_trips']:.2f} "
            f"(replayed; {sc['kernels_in_run_vs_trips']:.2f} in the run), whole step "
            f"{sc['step_vs_trips']:.2f}. Against units: whole step {sc['step_vs_units']:.2f}, "
            f"flow kernels {sc['kernels_vs_units']:.2f}, stop candidates "
            f"{sc['candidates_vs_units']:.2f}; flow kernels against candidates "
            f"{sc['kernels_vs_candidates']:.2f}."]

    out += ["", "### Idiomatic Mesa version (one agent per visitor)", "",
            "| town | visitors per day | idiomatic: one day (create + `shuffle_do`) | "
            "µs per visitor | kernel path: one month (`_flows`) | ratio | "
            "every day of the month (x30.4) | ratio |", "|---|---|---|---|---|---|---|---|"]
    for r in res["idiomatic"]:
        out.append(f"| {r['size']} | {r['visitors_per_day']:,} | {_ms(r['idiomatic_day_s'])} | "
                   f"{r['idiomatic_us_per_visitor']:.0f} | {_ms(r['kernel_path_s'])} | "
                   f"{r['ratio']:,.0f}x | {_ms(r['idiomatic_all_days_s'])} | "
                   f"{r['ratio_all_days']:,.0f}x |")
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

    p = res["profile"]
    out += ["", "### Profile of a medium run (pyinstrument)", "",
            f"144 steps, {p['run_s']:.2f} s under the profiler; full tree in "
            "[profile_medium.txt](profile_medium.txt).", "",
            "| part of `CityCentreModel.step` | time | share of run |", "|---|---|---|"]
    for name, s in list(p["parts_s"].items())[:12]:
        out.append(f"| {name} | {s:.3f} s | {100 * s / p['run_s']:.1f}% |")
    out += ["", "Kernel wrappers inside the step: " + ", ".join(
        f"{n} {s:.3f} s ({100 * s / p['run_s']:.1f}%)" for n, s in p["kernels_s"].items()) + "."]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats, no xl run, fewer scaling points (~1 min)")
    ap.add_argument("--cli-only", action="store_true",
                    help="only the command-line timing, printed (README and results.json are "
                         "left alone); for a re-measurement when the machine is quiet")
    opts = ap.parse_args()
    if opts.cli_only:
        load = os.getloadavg()
        cli = bench_cli(REPEATS["full"]["cli"])
        section = render_cli(cli)
        print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, load average {load[0]:.2f} at start, "
              f"{os.getloadavg()[0]:.2f} at end\n\n{section}")
        print(json.dumps(cli))
        return
    mode = "quick" if opts.quick else "full"
    reps = REPEATS[mode]
    t_start = time.perf_counter()
    res: dict = {"mode": mode, "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "machine": machine_info(), "repeats": reps, "targets": TARGETS}

    log("JIT compile time (cold / warm cache, fresh processes)")
    res["compile"] = bench_compile(reps["compile"])
    cache_dir = res["compile"].pop("cache_dir")
    os.environ["NUMBA_CACHE_DIR"] = cache_dir  # every later process and import: warm cache
    sys.path.insert(0, str(HERE))
    try:
        # Whole runs first: worker processes are started while this process is still small
        # (Linux carries a parent's peak RSS into a vforked child's ru_maxrss).
        log("whole runs (fresh process per repeat)")
        res["whole_runs"] = bench_whole_runs(reps["whole"], EXTRA_SIZES[mode],
                                             reps["extra_sizes"])
        log("command line, start to exit (fresh processes)")
        res["cli"] = bench_cli(reps["cli"])
        from _worker import warm_kernels

        warm_kernels()
        from sim.model import CityCentreModel

        log("kernel speed-ups at medium")
        medium = CityCentreModel("medium", rng=1)
        medium.run_months(12)
        res["kernels"], args = bench_kernels(medium, reps)
        log("bare-loop yardstick")
        res["yardstick"] = {"medium": bench_yardstick(args, reps["yardstick"])}
        if mode == "full":
            large = CityCentreModel("large", rng=1)
            large.run_months(12)
            res["yardstick"]["large"] = bench_yardstick(capture_kernel_inputs(large),
                                                        max(5, reps["yardstick"] // 5))
            del large
        del medium, args

        log("scaling with the number of trips")
        res["trip_scaling"] = bench_trip_scaling(TRIP_FACTORS[mode], IDIOMATIC_FACTORS[mode],
                                                 reps["trip_months"], reps["trip_repeats"],
                                                 reps["kernel_numba"])
        log("idiomatic Mesa version")
        res["idiomatic"] = [bench_idiomatic("small", reps)]
        if mode == "full":
            res["idiomatic"].append(bench_idiomatic("medium", {**reps, "idiomatic": 3}))
        log("statistical fidelity of sampled visitors")
        res["fidelity"] = bench_fidelity(FIDELITY_N[mode], reps["fidelity"])
        log("profile of a medium run")
        res["profile"] = bench_profile()
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)

    t = res["trip_scaling"]
    sized = [v for k, v in res["whole_runs"].items() if k != "baseline"]
    trips = [r["trips_per_month"] for r in t]
    units = [v["n_units"] for v in sized]
    kern = [v["kernel_step_s"]["visitor_flows"] + v["kernel_step_s"]["push_flows"] for v in sized]
    res["scaling_fit"] = {
        "kernels_vs_trips": loglog_slope(trips, [r["flow_kernels_isolated_s"] for r in t]),
        "kernels_in_run_vs_trips": loglog_slope(trips, [r["flow_kernels_step_s"] for r in t]),
        "step_vs_trips": loglog_slope(trips, [r["step_s"] for r in t]),
        "step_vs_units": loglog_slope(units, [v["step_s"] for v in sized]),
        "kernels_vs_units": loglog_slope(units, kern),
        "kernels_vs_candidates": loglog_slope([v["n_candidates"] for v in sized], kern),
        "candidates_vs_units": loglog_slope(units, [v["n_candidates"] for v in sized]),
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
