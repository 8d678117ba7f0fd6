"""The Dutch record (`sim/data/empirical_targets.toml`): what real centres did, and how the model
is judged against it.

Each entry names a figure (value, unit, year, geography, the kind of count, the source), its
role (``fit``: up to 2019, the calibration may use it; ``validation``: 2020 on, never fitted) and
a *measure*: the name of one of the functions in `MEASURES`, which read one run's tables. Text in
the file never becomes a formula: an unknown measure name is refused when the file is read.

A figure is judged on the model's mean over replicate runs: a level passes when the mean lies
within the entry's tolerance of the value (the spread between centres a single centre may
differ by), a direction (``kind = "above"`` / ``"below"``) when the mean lies on its side.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .spatial import distance_to_peak, snapshot

TARGETS_FILE = Path(__file__).resolve().parent.parent / "data" / "empirical_targets.toml"
#: The last year the calibration may fit to; figures from the year after validate.
FIT_LAST_YEAR = 2019
_RETAIL_COUNTS = ["n_daily", "n_fashion", "n_home", "n_electronics", "n_personal_care",
                  "n_leisure_goods"]


class TargetsFileError(ValueError):
    """The targets file is malformed (one line naming the entry and field)."""


@dataclass(frozen=True)
class Record:
    """One figure of the Dutch record (see the module docstring)."""

    id: str
    statement: str
    value: float
    unit: str
    year: int
    at: Literal["year", "january"]
    geography: str
    count: str
    measure: str
    tolerance: float
    tolerance_basis: str
    source: str
    role: Literal["fit", "validation"]
    kind: Literal["level", "above", "below"] = "level"

    def judge(self, mean: float) -> bool | None:
        """Pass or fail for the model's mean (None when it could not be measured)."""
        if not np.isfinite(mean):
            return None
        if self.kind == "above":
            return bool(mean > self.value)
        if self.kind == "below":
            return bool(mean < self.value)
        return bool(abs(mean - self.value) <= self.tolerance)


# ---------------------------------------------------------------------------- measures
Measure = Callable[[pd.DataFrame, pd.DataFrame, Record], float]


def _when(ts: pd.DataFrame, r: Record, year: int | None = None) -> pd.DataFrame:
    y = r.year if year is None else year
    rows = ts[ts.year == y]
    return rows[rows.month == 1] if r.at == "january" else rows


def _mean(ts: pd.DataFrame, r: Record, col: str, year: int | None = None) -> float:
    rows = _when(ts, r, year)
    return float(rows[col].mean()) if len(rows) else float("nan")


def _yearly(ts: pd.DataFrame, col: str) -> pd.Series:
    return ts.groupby("year")[col].mean()


def vacancy_rate(ts, units, r):
    return _mean(ts, r, "vacancy_rate")


def core_vacancy_rate(ts, units, r):
    return _mean(ts, r, "vacancy_rate_core")


def vacant_floor_share(ts, units, r):
    rows = _when(ts, r)
    if not len(rows):
        return float("nan")
    return float((rows.vacant_floor_area / rows.retail_floor_area.clip(lower=1e-9)).mean())


def vacancy_peak_year(ts, units, r):
    """The year with the highest yearly mean vacancy, from the first recorded year to the
    entry's year."""
    y = _yearly(ts, "vacancy_rate")
    y = y[y.index <= r.year]
    return float(y.idxmax()) if len(y) else float("nan")


def vacancy_change_from_peak(ts, units, r):
    """Vacancy at the entry's time minus the highest yearly mean before that year."""
    y = _yearly(ts, "vacancy_rate")
    before = y[y.index < r.year]
    now = _mean(ts, r, "vacancy_rate")
    return float(now - before.max()) if len(before) else float("nan")


def closure_rate(ts, units, r):
    """Closures in the year over the year's mean number of shops."""
    rows = ts[ts.year == r.year]
    if not len(rows):
        return float("nan")
    return float(rows.closures.sum() / max(rows.n_shops.mean(), 1.0))


def _flow_rate(ts, r, col):
    rows = ts[ts.year == r.year]
    if not len(rows):
        return float("nan")
    return float(rows[col].sum() / max(rows[_RETAIL_COUNTS].sum(axis=1).mean(), 1.0))


def retail_to_horeca_rate(ts, units, r):
    return _flow_rate(ts, r, "retail_to_horeca")


def retail_to_housing_rate(ts, units, r):
    return _flow_rate(ts, r, "retail_to_housing")


def footfall_ratio_2019_2011(ts, units, r):
    y = _yearly(ts, "footfall_total")
    if 2011 not in y.index or 2019 not in y.index:
        return float("nan")
    return float(y.loc[2019] / y.loc[2011])


def core_minus_aanloop_vacancy(ts, units, r):
    return _mean(ts, r, "vacancy_rate_core") - _mean(ts, r, "vacancy_rate_aanloop")


def long_vacancy_share_change(ts, units, r):
    """Change from 2011 to the entry's year in the share of vacant units empty for more than a
    year."""
    def share(year: int) -> float:
        rows = ts[ts.year == year]
        v = rows.vacancy_rate.mean()
        return float(rows.vacancy_structural_1y.mean() / v) if len(rows) and v > 0 else np.nan

    return share(r.year) - share(2011)


def _occupied_rents(units: pd.DataFrame, year: int) -> tuple[pd.DataFrame, np.ndarray]:
    snap = snapshot(units, year) if year in set(units.year) else snapshot(units)
    elig = snap[snap.retail_eligible].reset_index(drop=True)
    dist = distance_to_peak(elig)
    occ = ((elig.branch != "") & ~elig.is_vacant & (elig.contract_rent > 0)
           & (elig.footfall > 0)).to_numpy()
    return elig[occ], dist[occ]


def log_rent_gradient_per_100m(ts, units, r):
    """Slope of log contract rent on straight-line distance to the 100% location (per 100 m),
    over occupied commercial units in December of the entry's year."""
    occ, dist = _occupied_rents(units, r.year)
    if len(occ) < 3 or np.ptp(dist) == 0:
        return float("nan")
    return float(np.polyfit(dist / 100.0, np.log(occ.contract_rent.to_numpy()), 1)[0])


def rent_footfall_elasticity(ts, units, r):
    occ, _ = _occupied_rents(units, r.year)
    if len(occ) < 3:
        return float("nan")
    x = np.log(occ.footfall.to_numpy())
    if np.ptp(x) == 0:
        return float("nan")
    return float(np.polyfit(x, np.log(occ.contract_rent.to_numpy()), 1)[0])


def lockdown_closure_ratio(ts, units, r):
    """Closures per shop per year in 2020-2021 over those of 2019."""
    def rate(years: tuple[int, ...]) -> float:
        rows = ts[ts.year.isin(years)]
        if not len(rows):
            return float("nan")
        return float(rows.closures.sum() / len(years) / max(rows.n_shops.mean(), 1.0))

    base = rate((2019,))
    return rate((2020, 2021)) / base if base > 0 else float("nan")


MEASURES: dict[str, Measure] = {f.__name__: f for f in (
    vacancy_rate, core_vacancy_rate, vacant_floor_share, vacancy_peak_year,
    vacancy_change_from_peak, closure_rate, retail_to_horeca_rate, retail_to_housing_rate,
    footfall_ratio_2019_2011, core_minus_aanloop_vacancy, long_vacancy_share_change,
    log_rent_gradient_per_100m, rent_footfall_elasticity, lockdown_closure_ratio)}


# ---------------------------------------------------------------------------- the file
_FIELDS = {"id": str, "statement": str, "value": (int, float), "unit": str, "year": int,
           "at": str, "geography": str, "count": str, "measure": str,
           "tolerance": (int, float), "tolerance_basis": str, "source": str, "role": str}


def load_records(path: Path = TARGETS_FILE) -> list[Record]:
    """Read and check the targets file; raise `TargetsFileError` with one line on a mistake."""
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetsFileError(f"{path}: cannot be read: {exc}") from None
    out: list[Record] = []
    seen: set[str] = set()
    for k, entry in enumerate(doc.get("target", [])):
        where = f"{path.name}: target[{k}]"
        for name, kind in _FIELDS.items():
            if name not in entry:
                raise TargetsFileError(f"{where}: field {name!r} is missing")
            if not isinstance(entry[name], kind) or isinstance(entry[name], bool):
                raise TargetsFileError(f"{where}: field {name!r} has the wrong type")
        extra = set(entry) - set(_FIELDS) - {"kind"}
        if extra:
            raise TargetsFileError(f"{where}: unknown field {sorted(extra)[0]!r}")
        if entry["measure"] not in MEASURES:
            raise TargetsFileError(f"{where}: measure {entry['measure']!r} unknown; allowed: "
                                   f"{', '.join(MEASURES)}")
        if entry["at"] not in ("year", "january"):
            raise TargetsFileError(f"{where}: at {entry['at']!r}; allowed: year, january")
        kind = entry.get("kind", "level")
        if kind not in ("level", "above", "below"):
            raise TargetsFileError(f"{where}: kind {kind!r}; allowed: level, above, below")
        role = entry["role"]
        if role not in ("fit", "validation"):
            raise TargetsFileError(f"{where}: role {role!r}; allowed: fit, validation")
        if (role == "fit") != (entry["year"] <= FIT_LAST_YEAR):
            raise TargetsFileError(f"{where}: role {role!r} but year {entry['year']}: figures "
                                   f"up to {FIT_LAST_YEAR} fit, later ones validate")
        if entry["id"] in seen:
            raise TargetsFileError(f"{where}: id {entry['id']!r} is given twice")
        seen.add(entry["id"])
        out.append(Record(**{**entry, "value": float(entry["value"]),
                             "tolerance": float(entry["tolerance"]), "kind": kind}))
    return out


def measure_all(records: list[Record], ts: pd.DataFrame, units: pd.DataFrame
                ) -> dict[str, float]:
    """Every record's measure on one run's tables (NaN where the run does not reach it)."""
    return {r.id: float(MEASURES[r.measure](ts, units, r)) for r in records}


def record_table(records: list[Record], runs: list[dict[str, float]]) -> pd.DataFrame:
    """The model against the record over replicate runs: mean, 2.5% and 97.5% of single runs,
    the figure, its tolerance, and pass / fail, fit and validation figures apart."""
    rows = []
    for r in records:
        x = np.array([run.get(r.id, np.nan) for run in runs], dtype=float)
        x = x[np.isfinite(x)]
        mean = float(x.mean()) if len(x) else float("nan")
        lo, hi = (np.percentile(x, [2.5, 97.5]) if len(x) else (np.nan, np.nan))
        verdict = r.judge(mean)
        rows.append({"window": "fit (to 2019)" if r.role == "fit" else "validation (2020 on)",
                     "id": r.id, "statement": r.statement, "geography": r.geography,
                     "year": r.year, "kind": r.kind, "figure": r.value,
                     "tolerance": r.tolerance, "model mean": mean, "model 2.5%": float(lo),
                     "model 97.5%": float(hi), "runs": len(x),
                     "result": "not measured" if verdict is None else
                     ("pass" if verdict else "fail"), "source": r.source})
    return pd.DataFrame(rows)
