"""The council question end to end (issue 20, item 7):
``python benchmarks/council.py [--replicates 1 2] [--workers 2] [--modes shared own]
[--json PATH]``.

The question: the 4 Platform31 futures x 15 policies (none and each of the 14 levers) x 20
replicates on the medium town, each future over its own years, report included: 1,200 runs.
This times ``binnenstad compare`` exactly as a planner types it (a fresh process, its worker
pool, the sweep's store, the report and its figures) for a stated subset of replicates, and
extrapolates to 20: the time is fixed cost + replicates x per-replicate cost, with the
per-replicate cost from the two largest subsets (``(T(r2) - T(r1)) / (r2 - r1)``).

Two modes: ``shared`` (the default of ``compare``: the 15 policies of one future and replicate
start from one settled state, `sim.fork`) and ``own`` (``BINNENSTAD_SHARE_BURN_IN=0``: every run
its own set-up and burn-in, as before issue 20's item 4).

Wall time, and CPU time of the command's whole process tree: the tree is polled with psutil
every 0.1 s and each process's last user + system time kept (``RUSAGE_CHILDREN`` misses the
pool's workers, which the forkserver, not the command, reaps); a process's last 0.1 s before it
exits can be missed, so the CPU time is a slight underestimate (the runs' own ``cpu_s``, summed
from their status records, is given beside it). The machine may be shared (load averages
recorded). Numba's cache is warm (one small run into a temporary folder first), so no JIT
compilation is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUTURES = ("binnenstad_united", "autarkische_binnenstad", "binnenstad_als_game",
           "exclusieve_binnenstad")
LEVERS = ("biz", "blurring", "car_free", "compaction", "demolition", "deregulation",
          "evening_economy", "herverkaveling", "hide_vacancy", "peripheral_levy",
          "popup_programme", "starter_support", "transformation", "vacancy_ordinance")
TARGET_REPLICATES = 20


def binnenstad() -> list[str]:
    exe = Path(sys.executable).with_name("binnenstad")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sim.cli"]


def task_records(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]


def time_compare(replicates: int, workers: int, out: Path, mode: str = "shared") -> dict:
    cmd = [*binnenstad(), "compare", "--town", "medium", "--scenarios", ",".join(FUTURES),
           "--policies", ",".join(("none", *LEVERS)), "--replicates", str(replicates),
           "--workers", str(workers), "--out", str(out), "--quiet"]
    import psutil

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    env = dict(os.environ, BINNENSTAD_SHARE_BURN_IN="1" if mode == "shared" else "0")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    seen: dict[int, float] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for q in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    c = q.cpu_times()
                    seen[q.pid] = c.user + c.system
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"binnenstad compare failed ({proc.returncode}): {' '.join(cmd)}")
    cpu = sum(seen.values())
    assert (out / "report" / "index.html").is_file()
    recs = task_records(out)
    settled: dict[str, int] = {}
    for r in recs:
        settled[r.get("settled", "own")] = settled.get(r.get("settled", "own"), 0) + 1
    return {"mode": mode, "replicates": replicates,
            "runs": len(FUTURES) * (1 + len(LEVERS)) * replicates, "ok": sum(
                r["status"] == "ok" for r in recs),
            "wall_s": wall, "cpu_s": cpu, "tasks_cpu_s": sum(r.get("cpu_s") or 0 for r in recs),
            "settled_states": settled, "processes": len(seen),
            "load_start": load0, "load_end": os.getloadavg()[0]}


def extrapolate(rows: list[dict]) -> dict:
    """Fixed + per-replicate cost from the two largest subsets, and the 20-replicate total."""
    a, b = rows[-2], rows[-1]
    dr = b["replicates"] - a["replicates"]
    res: dict = {}
    for key in ("wall_s", "cpu_s", "tasks_cpu_s"):
        per = (b[key] - a[key]) / dr
        fixed = b[key] - per * b["replicates"]
        res[f"per_replicate_{key}"] = per
        res[f"fixed_{key}"] = fixed
        res[f"extrapolated_{key}"] = fixed + per * TARGET_REPLICATES
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", nargs="+", choices=("shared", "own"), default=["shared", "own"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    res: dict = {"workers": args.workers, "cpus": os.cpu_count(), "modes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*binnenstad(), "run", "--town", "small", "--years", "1", "--no-figures",
                        "--quiet", "--out", str(Path(tmp) / "warm")], check=True,
                       stdout=subprocess.DEVNULL)  # warm numba's cache
        for mode in args.modes:
            rows = []
            for r in sorted(set(args.replicates)):
                out = Path(tmp) / f"compare_{mode}_{r}"
                rows.append(time_compare(r, args.workers, out, mode))
                shutil.rmtree(out, ignore_errors=True)
                row = rows[-1]
                print(f"{mode}: {r} replicate(s), {row['runs']} runs: {row['wall_s']:.0f} s "
                      f"wall, {row['cpu_s']:.0f} s CPU (runs {row['tasks_cpu_s']:.0f} s), "
                      f"settled states {row['settled_states']}, load "
                      f"{row['load_start']:.1f}-{row['load_end']:.1f}", flush=True)
            out_mode: dict = {"subsets": rows}
            if len(rows) >= 2:
                out_mode.update(extrapolate(rows))
                print(f"{mode}: per replicate (60 runs): "
                      f"{out_mode['per_replicate_wall_s']:.0f} s wall, "
                      f"{out_mode['per_replicate_cpu_s']:.0f} s CPU; fixed "
                      f"{out_mode['fixed_wall_s']:.0f} s; 1,200 runs extrapolated: "
                      f"{out_mode['extrapolated_wall_s'] / 60:.1f} min wall, "
                      f"{out_mode['extrapolated_cpu_s'] / 60:.1f} min CPU on {args.workers} "
                      "workers", flush=True)
            res["modes"][mode] = out_mode
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
