"""The model's memory: per-unit NumPy arrays (index = unit id).

Agents read and write their own rows; kernels and vectorised rules update whole columns.
Rents in EUR/m2/yr, money in EUR, footfall in passers-by per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import COMMERCIAL, N_FUNCTIONS, Anchor, Function

#: is_commercial[function code] -> run by a `Shop` agent
IS_COMMERCIAL = np.zeros(N_FUNCTIONS, dtype=bool)
IS_COMMERCIAL[[int(f) for f in COMMERCIAL]] = True


@dataclass
class UnitState:
    # static geometry and ownership (copied from the Town)
    node: np.ndarray
    zone: np.ndarray
    area: np.ndarray
    upper_floors: np.ndarray
    anchor: np.ndarray
    owner: np.ndarray
    owner_institutional: np.ndarray
    # use
    function: np.ndarray  # Function code
    eligible: np.ndarray  # zoning allows retail/commercial use (retail-eligible unit)
    chain: np.ndarray
    chain_id: np.ndarray  # -1 for independents
    popup: np.ndarray
    popup_start: np.ndarray  # step a pop-up opened
    mixed_use: np.ndarray  # blurring: the tenant combines functions
    opened: np.ndarray  # step the current tenant opened
    # tenant economics
    cash: np.ndarray  # EUR
    fixed_cost: np.ndarray  # EUR/month (staff and other costs)
    revenue: np.ndarray  # EUR/month, physical
    revenue_online: np.ndarray  # EUR/month, own webshop
    profit: np.ndarray  # EUR/month, last month
    profit_ema: np.ndarray  # EUR/month, exponentially smoothed (weight 1/6 per month)
    online_channel: np.ndarray
    innovativeness: np.ndarray  # 0..1
    # property
    contract_rent: np.ndarray  # EUR/m2/yr
    asking_rent: np.ndarray  # EUR/m2/yr
    market_rent: np.ndarray  # EUR/m2/yr
    lease_end: np.ndarray  # step at which the lease ends
    months_vacant: np.ndarray
    # flows
    visits: np.ndarray  # trips stopping here per month
    footfall: np.ndarray  # passers-by per day in front of the unit
    dwellings: np.ndarray  # households the unit's floors house

    @property
    def n(self) -> int:
        return len(self.node)

    @property
    def vacant(self) -> np.ndarray:
        return self.function == Function.VACANT

    @property
    def occupied_commercial(self) -> np.ndarray:
        return IS_COMMERCIAL[self.function]

    def move_tenant(self, src: int, dst: int) -> None:
        """Copy the tenant columns of unit ``src`` to unit ``dst`` (a relocation)."""
        for f in _TENANT_FIELDS:
            getattr(self, f)[dst] = getattr(self, f)[src]

    def clear_tenant(self, u: int) -> None:
        """Reset the tenant columns of unit ``u`` after its tenant left."""
        self.function[u] = Function.VACANT
        if self.anchor[u] in (Anchor.DEPARTMENT_STORE, Anchor.SUPERMARKET):
            # The store was the anchor, not the building: an empty V&D draws nobody.
            self.anchor[u] = Anchor.NONE
        self.chain[u] = False
        self.chain_id[u] = -1
        self.popup[u] = False
        self.mixed_use[u] = False
        self.online_channel[u] = False
        for f in ("cash", "fixed_cost", "revenue", "revenue_online", "profit", "profit_ema",
                  "innovativeness"):
            getattr(self, f)[u] = 0.0
        self.months_vacant[u] = 0


_TENANT_FIELDS = ("function", "chain", "chain_id", "popup", "popup_start", "mixed_use", "opened",
                  "cash", "fixed_cost", "revenue", "revenue_online", "profit", "profit_ema",
                  "online_channel", "innovativeness")
