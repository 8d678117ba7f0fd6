"""Footfall: push node-to-node flows along shortest-path trees.

Flow from source s to destination t passes every node on the shortest path s -> t. Walking the
nodes of s's tree from the farthest inwards and handing each node's accumulated flow to its
predecessor gives, at every node, the flow that passes it: O(tree size) per source instead of
O(path length) per origin-destination pair. A node's footfall counts arrivals and pass-throughs
(the departure node of a leg is not counted again, so a stop is counted once).

**Sparse trees (issue 20).** The flows come from `sim.kernels.flows` on the stop-choice pattern
(``ptr``, ``col``, ``od``: stop legs within the radius) plus ``exit_mass`` spread over the entry
points by ``exit_prob``. A source's legs therefore end within the radius or at an entry point,
and only that part of its tree is walked: ``tree_ptr``, ``tree_node``, ``tree_pred`` list, for
each source s, the nodes within the radius and on the paths to the entry points (s itself left
out) in decreasing distance from s (ties by node number, as a stable sort of the full row), each
with its predecessor on the path from s (`sim.space.StreetNetwork`). That is the subsequence of
the full tree walk that can carry flow, so the sums are the same as walking the whole tree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def push_flows_numba(ptr, col, od, exit_mass, exit_prob, entry_node, tree_ptr, tree_node,
                     tree_pred):
    n = ptr.shape[0] - 1
    foot = np.zeros(n)
    acc = np.zeros(n)
    n_entries = entry_node.shape[0]
    for s in range(n):
        k0, k1 = ptr[s], ptr[s + 1]
        em = exit_mass[s]
        if k0 == k1 and em <= 0.0:
            continue
        for k in range(k0, k1):
            acc[col[k]] += od[k]
        if em > 0.0:
            for e in range(n_entries):
                acc[entry_node[e]] += em * exit_prob[s, e]
        own = acc[s]
        for i in range(tree_ptr[s], tree_ptr[s + 1]):
            t = tree_node[i]
            v = acc[t]
            if v != 0.0:
                foot[t] += v
                acc[tree_pred[i]] += v
            acc[t] = 0.0
        foot[s] += own
        acc[s] = 0.0
    return foot


def push_flows_reference(ptr, col, od, exit_mass, exit_prob, entry_node, tree_ptr, tree_node,
                         tree_pred):
    """Plain Python/NumPy twin of `push_flows_numba`: explicit path walk per origin-destination
    pair, following each source's predecessors."""
    n = len(ptr) - 1
    foot = np.zeros(n)
    for s in range(n):
        legs: dict[int, float] = {}
        for k in range(ptr[s], ptr[s + 1]):
            legs[int(col[k])] = legs.get(int(col[k]), 0.0) + float(od[k])
        if exit_mass[s] > 0:
            for e, t in enumerate(entry_node.tolist()):
                legs[t] = legs.get(t, 0.0) + float(exit_mass[s] * exit_prob[s, e])
        lo, hi = tree_ptr[s], tree_ptr[s + 1]
        pred = dict(zip(tree_node[lo:hi].tolist(), tree_pred[lo:hi].tolist(), strict=True))
        for t, f in legs.items():
            if f == 0.0:
                continue
            node = t
            while node != s:
                foot[node] += f
                node = pred[node]
            if t == s:
                foot[s] += f
    return foot
