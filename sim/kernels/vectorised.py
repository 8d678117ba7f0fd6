"""Vectorised NumPy versions of the numba kernels' own algorithms (a third implementation).

The reference twins in the kernel modules are written for clarity: `push_flows_reference` walks
every origin-destination path in an interpreted loop, and `visitor_flows_reference` walks the
candidate units in every stop round, a different (costlier) formulation than the numba kernel's
node pairs. Comparing numba with them measures the interpreter or a different algorithm as much
as numba. The functions here run the numba kernels' algorithms with whole-array NumPy operations,
so that ``numba time / vectorised time`` is an honest measure of what compiling buys
(`benchmarks/run.py`). They take the same arguments and give the same results (tested against
the numba kernels in ``tests/test_kernels_vectorised.py``). The model does not use them.

`local_vacancy_reference` and `update_asking_rents_reference` already are vectorised versions of
their kernels' algorithms; they are re-exported here under the same naming.
"""

from __future__ import annotations

import numpy as np

from .neighbourhood import local_vacancy_reference as local_vacancy_vectorised
from .rents import update_asking_rents_reference as update_asking_rents_vectorised

__all__ = ["local_vacancy_vectorised", "push_flows_vectorised", "update_asking_rents_vectorised",
           "visitor_flows_vectorised"]


def push_flows_vectorised(od: np.ndarray, order: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """`push_flows_numba`'s tree push for all sources at once.

    Position i of every source's node order is handled in one step: each source hands the flow
    accumulated at its i-th farthest node to that node's predecessor. Each source touches one
    node per step, so the scattered additions within a step never collide.
    """
    n = od.shape[0]
    acc = od.astype(np.float64, copy=True)
    foot = np.zeros(n)
    src = np.arange(n)
    for i in range(n):
        t = order[:, i]
        keep = t != src
        s, t = src[keep], t[keep]
        v = acc[s, t]
        foot += np.bincount(t, weights=v, minlength=n)
        acc[s, pred[s, t]] += v
    foot += np.diagonal(od)
    return foot


def visitor_flows_vectorised(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops,
                             exit_prob, entry_node) -> tuple[np.ndarray, np.ndarray]:
    """`visitor_flows_numba`'s node-pair algorithm in NumPy (dense node pairs).

    Per (purpose, age band): the candidates' positive weights are summed once into a (nodes x
    nodes) pair matrix ``W`` and their weights into row totals; each stop round is then one
    vector-matrix product ``(mass / row total) @ W``; the OD flows are the stop rate summed over
    the rounds times ``W``, and the visits one sweep over the candidates at the end.
    """
    n_purposes, n_units = attr.shape
    n_ages = decay.shape[0]
    n_nodes = m0.shape[2]
    rows = np.repeat(np.arange(n_nodes), np.diff(cand_ptr))
    dest = unit_node[cand_unit]
    pair = rows * n_nodes + dest
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    exit_mass = np.zeros(n_nodes)
    for p in range(n_purposes):
        a_p = attr[p, cand_unit]
        for a in range(n_ages):
            w = a_p * decay[a]
            pos = np.where(w > 0.0, w, 0.0)
            row_w = np.bincount(rows, weights=w, minlength=n_nodes)
            big_w = np.bincount(pair, weights=pos, minlength=n_nodes * n_nodes).reshape(
                n_nodes, n_nodes)
            ok = row_w > 0.0
            safe = np.where(ok, row_w, 1.0)
            m = np.array(m0[p, a], dtype=np.float64)
            rate = np.zeros(n_nodes)
            rounds = int(max_stops[p])
            for r in range(rounds):
                active = m > 0.0
                exit_mass += np.where(active & ~ok, m, 0.0)
                f = np.where(active & ok, m / safe, 0.0)
                rate += f
                new = f @ big_w
                if r < rounds - 1:
                    exit_mass += new * (1.0 - cont[p])
                    m = new * cont[p]
                else:
                    exit_mass += new
            od += rate[:, None] * big_w
            visits += np.bincount(cand_unit, weights=rate[rows] * pos, minlength=n_units)
    np.add.at(od, (slice(None), entry_node), exit_mass[:, None] * exit_prob)
    return visits, od
