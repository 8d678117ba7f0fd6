"""Visitor flows: expected trips, Huff-type stop choice and the origin-destination flows they make.

For every trip purpose p and age band a, the visitors' position is a mass over street nodes. At
each stop round a visitor at node s picks unit u with probability

    P(u | s) = A[p, u] * exp(-d(s, u) / L[a]) / sum_k A[p, k] * exp(-d(s, k) / L[a])

over the units within the stop-choice radius (Huff 1963 with exponential distance decay). After
each stop a share ``cont[p]`` goes on to another stop, the rest walks to an exit chosen with
``exit_prob``. The result is expected visits per unit and the node-to-node flow matrix whose
shortest paths make footfall (see `footfall`). Expected flows have no sampling noise and cost
O(purposes x ages x stops x candidate pairs), independent of the number of trips.

Both implementations take the same arrays; ``decay`` is exp(-cand_dist / L[a]) per age band,
precomputed once per run.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def visitor_flows_numba(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops,
                        exit_prob, entry_node):
    # Same maths as the reference, with the candidate weights summed per (source node,
    # destination node) pair once per call: the stop rounds then walk node pairs instead of
    # candidate units, and visits per unit take one more pass over the candidates at the end
    # (the stop rate of a source summed over rounds, times the unit's weight).
    n_purposes, n_units = attr.shape
    n_ages = decay.shape[0]
    n_nodes = m0.shape[2]
    n_pa = n_purposes * n_ages
    # Pass 0: CSR of the distinct destination nodes of each source's candidates.
    mark = np.full(n_nodes, -1, np.int64)
    pair_ptr = np.zeros(n_nodes + 1, np.int64)
    n_pairs = 0
    for s in range(n_nodes):
        for k in range(cand_ptr[s], cand_ptr[s + 1]):
            t = unit_node[cand_unit[k]]
            if mark[t] != s:
                mark[t] = s
                n_pairs += 1
        pair_ptr[s + 1] = n_pairs
    # Pass 1: stop-choice denominators and node-pair weights for every (purpose, age band).
    pair_node = np.empty(n_pairs, np.int64)
    pair_w = np.zeros((n_pa, n_pairs))
    row_w = np.zeros((n_pa, n_nodes))
    slot = np.empty(n_nodes, np.int64)
    rw = np.empty(n_pa)
    mark[:] = -1
    for s in range(n_nodes):
        j = pair_ptr[s]
        rw[:] = 0.0
        for k in range(cand_ptr[s], cand_ptr[s + 1]):
            u = cand_unit[k]
            t = unit_node[u]
            if mark[t] != s:
                mark[t] = s
                slot[t] = j
                pair_node[j] = t
                j += 1
            q = slot[t]
            for p in range(n_purposes):
                ap = attr[p, u]
                for a in range(n_ages):
                    w = ap * decay[a, k]
                    i = p * n_ages + a
                    rw[i] += w
                    if w > 0.0:
                        pair_w[i, q] += w
        for i in range(n_pa):
            row_w[i, s] = rw[i]
    # Stop rounds on node pairs; rate[i, s] sums the stop rate (mass / row weight) over rounds.
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    exit_mass = np.zeros(n_nodes)
    rate = np.zeros((n_pa, n_nodes))
    m = np.empty(n_nodes)
    new = np.empty(n_nodes)
    for p in range(n_purposes):
        for a in range(n_ages):
            i = p * n_ages + a
            m[:] = m0[p, a]
            for r in range(max_stops[p]):
                new[:] = 0.0
                for s in range(n_nodes):
                    ms = m[s]
                    if ms <= 0.0:
                        continue
                    if row_w[i, s] <= 0.0:
                        exit_mass[s] += ms
                        continue
                    f = ms / row_w[i, s]
                    rate[i, s] += f
                    for j in range(pair_ptr[s], pair_ptr[s + 1]):
                        new[pair_node[j]] += f * pair_w[i, j]
                if r < max_stops[p] - 1:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s] * (1.0 - cont[p])
                        m[s] = new[s] * cont[p]
                else:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s]
            for s in range(n_nodes):
                f = rate[i, s]
                if f > 0.0:
                    for j in range(pair_ptr[s], pair_ptr[s + 1]):
                        od[s, pair_node[j]] += f * pair_w[i, j]
    # Pass 2: visits per unit.
    for s in range(n_nodes):
        active = False
        for i in range(n_pa):
            if rate[i, s] > 0.0:
                active = True
        if not active:
            continue
        for k in range(cand_ptr[s], cand_ptr[s + 1]):
            u = cand_unit[k]
            acc = 0.0
            for p in range(n_purposes):
                ap = attr[p, u]
                for a in range(n_ages):
                    w = ap * decay[a, k]
                    if w > 0.0:
                        acc += rate[p * n_ages + a, s] * w
            visits[u] += acc
    for s in range(n_nodes):
        if exit_mass[s] > 0.0:
            for e in range(entry_node.shape[0]):
                od[s, entry_node[e]] += exit_mass[s] * exit_prob[s, e]
    return visits, od


def visitor_flows_reference(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops,
                            exit_prob, entry_node):
    """Plain NumPy twin of `visitor_flows_numba` (same arguments, same results)."""
    n_purposes, n_units = attr.shape
    n_ages = decay.shape[0]
    n_nodes = m0.shape[2]
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    exit_mass = np.zeros(n_nodes)
    row_of = np.repeat(np.arange(n_nodes), np.diff(cand_ptr))
    dest_node = unit_node[cand_unit]
    for p in range(n_purposes):
        for a in range(n_ages):
            w = attr[p, cand_unit] * decay[a]
            row_w = np.bincount(row_of, weights=w, minlength=n_nodes)
            m = m0[p, a].astype(float).copy()
            for r in range(int(max_stops[p])):
                active = m > 0
                stuck = active & (row_w <= 0)
                exit_mass[stuck] += m[stuck]
                go = np.where(active & (row_w > 0), m / np.where(row_w > 0, row_w, 1.0), 0.0)
                flow = go[row_of] * w
                flow[w <= 0] = 0.0
                np.add.at(visits, cand_unit, flow)
                np.add.at(od, (row_of, dest_node), flow)
                new = np.bincount(dest_node, weights=flow, minlength=n_nodes)
                if r < max_stops[p] - 1:
                    exit_mass += new * (1.0 - cont[p])
                    m = new * cont[p]
                else:
                    exit_mass += new
    od[:, entry_node] += exit_mass[:, None] * exit_prob
    return visits, od
