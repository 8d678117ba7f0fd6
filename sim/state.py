"""The model's memory: per-unit NumPy arrays (index = unit id), each column declared once.

`COLUMNS` declares every column of the unit table: its unit, its meaning, the one submodule that
writes it during the month (``owner``), whether it belongs to the tenant (it moves with a
relocating tenant) and what happens to it when the unit is vacated, converted to housing, split
or merged. The tenancy columns (``owner="sim.ledger"``) are written only by `sim.ledger.Ledger`,
which also carries out every lifecycle event by these declarations; the other columns are written
only by their owning submodule (and reset by the ledger on the lifecycle events they declare).
`tests/test_state.py` checks both against the code, and the state table of docs/ODD.md section
2.3 is generated from `COLUMNS` (``python -m sim.docs_tables``).

Rents are in EUR/m2/yr, money in EUR, flows per month, footfall in passers-by per day; "month"
means a month on the model clock (`sim.calendar`), which includes the burn-in.

Units that a large unit can be split into exist from the start as *dormant* slots (``active`` is
False, ``parent`` names the unit they belong to): splitting wakes them, merging puts one to sleep,
so the arrays and the street network's candidate lists never change size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .functions import COMMERCIAL, N_FUNCTIONS, Function

#: is_commercial[function code] -> run by a `Shop` agent
IS_COMMERCIAL = np.zeros(N_FUNCTIONS, dtype=bool)
IS_COMMERCIAL[[int(f) for f in COMMERCIAL]] = True
IS_COMMERCIAL.flags.writeable = False

#: Lifecycle entry: the column is left as it is.
KEEP = "keep"
#: Split entry: a woken part takes the value of the unit it is split from.
COPY = "copy"


@dataclass(frozen=True)
class Rule:
    """A lifecycle change the ledger computes (described in words; `sim.ledger` applies it)."""

    text: str


_DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_}


@dataclass(frozen=True)
class Column:
    """One column of the unit table.

    ``vacate``, ``convert``, ``split`` and ``merge`` say what the ledger does to the column when
    the tenant leaves, the owner converts the unit to housing, the owner splits it (for the parts
    woken from dormant slots: ``COPY`` takes the whole's value) or merges it into its neighbour
    (for the unit put to sleep): `KEEP`, a value it is reset to, or a `Rule`.
    """

    name: str
    kind: str  # float, int or bool
    unit: str
    meaning: str
    owner: str  # the module that writes it during the month
    tenant: bool = False  # part of the tenancy: moves with a relocating tenant
    vacate: Any = KEEP
    convert: Any = KEEP
    split: Any = KEEP
    merge: Any = KEEP
    initial: Any = 0  # value of a new row (before the town and the set-up fill it)

    @property
    def dtype(self) -> type:
        return _DTYPES[self.kind]


_LEDGER = "sim.ledger"
_TOWN = "sim.town"  # static: set from the town when the table is built, never written after
_C = Column
#: Every column of the unit table, in table order.
COLUMNS: tuple[Column, ...] = (
    # geometry and ownership
    _C("node", "int", "-", "street node the unit fronts", _TOWN),
    _C("zone", "int", "code", "zone (core, aanloop, fringe)", _TOWN),
    _C("area", "float", "m2", "ground-floor area (0 for a dormant slot)", _LEDGER,
       split=Rule("the whole's area shared equally by the whole and its woken parts"),
       merge=Rule("0: its area joins the whole")),
    _C("upper_floors", "int", "floors", "floors above the ground floor", _TOWN),
    _C("anchor", "int", "code", "anchor role of the unit", _LEDGER,
       vacate=Rule("a department store's or supermarket's role is dropped: the store was the "
                   "anchor, not the building")),
    _C("owner", "int", "-", "owner id (row of the owners' book)", _LEDGER, split=COPY),
    _C("active", "bool", "-", "false for a dormant slot of a splittable unit", _LEDGER,
       split=True, merge=False, initial=True),
    _C("parent", "int", "-", "for a slot: the unit it was split from or into (-1 for none)",
       _LEDGER, merge=Rule("the unit it joined"), initial=-1),
    # use
    _C("function", "int", "code", "what the unit is used for (`sim.functions.Function`)",
       _LEDGER, tenant=True, vacate=Function.VACANT, convert=Function.HOUSING,
       split=Function.VACANT),
    _C("second_function", "int", "code",
       "mixed use: a second function (horeca, services or culture), -1 for none", _LEDGER,
       tenant=True, vacate=-1, initial=-1),
    _C("eligible", "bool", "-", "zoning allows a commercial tenant (retail-eligible): the "
       "denominator of the vacancy rate", _LEDGER, convert=False, split=COPY),
    _C("last_use", "int", "code", "use of the unit's last tenant, kept while it stands empty "
       "(-1 for none): what a new use replaces", _LEDGER,
       vacate=Rule("the leaving tenant's use"), split=COPY, initial=-1),
    _C("chain", "bool", "-", "the tenant is a chain outlet", _LEDGER, tenant=True,
       vacate=False),
    _C("chain_id", "int", "-", "the chain's brand (-1 for an independent)", _LEDGER,
       tenant=True, vacate=-1, initial=-1),
    _C("popup", "bool", "-", "the tenant is a pop-up on a short lease", _LEDGER, tenant=True,
       vacate=False),
    _C("popup_start", "int", "month", "month the pop-up opened", _LEDGER, tenant=True),
    _C("opened", "int", "month", "month the current tenant opened (negative for tenants "
       "present at the start)", _LEDGER, tenant=True),
    # tenant economics (EUR/month unless noted)
    _C("cash", "float", "EUR", "an independent's reserves (chains: held at the opening value)",
       "sim.tenants", tenant=True, vacate=0.0),
    _C("revenue", "float", "EUR/month", "physical revenue (main and second function)",
       "sim.economics", tenant=True, vacate=0.0),
    _C("revenue_second", "float", "EUR/month", "physical revenue of a mixed-use second "
       "function (part of revenue)", "sim.economics", tenant=True, vacate=0.0),
    _C("revenue_online", "float", "EUR/month", "revenue of the tenant's own webshop",
       "sim.economics", tenant=True, vacate=0.0),
    _C("profit", "float", "EUR/month", "operating profit after rent, levy, subsidy, support and "
       "opening-cost write-off, last month", "sim.tenants", tenant=True, vacate=0.0),
    _C("profit_ema", "float", "EUR/month", "smoothed profit minus what the operator needs (the "
       "exit signal)", "sim.tenants", tenant=True, vacate=0.0),
    _C("revenue_ema", "float", "EUR/month", "smoothed revenue (physical and webshop)",
       "sim.tenants", tenant=True, vacate=0.0),
    _C("loss_months", "int", "months", "consecutive months with profit_ema < 0", "sim.tenants",
       tenant=True, vacate=0),
    _C("online_channel", "bool", "-", "the tenant runs a webshop (bricks and clicks)",
       "sim.agents.shop", tenant=True, vacate=False),
    _C("innovativeness", "float", "0-1", "the tenant's propensity to adapt", _LEDGER,
       tenant=True, vacate=0.0),
    _C("appeal", "float", "ratio", "the tenant's own pull on visitors relative to a typical "
       "tenant (mean 1)", "sim.attraction", tenant=True, vacate=1.0, initial=1.0),
    _C("cost_factor", "float", "ratio", "the operator's cost efficiency (1 = typical)", _LEDGER,
       tenant=True, vacate=1.0, initial=1.0),
    _C("startup_monthly", "float", "EUR/month", "opening costs (a mover's moving and "
       "re-fitting costs, a mixed-use fit-out) written off per month over the current lease; 0 "
       "after a renewal", _LEDGER, tenant=True, vacate=0.0),
    _C("birth_clock", "int", "month", "month the entrepreneur was born", _LEDGER, tenant=True),
    _C("retire_age", "float", "years", "age at which the entrepreneur retires (never for a "
       "chain or an empty unit)", _LEDGER, tenant=True, initial=1000.0),
    _C("subsidy_until", "int", "month", "month until which the tenant's rent subsidy runs",
       _LEDGER, tenant=True),
    _C("subsidy_share", "float", "fraction", "share of the rent the municipality pays while the "
       "subsidy runs", _LEDGER, tenant=True, vacate=0.0),
    # property
    _C("contract_rent", "float", "EUR/m2/yr", "rent of the current lease", _LEDGER),
    _C("asking_rent", "float", "EUR/m2/yr", "rent the owner asks for the unit", "sim.owners",
       vacate=Rule("at least the last rent (a pop-up's at the regular level)"),
       split=Rule("the whole's asking rent, at least the owner's running costs")),
    _C("book_rent", "float", "EUR/m2/yr", "the rent the owner's book value rests on",
       "sim.owners", vacate=Rule("the last rent (a pop-up's at the regular level)"),
       split=COPY, merge=Rule("the whole takes the parts' area-weighted book rent")),
    _C("best_bid", "float", "EUR/m2/yr", "best recent bid seen for the unit (market evidence)",
       "sim.owners", split=0.0),
    _C("best_bid_month", "int", "month", "month of that bid", "sim.owners", initial=-10**6),
    _C("lease_end", "int", "month", "month at which the lease ends", _LEDGER),
    _C("months_vacant", "int", "months", "length of the current vacancy spell", _LEDGER,
       vacate=0, convert=0, split=COPY,
       merge=Rule("0; the whole keeps the shorter of the two spells")),
    # flows
    _C("visits", "float", "trips/month", "expected stops at the unit (main and second "
       "function)", "sim.flows"),
    _C("footfall", "float", "persons/day", "passers-by in front of the unit (its node's "
       "footfall)", "sim.flows"),
    _C("dwellings", "int", "households", "households the unit's floors house", _LEDGER,
       convert=Rule("plus one dwelling per dwelling_size m2 of floor area")),
)
COLUMN = {c.name: c for c in COLUMNS}
#: The tenant's columns: copied to the new unit when a tenant relocates.
TENANT_FIELDS = tuple(c.name for c in COLUMNS if c.tenant)
#: Columns the ledger alone writes.
LEDGER_COLUMNS = tuple(c.name for c in COLUMNS if c.owner == _LEDGER)
#: Columns reset to a constant when the tenant leaves: ``{name: value}``.
VACATE_RESETS = {c.name: c.vacate for c in COLUMNS
                 if c.vacate is not KEEP and not isinstance(c.vacate, Rule)}


class UnitState:
    """The unit table: one NumPy array per declared column (`COLUMNS`), as attributes."""

    __slots__ = tuple(c.name for c in COLUMNS)

    def __init__(self, **arrays: np.ndarray) -> None:
        missing = [c.name for c in COLUMNS if c.name not in arrays]
        extra = [k for k in arrays if k not in COLUMN]
        if missing or extra:
            raise TypeError(f"UnitState columns: missing {missing}, unknown {extra}")
        n = {len(a) for a in arrays.values()}
        if len(n) != 1:
            raise ValueError("UnitState columns differ in length")
        for c in COLUMNS:
            setattr(self, c.name, np.asarray(arrays[c.name], dtype=c.dtype))

    @classmethod
    def new(cls, n: int, **given: np.ndarray) -> UnitState:
        """A table of ``n`` units: the ``given`` columns (copied), the rest at their declared
        initial values."""
        arrays = {c.name: (np.array(given[c.name], dtype=c.dtype) if c.name in given
                           else np.full(n, c.initial, dtype=c.dtype)) for c in COLUMNS}
        return cls(**arrays)

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

    def columns(self) -> list[str]:
        return [c.name for c in COLUMNS]
