"""Vectorised NumPy/SciPy versions of the numba kernels' own algorithms (a third implementation).

The reference twins in the kernel modules are written for clarity: `push_flows_reference` walks
every origin-destination path in an interpreted loop, so comparing numba with it measures the
interpreter as much as numba. The functions here run the numba kernels' algorithms with
whole-array operations, so that ``numba time / vectorised time`` is an honest measure of what
compiling buys (`benchmarks/run.py`). They take the same arguments and give the same results
(tested against the numba kernels in ``tests/test_kernels_vectorised.py``). The model does not
use them.

`visitor_flows_vectorised` is the sparse-BLAS candidate for the flow kernel: all purposes and
age bands of a stop round in one SciPy sparse-times-dense product (K @ B, K^T @ F).
`local_vacancy_reference` and `update_asking_rents_reference` already are vectorised NumPy
versions of their kernels' algorithms; they are re-exported here under the same naming.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from .neighbourhood import local_vacancy_reference as local_vacancy_vectorised
from .rents import update_asking_rents_reference as update_asking_rents_vectorised

__all__ = ["local_vacancy_vectorised", "push_flows_vectorised", "update_asking_rents_vectorised",
           "visitor_flows_vectorised"]


def visitor_flows_vectorised(ptr, col, kval, door, unit_node, attr, m0, cont, max_stops,
                             exit_prob, entry_node):
    """`visitor_flows_numba`'s rounds with every (age, purpose) lane of a round in one SciPy
    sparse product per age band: (nodes, purposes) blocks times the (nodes, nodes) kernel."""
    n_purposes, n_units = attr.shape
    n_nodes, n_ages = len(ptr) - 1, kval.shape[1]
    rows = np.repeat(np.arange(n_nodes), np.diff(ptr))
    pos = np.where(attr > 0.0, attr, 0.0)
    stops = np.asarray(max_stops, dtype=np.int64)
    od = np.zeros(len(col))
    exit_mass = np.zeros(n_nodes)
    potential = np.zeros((n_purposes, n_units))
    for a in range(n_ages):
        k = csr_matrix((kval[:, a], col, ptr), shape=(n_nodes, n_nodes))
        kt = k.T.tocsr()
        b = np.zeros((n_nodes, n_purposes))
        np.add.at(b, unit_node, (pos * door[a]).T)
        row_w = k @ b
        m = m0[:, a, :].T.astype(float)
        rate = np.zeros((n_nodes, n_purposes))
        for r in range(int(stops.max(initial=0))):
            moving = r < stops
            active = (m > 0) & moving[None, :]
            stuck = active & (row_w <= 0)
            exit_mass += np.where(stuck, m, 0.0).sum(axis=1)
            f = np.where(active & (row_w > 0), m / np.where(row_w > 0, row_w, 1.0), 0.0)
            rate += f
            new = b * (kt @ f)
            last = r == stops - 1
            go_on = moving & ~last
            exit_mass += (new * np.where(last, 1.0, np.where(go_on, 1.0 - cont, 0.0))).sum(axis=1)
            m = np.where(go_on[None, :], new * cont[None, :], m)
        potential += door[a][None, :] * (kt @ rate)[unit_node].T
        od += kval[:, a] * np.einsum("kp,kp->k", rate[rows], b[col])
    visits = (pos * potential).sum(axis=0)
    return visits, od, exit_mass, potential


def push_flows_vectorised(ptr, col, od, exit_mass, exit_prob, entry_node, tree_ptr, tree_node,
                          tree_pred) -> np.ndarray:
    """`push_flows_numba`'s tree push for all sources at once.

    Position i of every source's (cut) tree is handled in one step: each source hands the flow
    accumulated at its i-th farthest node to that node's predecessor. Each source touches one
    node per step, so the scattered additions within a step never collide. Trees shorter than
    the longest are padded with a dummy node.
    """
    n = len(ptr) - 1
    src = np.flatnonzero((np.diff(ptr) > 0) | (exit_mass > 0))
    n_src = len(src)
    acc = np.zeros((n_src, n + 1))  # column n: the padding's dummy node
    row_of = np.full(n, -1)
    row_of[src] = np.arange(n_src)
    rows = np.repeat(np.arange(n), np.diff(ptr))
    np.add.at(acc, (row_of[rows], col), od)
    np.add.at(acc, (slice(None), entry_node), (exit_mass[src, None] * exit_prob[src]))
    own = acc[np.arange(n_src), src].copy()
    lengths = (tree_ptr[src + 1] - tree_ptr[src]).astype(np.int64)
    width = int(lengths.max(initial=0))
    node = np.full((n_src, width), n, dtype=np.int64)
    pred = np.full((n_src, width), n, dtype=np.int64)
    mask = np.arange(width)[None, :] < lengths[:, None]
    idx = (tree_ptr[src][:, None] + np.arange(width)[None, :])[mask]
    node[mask] = tree_node[idx]
    pred[mask] = tree_pred[idx]
    foot = np.zeros(n + 1)
    r = np.arange(n_src)
    for i in range(width):
        t, pr = node[:, i], pred[:, i]
        v = acc[r, t]
        foot += np.bincount(t, weights=v, minlength=n + 1)
        acc[r, pr] += v
    foot = foot[:n]
    np.add.at(foot, src, own)
    return foot
