"""Blurring (functiemenging): shops mix functions and non-retail tenants may use retail units."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..functions import Function
from .base import Lever, Setting, let_vacant_unit

if TYPE_CHECKING:
    from ..model import CityCentreModel

#: Functions that can carry on in a mixed-use unit when its main tenant leaves.
_SECOND = np.array([int(Function.HORECA), int(Function.SERVICES), int(Function.CULTURE)])
#: Non-retail functions admitted in retail units.
_NON_RETAIL = np.array([int(Function.HORECA), int(Function.SERVICES), int(Function.CULTURE),
                        int(Function.MAKER)])


class Blurring(Lever):
    """Mixed functions per unit and non-retail tenants in retail units (functiemenging).

    Mechanism [P31]: from ``start`` shops in ``area`` adopt mixed use (a furniture shop with a
    cafe, a restaurant selling regional products) at a monthly rate ``adoption`` weighted by
    their innovativeness. A mixed-use unit draws more visitors (``mixed_use_attraction``) and
    earns a better margin (``mixed_use_margin``), and a centre where more shops mix functions
    invites multi-purpose trips at more times of the day: its pull on the catchment rises with
    the mixed-use share (``pull``) [P31].

    Zoning admits non-retail functions in retail units: each month a vacant unit in ``area`` is
    looked at by an operator of horeca, services, culture or a makers' workshop with chance
    ``non_retail``, who opens the best-paying of these functions if it clears the usual entry
    margin.

    Mono-functional centres are more exposed to chain bankruptcies [P31]: when the tenant of a
    mixed-use unit leaves (a bankruptcy, a chain closing its outlets), its second function (cafe,
    services, culture) carries on as a tenant of its own with chance ``carry_on`` if it expects
    to break even, so the shock leaves fewer gaps.
    """

    name = "blurring"
    settings: ClassVar[dict[str, Setting]] = {
        "adoption": Setting("float", 0.01, "monthly chance a shop of average innovativeness "
                            "starts mixed use", lo=0.0, hi=1.0),
        "attraction": Setting("float", 0.1, "extra attractiveness of a mixed-use unit",
                              lo=0.0, hi=5.0),
        "pull": Setting("float", 0.15, "rise in the centre's pull on the catchment if every shop "
                        "were mixed-use (multi-purpose trips)", lo=0.0, hi=5.0),
        "margin": Setting("float", 0.06, "extra gross margin of a mixed-use shop (relative)",
                          lo=0.0, hi=1.0),
        "carry_on": Setting("float", 0.5, "chance the second function of a mixed-use unit carries "
                            "on when the tenant leaves", lo=0.0, hi=1.0),
        "non_retail": Setting("float", 0.03, "monthly chance a vacant unit is looked at by a "
                              "non-retail operator", lo=0.0, hi=1.0),
    }

    def reset(self) -> None:
        self._mixed: np.ndarray | None = None

    def act(self, model: CityCentreModel) -> None:
        u = model.units
        i = self.intensity
        rng = model.stream(f"policy:{self.name}")
        self._scale(model, "mixed_use_attraction", 1.0 + self.attraction * i)
        self._scale(model, "mixed_use_margin", 1.0 + self.margin * i)
        draws = rng.random((u.n, 3))
        # Resilience: where a mixed-use tenant left (a bankruptcy, a chain closing its outlets),
        # the other function may carry on in the unit as a tenant of its own.
        if self._mixed is not None:
            left = np.flatnonzero(self._mixed & u.vacant & u.eligible
                                  & (draws[:, 1] < min(self.carry_on * i, 1.0)))
            for unit in left:
                branch = let_vacant_unit(model, int(unit), _SECOND, rng,
                                         threshold=0.0)
                if branch is not None:
                    model.log_event(int(unit), "policy",
                                    cause=f"{self.name}: second function carries on")
        # Zoning admits non-retail functions in retail units: operators of horeca, services,
        # culture and makers' workshops look at vacant units and open the best-paying function.
        look = np.flatnonzero(u.vacant & u.eligible & self.area_mask(model)
                              & (draws[:, 2] < min(self.non_retail * i, 1.0)))
        threshold = model.p.entry_margin_threshold + model.p.extra.get("entry_threshold_shift",
                                                                        0.0)
        for unit in look:
            if let_vacant_unit(model, int(unit), _NON_RETAIL, rng, threshold=threshold,
                               cap_rent=False) is not None:
                model.log_event(int(unit), "policy", cause=f"{self.name}: non-retail tenant")
        chance = min(self.adoption * i, 1.0) * 2.0 * u.innovativeness
        adopt = (u.occupied_commercial & ~u.popup & ~u.mixed_use & self.area_mask(model)
                 & (draws[:, 0] < chance))
        u.mixed_use[adopt] = True
        self._mixed = u.mixed_use & u.occupied_commercial
        shops = u.occupied_commercial.sum()
        share = float(self._mixed.sum() / shops) if shops else 0.0
        self._scale(model, "centre_attraction_factor", 1.0 + self.pull * i * share)
