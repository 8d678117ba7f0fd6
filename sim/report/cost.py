"""Cost-effectiveness against the reference policy, paired by replicate.

Per town x point x future x policy, over the replicate pairs (same seed):

- **extra public cost** (EUR): the municipality's cumulative spending through the levers, policy
  minus reference;
- **extra dwellings**: dwellings added, policy minus reference (the reference adds some too:
  dividing by all dwellings would credit the lever with conversions that happen anyway);
- **public cost per extra dwelling** = mean extra cost / mean extra dwellings, where the policy
  adds dwellings;
- **public cost per point of vacancy avoided** = mean extra cost / mean vacancy points avoided
  (vacancy in percentage points, mean of the final window), where the policy lowers vacancy;
- **costs that fall on owners**, from the last unit snapshot when the sweep kept it: the change
  in their rent income from tenants (EUR/yr, contract rents times floor area; negative = rent
  lost) and the outlay for the extra housing floor area they converted (floor area times the
  scenario's ``conversion_cost``, EUR/m2; conversion subsidies paid back to them are in the
  public cost).

Ratios get a percentile bootstrap interval over the pairs (a resample whose denominator is not
positive makes the ratio unbounded: the interval is then open upwards).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..batch.analysis import _rng
from .evidence import MIN_PAIRS

PAIR = ["town", "scenario", "point", "replicate"]


def ratio_interval(num: np.ndarray, den: np.ndarray, n_boot: int, confidence: float,
                   rng: np.random.Generator) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of mean(num) / mean(den) over pairs; NaN if the mean
    denominator is not positive; ``high`` = inf when resamples reach a non-positive one."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if len(num) == 0 or den.mean() <= 0:
        return math.nan, math.nan, math.nan
    est = float(num.mean() / den.mean())
    if len(num) < 2:
        return est, math.nan, math.nan
    idx = rng.integers(0, len(num), size=(n_boot, len(num)))
    d = den[idx].mean(axis=1)
    r = np.where(d > 0, num[idx].mean(axis=1) / np.where(d > 0, d, 1.0), np.inf)
    a = (1.0 - confidence) / 2.0
    # No interpolation: an unbounded resample stays unbounded (inf - inf has no value).
    lo, hi = np.quantile(r, [a, 1.0 - a], method="inverted_cdf")
    return est, float(lo), float(hi)


def _owner_columns(units: pd.DataFrame | None, ok: pd.DataFrame,
                   conversion_cost: dict[str, float]) -> pd.DataFrame | None:
    if units is None or units.empty or "contract_rent" not in units:
        return None
    u = units.copy()
    u["rent_income"] = u["contract_rent"].fillna(0.0) * u["floor_area"]
    u["housing_m2"] = np.where(u["function"].astype(str) == "housing", u["floor_area"], 0.0)
    per = u.groupby("run_id")[["rent_income", "housing_m2"]].sum().reset_index()
    per = ok[["run_id", "policy", *PAIR]].merge(per, on="run_id")
    per["conversion_outlay"] = per["housing_m2"] * per["scenario"].map(conversion_cost).fillna(
        math.nan)
    return per


def cost_effectiveness(values: pd.DataFrame, manifest: pd.DataFrame, reference: str,
                       units: pd.DataFrame | None, n_boot: int, confidence: float, seed: int,
                       conversion_cost: dict[str, float]) -> pd.DataFrame:
    """The cost-effectiveness table (see the module docstring), one row per town x point x
    future x policy other than the reference."""
    need = {"public_cost", "housing_added", "vacancy_rate"}
    if values.empty or not need <= set(values["outcome"]):
        return pd.DataFrame()
    w = values[values["outcome"].isin(need)].pivot_table(
        index=[*PAIR, "policy"], columns="outcome", values="value").reset_index()
    ok = manifest[manifest["status"] == "ok"]
    owners = _owner_columns(units, ok, conversion_cost)
    if owners is not None:
        w = w.merge(owners.drop(columns=["run_id"]), on=[*PAIR, "policy"], how="left")
    ref = w[w["policy"] == reference].drop(columns=["policy"])
    d = w[w["policy"] != reference].merge(ref, on=PAIR, suffixes=("", "_ref"))
    if d.empty:
        return pd.DataFrame()
    rows = []
    a = (1.0 - confidence) / 2.0
    for (town, point, sc, pol), g in d.groupby(["town", "point", "scenario", "policy"],
                                               sort=False):
        dc = (g["public_cost"] - g["public_cost_ref"]).to_numpy()
        dd = (g["housing_added"] - g["housing_added_ref"]).to_numpy()
        dv = 100.0 * (g["vacancy_rate"] - g["vacancy_rate_ref"]).to_numpy()
        key = repr(("cost", town, point, sc, pol))
        per_dw = ratio_interval(dc, dd, n_boot, confidence, _rng(seed, key + "dw"))
        per_pt = ratio_interval(dc, -dv, n_boot, confidence, _rng(seed, key + "pt"))
        n = len(g)
        row: dict[str, Any] = {
            "town": town, "point": point, "future": sc, "policy": pol, "pairs": n,
            "how sure": ("" if n >= MIN_PAIRS else
                         f"too few replicates ({n} pairs; at least {MIN_PAIRS} for a verdict)"),
            "extra public cost (EUR)": float(dc.mean()),
            "extra dwellings": float(dd.mean()),
            "vacancy change (percentage points)": float(dv.mean()),
            "public cost per extra dwelling (EUR)": per_dw[0],
            "public cost per extra dwelling low": per_dw[1],
            "public cost per extra dwelling high": per_dw[2],
            "public cost per point of vacancy avoided (EUR)": per_pt[0],
            "public cost per point of vacancy avoided low": per_pt[1],
            "public cost per point of vacancy avoided high": per_pt[2],
        }
        if n >= 2:
            for label, x in (("extra public cost (EUR)", dc), ("extra dwellings", dd)):
                b = x[_rng(seed, key + label).integers(0, n, size=(n_boot, n))].mean(axis=1)
                row[f"{label} low"], row[f"{label} high"] = (float(q) for q in
                                                             np.quantile(b, [a, 1 - a]))
        if "rent_income" in g and g["rent_income"].notna().all():
            row["owners' rent income, change (EUR/yr)"] = float(
                (g["rent_income"] - g["rent_income_ref"]).mean())
            extra = (g["conversion_outlay"] - g["conversion_outlay_ref"]).to_numpy()
            row["owners' conversion outlay, extra (EUR)"] = (float(np.nanmean(extra))
                                                            if np.isfinite(extra).any()
                                                            else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)
