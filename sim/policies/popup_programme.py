"""Pop-up programme: vacant units offered on short leases through a matchmaker."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Anchor
from .base import Lever, Setting, let_vacant_unit, lettable, tenant_branches

if TYPE_CHECKING:
    from ..model import CityCentreModel


class PopupProgramme(Lever):
    """Vacant units offered on short leases via a matchmaker (pop-up / temporary use).

    Mechanism [OV][P31][VB]: a matchmaker lowers the search cost of temporary users. More pop-up
    entrepreneurs look for units (``more_entrants``; other entrants keep their arrival rate),
    owners give a larger short-lease discount (``extra_discount``) and pop-ups accept a lower
    expected margin (``threshold_cut``: low upfront cost). Each month the matchmaker also offers
    every unit in ``area`` vacant for at least ``min_months`` to a pop-up candidate with chance
    ``match_rate``. Pop-ups carry the model's novelty attraction, which decays; successful ones
    stay on as regular tenants.
    """

    name = "popup_programme"
    settings: ClassVar[dict[str, Setting]] = {
        "more_entrants": Setting("float", 2.0, "relative rise in pop-up entrants", lo=0.0,
                                 hi=50.0),
        "extra_discount": Setting("float", 0.2, "extra pop-up rent discount", lo=0.0, hi=0.9),
        "threshold_cut": Setting("float", 0.05, "cut of the pop-up margin threshold", lo=0.0,
                                 hi=1.0),
        "match_rate": Setting("float", 0.08, "monthly chance the matchmaker offers a vacant unit",
                              lo=0.0, hi=1.0),
        "min_months": Setting("int", 3, "months vacant before the matchmaker offers a unit",
                              lo=0, hi=240),
    }

    def act(self, model: CityCentreModel) -> None:
        u, p = model.units, model.p
        i = self.intensity
        rng = model.stream(f"policy:{self.name}")
        self._boost_entrants(model, {"popup": 1.0 + self.more_entrants * i})
        base = float(self._base(model, "popup_rent_discount", extra=False, default=0.0,
                                additive=True))
        self._shift(model, "popup_rent_discount", max(0.0, min(self.extra_discount * i,
                                                                0.9 - base)), extra=False)
        self._shift(model, "popup_margin_threshold", -self.threshold_cut * i, extra=False)
        draws = rng.random(u.n)
        offer = (u.vacant & u.eligible & lettable(model) & self.area_mask(model)
                 & (u.anchor == Anchor.NONE) & (u.months_vacant >= self.min_months)
                 & (draws < min(self.match_rate * i, 1.0)))
        branches = tenant_branches(("popup",))
        for unit in np.flatnonzero(offer):
            branch = let_vacant_unit(model, int(unit), branches, rng, popup=True,
                                     threshold=p.popup_margin_threshold, cap_rent=False)
            if branch is not None:
                model.log_event(int(unit), "policy", cause=f"{self.name}: matched pop-up")
