"""`Entrepreneur`: a would-be tenant looking at vacant units.

Arrivals per month ~ Poisson(rate x units / 100), the rate set by the investment climate. Each
entrant has a type (starter, chain, horeca, services, pop-up), inspects a few vacant
retail-eligible units, estimates revenue from footfall and the branch's current takings per unit
of attractiveness, and opens in the unit and branch with the best expected margin if it clears the
type's threshold [BRIEF section 3; MODEL sketch 10]. Pop-ups take short, discounted leases and a
lower threshold [OV]. Chains look at larger, busier units. Entrants that find nothing leave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from ..functions import Function
from ..scenarios.schema import ENTRANT_TYPES

if TYPE_CHECKING:
    from ..model import CityCentreModel

_RETAIL_START = (Function.FASHION, Function.HOME, Function.ELECTRONICS, Function.PERSONAL_CARE,
                 Function.LEISURE_GOODS, Function.DAILY, Function.MAKER)
#: Branches each entrant type may open ("crafts" growth is mostly hair and beauty [PB]).
BRANCHES = {
    "starter": _RETAIL_START,
    "chain": (Function.FASHION, Function.ELECTRONICS, Function.PERSONAL_CARE, Function.DAILY,
              Function.HOME, Function.LEISURE_GOODS, Function.HORECA),
    "horeca": (Function.HORECA,),
    "services": (Function.SERVICES, Function.PERSONAL_CARE),
    "popup": (Function.FASHION, Function.LEISURE_GOODS, Function.MAKER, Function.HORECA,
              Function.CULTURE),
}


class Entrepreneur(Agent):
    """One entrant; lives for one decision."""

    def __init__(self, model: CityCentreModel, kind: str, cost_factor: float = 1.0) -> None:
        if kind not in ENTRANT_TYPES:
            raise ValueError(f"unknown entrant type {kind!r}; allowed: {', '.join(ENTRANT_TYPES)}")
        super().__init__(model)
        self.kind = kind
        #: the entrant's fixed costs relative to the branch's typical ratio (its efficiency)
        self.cost_factor = cost_factor

    def choose(self, vacant: np.ndarray, rng: np.random.Generator) -> tuple[int, int] | None:
        """Inspect candidates among ``vacant`` units; return (unit, branch) to open, or None."""
        m, u, p = self.model, self.model.units, self.model.p
        # Independents choose small, cheap units [OV]; chains take larger ones, but an empty
        # department store is too big for any single new tenant (V&D buildings stayed empty).
        limit = p.chain_max_area if self.kind == "chain" else p.entrant_max_area
        vacant = vacant[u.area[vacant] <= limit]
        if len(vacant) == 0:
            return None
        k = min(int(p.entrant_candidates), len(vacant))
        if self.kind == "chain":
            w = u.area[vacant] * (u.footfall[vacant] + 1.0)
            cand = rng.choice(vacant, size=k, replace=False, p=w / w.sum())
        else:
            cand = rng.choice(vacant, size=k, replace=False)
        branches = np.array([int(b) for b in BRANCHES[self.kind]])
        uu = np.repeat(cand, len(branches))
        bb = np.tile(branches, len(cand))
        optimism = 1.0 if self.kind == "chain" else p.entrant_optimism
        popup = self.kind == "popup"
        margin, _ = m.expected_margin(uu, bb, optimism=optimism, popup=popup,
                                      cost_factor=self.cost_factor)
        best = int(np.argmax(margin))
        threshold = p.popup_margin_threshold if popup else p.entry_margin_threshold
        threshold += m.p.extra.get("entry_threshold_shift", 0.0)
        if margin[best] < threshold:
            return None
        return int(uu[best]), int(bb[best])

    def open_shop(self, unit: int, branch: int, rng: np.random.Generator) -> None:
        """Sign the lease and start trading in ``unit``."""
        self.model.open_shop(unit, branch, chain=self.kind == "chain", popup=self.kind == "popup",
                             rng=rng, cost_factor=self.cost_factor)
