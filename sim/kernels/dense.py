"""The dense formulation of the visitor-flow and footfall kernels (before issue 20), kept as the
yardstick the sparse kernels (`sim.kernels.flows`, `sim.kernels.footfall`) are checked and
benchmarked against, and what the model runs on small street networks, where it is the faster
of the two (`sim.flows.use_dense`).

Here every node pair is a matrix entry: the decay kernel is an (ages, nodes, nodes) array (zero
beyond the stop-choice radius), the flows an (nodes, nodes) matrix, and footfall pushes every
source's flows down its full shortest-path tree (``order``, ``pred``: (nodes, nodes)). Time and
memory grow with nodes^2 whatever the radius. ``*_numba`` and ``*_reference`` twins as in the
sparse modules; ``decay_kernel`` builds the dense kernel from a dense distance matrix.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def visitor_flows_dense_numba(kernel, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                              entry_node):
    """Numba twin of `visitor_flows_dense_reference`. The per-unit parts (summing pull per node,
    spreading the potential back to the units) are compiled loops; the node-to-node products
    are matrix products for all purposes at once (BLAS through ``np.dot``)."""
    n_purposes, n_units = attr.shape
    n_ages, n_nodes, _ = kernel.shape
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    potential = np.zeros((n_purposes, n_units))
    exit_mass = np.zeros(n_nodes)
    rounds = 0
    for p in range(n_purposes):
        rounds = max(rounds, max_stops[p])
    for a in range(n_ages):
        k = np.ascontiguousarray(kernel[a])
        b = np.zeros((n_purposes, n_nodes))
        for u in range(n_units):
            t = unit_node[u]
            wu = door[a, u]
            for p in range(n_purposes):
                if attr[p, u] > 0.0:
                    b[p, t] += attr[p, u] * wu
        row_w = np.ascontiguousarray(np.dot(k, np.ascontiguousarray(b.T)).T)  # K @ B
        m = np.empty((n_purposes, n_nodes))
        for p in range(n_purposes):
            for s in range(n_nodes):
                m[p, s] = m0[p, a, s]
        rate = np.zeros((n_purposes, n_nodes))
        for r in range(rounds):
            f = np.zeros((n_purposes, n_nodes))
            for p in range(n_purposes):
                if r >= max_stops[p]:
                    continue
                for s in range(n_nodes):
                    ms = m[p, s]
                    if ms <= 0.0:
                        continue
                    if row_w[p, s] <= 0.0:
                        exit_mass[s] += ms
                        continue
                    f[p, s] = ms / row_w[p, s]
                    rate[p, s] += f[p, s]
            new = np.dot(f, k)  # new[p, t] = sum_s f[p, s] K[s, t], times B below
            for p in range(n_purposes):
                if r >= max_stops[p]:
                    continue
                last = r == max_stops[p] - 1
                for t in range(n_nodes):
                    arrived = new[p, t] * b[p, t]
                    if last:
                        exit_mass[t] += arrived
                    else:
                        exit_mass[t] += arrived * (1.0 - cont[p])
                        m[p, t] = arrived * cont[p]
        # od[s, t] += K[s, t] sum_p rate[p, s] B[p, t]
        od += k * np.dot(np.ascontiguousarray(rate.T), b)
        g = np.dot(rate, k)  # g[p, t] = sum_s rate[p, s] K[s, t]
        for u in range(n_units):
            t = unit_node[u]
            wu = door[a, u]
            for p in range(n_purposes):
                potential[p, u] += wu * g[p, t]
    for u in range(n_units):
        v = 0.0
        for p in range(n_purposes):
            if attr[p, u] > 0.0:
                v += attr[p, u] * potential[p, u]
        visits[u] = v
    for s in range(n_nodes):
        if exit_mass[s] > 0.0:
            for e in range(entry_node.shape[0]):
                od[s, entry_node[e]] += exit_mass[s] * exit_prob[s, e]
    return visits, od, potential


def visitor_flows_dense_reference(kernel, door, unit_node, attr, m0, cont, max_stops,
                                  exit_prob, entry_node):
    """Plain NumPy twin of `visitor_flows_dense_numba` (same arguments, same results), purpose by
    purpose: node sums by `bincount`, the kernel products as matrix-vector products."""
    n_purposes, n_units = attr.shape
    n_ages, n_nodes, _ = kernel.shape
    od = np.zeros((n_nodes, n_nodes))
    potential = np.zeros((n_purposes, n_units))
    exit_mass = np.zeros(n_nodes)
    pos = np.where(attr > 0.0, attr, 0.0)
    for a in range(n_ages):
        k = kernel[a]
        rates, pulls = [], []
        for p in range(n_purposes):
            b = np.bincount(unit_node, weights=pos[p] * door[a], minlength=n_nodes)
            row_w = k @ b
            m = m0[p, a].astype(float).copy()
            rate = np.zeros(n_nodes)
            for r in range(int(max_stops[p])):
                active = m > 0
                stuck = active & (row_w <= 0)
                exit_mass[stuck] += m[stuck]
                f = np.where(active & (row_w > 0), m / np.where(row_w > 0, row_w, 1.0), 0.0)
                rate += f
                new = b * (f @ k)
                if r < max_stops[p] - 1:
                    exit_mass += new * (1.0 - cont[p])
                    m = new * cont[p]
                else:
                    exit_mass += new
            potential[p] += door[a] * (rate @ k)[unit_node]
            rates.append(rate)
            pulls.append(b)
        od += k * (np.array(rates).T @ np.array(pulls))
    visits = (pos * potential).sum(axis=0)
    # np.add.at, not +=: two entry points may share a street node.
    np.add.at(od, (slice(None), entry_node), exit_mass[:, None] * exit_prob)
    return visits, od, potential


def decay_kernel(dist: np.ndarray, decay_lengths: np.ndarray, radius: float) -> np.ndarray:
    """(ages, nodes, nodes) node-to-node decay exp(-d / L[a]) within ``radius`` (0 beyond)."""
    inside = dist <= radius
    out = np.zeros((len(decay_lengths), *dist.shape))
    for a, length in enumerate(decay_lengths):
        out[a] = np.where(inside, np.exp(-np.where(inside, dist, 0.0) / length), 0.0)
    return out


@njit(cache=CACHE, nogil=True)
def push_flows_dense_numba(od, order, pred):
    n = od.shape[0]
    foot = np.zeros(n)
    acc = np.empty(n)
    for s in range(n):
        total = 0.0
        for t in range(n):
            acc[t] = od[s, t]
            total += od[s, t]
        if total <= 0.0:
            continue
        for i in range(n):
            t = order[s, i]
            if t == s:
                continue
            v = acc[t]
            if v != 0.0:
                foot[t] += v
                acc[pred[s, t]] += v
        foot[s] += od[s, s]
    return foot


def push_flows_dense_reference(od, order, pred):
    """Plain NumPy twin of `push_flows_dense_numba`: explicit path walk per OD pair."""
    n = od.shape[0]
    foot = np.zeros(n)
    for s, t in zip(*np.nonzero(od), strict=True):
        f = od[s, t]
        if s == t:
            foot[s] += f
            continue
        node = t
        while node != s:
            foot[node] += f
            node = pred[s, node]
    return foot
