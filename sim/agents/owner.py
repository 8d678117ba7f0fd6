"""`PropertyOwner`: a small private owner or an institutional investor holding units.

Rules [OV][P31]:
- Asking rents of vacant units are sticky: an investor "wants at least to keep the value", so the
  asking rent holds for a grace period (longer for institutions) and then falls month by month to
  a floor (kernel `update_asking_rents`). At lease renewal the contract rent moves to the market
  rent, which follows footfall.
- Conversion: a unit vacant for longer than a threshold, in a zone where conversion is allowed and
  with finance available (banks withdrew from commercial property), is converted to housing when
  housing yields more than the expected retail rent. Conversion re-zones the unit (no longer
  retail-eligible) and adds households.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

if TYPE_CHECKING:
    from ..model import CityCentreModel


class PropertyOwner(Agent):
    """An owner; ``owner_id`` indexes the model's ``units.owner`` array."""

    def __init__(self, model: CityCentreModel, owner_id: int, institutional: bool) -> None:
        super().__init__(model)
        self.owner_id = owner_id
        self.institutional = institutional

    @property
    def units(self) -> np.ndarray:
        return np.flatnonzero(self.model.units.owner == self.owner_id)

    @property
    def kind(self) -> str:
        if self.owner_id == 0:
            return "municipality"
        return "institutional" if self.institutional else "private"

    def wants_conversion(self, unit: int, draw_credit: float, draw_act: float) -> bool:
        """Decide on converting vacant ``unit`` to housing this month."""
        m, u, p = self.model, self.model.units, self.model.p
        if draw_act >= p.conversion_probability * m.p.extra.get("conversion_pressure", 1.0):
            return False
        if draw_credit >= p.traj["credit_availability"](m.year_f):
            return False
        occupancy = 1.0 - m.local_vacancy_unit[unit]
        # Institutions hold out for book value: they compare with the old contract level.
        retail_value = u.asking_rent[unit] * occupancy * (1.2 if self.institutional else 1.0)
        return p.housing_rent > retail_value
