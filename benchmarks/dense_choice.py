"""Sparse against dense flow kernels per street network, the measurement behind
`sim.flows.use_dense` (issue 20, item 1): ``python benchmarks/dense_choice.py [--sizes small
medium ...] [--repeats 3] [--json PATH]``.

For each town: the model's first month (no burn-in: the kernels' cost depends on the array
shapes, not on the state) is run once to capture the arguments of `sim.flows.month_flows`;
that call is then replayed with the sparse and the dense flow geometry (checked `Kernels`
wrappers included, BLAS on one thread as in the model), CPU time, median over ``repeats``
batches of as many calls as fit in about 0.3 s. Numba's kernels are loaded (and compiled if the
cache is cold) before any clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZES = {
    "small": "small",
    "custom_300": dict(n_units=300, catchment_population=55_000, n_department_stores=0,
                       n_supermarkets=2, n_market_squares=1, n_culture=1),
    "medium": "medium",
    "custom_1200": dict(n_units=1_200, catchment_population=180_000, n_department_stores=2,
                        n_supermarkets=5, n_market_squares=1, n_culture=3),
    "large": "large",
}


def _cpu_per_call(fn, repeats: int) -> float:
    fn()
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < 0.3:
        fn()
        n += 1
    per = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        per.append((time.process_time() - t0) / n)
    per.sort()
    return per[len(per) // 2]


def measure(name: str, repeats: int) -> dict:
    import numpy as np
    from _worker import make_town

    from sim import flows
    from sim.model import CityCentreModel
    from sim.threads import one_blas_thread

    model = CityCentreModel(make_town(SIZES[name]), rng=1, burn_in=False)
    captured = {}
    orig = flows.month_flows

    def capture(*a):
        captured["args"] = a
        return orig(*a)

    flows.month_flows = capture
    try:
        model.step()
    finally:
        flows.month_flows = orig
    p, kernels, net, town, unit_node, _g, m0, main, second = captured["args"]
    geo = {d: flows.flow_geometry(p, town, net, dense=d) for d in (False, True)}
    out = {"town": name, "units": int(town.n_units), "nodes": int(town.n_nodes),
           "pairs": len(net.pair_col),
           "fill": len(net.pair_col) / town.n_nodes ** 2,
           "model_runs_dense": bool(flows.use_dense(net))}
    res = {}
    with one_blas_thread(model._blas):
        for d, g in geo.items():
            res[d] = orig(p, kernels, net, town, unit_node, g, m0, main, second)
            out["dense_s" if d else "sparse_s"] = _cpu_per_call(
                lambda g=g: orig(p, kernels, net, town, unit_node, g, m0, main, second), repeats)
    a, b = res[False], res[True]
    out["max_rel_diff"] = max(
        float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300))
        for x, y in ((a.potential, b.potential), (a.node_footfall, b.node_footfall)))
    out["dense_over_sparse"] = out["dense_s"] / out["sparse_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = [measure(s, a.repeats) for s in a.sizes]
    print(f"load average (1 min) {os.getloadavg()[0]:.2f}")
    print("| town | street nodes | stop-choice pairs (fill) | sparse | dense | dense / sparse "
          "| max. rel. diff. | model runs |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['town']} | {r['nodes']:,} | {r['pairs']:,} ({r['fill']:.0%}) "
              f"| {1e3 * r['sparse_s']:.3g} ms | {1e3 * r['dense_s']:.3g} ms "
              f"| {r['dense_over_sparse']:.2f} | {r['max_rel_diff']:.1e} "
              f"| {'dense' if r['model_runs_dense'] else 'sparse'} |")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
