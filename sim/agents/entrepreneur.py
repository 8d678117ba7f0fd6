"""`Entrepreneur`: someone looking for a unit to rent (a would-be shopkeeper, a chain's
expansion manager, a horeca or services operator, a pop-up, an office or workspace user).

Arrivals per month ~ Poisson(rate x units / 100) by type (the investment climate,
``entrant_arrival_rate`` and ``entrant_mix``; office users ``office_seekers``). A searcher stays
in the market for up to ``search_months`` months. Each month it inspects a few vacant units
(``entrant_candidates``; chains prefer large, busy ones, independents small ones [OV]), forecasts
for each allowed branch its own revenue counting itself in the branch's spending pool, computes
its bid rent from its costs (`sim.economics`) and proposes to lease the unit and branch with the
largest surplus of bid over asking rent. Leases are signed best surplus first (`sim.market`).
Pop-ups take short leases at a discount with low opening costs [OV]; "crafts" growth is mostly
hair and beauty salons [PB].
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import Agent, Model

from ..functions import Function
from ..scenarios.schema import ENTRANT_TYPES

_RETAIL_START = (Function.FASHION, Function.HOME, Function.ELECTRONICS, Function.PERSONAL_CARE,
                 Function.LEISURE_GOODS, Function.DAILY, Function.MAKER)
#: Branches each entrant type may open.
BRANCHES: dict[str, tuple[Function, ...]] = {
    "starter": _RETAIL_START,
    "chain": (Function.FASHION, Function.ELECTRONICS, Function.PERSONAL_CARE, Function.DAILY,
              Function.HOME, Function.LEISURE_GOODS, Function.HORECA),
    "horeca": (Function.HORECA,),
    "services": (Function.SERVICES, Function.PERSONAL_CARE),
    "popup": (Function.FASHION, Function.LEISURE_GOODS, Function.MAKER, Function.HORECA,
              Function.CULTURE),
    "office": (),
}
SEARCHER_TYPES = (*ENTRANT_TYPES, "office")


def draw_age(p: Any, rng: np.random.Generator, size: int | None = None) -> Any:
    """An entrepreneur's age at opening (years): normal, clipped to 18-80 (a float, or an array
    of ``size``)."""
    if size is None:  # one searcher: scalar bounds, the same value as np.clip, faster
        return min(max(rng.normal(p.entrepreneur_age_mean, p.entrepreneur_age_sd), 18.0), 80.0)
    return np.clip(rng.normal(p.entrepreneur_age_mean, p.entrepreneur_age_sd, size), 18, 80)


class Entrepreneur(Agent):
    """One searcher. ``cost_factor`` is its cost efficiency (1 = typical), ``willingness`` an
    office user's bid relative to the zone's office rent, ``months_left`` its patience."""

    def __init__(self, model: Model, kind: str, cost_factor: float, months_left: int,
                 birth_clock: int, willingness: float = 1.0) -> None:
        if kind not in SEARCHER_TYPES:
            raise ValueError(f"unknown entrant type {kind!r}; allowed: "
                             f"{', '.join(SEARCHER_TYPES)}")
        super().__init__(model)
        self.kind = kind
        self.cost_factor = float(cost_factor)
        self.months_left = int(months_left)
        self.birth_clock = int(birth_clock)
        self.willingness = float(willingness)

    @property
    def chain(self) -> bool:
        return self.kind == "chain"

    @property
    def popup(self) -> bool:
        return self.kind == "popup"

    def wait(self) -> None:
        """No lease this month: one month less patience; leave when it runs out."""
        self.months_left -= 1
        if self.months_left <= 0:
            self.remove()
