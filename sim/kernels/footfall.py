"""Footfall: push node-to-node flows along shortest-path trees.

Flow from source s to destination t passes every node on the shortest path s -> t. Walking the
nodes of s's tree from the farthest inwards and handing each node's accumulated flow to its
predecessor gives, at every node, the flow that passes it: O(nodes) per source instead of
O(path length) per origin-destination pair. A node's footfall counts arrivals and pass-throughs
(the departure node of a leg is not counted again, so a stop is counted once).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def push_flows_numba(od, order, pred):
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


def push_flows_reference(od, order, pred):
    """Plain NumPy twin of `push_flows_numba`: explicit path walk per origin-destination pair."""
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
