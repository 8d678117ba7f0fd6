"""Hide vacancy (window dressing): dressed empty shop windows make vacancy less visible."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..inputs import Effects
from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class HideVacancy(Lever):
    """Window dressing of vacant shops lowers the vacancy visitors perceive.

    Mechanism [OV]: the municipality pays for dressing the windows of vacant shops in ``area``
    (art, photographs, displays of neighbouring shops; ``cost`` EUR per dressed unit and month,
    from its budget, which scales the coverage down when it runs short). Shoppers see a less
    broken street: the vacancy they perceive around a street node is cut by ``coverage``, which
    lifts the pull of the remaining shops in streets with gaps, and the centre as a whole looks
    less empty to the catchment (in a partial area, in proportion to the dressed share of the
    vacant frontage). Actual vacancy and rents are untouched; only what visitors see changes.
    """

    name = "hide_vacancy"
    settings: ClassVar[dict[str, Setting]] = {
        "coverage": Setting("float", 0.5, "share of perceived vacancy hidden at intensity 1",
                            lo=0.0, hi=1.0, unit="fraction"),
        "cost": Setting("float", 50.0, "dressing per vacant unit and month (EUR)", lo=0.0,
                        hi=1e6, unit="EUR/unit/month"),
    }

    def reset(self) -> None:
        self.funded = 1.0  # share of this month's dressing the budget paid for

    def prepare(self, model: CityCentreModel) -> None:
        dressed = model.units.vacant_eligible & self.area_mask(model)
        want = self.cost * float(dressed.sum())
        paid = model.municipality.pay(want, self.name) if want > 0 else 0.0
        self.funded = paid / want if want > 0 else 1.0

    def effects(self, model: CityCentreModel) -> Effects | None:
        u, p = model.units, model.p
        dressed = u.vacant_eligible & self.area_mask(model)
        hidden = min(self.coverage * self.intensity, 1.0) * self.funded
        if hidden <= 0:
            return None
        if self.area == "all":
            return Effects(perceived_vacancy=1.0 - hidden)
        vac = u.vacant_eligible
        share = float(dressed.sum() / vac.sum()) if vac.any() else 0.0
        mine = 1.0 - hidden * share
        # Streets in the area look as if (1 - hidden) of their gaps were there, the others as
        # they are: correct the uniform perception street by street.
        lv = model.local_vacancy_node
        modelled = np.clip(lv * mine, 0.0, 1.0)
        wanted = np.clip(lv * np.where(self.node_area_mask(model), 1.0 - hidden, 1.0), 0.0, 1.0)
        eta = p.contagion_strength * p.contagion_attractiveness_exponent
        corr = np.divide(1.0 - wanted, 1.0 - modelled, out=np.ones_like(lv),
                         where=modelled < 1.0) ** eta
        return Effects(perceived_vacancy=mine, unit_attraction=corr[u.node])
