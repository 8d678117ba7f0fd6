"""`Shop`: a commercial tenant of one ground-floor unit (retail branch, horeca, services,
culture, makers' workshop), run by an independent entrepreneur or a chain.

Its state lives in row ``unit`` of the model's unit arrays; the rules that decide, for all shops
at once, who closes, renews, moves or adds a second function are in `sim.exits` and
`sim.market`. The agent carries the decision out for itself:

- *close* (bankruptcy when cash runs out, quitting after a lasting shortfall of profit against
  what the entrepreneur needs, retirement without a successor, a chain's outlet review, the end
  of a pop-up, a lease it cannot renew, a chain bankruptcy);
- *move* to a better unit at lease end [OV: shops move into the heart when rents fall];
- *adopt* a webshop (bricks and clicks) or a second function (blurring) [OV][PB][P31].
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from mesa.discrete_space import CellAgent

from ..functions import Function


class Shop(CellAgent):
    """A tenant business. Its state lives in row ``unit`` of the model's unit arrays."""

    def __init__(self, model: Model, unit: int) -> None:
        super().__init__(model)
        self.unit = int(unit)
        self.cell = model.space[int(model.units.node[unit])]
        model.shop_at[self.unit] = self

    # Identity, read from the arrays so there is one source of truth.
    @property
    def branch(self) -> Function:
        return Function(int(self.model.units.function[self.unit]))

    @property
    def is_chain(self) -> bool:
        return bool(self.model.units.chain[self.unit])

    @property
    def is_popup(self) -> bool:
        return bool(self.model.units.popup[self.unit])

    @property
    def cash(self) -> float:
        return float(self.model.units.cash[self.unit])

    @property
    def innovativeness(self) -> float:
        return float(self.model.units.innovativeness[self.unit])

    @property
    def online_channel(self) -> bool:
        return bool(self.model.units.online_channel[self.unit])

    # ------------------------------------------------------------------ decisions
    def close(self, cause: str) -> None:
        """Leave the unit: it becomes vacant; the owner asks at least the last rent."""
        m = self.model
        m.ledger.close(self.unit, cause)
        del m.shop_at[self.unit]
        self.remove()

    def move_to(self, dst: int, rent: float, moving_monthly: float = 0.0) -> None:
        """Relocate to vacant unit ``dst`` at ``rent`` (EUR/m2/yr); the moving and re-fitting
        costs (``moving_monthly``, EUR/month) are written off over the new lease."""
        m = self.model
        src = self.unit
        m.ledger.relocate(src, dst, rent, moving_monthly)
        del m.shop_at[src]
        m.shop_at[dst] = self
        self.unit = dst
        self.cell = m.space[int(m.units.node[dst])]

    @staticmethod
    def adopt_online_channel(model: Model, draws: np.ndarray) -> np.ndarray:
        """Yearly: shops without a webshop adopt one with probability innovativeness x adoption
        rate. Returns the mask of adopters."""
        u = model.units
        rate = model.driver("online_channel_adoption")
        adopt = u.occupied_commercial & ~u.online_channel & ~u.popup & (
            draws < u.innovativeness * rate)
        u.online_channel |= adopt
        return adopt
