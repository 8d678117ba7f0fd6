"""Vectorised NumPy versions of the numba kernels' own algorithms (a third implementation).

The reference twins in the kernel modules are written for clarity: `push_flows_reference` walks
every origin-destination path in an interpreted loop, so comparing numba with it measures the
interpreter as much as numba. The functions here run the numba kernels' algorithms with
whole-array NumPy operations, so that ``numba time / vectorised time`` is an honest measure of
what compiling buys (`benchmarks/run.py`). They take the same arguments and give the same results
(tested against the numba kernels in ``tests/test_kernels_vectorised.py``). The model does not
use them.

`visitor_flows_reference`, `local_vacancy_reference` and `update_asking_rents_reference` already
are vectorised NumPy versions of their kernels' algorithms (the flow twin works on node-level
matrix products, as the numba kernel does); they are re-exported here under the same naming.
"""

from __future__ import annotations

import numpy as np

from .flows import visitor_flows_reference as visitor_flows_vectorised
from .neighbourhood import local_vacancy_reference as local_vacancy_vectorised
from .rents import update_asking_rents_reference as update_asking_rents_vectorised

__all__ = ["local_vacancy_vectorised", "push_flows_vectorised", "update_asking_rents_vectorised",
           "visitor_flows_vectorised"]


def push_flows_vectorised(od: np.ndarray, order: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """`push_flows_numba`'s tree push for all sources at once.

    Position i of every source's node order is handled in one step: each source hands the flow
    accumulated at its i-th farthest node to that node's predecessor. Each source touches one
    node per step, so the scattered additions within a step never collide.
    """
    n = od.shape[0]
    acc = od.astype(np.float64, copy=True)
    foot = np.zeros(n)
    src = np.arange(n)
    for i in range(n):
        t = order[:, i]
        keep = t != src
        s, t = src[keep], t[keep]
        v = acc[s, t]
        foot += np.bincount(t, weights=v, minlength=n)
        acc[s, pred[s, t]] += v
    foot += np.diagonal(od)
    return foot


