"""Asking rents of vacant units: sticky for a grace period, then falling to a floor.

An owner "wants at least to keep the value" [OV]: the asking rent holds for ``grace`` months of
vacancy (longer for institutional owners), then falls by ``decay`` per month, never below
``floor_fraction`` x the unit's current market rent. Occupied units' asking rent follows the
contract rent. Rents in EUR per m2 per year.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cache import CACHE


@njit(cache=CACHE, nogil=True)
def update_asking_rents_numba(asking, contract, market, months_vacant, vacant, grace, decay,
                              floor_fraction):
    n = asking.shape[0]
    out = np.empty(n)
    for u in range(n):
        if not vacant[u]:
            out[u] = contract[u]
            continue
        a = asking[u]
        if months_vacant[u] > grace[u]:
            a = a * (1.0 - decay[u])
            floor = floor_fraction * market[u]
            if a < floor:
                a = floor
        out[u] = a
    return out


def update_asking_rents_reference(asking, contract, market, months_vacant, vacant, grace, decay,
                                  floor_fraction):
    """Plain NumPy twin of `update_asking_rents_numba`."""
    falling = vacant & (months_vacant > grace)
    a = np.where(falling, np.maximum(asking * (1.0 - decay), floor_fraction * market), asking)
    return np.where(vacant, a, contract)
