"""Local vacancy: the share of vacant retail-eligible units around each node and each unit.

Used by vacancy contagion: street attractiveness falls with the node's share (the share around a
unit, its own unit excluded, is returned too, for analysis). There is no closure hazard: vacancy
acts only through what visitors see.

Precondition: each node's list contains every unit on that node (distance 0 is within any radius);
`sim.space.build_street_network` guarantees it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def local_vacancy_numba(near_ptr, near_unit, unit_node, vacant, eligible):
    n_nodes = near_ptr.shape[0] - 1
    n_units = unit_node.shape[0]
    node_vac = np.zeros(n_nodes)
    node_elig = np.zeros(n_nodes)
    for s in range(n_nodes):
        for k in range(near_ptr[s], near_ptr[s + 1]):
            u = near_unit[k]
            if eligible[u]:
                node_elig[s] += 1.0
                if vacant[u]:
                    node_vac[s] += 1.0
    node_share = np.zeros(n_nodes)
    for s in range(n_nodes):
        if node_elig[s] > 0.0:
            node_share[s] = node_vac[s] / node_elig[s]
    unit_share = np.zeros(n_units)
    for u in range(n_units):
        s = unit_node[u]
        e = node_elig[s]
        v = node_vac[s]
        if eligible[u]:
            e -= 1.0
            if vacant[u]:
                v -= 1.0
        if e > 0.0:
            unit_share[u] = v / e
    return node_share, unit_share


def local_vacancy_reference(near_ptr, near_unit, unit_node, vacant, eligible):
    """Plain NumPy twin of `local_vacancy_numba`."""
    n_nodes = len(near_ptr) - 1
    rows = np.repeat(np.arange(n_nodes), np.diff(near_ptr))
    e_w = eligible[near_unit].astype(float)
    v_w = (eligible & vacant)[near_unit].astype(float)
    node_elig = np.bincount(rows, weights=e_w, minlength=n_nodes)
    node_vac = np.bincount(rows, weights=v_w, minlength=n_nodes)
    node_share = np.divide(node_vac, node_elig, out=np.zeros(n_nodes), where=node_elig > 0)
    e = node_elig[unit_node] - eligible
    v = node_vac[unit_node] - (eligible & vacant)
    unit_share = np.divide(v, e, out=np.zeros(len(unit_node)), where=e > 0)
    return node_share, unit_share
