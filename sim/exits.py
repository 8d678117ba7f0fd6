"""Exits from economics and owner-life events: which shops close this month, and why.

- *Bankruptcy*: an independent whose cash runs out. Cash takes the month's operating profit
  minus the entrepreneur's drawings (``required_income``), so a shop that earns less than its
  owner needs eats its reserves.
- *Quitting*: an independent whose smoothed profit has stayed below what it needs for
  ``exit_patience_months`` months sees no future and stops before its cash is gone.
- *Retirement*: each entrepreneur's age is drawn at opening; at the retirement age a profitable
  shop finds a successor with ``successor_probability``, otherwise it closes.
- *Chain outlet review*: each chain outlet is reviewed once a year, in its own month (its opening
  month), against the chain's own alternatives: it closes when its smoothed margin after what
  the chain needs falls short of ``periphery_margin_advantage`` (a peripheral site would earn
  that much more) [OV][G32].
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


def closure_decisions(p: Params, u: UnitState, clock: int, calendar_month: int,
                      periphery_advantage: float, draws: np.ndarray,
                      popup_can_stay: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``({cause: bool mask over units}, succession mask)``. ``draws`` is a (units,) array of
    uniform numbers from the ``closures`` stream, drawn in full every month so that the stream
    stays aligned across policy variants."""
    shop = u.occupied_commercial & ~IS_PROTECTED[u.anchor]
    indep = shop & ~u.chain & ~u.popup
    chain = shop & u.chain & ~u.popup
    out: dict[str, np.ndarray] = {}
    out["bankruptcy"] = indep & (u.cash < 0)
    out["quit"] = indep & ~out["bankruptcy"] & (u.loss_months >= p.exit_patience_months)
    age = (clock - u.birth_clock) / 12.0
    retiring = indep & ~out["bankruptcy"] & ~out["quit"] & (age >= u.retire_age)
    succession = retiring & (u.profit_ema >= 0) & (draws < p.successor_probability)
    out["retirement"] = retiring & ~succession
    review = chain & (u.review_month == calendar_month) & ((clock - u.opened) >= 12)
    out["chain_review"] = review & (u.profit_ema < periphery_advantage * u.revenue_ema)
    lease_over = shop & u.popup & (u.lease_end <= clock)
    out["popup_end"] = lease_over & ~popup_can_stay
    return out, succession
