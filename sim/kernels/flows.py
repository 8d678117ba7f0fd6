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
    n_purposes, n_units = attr.shape
    n_ages = decay.shape[0]
    n_nodes = m0.shape[2]
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    exit_mass = np.zeros(n_nodes)
    row_w = np.empty(n_nodes)
    for p in range(n_purposes):
        for a in range(n_ages):
            for s in range(n_nodes):
                w = 0.0
                for k in range(cand_ptr[s], cand_ptr[s + 1]):
                    w += attr[p, cand_unit[k]] * decay[a, k]
                row_w[s] = w
            m = m0[p, a].copy()
            for r in range(max_stops[p]):
                new = np.zeros(n_nodes)
                for s in range(n_nodes):
                    ms = m[s]
                    if ms <= 0.0:
                        continue
                    if row_w[s] <= 0.0:
                        exit_mass[s] += ms
                        continue
                    f = ms / row_w[s]
                    for k in range(cand_ptr[s], cand_ptr[s + 1]):
                        u = cand_unit[k]
                        w = attr[p, u] * decay[a, k]
                        if w > 0.0:
                            flow = f * w
                            visits[u] += flow
                            t = unit_node[u]
                            od[s, t] += flow
                            new[t] += flow
                if r < max_stops[p] - 1:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s] * (1.0 - cont[p])
                        m[s] = new[s] * cont[p]
                else:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s]
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
