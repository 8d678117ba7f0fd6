"""Invariants of a running model and of its output tables: what must hold in every month.

`check_invariants(model)` inspects the model's state after a step; `check_frames(timeseries,
units)` inspects the tables of a finished run. Both return a list of one-line violations (empty
when all is well), the first one being the most basic. `assert_invariants` raises
`InvariantError` with the first violation; ``binnenstad run --check``, ``sim.run(..., check=True)``
and the test suite (environment variable ``BINNENSTAD_CHECK=1``, set in ``tests/conftest.py``)
call it after every month.

What is checked:

* counts are non-negative (months vacant, dwellings, residents, shops, events);
* vacancy rates lie in [0, 1] (overall and by zone);
* occupied units pay a rent that is finite and at least `RENT_FLOOR`; asking rents are finite and
  non-negative;
* no NaN or infinity in any per-unit float array or in the month's time-series row (except the
  columns in `NAN_ALLOWED`);
* spending is conserved: total = online + outside + centre for every cell of the month's demand
  (relative tolerance `RTOL`), the recorded accounts add up (spend_total = shop_revenue +
  spend_leakage + spend_online + spend_outside) and leakage is not negative beyond rounding.

The model attributes read here are listed in `MODEL_ATTRIBUTES`, in one place, so that a change of
the model's core needs changes in this module only.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .state import COLUMNS

#: Lowest rent (EUR per m2 per year) an occupied unit may pay. Dutch centre rents run from about
#: 50 (fringe) to over 1,000 (prime high streets); a rent below 1 EUR/m2/yr is a numerical
#: artefact (e.g. a discount applied to an already discounted rent), not a lease.
RENT_FLOOR = 1.0
#: Relative tolerance of the spending accounts (sums of up to ~1e8 EUR in float64).
RTOL = 1e-9
#: Time-series columns that may be NaN (none: Moran's I is recorded as 0 when vacancy does not
#: vary, where it is undefined).
NAN_ALLOWED: frozenset[str] = frozenset()
#: Environment variable that switches the monthly check on in `sim.run` (any value but "", "0").
CHECK_ENV = "BINNENSTAD_CHECK"
#: Environment variable naming checks to skip (comma-separated names of `CHECKS`), for a known
#: defect that is being fixed elsewhere.
SKIP_ENV = "BINNENSTAD_CHECK_SKIP"
#: Names of the groups of checks.
CHECKS = ("finite", "counts", "vacancy", "rent_floor", "asking_rent", "spending", "row")

#: What this module reads from a `CityCentreModel` (adapt here when the core changes).
MODEL_ATTRIBUTES = (
    "model.units (UnitState: vacant, eligible, zone, occupied_commercial, contract_rent, "
    "asking_rent, months_vacant, dwellings and every float array field)",
    "model.vacancy_rate(mask)",
    "model.demand (Demand: total, online, outside, centre)",
    "model.leakage (EUR/month by function code)",
    "model.residents_at (persons per unit)",
    "model.recorder.rows[-1] (the month's time-series row, a dict)",
    "model.steps",
)

#: Time-series columns that count things (must be >= 0), when present.
_COUNT_PREFIXES = ("n_",)
_COUNT_COLUMNS = ("openings", "closures", "conversions", "relocations", "visitor_trips",
                  "footfall_total", "footfall_core", "footfall_aanloop", "footfall_fringe",
                  "spend_total", "spend_online", "spend_outside", "shop_revenue",
                  "shop_revenue_online", "mean_months_vacant",
                  # columns the new core adds (checked when present)
                  "vacant_floor_area", "retail_floor_area", "public_cost", "housing_added")
_FRACTION_COLUMNS = ("vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop",
                     "vacancy_rate_fringe", "online_share", "share_65plus",
                     "vacancy_structural_1y", "vacancy_structural_3y")
_CUMULATIVE_COLUMNS = ("public_cost", "housing_added")


class InvariantError(AssertionError):
    """A model invariant does not hold (a defect of the model, not of the input)."""


def check_enabled(flag: bool | None = None) -> bool:
    """``flag`` if given, else whether ``$BINNENSTAD_CHECK`` is set to something other than 0."""
    if flag is not None:
        return bool(flag)
    return os.environ.get(CHECK_ENV, "").strip() not in ("", "0")


def _scale(*values: float) -> float:
    return max(1.0, *(abs(v) for v in values))


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def skipped_checks() -> frozenset[str]:
    """The check names in ``$BINNENSTAD_CHECK_SKIP`` (unknown names are an error)."""
    names = {n.strip() for n in os.environ.get(SKIP_ENV, "").split(",") if n.strip()}
    unknown = names - set(CHECKS)
    if unknown:
        raise ValueError(f"{SKIP_ENV}: unknown check {sorted(unknown)[0]!r}; allowed: "
                         f"{', '.join(CHECKS)}")
    return frozenset(names)


def check_invariants(model: Any, skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Violations of the model invariants after the last step (empty list: all hold); the check
    groups named in ``skip`` (see `CHECKS`) are left out."""
    out: list[str] = []
    u = model.units
    month = f"step {getattr(model, 'steps', '?')}"

    # No NaN or infinity in any float unit array.
    for f in COLUMNS if "finite" not in skip else ():
        arr = getattr(u, f.name)
        if isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            k = _first_bad(~np.isfinite(arr))
            out.append(f"{month}: units.{f.name}[{k}] is {arr[k]} (must be finite)")

    # Counts.
    for name in ("months_vacant", "dwellings") if "counts" not in skip else ():
        arr = getattr(u, name)
        if np.any(arr < 0):
            k = _first_bad(arr < 0)
            out.append(f"{month}: units.{name}[{k}] = {arr[k]} is negative")
    res = np.asarray(getattr(model, "residents_at", np.zeros(1)))
    if "counts" not in skip and np.any(~np.isfinite(res) | (res < 0)):
        out.append(f"{month}: residents_at has negative or non-finite entries")

    # Vacancy rates.
    rates = {"all": model.vacancy_rate()}
    for z in np.unique(u.zone):
        rates[f"zone {int(z)}"] = model.vacancy_rate(u.zone == z)
    for where, rate in rates.items():
        if "vacancy" not in skip and not 0.0 <= rate <= 1.0:  # also false for NaN
            out.append(f"{month}: vacancy rate ({where}) = {rate} is outside [0, 1]")

    # Rents.
    occupied = np.asarray(u.occupied_commercial, dtype=bool)
    low = occupied & ~(u.contract_rent >= RENT_FLOOR)
    if "rent_floor" not in skip and np.any(low):
        k = _first_bad(low)
        out.append(f"{month}: occupied unit {k} pays a rent of {u.contract_rent[k]:.3g} EUR/m2/yr; "
                   f"allowed: >= {RENT_FLOOR:g}")
    bad_ask = ~(u.asking_rent >= 0)
    if "asking_rent" not in skip and np.any(bad_ask):
        k = _first_bad(bad_ask)
        out.append(f"{month}: unit {k} asks a rent of {u.asking_rent[k]} EUR/m2/yr; allowed: >= 0")

    # Spending accounts of the month.
    d = getattr(model, "demand", None)
    if d is not None and "spending" not in skip:
        total = np.asarray(d.total, dtype=float)
        parts = np.asarray(d.online) + np.asarray(d.outside) + np.asarray(d.centre)
        tol = RTOL * _scale(float(np.abs(total).max(initial=0.0)))
        if not np.all(np.abs(total - parts) <= tol):
            out.append(f"{month}: demand total != online + outside + centre (max difference "
                       f"{float(np.abs(total - parts).max()):.3g} EUR)")
        for name in ("total", "online", "outside", "centre"):
            arr = np.asarray(getattr(d, name), dtype=float)
            if np.any(~np.isfinite(arr) | (arr < -tol)):
                out.append(f"{month}: demand.{name} has negative or non-finite entries")
        leak = getattr(model, "leakage", None)
        if leak is not None:
            leak = np.asarray(leak, dtype=float)
            bad = ~np.isfinite(leak) | (leak < -RTOL * _scale(float(total.sum())))
            if np.any(bad):
                k = _first_bad(bad)
                out.append(f"{month}: spending leakage of function {k} is {leak[k]:.6g} EUR "
                           "(must be >= 0)")

    # The month's time-series row.
    rows = getattr(getattr(model, "recorder", None), "rows", None)
    if rows and "row" not in skip:
        out += [f"{month}: {msg}" for msg in _check_row(rows[-1])]
    return out


def _check_row(row: dict) -> list[str]:
    out = []
    for key, v in row.items():
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            continue
        fv = float(v)
        if not math.isfinite(fv):
            if key not in NAN_ALLOWED or not math.isnan(fv):
                out.append(f"time series {key} = {fv} (must be finite)")
            continue
        if (key.startswith(_COUNT_PREFIXES) or key in _COUNT_COLUMNS) and fv < 0:
            out.append(f"time series {key} = {fv} is negative")
        if key in _FRACTION_COLUMNS and not 0.0 <= fv <= 1.0:
            out.append(f"time series {key} = {fv} is outside [0, 1]")
    out += _check_accounts(row.get("spend_total"), row.get("shop_revenue"),
                           row.get("spend_leakage"), row.get("spend_online"),
                           row.get("spend_outside"))
    return out


def _check_accounts(total, revenue, leakage, online, outside) -> list[str]:
    if any(v is None for v in (total, revenue, leakage, online, outside)):
        return []
    tol = RTOL * _scale(total)
    out = []
    if abs(total - (revenue + leakage + online + outside)) > tol:
        out.append(f"spend_total {total:.6g} != shop_revenue + spend_leakage + spend_online + "
                   f"spend_outside = {revenue + leakage + online + outside:.6g}")
    if leakage < -tol:
        out.append(f"spend_leakage = {leakage:.6g} is negative")
    return out


def assert_invariants(model: Any) -> None:
    """Raise `InvariantError` with the first violation of `check_invariants`, if any (the checks
    named in ``$BINNENSTAD_CHECK_SKIP`` are skipped)."""
    problems = check_invariants(model, skipped_checks())
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvariantError(f"invariant violated at {problems[0]}{more}")


def assert_frames(timeseries: Any, units: Any) -> None:
    """Raise `InvariantError` with the first violation of `check_frames`, if any (the checks
    named in ``$BINNENSTAD_CHECK_SKIP`` are skipped)."""
    problems = check_frames(timeseries, units, skipped_checks())
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvariantError(f"invariant violated in the output tables: {problems[0]}{more}")


def check_frames(timeseries: Any, units: Any,
                 skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Violations in the output tables of a run (pandas DataFrames with the columns of
    `sim.record`; unknown columns are checked by name pattern, missing ones skipped); the check
    groups in ``skip`` (see `CHECKS`) are left out."""
    out: list[str] = []
    ts = timeseries
    for col in ts.columns:
        s = ts[col]
        if s.dtype.kind not in "iuf":
            continue
        vals = s.to_numpy(dtype=float)
        bad = ~np.isfinite(vals)
        if col in NAN_ALLOWED:
            bad &= ~np.isnan(vals)
        if bad.any():
            if "finite" not in skip:
                out.append(f"timeseries.{col} row {_first_bad(bad)} is {vals[bad][0]} (must be "
                           "finite)")
            continue
        if "counts" not in skip and (col.startswith(_COUNT_PREFIXES)
                                     or col in _COUNT_COLUMNS) and (vals < 0).any():
            out.append(f"timeseries.{col} row {_first_bad(vals < 0)} is negative")
        if "vacancy" not in skip and col in _FRACTION_COLUMNS and ((vals < 0) | (vals > 1)).any():
            out.append(f"timeseries.{col} row {_first_bad((vals < 0) | (vals > 1))} is outside "
                       "[0, 1]")
        if col in _CUMULATIVE_COLUMNS and (np.diff(vals) < -RTOL * _scale(*vals)).any():
            out.append(f"timeseries.{col} decreases (it is cumulative)")
    acc = ["spend_total", "shop_revenue", "spend_leakage", "spend_online", "spend_outside"]
    if "spending" not in skip and set(acc) <= set(ts.columns):
        for i, row in enumerate(ts[acc].itertuples(index=False)):
            msgs = _check_accounts(*row)
            if msgs:
                out.append(f"timeseries row {i}: {msgs[0]}")
                break
    un = units
    if len(un):
        for col in ("floor_area", "rent", "footfall", "revenue", "x", "y"):
            if "finite" not in skip and col in un.columns:
                vals = un[col].to_numpy(dtype=float)
                if not np.all(np.isfinite(vals)):
                    out.append(f"units.{col} row {_first_bad(~np.isfinite(vals))} is not finite")
        if {"floor_area"} <= set(un.columns) and (un["floor_area"] <= 0).any():
            out.append("units.floor_area has values <= 0")
        for col in ("footfall", "months_vacant"):
            if col in un.columns and (un[col] < 0).any():
                out.append(f"units.{col} has negative values")
        if "rent_floor" not in skip and {"rent", "is_vacant", "branch"} <= set(un.columns):
            occupied = (~un["is_vacant"].astype(bool)) & (un["branch"] != "")
            low = occupied & ~(un["rent"] >= RENT_FLOOR)
            if low.any():
                k = int(np.flatnonzero(low.to_numpy())[0])
                out.append(f"units row {k}: occupied unit pays a rent of "
                           f"{un['rent'].iloc[k]:.3g} EUR/m2/yr; allowed: >= {RENT_FLOOR:g}")
    return out
