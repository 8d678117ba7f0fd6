"""The model's memory: per-unit NumPy arrays (index = unit id).

Agents read and write their own rows; kernels and vectorised rules update whole columns.
Rents in EUR/m2/yr, money in EUR, flows per month, footfall in passers-by per day.

Units that a large unit can be split into exist from the start as *dormant* slots (``active`` is
False, ``parent`` names the unit they belong to): splitting wakes them, merging puts one to sleep,
so the arrays and the street network's candidate lists never change size.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .functions import COMMERCIAL, N_FUNCTIONS, Anchor, Function

#: is_commercial[function code] -> run by a `Shop` agent
IS_COMMERCIAL = np.zeros(N_FUNCTIONS, dtype=bool)
IS_COMMERCIAL[[int(f) for f in COMMERCIAL]] = True


@dataclass
class UnitState:
    # geometry and ownership
    node: np.ndarray  # street node the unit fronts
    zone: np.ndarray  # Zone code
    area: np.ndarray  # floor area, m2 (0 for a dormant slot)
    upper_floors: np.ndarray
    anchor: np.ndarray  # Anchor code of the current tenant
    owner: np.ndarray  # owner id (index of `model.owners`)
    active: np.ndarray  # False for a dormant slot of a splittable unit
    parent: np.ndarray  # for a slot: the unit it was split from or into (-1 for none)
    # use
    function: np.ndarray  # Function code
    second_function: np.ndarray  # mixed use: a second function's code, -1 for none
    eligible: np.ndarray  # zoning allows retail/commercial use (retail-eligible unit)
    chain: np.ndarray  # run by a chain outlet
    chain_id: np.ndarray  # brand, -1 for independents
    popup: np.ndarray
    popup_start: np.ndarray  # clock month a pop-up opened
    opened: np.ndarray  # clock month the current tenant opened
    # tenant economics (EUR/month unless noted)
    cash: np.ndarray  # EUR
    revenue: np.ndarray  # physical (main and second function)
    revenue_second: np.ndarray  # physical, of a mixed-use second function (part of revenue)
    revenue_online: np.ndarray  # own webshop
    profit: np.ndarray  # operating profit after rent, last month
    profit_ema: np.ndarray  # smoothed operating profit minus what the operator needs
    revenue_ema: np.ndarray  # smoothed revenue (physical + online)
    loss_months: np.ndarray  # consecutive months with profit_ema < 0
    online_channel: np.ndarray
    innovativeness: np.ndarray  # 0..1
    appeal: np.ndarray  # the tenant's own pull on visitors relative to a typical tenant (mean 1)
    cost_factor: np.ndarray  # the operator's cost efficiency (1 = typical)
    startup_monthly: np.ndarray  # opening costs written off per month of the lease
    birth_clock: np.ndarray  # clock month the entrepreneur was born (independents)
    retire_age: np.ndarray  # age at which the entrepreneur retires
    review_month: np.ndarray  # calendar month of a chain's yearly outlet review (1-12)
    subsidy_until: np.ndarray  # clock month until which the tenant's rent subsidy runs
    subsidy_share: np.ndarray  # share of the rent the municipality pays while it runs
    # property
    contract_rent: np.ndarray  # EUR/m2/yr
    asking_rent: np.ndarray  # EUR/m2/yr
    book_rent: np.ndarray  # EUR/m2/yr: the rent the owner's book value rests on
    best_bid: np.ndarray  # EUR/m2/yr: best recent bid seen for the unit (market evidence)
    best_bid_month: np.ndarray  # clock month of that bid
    lease_end: np.ndarray  # clock month at which the lease ends
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
        return (self.function == Function.VACANT) & self.active

    @property
    def occupied_commercial(self) -> np.ndarray:
        return IS_COMMERCIAL[self.function] & self.active

    @property
    def vacant_eligible(self) -> np.ndarray:
        return (self.function == Function.VACANT) & self.eligible & self.active

    def move_tenant(self, src: int, dst: int) -> None:
        """Copy the tenant columns of unit ``src`` to unit ``dst`` (a relocation)."""
        for f in TENANT_FIELDS:
            getattr(self, f)[dst] = getattr(self, f)[src]

    def clear_tenant(self, u: int) -> None:
        """Reset the tenant columns of unit ``u`` after its tenant left."""
        self.function[u] = Function.VACANT
        if self.anchor[u] in (Anchor.DEPARTMENT_STORE, Anchor.SUPERMARKET):
            # The store was the anchor, not the building: an empty V&D draws nobody.
            self.anchor[u] = Anchor.NONE
        self.second_function[u] = -1
        self.chain[u] = False
        self.chain_id[u] = -1
        self.popup[u] = False
        self.online_channel[u] = False
        for f in ("cash", "revenue", "revenue_second", "revenue_online", "profit",
                  "profit_ema", "revenue_ema", "innovativeness", "startup_monthly",
                  "subsidy_share"):
            getattr(self, f)[u] = 0.0
        self.loss_months[u] = 0
        self.cost_factor[u] = 1.0
        self.appeal[u] = 1.0
        self.months_vacant[u] = 0

    def columns(self) -> list[str]:
        return [f.name for f in fields(self)]


TENANT_FIELDS = ("function", "second_function", "chain", "chain_id", "popup", "popup_start",
                 "opened", "cash", "revenue", "revenue_second", "revenue_online", "profit",
                 "profit_ema", "revenue_ema", "loss_months", "online_channel", "innovativeness",
                 "appeal", "cost_factor", "startup_monthly", "birth_clock", "retire_age",
                 "review_month", "subsidy_until", "subsidy_share")
