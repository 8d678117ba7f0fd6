"""Matrix-product floor of the visitor-flow kernel: the dense node-pair work alone.

`sim.kernels.flows.visitor_flows_numba` works on street nodes: per age band it forms the choice
denominators (K @ B), moves the mass through the stop rounds (f @ K per round), builds the
node-to-node flows (K * (rate^T @ B)) and the stop potential (rate @ K), with compiled loops
around these products for the per-unit and per-node bookkeeping. `flows_matmul_floor_numba` makes
the same matrix products on arrays of the same shapes, through the same BLAS (numba's ``np.dot``
binds to SciPy's), and nothing else; `flows_matmul_floor_numpy` makes them with NumPy's ``@``
(NumPy's own BLAS), as the reference twin does.

What it measures, plainly: the cost of the dense linear algebra this formulation cannot avoid.
``floor / kernel`` says how much of a kernel call is that work (the rest is the loops over units
and nodes, allocation and the exit flows). A kernel close to its floor is BLAS-bound, and then
compiling the loops around the products cannot make it much faster than NumPy calling the same
products. It is not a floor of every possible formulation (sparse kernels, for instance, would
do less work on towns larger than the stop-choice radius).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def flows_matmul_floor_numba(kernel, pull, rounds):
    """The matrix products of `visitor_flows_numba` for (ages, nodes, nodes) ``kernel``,
    (purposes, nodes) ``pull`` and ``rounds`` stop rounds (numba ``np.dot``)."""
    n_ages, n, _ = kernel.shape
    od = np.zeros((n, n))
    g = np.zeros((pull.shape[0], n))
    for a in range(n_ages):
        k = np.ascontiguousarray(kernel[a])
        f = np.ascontiguousarray(np.dot(k, np.ascontiguousarray(pull.T)).T)
        rate = f.copy()
        for _ in range(rounds):
            f = np.dot(f, k)
            rate += f
        od += k * np.dot(np.ascontiguousarray(rate.T), pull)
        g += np.dot(rate, k)
    return od, g


def flows_matmul_floor_numpy(kernel, pull, rounds):
    """The same products with NumPy's ``@`` (the reference twin's BLAS)."""
    n_ages, n, _ = kernel.shape
    od = np.zeros((n, n))
    g = np.zeros((pull.shape[0], n))
    for a in range(n_ages):
        k = kernel[a]
        f = (k @ pull.T).T
        rate = f.copy()
        for _ in range(rounds):
            f = f @ k
            rate += f
        od += k * (rate.T @ pull)
        g += rate @ k
    return od, g


def floor_inputs(flow_args: tuple) -> tuple:
    """(kernel, pull, rounds) of the shapes a `visitor_flows` call with ``flow_args`` uses; the
    pull is scaled so that repeated products stay far from overflow."""
    kernel, door, unit_node, attr, _, _, max_stops, _, _ = flow_args
    n_nodes = kernel.shape[1]
    pull = np.stack([np.bincount(unit_node, weights=attr[p] * door[0], minlength=n_nodes)
                     for p in range(attr.shape[0])])
    pull /= max(float(pull.max()), 1e-300) * n_nodes
    return kernel, pull, int(np.max(max_stops))
