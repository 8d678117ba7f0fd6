"""Visitor flows: expected trips, Huff-type stop choice and the origin-destination flows they make.

For every trip purpose p and age band a, the visitors' position is a mass over street nodes. At
each stop round a visitor at node s picks unit u with probability

    P(u | s) = A[p, u] * exp(-d(s, u) / L[a]) / sum_k A[p, k] * exp(-d(s, k) / L[a])

over the units within the stop-choice radius (Huff 1963 with exponential distance decay). After
each stop a share ``cont[p]`` goes on to another stop, the rest walks to an exit chosen with
``exit_prob``. The result is expected visits per unit and the node-to-node flow matrix whose
shortest paths make footfall (see `footfall`). Expected flows have no sampling noise and cost
O(purposes x ages x (candidates + stops x node pairs)) in the numba kernel (O(purposes x ages x
stops x candidates) in the reference), independent of the number of trips.

Both implementations take the same arrays; ``decay`` is exp(-cand_dist / L[a]) per age band,
precomputed once per run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE

#: The node-pair weights of a call are held densely, (purposes x ages, nodes, nodes), while that
#: array has at most this many entries (64 MiB), and as CSR lists of node pairs above it.
DENSE_MAX_ENTRIES = 1 << 23


@njit(cache=CACHE, nogil=True)
def _pad_rows(x, multiple):
    """``x`` with zero rows appended up to a multiple of ``multiple`` rows."""
    n = -(-x.shape[0] // multiple) * multiple
    if n == x.shape[0]:
        return x
    out = np.zeros((n, x.shape[1]))
    out[: x.shape[0]] = x
    return out


@njit(cache=CACHE, nogil=True)
def _node_pairs(cand_ptr, cand_unit, unit_node, n_nodes):
    """CSR lists of the distinct destination nodes of each source's candidates (node pairs):
    pointers and the destination node of each pair."""
    mark = np.full(n_nodes, -1, np.int64)
    pair_ptr = np.zeros(n_nodes + 1, np.int64)
    pair_node = np.empty(cand_unit.shape[0], np.int32)
    n_pairs = 0
    for s in range(n_nodes):
        for k in range(cand_ptr[s], cand_ptr[s + 1]):
            t = unit_node[cand_unit[k]]
            if mark[t] != s:
                mark[t] = s
                pair_node[n_pairs] = t
                n_pairs += 1
        pair_ptr[s + 1] = n_pairs
    return pair_ptr, pair_node[:n_pairs]


@njit(cache=CACHE, nogil=True)
def _stop_weights(cand_ptr, cand_unit, unit_node, pair_ptr, pair_node, dense, at, dc, pw, row_w):
    """Sum the stop weights attr x decay of every source into its row total ``row_w[i, s]`` (all
    weights, as the reference) and its positive weights into node pairs ``pw[i, column]``
    (column s * nodes + t when dense, else the pair index). One sweep over the candidates per
    block of 3 purposes x 2 age bands, the six sums kept in registers; i = p * ages + a."""
    n_pad_p = at.shape[0]
    n_pad_a = dc.shape[0]
    n_nodes = cand_ptr.shape[0] - 1
    slot = np.zeros(n_nodes, np.int64)  # column of each destination node for the current source
    for p0 in range(0, n_pad_p, 3):
        at0, at1, at2 = at[p0], at[p0 + 1], at[p0 + 2]
        for b0 in range(0, n_pad_a, 2):
            dc0, dc1 = dc[b0], dc[b0 + 1]
            i0 = p0 * n_pad_a + b0
            i2 = i0 + n_pad_a
            i4 = i2 + n_pad_a
            w_0, w_1, w_2 = pw[i0], pw[i0 + 1], pw[i2]
            w_3, w_4, w_5 = pw[i2 + 1], pw[i4], pw[i4 + 1]
            for s in range(n_nodes):
                if dense:
                    for t in range(n_nodes):
                        slot[t] = s * n_nodes + t
                else:
                    for j in range(pair_ptr[s], pair_ptr[s + 1]):
                        slot[pair_node[j]] = j
                r0 = r1 = r2 = r3 = r4 = r5 = 0.0
                for k in range(cand_ptr[s], cand_ptr[s + 1]):
                    u = cand_unit[k]
                    q = slot[unit_node[u]]
                    x0 = dc0[k]
                    x1 = dc1[k]
                    w0 = at0[u] * x0
                    w1 = at0[u] * x1
                    w2 = at1[u] * x0
                    w3 = at1[u] * x1
                    w4 = at2[u] * x0
                    w5 = at2[u] * x1
                    r0 += w0
                    r1 += w1
                    r2 += w2
                    r3 += w3
                    r4 += w4
                    r5 += w5
                    w_0[q] += w0 if w0 > 0.0 else 0.0
                    w_1[q] += w1 if w1 > 0.0 else 0.0
                    w_2[q] += w2 if w2 > 0.0 else 0.0
                    w_3[q] += w3 if w3 > 0.0 else 0.0
                    w_4[q] += w4 if w4 > 0.0 else 0.0
                    w_5[q] += w5 if w5 > 0.0 else 0.0
                row_w[i0, s] = r0
                row_w[i0 + 1, s] = r1
                row_w[i2, s] = r2
                row_w[i2 + 1, s] = r3
                row_w[i4, s] = r4
                row_w[i4 + 1, s] = r5


@njit(cache=CACHE, nogil=True)
def _stop_rounds(pair_ptr, pair_node, dense, pw, row_w, m0, cont, max_stops, n_pad_a, od,
                 exit_mass, rate):
    """The stop rounds of every (purpose, age band) on node pairs: each source's mass goes to the
    destination nodes in proportion to the pair weights; ``rate[i, s]`` sums the stop rate
    mass / row weight of source s over the rounds, which makes the OD flows to the stops."""
    n_purposes, n_ages, n_nodes = m0.shape
    m = np.empty(n_nodes)
    new = np.empty(n_nodes)
    for p in range(n_purposes):
        for a in range(n_ages):
            i = p * n_pad_a + a
            w = pw[i]
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
                    if dense:
                        base = s * n_nodes
                        for t in range(n_nodes):
                            new[t] += f * w[base + t]
                    else:
                        for j in range(pair_ptr[s], pair_ptr[s + 1]):
                            new[pair_node[j]] += f * w[j]
                if r < max_stops[p] - 1:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s] * (1.0 - cont[p])
                        m[s] = new[s] * cont[p]
                else:
                    for s in range(n_nodes):
                        exit_mass[s] += new[s]
            for s in range(n_nodes):
                f = rate[i, s]
                if f <= 0.0:
                    continue
                if dense:
                    base = s * n_nodes
                    for t in range(n_nodes):
                        od[s, t] += f * w[base + t]
                else:
                    for j in range(pair_ptr[s], pair_ptr[s + 1]):
                        od[s, pair_node[j]] += f * w[j]


@njit(cache=CACHE, nogil=True)
def _unit_visits(cand_ptr, cand_unit, at, dc, rate, visits):
    """Visits per unit: each candidate's positive weight times its source's summed stop rate."""
    n_pad_p = at.shape[0]
    n_pad_a = dc.shape[0]
    n_nodes = cand_ptr.shape[0] - 1
    for p0 in range(0, n_pad_p, 3):
        at0, at1, at2 = at[p0], at[p0 + 1], at[p0 + 2]
        for b0 in range(0, n_pad_a, 2):
            dc0, dc1 = dc[b0], dc[b0 + 1]
            i0 = p0 * n_pad_a + b0
            i2 = i0 + n_pad_a
            i4 = i2 + n_pad_a
            for s in range(n_nodes):
                c0 = rate[i0, s]
                c1 = rate[i0 + 1, s]
                c2 = rate[i2, s]
                c3 = rate[i2 + 1, s]
                c4 = rate[i4, s]
                c5 = rate[i4 + 1, s]
                if c0 + c1 + c2 + c3 + c4 + c5 <= 0.0:
                    continue
                for k in range(cand_ptr[s], cand_ptr[s + 1]):
                    u = cand_unit[k]
                    x0 = dc0[k]
                    x1 = dc1[k]
                    w0 = at0[u] * x0
                    w1 = at0[u] * x1
                    w2 = at1[u] * x0
                    w3 = at1[u] * x1
                    w4 = at2[u] * x0
                    w5 = at2[u] * x1
                    visits[u] += (c0 * (w0 if w0 > 0.0 else 0.0) + c1 * (w1 if w1 > 0.0 else 0.0)
                                  + c2 * (w2 if w2 > 0.0 else 0.0) + c3 * (w3 if w3 > 0.0 else 0.0)
                                  + c4 * (w4 if w4 > 0.0 else 0.0) + c5 * (w5 if w5 > 0.0 else 0.0))


@njit(cache=CACHE, nogil=True)
def visitor_flows_numba(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops,
                        exit_prob, entry_node, dense=-1):
    """Numba twin of `visitor_flows_reference` (same results up to rounding). The per-round walk
    over candidate units becomes a walk over (source, destination node) pairs: the candidates'
    weights are summed into node pairs once per call, the stop rounds push mass along the pairs,
    and the visits per unit take one sweep at the end with each source's stop rate summed over
    the rounds. ``dense``: 1 or 0 forces the dense or the CSR pair layout, -1 (default) picks
    dense up to `DENSE_MAX_ENTRIES`."""
    n_units = attr.shape[1]
    n_nodes = m0.shape[2]
    at = _pad_rows(attr, 3)
    dc = _pad_rows(decay, 2)
    n_pad_a = dc.shape[0]
    n_pa = at.shape[0] * n_pad_a
    use_dense = n_pa * n_nodes * n_nodes <= DENSE_MAX_ENTRIES if dense < 0 else dense > 0
    if use_dense:
        pair_ptr = np.zeros(1, np.int64)
        pair_node = np.zeros(1, np.int32)
        n_cols = n_nodes * n_nodes
    else:
        pair_ptr, pair_node = _node_pairs(cand_ptr, cand_unit, unit_node, n_nodes)
        n_cols = pair_node.shape[0]
    pw = np.zeros((n_pa, n_cols))
    row_w = np.zeros((n_pa, n_nodes))
    _stop_weights(cand_ptr, cand_unit, unit_node, pair_ptr, pair_node, use_dense, at, dc, pw,
                  row_w)
    od = np.zeros((n_nodes, n_nodes))
    exit_mass = np.zeros(n_nodes)
    rate = np.zeros((n_pa, n_nodes))
    _stop_rounds(pair_ptr, pair_node, use_dense, pw, row_w, m0, cont, max_stops, n_pad_a, od,
                 exit_mass, rate)
    visits = np.zeros(n_units)
    _unit_visits(cand_ptr, cand_unit, at, dc, rate, visits)
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
    # np.add.at: two entry points may share a street node (town files); += would drop one.
    np.add.at(od, (slice(None), entry_node), exit_mass[:, None] * exit_prob)
    return visits, od
