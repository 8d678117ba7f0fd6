"""`Shop`: a commercial tenant of one ground-floor unit (retail branch, horeca, services, culture).

Rules [BRIEF section 3]:
- *Viability.* Each month profit = gross margin x revenue - rent - fixed costs goes into cash. An
  independent closes when its cash runs out; it also retires at a small base hazard.
- *Chains* are backed by their head office: they do not close on cash but at a yearly review close
  loss-making outlets, and drift to the periphery at a scenario-set rate [OV][G32].
- *Contagion.* Vacant neighbours raise the closure hazard (strength x hazard x vacant share) [OV].
- *Pop-ups* leave when their short lease ends, unless they did well and stay on as a regular shop.
- *Adaptation.* Innovative shops open a webshop (bricks & clicks) and keep part of their customers'
  online spending [OV][PB].
- *Relocation.* At lease end a shop moves to a vacant unit where it expects clearly more profit,
  e.g. into the core when core rents fall [OV].

The per-month rules run on the unit arrays for all shops at once; the agent carries out the
decision (close, move) for the shops concerned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

from ..functions import Anchor, Function

if TYPE_CHECKING:
    from ..model import CityCentreModel

#: Anchors that are not run as businesses at risk (municipal culture, the market square).
_PROTECTED = (int(Anchor.CULTURE), int(Anchor.MARKET_SQUARE))


class Shop(CellAgent):
    """A tenant business. Its state lives in row ``unit`` of the model's unit arrays."""

    def __init__(self, model: CityCentreModel, unit: int) -> None:
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

    # ------------------------------------------------------------------ rules on all shops
    @staticmethod
    def closure_decisions(model: CityCentreModel, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Which shops close this month and why: ``{cause: bool mask over units}``.

        ``draws`` is a (units, 4) array of uniform numbers from the ``closures`` stream, drawn in
        full every month so that the stream stays aligned across policy variants.
        """
        u, p = model.units, model.p
        shop = u.occupied_commercial & ~np.isin(u.anchor, _PROTECTED)
        indep = shop & ~u.chain & ~u.popup
        chain = shop & u.chain & ~u.popup
        strength = p.contagion_strength
        contagion = strength * p.contagion_closure_hazard * model.local_vacancy_unit
        out: dict[str, np.ndarray] = {}
        out["bankruptcy"] = indep & (u.cash < 0)
        out["retirement"] = indep & ~out["bankruptcy"] & (draws[:, 0] < p.base_closure_hazard)
        out["contagion"] = (shop & ~u.popup & (draws[:, 1] < contagion)
                            & ~out["bankruptcy"] & ~out["retirement"])
        review = model.calendar_month == p.chain_review_month
        drift = p.traj["chain_periphery_drift"](model.year_f) / 12.0
        out["chain_review"] = (chain & review & (u.profit_ema < 0)
                               & (draws[:, 2] < p.chain_exit_probability) & ~out["contagion"])
        out["periphery_drift"] = (chain & (draws[:, 3] < drift) & ~out["contagion"]
                                  & ~out["chain_review"])
        lease_over = u.popup & (u.lease_end <= model.steps)
        out["popup_end"] = lease_over & ~((u.profit_ema > 0) & (draws[:, 2] < 0.3))
        return out

    @staticmethod
    def adopt_online_channel(model: CityCentreModel, draws: np.ndarray) -> np.ndarray:
        """Yearly: shops without a webshop adopt one with probability innovativeness x adoption
        rate. Returns the mask of adopters."""
        u = model.units
        rate = model.p.traj["online_channel_adoption"](model.year_f)
        adopt = u.occupied_commercial & ~u.online_channel & ~u.popup & (
            draws < u.innovativeness * rate)
        u.online_channel |= adopt
        return adopt

    # ------------------------------------------------------------------ decisions of one shop
    def close(self, cause: str) -> None:
        """Leave the unit: it becomes vacant and the owner asks the old rent for it."""
        m, u = self.model, self.model.units
        kind = "popup_end" if u.popup[self.unit] else "closure"
        m.log_event(self.unit, kind, cause=cause)
        u.asking_rent[self.unit] = u.contract_rent[self.unit]
        u.clear_tenant(self.unit)
        del m.shop_at[self.unit]
        self.remove()

    def consider_relocation(self, candidates: np.ndarray) -> int | None:
        """At lease end: move to the candidate unit with the best expected profit if it beats the
        current profit by the relocation threshold. Returns the new unit or None."""
        m, u = self.model, self.model.units
        if len(candidates) == 0:
            return None
        b = int(u.function[self.unit])
        margin, rev = m.expected_margin(candidates, np.full(len(candidates), b), optimism=1.0)
        best = int(np.argmax(margin * rev))
        gain_now = max(u.profit_ema[self.unit], 0.0)
        expected = margin[best] * rev[best]
        if expected <= 0 or expected < gain_now * (1.0 + m.p.relocation_gain_threshold):
            return None
        dst = int(candidates[best])
        if u.zone[dst] > u.zone[self.unit] and expected < 2 * gain_now:
            return None  # moving outwards only for a large gain
        src = self.unit
        m.log_event(src, "relocation_out", cause=f"to unit {dst}")
        u.move_tenant(src, dst)
        # Staff and running costs scale with floor area (as the move decision assumed).
        u.fixed_cost[dst] = u.fixed_cost[src] * u.area[dst] / u.area[src]
        u.contract_rent[dst] = u.asking_rent[dst]
        u.lease_end[dst] = m.steps + int(m.p.lease_months)
        u.months_vacant[dst] = 0
        u.asking_rent[src] = u.contract_rent[src]
        u.clear_tenant(src)
        del m.shop_at[src]
        m.shop_at[dst] = self
        self.unit = dst
        self.cell = m.space[int(u.node[dst])]
        m.log_event(dst, "relocation_in", cause=f"from unit {src}")
        return dst
