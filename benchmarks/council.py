"""The council question end to end (issue 20, item 7):
``python benchmarks/council.py [--replicates 1 2] [--workers 2] [--json PATH]``.

The question: the 4 Platform31 futures x 15 policies (none and each of the 14 levers) x 20
replicates on the medium town, each future over its own years, report included: 1,200 runs.
This times ``binnenstad compare`` exactly as a planner types it (a fresh process, its worker
pool, the sweep's store, the report and its figures) for a stated subset of replicates, and
extrapolates to 20: the time is fixed cost + replicates x per-replicate cost, with the
per-replicate cost from the two largest subsets (``(T(r2) - T(r1)) / (r2 - r1)``). Wall time
and CPU time (the command and its workers, from ``RUSAGE_CHILDREN``) are both given; the
machine may be shared (load averages recorded). Numba's cache is warm (one small run first), so
no JIT compilation is timed.
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


def time_compare(replicates: int, workers: int, out: Path) -> dict:
    cmd = [*binnenstad(), "compare", "--town", "medium", "--scenarios", ",".join(FUTURES),
           "--policies", ",".join(("none", *LEVERS)), "--replicates", str(replicates),
           "--workers", str(workers), "--out", str(out), "--quiet"]
    import psutil

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"binnenstad compare failed ({proc.returncode}): {' '.join(cmd)}")
    cpu = sum(seen.values())
    assert (out / "report" / "index.html").is_file()
    return {"replicates": replicates, "runs": len(FUTURES) * (1 + len(LEVERS)) * replicates,
            "wall_s": wall, "cpu_s": cpu, "load_start": load0, "load_end": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*binnenstad(), "run", "--town", "small", "--years", "1", "--no-figures",
                        "--quiet", "--out", str(Path(tmp) / "warm")], check=True,
                       stdout=subprocess.DEVNULL)  # warm numba's cache
        for r in sorted(set(args.replicates)):
            out = Path(tmp) / f"compare_{r}"
            rows.append(time_compare(r, args.workers, out))
            shutil.rmtree(out, ignore_errors=True)
            print(f"{r} replicate(s), {rows[-1]['runs']} runs: {rows[-1]['wall_s']:.0f} s wall, "
                  f"{rows[-1]['cpu_s']:.0f} s CPU", flush=True)
    res: dict = {"workers": args.workers, "cpus": os.cpu_count(), "subsets": rows}
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        dr = b["replicates"] - a["replicates"]
        for key in ("wall_s", "cpu_s"):
            per = (b[key] - a[key]) / dr
            fixed = b[key] - per * b["replicates"]
            res[f"per_replicate_{key}"] = per
            res[f"fixed_{key}"] = fixed
            res[f"extrapolated_{key}"] = fixed + per * TARGET_REPLICATES
        print(f"per replicate (60 runs): {res['per_replicate_wall_s']:.0f} s wall, "
              f"{res['per_replicate_cpu_s']:.0f} s CPU; fixed {res['fixed_wall_s']:.0f} s; "
              f"1,200 runs extrapolated: {res['extrapolated_wall_s'] / 60:.1f} min wall, "
              f"{res['extrapolated_cpu_s'] / 60:.1f} min CPU on {args.workers} workers")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
