"""Bare-loop yardstick for the visitor-flow kernel, and the kernel as it was before this suite.

`bare_trip_walk` walks the same trip legs as the model's stop rounds, with none of the model's
arithmetic: for every (purpose, age band, stop round), every source node that carries visitors in
that round and every candidate unit of that source, it adds a constant flow to the unit's visits,
to the OD matrix and to the mass at the destination node. Footfall is then pushed with the
model's own `push_flows` kernel.

What it measures, plainly: the cost of one memory touch per (source, candidate, round) in a tight
numba loop. It is a floor only for kernels that walk trips leg by leg (as the previous kernel
below did); the current kernel sums the candidates into node pairs once per call and walks node
pairs in the rounds, so it does less work and is faster than this "floor". It says nothing about
numba against NumPy (for that, see `sim.kernels.vectorised` and the kernel table).

`visitor_flows_per_round` is the model's previous visitor-flow kernel (one walk over the candidate
units per stop round, as `sim.kernels.flows.visitor_flows_reference` does in NumPy), kept here
verbatim so the suite can show what the node-pair formulation gained.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def bare_trip_walk(cand_ptr, cand_unit, unit_node, active, entry_node, n_units):
    """Walk every candidate leg of every active source in every round; add 1.0 per leg."""
    n_walks, n_nodes = active.shape
    visits = np.zeros(n_units)
    od = np.zeros((n_nodes, n_nodes))
    new = np.zeros(n_nodes)
    for w in range(n_walks):
        for s in range(n_nodes):
            if active[w, s]:
                for k in range(cand_ptr[s], cand_ptr[s + 1]):
                    u = cand_unit[k]
                    t = unit_node[u]
                    visits[u] += 1.0
                    od[s, t] += 1.0
                    new[t] += 1.0
    for s in range(n_nodes):
        for e in range(entry_node.shape[0]):
            od[s, entry_node[e]] += 1.0
    return visits, od, new


def active_sources(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops):
    """(walks, nodes) bool: the sources that choose a stop in each (purpose, age, round) of the
    model's visitor flows (mass > 0 and some attraction within reach), in kernel order."""
    n_nodes = m0.shape[2]
    rows = np.repeat(np.arange(n_nodes), np.diff(cand_ptr))
    dest = unit_node[cand_unit]
    walks = []
    for p in range(attr.shape[0]):
        for a in range(decay.shape[0]):
            w = attr[p, cand_unit] * decay[a]
            row_w = np.bincount(rows, weights=w, minlength=n_nodes)
            m = m0[p, a].astype(float)
            for r in range(int(max_stops[p])):
                act = (m > 0) & (row_w > 0)
                walks.append(act)
                go = np.where(act, m / np.where(row_w > 0, row_w, 1.0), 0.0)
                new = np.bincount(dest, weights=go[rows] * np.where(w > 0, w, 0.0),
                                  minlength=n_nodes)
                if r < max_stops[p] - 1:
                    m = new * cont[p]
    return np.array(walks)


def count_legs(active: np.ndarray, cand_ptr: np.ndarray, n_entries: int) -> int:
    """Legs walked: candidates of the active sources over all rounds, plus the exit legs."""
    per_source = np.diff(cand_ptr)
    return int((active * per_source[None, :]).sum()) + active.shape[1] * n_entries


@njit(cache=True, nogil=True)
def visitor_flows_per_round(cand_ptr, cand_unit, decay, unit_node, attr, m0, cont, max_stops,
                            exit_prob, entry_node):
    """The model's visitor-flow kernel before this benchmark suite (verbatim)."""
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
