"""Exits from economics and owner-life events: which shops close, when, and why.

A shop is bound by its lease (a term of ``lease_months``; the tenant may leave at the term's end,
as under a Dutch 290 lease of 5 + 5 years, or earlier only by agreement with the owner). So:

- *Bankruptcy* (any month): an independent whose cash runs out. The entrepreneur draws what it
  needs when the shop earns it and lives on ``subsistence_income`` when it does not; cash falls
  only when the shop earns less than that (`sim.tenants.finances`).
- *Surrender* (any month): an independent whose smoothed profit has stayed below what it needs
  for ``exit_patience_months`` asks its owner to end the lease early; the owner agrees for a fee
  of the rent it expects to lose (the remaining rent, at most the months its zone's vacant units
  have stood empty on average). The tenant pays it if it can and if staying would cost it more.
- At the *term's end* (`sim.tenants.lease_ends`): a shop that cannot pay what the owner needs
  does not renew; an independent past its retirement age hands over to a successor (a
  profitable shop, with ``successor_probability``) or closes; a chain's head office keeps the
  outlet only if its smoothed margin after what the chain needs is at least
  ``periphery_margin_advantage`` of its revenue (a peripheral site would earn that much more)
  [OV][G32].
- *Pop-ups* leave when their short lease ends, unless they can afford a regular lease.

There is no flat closure hazard and no contagion hazard: vacancy nearby acts only through what
visitors see (`sim.attraction.street_factor`), hence through revenue.
"""

from __future__ import annotations

import numpy as np

from .functions import Anchor
from .params import Params
from .state import UnitState

#: Anchors that are not run as businesses at risk (municipal culture, the market square).
PROTECTED = (int(Anchor.CULTURE), int(Anchor.MARKET_SQUARE))
#: Lookup by anchor code (True for the protected ones): ``IS_PROTECTED[u.anchor]`` is
#: ``np.isin(u.anchor, PROTECTED)`` without the set operation every month.
IS_PROTECTED = np.isin(np.arange(len(Anchor)), PROTECTED)
IS_PROTECTED.flags.writeable = False
#: Retirement age of a tenancy nobody retires from (a chain outlet, an empty unit): an age no
#: entrepreneur reaches, kept finite so that every state array stays finite.
NEVER_RETIRES = 1000.0


def closure_decisions(p: Params, u: UnitState, clock: int, popup_can_stay: np.ndarray,
                      surrender: np.ndarray) -> dict[str, np.ndarray]:
    """``{cause: bool mask over units}`` of the shops that stop trading this month before
    their lease ends: bankruptcy, an agreed surrender (``surrender``: the tenants whose request
    the owner accepted and who can pay its fee) and pop-ups whose short lease is over."""
    shop = u.occupied_commercial & ~IS_PROTECTED[u.anchor]
    indep = shop & ~u.chain & ~u.popup
    out: dict[str, np.ndarray] = {}
    out["bankruptcy"] = indep & (u.cash < 0)
    out["surrender"] = indep & ~out["bankruptcy"] & surrender
    lease_over = shop & u.popup & (u.lease_end <= clock)
    out["popup_end"] = lease_over & ~popup_can_stay
    return out


def surrender_terms(p: Params, u: UnitState, clock: int) -> tuple[np.ndarray, np.ndarray]:
    """``(wants, fee)``: which independents ask to end their lease early this month and the fee
    (EUR) the owner asks: the rent it expects to lose, for the months left on the lease but at
    most the average time the zone's vacant units have stood empty (at least one month)."""
    indep = u.occupied_commercial & ~u.chain & ~u.popup & ~IS_PROTECTED[u.anchor]
    months_left = np.maximum(u.lease_end - clock, 0)
    vac = u.vacant_eligible
    zones = int(u.zone.max()) + 1 if len(u.zone) else 1
    count = np.bincount(u.zone[vac], minlength=zones)
    dur = np.bincount(u.zone[vac], weights=u.months_vacant[vac], minlength=zones)
    letting = np.maximum(np.divide(dur, count, out=np.ones(zones), where=count > 0), 1.0)
    fee = np.minimum(months_left, letting[u.zone]) * u.contract_rent * u.area / 12.0
    staying_costs = -u.profit_ema * months_left
    wants = (indep & (u.loss_months >= p.exit_patience_months) & (months_left > 0)
             & (staying_costs > fee) & (u.cash >= fee))
    return wants, fee
