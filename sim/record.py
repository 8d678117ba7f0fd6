"""Recording: the monthly time series row, the yearly unit snapshot and the event log.

The column names of the three tables are a contract that tests, notebooks and users rely on;
`TIMESERIES_COLUMNS`, `UNIT_COLUMNS` and `EVENT_COLUMNS` list them (docs/ODD.md explains each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .functions import (
    ANCHOR_NAMES,
    BRANCH_NAMES,
    COMMERCIAL,
    DAYS_PER_MONTH,
    FUNCTION_NAMES,
    RETAIL,
    ZONE_NAMES,
    Function,
    Zone,
)

if TYPE_CHECKING:
    from .model import CityCentreModel

TIMESERIES_COLUMNS = [
    "date", "step", "year", "month",
    "vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop", "vacancy_rate_fringe",
    "n_units_retail_eligible", "n_vacant", "n_shops", "n_chain_shops", "n_popups",
    "footfall_total", "footfall_core", "footfall_aanloop", "footfall_fringe", "visitor_trips",
    "mean_rent_core", "mean_rent_aanloop", "mean_rent_fringe",
    "online_share", "share_65plus", "n_residents",
    "openings", "closures", "conversions", "relocations",
    "shannon_diversity", "vacancy_clustering", "vacancy_structural_1y", "vacancy_structural_3y",
    "mean_months_vacant",
    "spend_total", "spend_online", "spend_outside", "shop_revenue", "shop_revenue_online",
    "spend_leakage", "n_housing",
    *[f"n_{b}" for b in BRANCH_NAMES],
    "vacant_floor_area", "retail_floor_area", "public_cost", "housing_added",
    "n_offices", "n_mixed_use", "sales", "splits", "merges", "national_support",
    "retail_to_horeca", "retail_to_services", "retail_to_office", "retail_to_housing",
    "stock_units_start", "stock_units_occupied", "stock_units_not_counted",
    "stock_floor_shops", "stock_floor_other_uses", "stock_floor_housing", "stock_floor_vacant",
    "stock_floor_vacant_barred",
]
#: The fixed-stock columns: the retail-eligible units at the start of the recorded run and
#: their floor area (with the dormant slots they can be split into) followed whatever happens
#: to them, so that a lever's effect is not a change of denominator.
STOCK_COLUMNS = TIMESERIES_COLUMNS[TIMESERIES_COLUMNS.index("stock_units_start"):]
UNIT_COLUMNS = ["year", "step", "unit_id", "x", "y", "zone", "function", "branch", "is_vacant",
                "floor_area", "rent", "footfall", "months_vacant", "chain", "popup",
                "retail_eligible", "revenue", "owner_type", "anchor", "second_function",
                "owner_id", "owner_debt_ltv", "asking_rent", "contract_rent", "book_rent"]
EVENT_COLUMNS = ["date", "step", "unit_id", "kind", "branch", "zone", "cause"]

_RETAIL = np.array([int(b) for b in RETAIL])
_COMMERCIAL = np.array([int(b) for b in COMMERCIAL])


def shannon(functions: np.ndarray) -> float:
    """Shannon diversity (nats) of the mix of occupied functions."""
    counts = np.bincount(functions.astype(np.int64))
    counts = counts[counts > 0]
    if counts.sum() == 0:
        return 0.0
    q = counts / counts.sum()
    return float(-(q * np.log(q)).sum())


def morans_i(model: CityCentreModel) -> float:
    """Moran's I of vacancy among retail-eligible units, neighbours = units within the contagion
    radius (binary weights). Positive: vacant units cluster; about 0: scattered at random; 0 when
    vacancy does not vary (none or all vacant), where the statistic is undefined."""
    u, net = model.units, model.net
    elig = u.eligible & u.active
    n = int(elig.sum())
    if n < 3:
        return 0.0
    x = (u.vacant & elig).astype(float)
    z = np.where(elig, x - x[elig].mean(), 0.0)
    denom = float((z[elig] ** 2).sum())
    if denom == 0:
        return 0.0
    rows = np.repeat(np.arange(len(net.near_ptr) - 1), np.diff(net.near_ptr))
    node_z = np.bincount(rows, weights=z[net.near_unit], minlength=len(net.near_ptr) - 1)
    node_c = np.bincount(rows, weights=elig[net.near_unit].astype(float),
                         minlength=len(net.near_ptr) - 1)
    cross = float((z * (node_z[u.node] - z))[elig].sum())
    w = float((node_c[u.node] - 1.0)[elig].sum())
    if w <= 0:
        return 0.0
    return (n / w) * cross / denom


class Recorder:
    """Collects rows in plain lists; `frames()` turns them into DataFrames once, at the end.
    The event log is the ledger's (`sim.ledger.Ledger.events`)."""

    def __init__(self, model: CityCentreModel) -> None:
        self.model = model
        self.rows: list[dict] = []
        self.unit_frames: list[pd.DataFrame] = []
        self.start: np.ndarray | None = None  # the retail-eligible units at the start
        self.stock: np.ndarray | None = None  # ... and the slots they can be split into
        self.stock_units = 0
        self.stock_area = 0.0

    @property
    def events(self) -> list[tuple]:
        return self.model.ledger.events

    def fix_stock(self) -> None:
        """The start stock: the retail-eligible units when recording starts (and the slots
        they can be split into)."""
        u = self.model.units
        self.start = u.eligible & u.active
        slot = (u.parent >= 0) & ~u.active
        self.stock = self.start | (slot & self.start[np.maximum(u.parent, 0)])
        self.stock_units = int(self.start.sum())
        self.stock_area = float(u.area[self.start].sum())

    def stock_row(self) -> dict:
        """The fixed-stock columns of this month (`STOCK_COLUMNS`): units of the start stock
        occupied and no longer counted (converted, merged into a neighbour), and the shares of
        its floor area used by shops, by other uses (offices), converted to housing, vacant, and
        vacant but barred from new retail leases (a lever's rule)."""
        m, u = self.model, self.model.units
        s = self.stock & u.active
        area0 = max(self.stock_area, 1e-9)
        vacant = s & u.vacant
        shops = s & u.occupied_commercial
        housing = s & (u.function == Function.HOUSING)
        other = s & ~u.vacant & ~u.occupied_commercial & ~housing

        def floor(mask: np.ndarray) -> float:
            return float(u.area[mask].sum() / area0)

        return {
            "stock_units_start": self.stock_units,
            "stock_units_occupied": int((s & ~u.vacant & ~housing).sum()),
            "stock_units_not_counted": int((self.start & ~(u.eligible & u.active)).sum()),
            "stock_floor_shops": floor(shops),
            "stock_floor_other_uses": floor(other),
            "stock_floor_housing": floor(housing),
            "stock_floor_vacant": floor(vacant),
            "stock_floor_vacant_barred": floor(vacant & ~m.last_month.inputs.retail_lettable),
        }

    def record_month(self) -> None:
        m, u = self.model, self.model.units
        mo = m.last_month
        d = mo.demand
        elig = u.eligible & u.active
        vac = u.vacant & elig
        shop = u.occupied_commercial
        row: dict = {"date": pd.Timestamp(m.year, m.calendar_month, 1), "step": m.steps,
                     "year": m.year, "month": m.calendar_month,
                     "vacancy_rate": m.vacancy_rate()}
        for z in Zone:
            row[f"vacancy_rate_{ZONE_NAMES[z]}"] = m.vacancy_rate(u.zone == z)
        row["n_units_retail_eligible"] = int(elig.sum())
        row["n_vacant"] = int(vac.sum())
        row["n_shops"] = int(shop.sum())
        row["n_chain_shops"] = int((shop & u.chain).sum())
        row["n_popups"] = int((shop & u.popup).sum())
        row["footfall_total"] = float(mo.flows.node_footfall.sum())
        rent = np.where(u.vacant, u.asking_rent, u.contract_rent)
        for z in Zone:
            mask = elig & (u.zone == z)
            row[f"footfall_{ZONE_NAMES[z]}"] = float(u.footfall[mask].mean()) if mask.any() else 0.0
            row[f"mean_rent_{ZONE_NAMES[z]}"] = float(rent[mask].mean()) if mask.any() else 0.0
        row["visitor_trips"] = mo.flows.trips / DAYS_PER_MONTH
        tot = d.total.sum(axis=(0, 1))
        retail_total = tot[_RETAIL].sum()
        row["online_share"] = (float(d.online.sum(axis=(0, 1))[_RETAIL].sum() / retail_total)
                               if retail_total > 0 else 0.0)
        row["share_65plus"] = d.share_65plus
        row["n_residents"] = float(m.households.residents_at.sum())
        for k in ("openings", "closures", "conversions", "relocations"):
            row[k] = int(mo.events[k])
        occupied = u.function[u.active & ~u.vacant & (u.function != Function.MARKET)]
        # A mixed-use unit adds its second function to the mix.
        row["shannon_diversity"] = shannon(np.r_[occupied, u.second_function[
            u.occupied_commercial & (u.second_function >= 0)]])
        row["vacancy_clustering"] = morans_i(m)
        n_elig = max(int(elig.sum()), 1)
        row["vacancy_structural_1y"] = float((vac & (u.months_vacant > 12)).sum() / n_elig)
        row["vacancy_structural_3y"] = float((vac & (u.months_vacant > 36)).sum() / n_elig)
        row["mean_months_vacant"] = float(u.months_vacant[vac].mean()) if vac.any() else 0.0
        row["spend_total"] = float(d.total.sum())
        row["spend_online"] = float(d.online.sum())
        row["spend_outside"] = float(d.outside.sum())
        row["shop_revenue"] = mo.revenue_total
        row["shop_revenue_online"] = mo.revenue_online_total
        row["spend_leakage"] = float(mo.leakage[_COMMERCIAL].sum())
        row["n_housing"] = int(((u.function == Function.HOUSING) & u.active).sum())
        counts = np.bincount(u.function[shop].astype(np.int64), minlength=len(FUNCTION_NAMES))
        for b, code in zip(BRANCH_NAMES, COMMERCIAL, strict=True):
            row[f"n_{b}"] = int(counts[int(code)])
        row["vacant_floor_area"] = float(u.area[vac].sum())
        row["retail_floor_area"] = float(u.area[elig].sum())
        row["public_cost"] = float(m.municipality.public_cost)
        row["housing_added"] = int(m.housing_added)
        row["n_offices"] = int((elig & (u.function == Function.OFFICE)).sum())
        row["n_mixed_use"] = int((shop & (u.second_function >= 0)).sum())
        for k in ("sales", "splits", "merges"):
            row[k] = int(mo.events[k])
        row["national_support"] = float(m.national_support)
        for k in ("retail_to_horeca", "retail_to_services", "retail_to_office",
                  "retail_to_housing"):
            row[k] = int(mo.events[k])
        row.update(self.stock_row())
        self.rows.append(row)
        if m.calendar_month == 12:
            self.snapshot_units(m.year)

    def snapshot_units(self, year: int) -> None:
        from .property import OWNER_KIND_NAMES, loan_to_value, unit_values

        m, u, t = self.model, self.model.units, self.model.town
        fn = np.array(FUNCTION_NAMES)
        live = np.flatnonzero(u.active)
        commercial = u.occupied_commercial
        ltv = loan_to_value(unit_values(m.p, u, m.owner_book), u, m.owner_book)
        kinds = np.array(OWNER_KIND_NAMES)[m.owner_book.kind[u.owner]]
        second = np.where(u.second_function >= 0, fn[np.maximum(u.second_function, 0)], "")
        columns = {
            "year": np.full(u.n, year, dtype=np.int64),
            "step": np.full(u.n, m.steps, dtype=np.int64),
            "unit_id": np.arange(u.n, dtype=np.int64),
            "x": t.unit_x, "y": t.unit_y,
            "zone": pd.Categorical.from_codes(u.zone, categories=list(ZONE_NAMES)),
            "function": fn[u.function],
            "branch": np.where(commercial, fn[u.function], ""),
            "is_vacant": u.vacant,
            "floor_area": u.area,
            "rent": np.where(u.vacant, u.asking_rent, u.contract_rent),
            "footfall": u.footfall,
            "months_vacant": u.months_vacant.astype(np.int64),
            "chain": u.chain, "popup": u.popup,
            "retail_eligible": u.eligible,
            "revenue": u.revenue + u.revenue_online,
            "owner_type": kinds,
            "anchor": np.array(["", *ANCHOR_NAMES[1:]])[u.anchor],  # "" for none
            "second_function": second,
            "owner_id": u.owner.astype(np.int64),
            # capped at 99 for an owner whose debt exceeds a worthless portfolio
            "owner_debt_ltv": np.minimum(ltv[u.owner], 99.0),
            "asking_rent": u.asking_rent,
            "contract_rent": np.where(u.vacant, 0.0, u.contract_rent),
            "book_rent": u.book_rent,
        }
        # Only the live units, selected before the frame is built (indexing copies each column).
        self.unit_frames.append(pd.DataFrame({k: v[live] for k, v in columns.items()}))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        ts = pd.DataFrame(self.rows, columns=TIMESERIES_COLUMNS)
        units = pd.concat(self.unit_frames, ignore_index=True) if self.unit_frames else (
            pd.DataFrame(columns=UNIT_COLUMNS))
        ev = pd.DataFrame(self.events, columns=["year", "month", "step", "unit_id", "kind",
                                                "branch", "zone", "cause"])
        ev.insert(0, "date", pd.to_datetime(dict(year=ev["year"], month=ev["month"], day=1))
                  if len(ev) else pd.Series([], dtype="datetime64[ns]"))
        ev = ev[EVENT_COLUMNS]
        return ts, units[UNIT_COLUMNS], ev
