"""Visitor flows: expected trips, Huff-type stop choice and the origin-destination flows they make.

For every trip purpose p and age band a, the visitors' position is a mass over street nodes. At
each stop round a visitor at node s picks unit u with probability

    P(u | s) = A[p, u] * exp(-(d(s, t_u) + o_u) / L[a])
               / sum_k A[p, k] * exp(-(d(s, t_k) + o_k) / L[a])

over the units whose street node t_u lies within the stop-choice radius of s (Huff 1963 with
exponential distance decay; o_u is the distance from the unit's door to its node). After each
stop a share ``cont[p]`` goes on to another stop, the rest walks to an exit chosen with
``exit_prob``. The result is expected visits per unit, the node-to-node flows whose shortest
paths make footfall (see `footfall`), and the stop potential per purpose and unit: the visits a
unit of attractiveness 1 would draw, so that tenants can forecast the visits of a unit they do
not yet occupy (visits = attractiveness x potential; the small change a newcomer makes to the
choice denominators is ignored).

The decay separates into a node-to-node kernel and a door term,
exp(-(d + o) / L) = K[a, s, t] x w[a, u] with K[a, s, t] = exp(-d(s, t) / L[a]) inside the
radius (0 outside) and w[a, u] = exp(-o_u / L[a]), so every step works on street nodes: the
units' pull is summed per node (B[t] = sum over its units of A x w), the choice denominators are
K @ B and the flows K^T f.

**Sparse kernel (issue 20).** Only node pairs that can carry a flow are stored: rows are the
*source* nodes (where trips start or stop: the units' and the entry points' nodes), columns the
source nodes within the stop-choice radius of the row, as a CSR pattern (``ptr``, ``col``) with
one kernel value per age band (``kval``: (pairs, ages)). A street node without units or entries
is never a destination, and pairs beyond the radius are zero, so they are left out; time and
memory grow with sources x neighbours, not with nodes^2 (footfall still walks the whole street
network: `sim.kernels.footfall`). Every row holds its diagonal (distance 0), so a source is a
row with at least one pair. The flows come back on the same pattern (``od``: (pairs,), the stop
legs) plus ``exit_mass`` (nodes,): the trips that leave from each node, spread over the exits
by ``exit_prob`` (``od_dense`` assembles the dense matrix, for checks).

The numba kernel fuses the work into one sweep over the pattern per stop round for all purposes
and age bands at once (a row's pairs are read once per round): round 0 gathers the choice
denominators of row s and at once scatters its first stop choices; the last round also forms
the flows and the stop potential. Cost O(rounds x pairs x ages x purposes + ages x purposes x
units), independent of the number of trips. Attractiveness must be >= 0.

``visitor_flows_numba`` and its twin ``visitor_flows_reference`` (SciPy sparse matrix products,
purpose by purpose) take the same arrays and give the same results; both agree with the dense
formulation of `sim.kernels.dense` to rounding (tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.sparse import csr_matrix

from ._cache import CACHE


@njit(cache=CACHE, nogil=True, inline="always")
def _gather8(k0, k1, col, kval, b, out):
    """out[lane] = sum over pairs k0..k1 of kval[k, age] x b[col[k], lane], for 2 ages x 4
    purposes, unrolled (the same sums as the generic loop, in the same order)."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    for k in range(k0, k1):
        t = col[k]
        kv0 = kval[k, 0]
        kv1 = kval[k, 1]
        a0 += kv0 * b[t, 0]
        a1 += kv0 * b[t, 1]
        a2 += kv0 * b[t, 2]
        a3 += kv0 * b[t, 3]
        a4 += kv1 * b[t, 4]
        a5 += kv1 * b[t, 5]
        a6 += kv1 * b[t, 6]
        a7 += kv1 * b[t, 7]
    out[0], out[1], out[2], out[3] = a0, a1, a2, a3
    out[4], out[5], out[6], out[7] = a4, a5, a6, a7


@njit(cache=CACHE, nogil=True, inline="always")
def _scatter8(k0, k1, col, kval, fs, new):
    """new[col[k], lane] += fs[lane] x kval[k, age] over pairs k0..k1, 2 ages x 4 purposes,
    unrolled."""
    f0, f1, f2, f3, f4, f5, f6, f7 = fs[0], fs[1], fs[2], fs[3], fs[4], fs[5], fs[6], fs[7]
    for k in range(k0, k1):
        t = col[k]
        kv0 = kval[k, 0]
        kv1 = kval[k, 1]
        new[t, 0] += f0 * kv0
        new[t, 1] += f1 * kv0
        new[t, 2] += f2 * kv0
        new[t, 3] += f3 * kv0
        new[t, 4] += f4 * kv1
        new[t, 5] += f5 * kv1
        new[t, 6] += f6 * kv1
        new[t, 7] += f7 * kv1


@njit(cache=CACHE, nogil=True, inline="always")
def _legs8(k0, k1, col, kval, rs, b, od):
    """od[k] = sum over ages of kval[k, age] x sum over purposes of rs[lane] x b[col[k], lane],
    2 ages x 4 purposes, unrolled (same order as the generic loop)."""
    r0, r1, r2, r3, r4, r5, r6, r7 = rs[0], rs[1], rs[2], rs[3], rs[4], rs[5], rs[6], rs[7]
    for k in range(k0, k1):
        t = col[k]
        x0 = r0 * b[t, 0] + r1 * b[t, 1] + r2 * b[t, 2] + r3 * b[t, 3]
        x1 = r4 * b[t, 4] + r5 * b[t, 5] + r6 * b[t, 6] + r7 * b[t, 7]
        od[k] = kval[k, 0] * x0 + kval[k, 1] * x1


@njit(cache=CACHE, nogil=True)
def visitor_flows_numba(ptr, col, kval, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                        entry_node):
    """Numba twin of `visitor_flows_reference`: one sweep over the pattern per stop round, all
    (age, purpose) lanes that are still moving together; returns (visits, od, exit_mass,
    potential)."""
    n_purposes, n_units = attr.shape
    n_ages = kval.shape[1]
    n_nodes = ptr.shape[0] - 1
    n_lanes = n_ages * n_purposes
    b = np.zeros((n_nodes, n_lanes))
    for u in range(n_units):
        t = unit_node[u]
        for a in range(n_ages):
            wu = door[a, u]
            for p in range(n_purposes):
                if attr[p, u] > 0.0:
                    b[t, a * n_purposes + p] += attr[p, u] * wu
    m = np.zeros((n_nodes, n_lanes))
    for a in range(n_ages):
        for p in range(n_purposes):
            for s in range(n_nodes):
                m[s, a * n_purposes + p] = m0[p, a, s]
    stops = np.empty(n_lanes, dtype=np.int64)
    rounds = 0
    for a in range(n_ages):
        for p in range(n_purposes):
            stops[a * n_purposes + p] = max_stops[p]
            rounds = max(rounds, max_stops[p])
    row_w = np.zeros((n_nodes, n_lanes))
    rate = np.zeros((n_nodes, n_lanes))
    new = np.zeros((n_nodes, n_lanes))
    g = np.zeros((n_nodes, n_lanes))  # g = K^T rate = the sum over rounds of K^T f
    od = np.zeros(col.shape[0])
    exit_mass = np.zeros(n_nodes)
    fs = np.zeros(n_lanes)
    acc = np.zeros(n_lanes)
    two_by_four = n_ages == 2 and n_purposes == 4  # the model's lanes: unrolled loops
    for r in range(rounds):
        last_pass = r == rounds - 1
        for s in range(n_nodes):
            k0, k1 = ptr[s], ptr[s + 1]
            if r == 0:
                if two_by_four:
                    _gather8(k0, k1, col, kval, b, row_w[s])
                else:
                    acc[:] = 0.0
                    for k in range(k0, k1):
                        t = col[k]
                        for a in range(n_ages):
                            kv = kval[k, a]
                            for p in range(n_purposes):
                                acc[a * n_purposes + p] += kv * b[t, a * n_purposes + p]
                    for lane in range(n_lanes):
                        row_w[s, lane] = acc[lane]
            active = False
            for lane in range(n_lanes):
                fs[lane] = 0.0
                if r < stops[lane]:
                    ms = m[s, lane]
                    if ms > 0.0:
                        if row_w[s, lane] <= 0.0:
                            exit_mass[s] += ms
                        else:
                            fs[lane] = ms / row_w[s, lane]
                            rate[s, lane] += fs[lane]
                            active = True
            if active and two_by_four:
                _scatter8(k0, k1, col, kval, fs, new)
            elif active:
                for k in range(k0, k1):
                    t = col[k]
                    for a in range(n_ages):
                        kv = kval[k, a]
                        for p in range(n_purposes):
                            new[t, a * n_purposes + p] += fs[a * n_purposes + p] * kv
            if last_pass and two_by_four:
                _legs8(k0, k1, col, kval, rate[s], b, od)
            elif last_pass:  # every lane's rate is complete: the stop legs of row s
                for k in range(k0, k1):
                    t = col[k]
                    flow = 0.0
                    for a in range(n_ages):
                        x = 0.0
                        for p in range(n_purposes):
                            x += rate[s, a * n_purposes + p] * b[t, a * n_purposes + p]
                        flow += kval[k, a] * x
                    od[k] = flow
        # arrivals of this round: stop there, then go on or leave
        for t in range(n_nodes):
            for lane in range(n_lanes):
                if r < stops[lane]:
                    g[t, lane] += new[t, lane]
                    arrived = new[t, lane] * b[t, lane]
                    if r == stops[lane] - 1:
                        exit_mass[t] += arrived
                    else:
                        cp = cont[lane % n_purposes]
                        exit_mass[t] += arrived * (1.0 - cp)
                        m[t, lane] = arrived * cp
                new[t, lane] = 0.0
    potential = np.zeros((n_purposes, n_units))
    visits = np.zeros(n_units)
    for u in range(n_units):
        t = unit_node[u]
        v = 0.0
        for p in range(n_purposes):
            pot = 0.0
            for a in range(n_ages):
                pot += door[a, u] * g[t, a * n_purposes + p]
            potential[p, u] = pot
            if attr[p, u] > 0.0:
                v += attr[p, u] * pot
        visits[u] = v
    return visits, od, exit_mass, potential


def visitor_flows_reference(ptr, col, kval, door, unit_node, attr, m0, cont, max_stops,
                            exit_prob, entry_node):
    """Plain NumPy/SciPy twin of `visitor_flows_numba` (same arguments, same results), purpose
    by purpose: node sums by `bincount`, the kernel products as SciPy sparse matrix-vector
    products (K @ b for the denominators, K^T @ f for the choices)."""
    n_purposes, n_units = attr.shape
    n_nodes, n_ages = len(ptr) - 1, kval.shape[1]
    rows = np.repeat(np.arange(n_nodes), np.diff(ptr))
    od = np.zeros(len(col))
    potential = np.zeros((n_purposes, n_units))
    exit_mass = np.zeros(n_nodes)
    pos = np.where(attr > 0.0, attr, 0.0)
    for a in range(n_ages):
        k = csr_matrix((kval[:, a], col, ptr), shape=(n_nodes, n_nodes))
        kt = k.T.tocsr()
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
                new = b * (kt @ f)
                if r < max_stops[p] - 1:
                    exit_mass += new * (1.0 - cont[p])
                    m = new * cont[p]
                else:
                    exit_mass += new
            potential[p] += door[a] * (kt @ rate)[unit_node]
            od += kval[:, a] * rate[rows] * b[col]
    visits = (pos * potential).sum(axis=0)
    return visits, od, exit_mass, potential


def od_dense(ptr, col, od, exit_mass, exit_prob, entry_node) -> np.ndarray:
    """The (nodes, nodes) flow matrix of a sparse result: stop legs on the pattern plus the exit
    legs (``exit_mass[s] x exit_prob[s, e]`` to entry ``e``'s node). For checks and benchmarks;
    the model never forms it."""
    n = len(ptr) - 1
    out = csr_matrix((od, col, ptr), shape=(n, n)).toarray()
    # np.add.at, not +=: two entry points may share a street node.
    np.add.at(out, (slice(None), entry_node), exit_mass[:, None] * exit_prob)
    return out


def choice_kernel(pair_dist: np.ndarray, decay_lengths: np.ndarray) -> np.ndarray:
    """(pairs, ages) decay exp(-d / L[a]) of the stop-choice pairs (`sim.space.StreetNetwork`'s
    ``pair_dist``; all already within the radius)."""
    lengths = np.asarray(decay_lengths, dtype=float)
    d = np.asarray(pair_dist, dtype=float)
    return np.ascontiguousarray(np.exp(-d[:, None] / lengths[None, :]))


def door_decay(offset: np.ndarray, decay_lengths: np.ndarray) -> np.ndarray:
    """(ages, units) decay over the distance from each unit's door to its street node."""
    return np.exp(-np.asarray(offset)[None, :] / np.asarray(decay_lengths, dtype=float)[:, None])
