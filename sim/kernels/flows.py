"""Visitor flows: expected trips, Huff-type stop choice and the origin-destination flows they make.

For every trip purpose p and age band a, the visitors' position is a mass over street nodes. At
each stop round a visitor at node s picks unit u with probability

    P(u | s) = A[p, u] * exp(-(d(s, t_u) + o_u) / L[a])
               / sum_k A[p, k] * exp(-(d(s, t_k) + o_k) / L[a])

over the units whose street node t_u lies within the stop-choice radius of s (Huff 1963 with
exponential distance decay; o_u is the distance from the unit's door to its node). After each
stop a share ``cont[p]`` goes on to another stop, the rest walks to an exit chosen with
``exit_prob``. The result is expected visits per unit, the node-to-node flow matrix whose
shortest paths make footfall (see `footfall`), and the stop potential per purpose and unit: the
visits a unit of attractiveness 1 would draw, so that tenants can forecast the visits of a unit
they do not yet occupy (visits = attractiveness x potential; the small change a newcomer makes
to the choice denominators is ignored).

The decay separates into a node-to-node kernel and a door term,
exp(-(d + o) / L) = K[a, s, t] x w[a, u] with K[a, s, t] = exp(-d(s, t) / L[a]) inside the
radius (0 outside) and w[a, u] = exp(-o_u / L[a]), so every step works on street nodes: the
units' pull is summed per node (B[t] = sum over its units of A x w), the choice denominators are
K @ B and the flows K^T f. Expected flows have no sampling noise and cost
O(purposes x ages x stops x nodes^2 + purposes x ages x units), independent of the number of
trips. Attractiveness must be >= 0.

``visitor_flows_numba`` and its NumPy twin ``visitor_flows_reference`` take the same arrays and
give the same results.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def visitor_flows_numba(kernel, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                        entry_node):
    """Numba twin of `visitor_flows_reference`. The per-unit parts (summing pull per node,
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


def visitor_flows_reference(kernel, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                            entry_node):
    """Plain NumPy twin of `visitor_flows_numba` (same arguments, same results), purpose by
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


def door_decay(offset: np.ndarray, decay_lengths: np.ndarray) -> np.ndarray:
    """(ages, units) decay over the distance from each unit's door to its street node."""
    return np.exp(-np.asarray(offset)[None, :] / np.asarray(decay_lengths, dtype=float)[:, None])
