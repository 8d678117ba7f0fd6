"""Hide vacancy (window dressing): dressed empty shop windows make vacancy less visible."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .base import Lever, Setting

if TYPE_CHECKING:
    from ..model import CityCentreModel


class HideVacancy(Lever):
    """Window dressing of vacant shops lowers the vacancy visitors perceive.

    Mechanism [OV]: vacant shop windows in ``area`` are dressed (art, photographs, displays of
    neighbouring shops) so shoppers see a less broken street: the vacancy they perceive around a
    street node is cut by ``coverage``, which lifts the attractiveness of the remaining shops in
    streets with gaps, and the centre as a whole looks less empty to the catchment, so it keeps
    more of their spending (``perceived_vacancy_factor``; in a partial area, in proportion to the
    dressed share of the vacant frontage). Actual vacancy and rents are untouched; only what
    visitors see changes.
    """

    name = "hide_vacancy"
    settings: ClassVar[dict[str, Setting]] = {
        "coverage": Setting("float", 0.5, "share of perceived vacancy hidden at intensity 1",
                            lo=0.0, hi=1.0),
    }

    def act(self, model: CityCentreModel) -> None:
        u, p = model.units, model.p
        hidden = min(self.coverage * self.intensity, 1.0)
        if self.area == "all":
            self._scale(model, "perceived_vacancy_factor", 1.0 - hidden)
            return
        # The centre's pull sees the share of vacant frontage that is dressed ...
        vac = u.vacant & u.eligible
        share = float((vac & self.area_mask(model)).sum() / vac.sum()) if vac.any() else 0.0
        mine = 1.0 - hidden * share
        self._scale(model, "perceived_vacancy_factor", mine)
        # ... and streets in the area look as if (1 - coverage) of their gaps were there, the
        # others as they are: correct the model's uniform perception street by street.
        other = float(self._base(model, "perceived_vacancy_factor"))
        lv = model.local_vacancy_node
        modelled = np.clip(lv * other * mine, 0.0, 1.0)
        wanted = np.clip(lv * other * np.where(self.node_area_mask(model), 1.0 - hidden, 1.0),
                         0.0, 1.0)
        eta = p.contagion_strength * p.contagion_attractiveness_exponent
        corr = np.divide(1.0 - wanted, 1.0 - modelled, out=np.ones_like(lv),
                         where=modelled < 1.0) ** eta
        self._scale(model, "unit_attraction", corr[u.node])
