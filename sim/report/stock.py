"""The stock change behind a vacancy change: "fewer units counted" against "more units used".

The vacancy rate is ``v = V / E`` (vacant retail-eligible units over retail-eligible units). With
``O = E - V`` the units in use (shops, offices, pop-ups, mixed use), ``v = 1 - O / E``, so a lever
can lower vacancy in two ways:

- **more units used**: ``O`` rises at the same stock (a vacant unit is let);
- **fewer units counted**: ``E`` falls at the same use (a vacant unit is converted to housing,
  demolished or merged, and leaves the count).

The change between a policy (``a``) and the reference (``r``) splits exactly (the symmetric,
Shapley split of a ratio, so the order of the two steps does not matter)::

    v_a - v_r = used + counted
    used    = -(O_a - O_r) * (1/E_a + 1/E_r) / 2
    counted = -(O_a + O_r) / 2 * (1/E_a - 1/E_r)

Converting a vacant unit leaves ``O`` unchanged and moves only ``counted``; letting one leaves
``E`` unchanged and moves only ``used``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def decompose_vacancy(vacant_policy: ArrayLike, eligible_policy: ArrayLike,
                      vacant_ref: ArrayLike, eligible_ref: ArrayLike,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Split the vacancy-rate change ``V_a/E_a - V_r/E_r`` into ``(used, counted)`` (fractions
    of retail-eligible units; see the module docstring). A stock of 0 units has vacancy 0, as
    in `CityCentreModel.vacancy_rate`."""
    va, ea = np.asarray(vacant_policy, float), np.asarray(eligible_policy, float)
    vr, er = np.asarray(vacant_ref, float), np.asarray(eligible_ref, float)
    oa, orf = ea - va, er - vr
    inv_a = np.divide(1.0, ea, out=np.zeros_like(ea), where=ea > 0)
    inv_r = np.divide(1.0, er, out=np.zeros_like(er), where=er > 0)
    # An empty stock counts as vacancy 0, i.e. as if all of it were used.
    oa = np.where(ea > 0, oa, 1.0)
    orf = np.where(er > 0, orf, 1.0)
    inv_a = np.where(ea > 0, inv_a, 1.0)
    inv_r = np.where(er > 0, inv_r, 1.0)
    used = -(oa - orf) * (inv_a + inv_r) / 2.0
    counted = -(oa + orf) / 2.0 * (inv_a - inv_r)
    return used, counted
