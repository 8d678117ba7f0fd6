"""Asking rents of vacant units: held for a while, then cut step by step toward the bids seen,
never below the owner's reservation rent.

An owner asks its estimate of the market rent when a unit falls vacant. It holds that asking
rent for ``hold`` months, then cuts it by ``step`` per month; a bid seen below the asking rent
pulls the asking rent ``learning`` of the way toward it. The asking rent never falls below the
owner's reservation rent (covenant-safe rent or running costs, `sim.property`). Occupied units'
asking rent follows the contract rent. Rents in EUR per m2 per year.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def update_asking_rents_numba(asking, contract, months_vacant, vacant, seen, reservation, hold,
                              step, learning):
    n = asking.shape[0]
    out = np.empty(n)
    for u in range(n):
        if not vacant[u]:
            out[u] = contract[u]
            continue
        a = asking[u]
        if months_vacant[u] >= hold:
            a = a * (1.0 - step)
        if seen[u] > 0.0 and seen[u] < a:
            a = a - learning * (a - seen[u])
        if a < reservation[u]:
            a = reservation[u]
        out[u] = a
    return out


def update_asking_rents_reference(asking, contract, months_vacant, vacant, seen, reservation,
                                  hold, step, learning):
    """Plain NumPy twin of `update_asking_rents_numba`."""
    a = np.where(months_vacant >= hold, asking * (1.0 - step), asking)
    a = np.where((seen > 0.0) & (seen < a), a - learning * (a - seen), a)
    a = np.maximum(a, reservation)
    return np.where(vacant, a, contract)
