"""The tables of a council report, computed from a sweep's results folder.

Everything statistical is the sweep layer's (`sim.batch.analysis`): per-run outcomes over the
final window, effects paired by replicate seed (common random numbers) with bootstrap intervals,
and the [P31] robustness verdict. This module picks the report's outcomes, converts them to the
units a planner reads (vacancy in percentage points), and adds what the analysis does not give:
the set-up in plain words, what each lever setting means, what each policy realised (units
converted, euros spent, dwellings added, months the lever acted) and the stock change behind a
vacancy change (`sim.report.stock`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.analysis import (
    OUTCOMES,
    Outcome,
    _rng,
    available_outcomes,
    bootstrap_ci,
    outcome_values,
    paired_effects,
    summarise,
)
from ..deprecation import deprecated_alias, with_deprecated_columns
from ..limits import MAX_TEXT_FILE_BYTES
from ..safeio import FileReadError, read_text_limited
from .errors import ReportError
from .evidence import (
    MIN_PAIRS,
    TOO_FEW,
    lever_verdict,
    paired_spread,
    status_array,
)
from .evidence import (
    NOT_JUDGED as NOT_JUDGED_WORD,
)
from .stock import decompose_vacancy

#: Outcomes of the effects table, in the order the council reads them.
REPORT_OUTCOMES = ("vacancy_rate", "vacant_floor_area", "shops", "footfall", "housing_added",
                   "public_cost")

#: Outcome -> (factor to display units, unit of an effect, unit of a level). Others: as recorded.
DISPLAY: dict[str, tuple[float, str, str]] = {
    "vacancy_rate": (100.0, "percentage points", "% of retail-eligible units"),
    "vacant_floor_area": (1.0, "m2", "m2"),
    "shops": (1.0, "shops", "shops"),
    "footfall": (1.0, "persons/day", "persons/day"),
    "housing_added": (1.0, "dwellings", "dwellings"),
    "public_cost": (1.0, "EUR", "EUR"),
}
#: Outcomes reported but not judged by the [P31] verdict: spending money is a cost of a lever,
#: not a way it helps the centre.
NOT_JUDGED = ("public_cost", "housing_added")

#: Timeseries columns the report reads (beyond the outcomes').
STOCK_COLUMNS = ("n_vacant", "n_units_retail_eligible", "retail_floor_area",
                 "vacant_floor_area", "conversions", "public_cost", "housing_added")


def display(outcome: str) -> tuple[float, str, str]:
    """``(scale, effect unit, level unit)`` of an outcome in the report."""
    if outcome in DISPLAY:
        return DISPLAY[outcome]
    unit = OUTCOMES[outcome].unit
    return 1.0, unit, unit


def future_label(name: str) -> str:
    """A future (scenario) in words: ``binnenstad_united`` -> ``Binnenstad united``."""
    text = Path(str(name)).stem.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def policy_label(policy: str) -> str:
    """A policy in words: ``none`` -> ``no policy``; ``compaction+blurring:intensity=2`` ->
    ``compaction + blurring (intensity 2)``."""
    from ..policies.spec import Policy

    levers = Policy.parse(policy).levers
    if not levers:
        return "no policy"
    return " + ".join(lv.name.replace("_", " ") + (
        " (" + ", ".join(f"{k} {v}" for k, v in lv.settings) + ")" if lv.settings else "")
        for lv in levers)


#: Deprecated alias of `policy_label` (a policy is what was called an arm).
arm_label = deprecated_alias(policy_label, "arm_label")


def verdict_label(verdict: str, good: int, n_futures: int) -> str:
    """The [P31] verdict in words: ``robust: helps in 3 of 4 futures``, ``gamble: ...``."""
    if n_futures <= 0 or not verdict:
        return ""
    tail = f"helps in {good} of {n_futures} future{'s' if n_futures != 1 else ''}"
    if n_futures == 1:
        return f"{tail} (one future: robustness cannot be judged)"
    return {"safe": f"robust: {tail}", "gamble": f"gamble: {tail}",
            "conditional": f"conditional: {tail}",
            "no_help": f"does not help: {tail}"}.get(verdict, tail)


# ------------------------------------------------------------------------------ loading
@dataclass
class SweepData:
    """What a report needs from a results folder."""

    root: Path
    meta: dict[str, Any]
    spec_text: str
    spec_raw: dict[str, Any]
    manifest: pd.DataFrame
    timeseries: pd.DataFrame
    settings: Any
    #: the last unit snapshot of every run (None if the sweep did not keep units)
    units: pd.DataFrame | None = None


#: Unit columns the report reads (maps of change, owners' rent and conversions).
UNIT_COLUMNS = ("run_id", "year", "step", "unit_id", "x", "y", "zone", "function", "is_vacant",
                "floor_area", "contract_rent", "retail_eligible")


def _last_units(root: Path, store: Any) -> pd.DataFrame | None:
    """The last snapshot of each run from ``root/units`` (None if there is none)."""
    import pyarrow.dataset as pads

    if not (root / "units").is_dir():
        return None
    try:
        schema = pads.dataset(root / "units", format="parquet", partitioning="hive").schema
        cols = [c for c in UNIT_COLUMNS if c in schema.names]
        if not {"run_id", "step", "unit_id", "is_vacant"} <= set(cols):
            return None
        u = store.read("units", columns=cols)
    except Exception:  # a damaged units table: the report goes on without the maps
        return None
    if u.empty:
        return None
    last = u.groupby("run_id")["step"].transform("max")
    return u[u["step"] == last].reset_index(drop=True)


def load_sweep(root: str | Path) -> SweepData:
    """Read a sweep's results folder (read only); `ReportError` if it is not a sweep or has no
    finished run."""
    from pydantic import ValidationError

    from ..batch.spec import AnalysisTable
    from ..batch.store import DESIGN_FILE, MANIFEST_FILE, SPEC_FILE, Store, StoreError

    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"{root}: no such folder; give the results folder of a sweep "
                          "(binnenstad sweep or binnenstad compare)")
    # A sweep stopped before it wrote its manifest (a full disk) still has its design and
    # status records; the manifest is rebuilt from them below.
    if not ((root / MANIFEST_FILE).is_file() or (root / DESIGN_FILE).is_file()):
        raise ReportError(f"{root}: not a sweep ({MANIFEST_FILE} missing); give the results "
                          "folder of binnenstad sweep or binnenstad compare")
    store = Store(root)
    try:
        meta = store.meta() or {}
        manifest = (store.manifest() if (root / DESIGN_FILE).is_file()
                    else pd.read_parquet(root / MANIFEST_FILE))
    except (StoreError, OSError, ValueError) as exc:
        raise ReportError(f"{root}: unreadable sweep ({' '.join(str(exc).split())})") from None
    n_ok = int((manifest["status"] == "ok").sum()) if "status" in manifest else 0
    if n_ok == 0:
        counts = manifest["status"].value_counts() if "status" in manifest else {}
        raise ReportError(f"{root}: empty sweep: no finished runs ({len(manifest)} runs: "
                          f"{int(counts.get('failed', 0))} failed, "
                          f"{int(counts.get('pending', 0))} pending, "
                          f"{int(counts.get('damaged', 0))} damaged); run or resume it with "
                          "binnenstad sweep")
    if not (root / "timeseries").is_dir():
        raise ReportError(f"{root}: no timeseries table (not kept by [outputs] tables); the "
                          "report needs it")
    spec_text = ""
    raw: dict[str, Any] = {}
    try:
        spec_text = read_text_limited(root / SPEC_FILE, MAX_TEXT_FILE_BYTES)
        raw = tomllib.loads(spec_text)
        settings = AnalysisTable.model_validate(raw.get("analysis", {}))
    except FileReadError as exc:
        if not (root / SPEC_FILE).exists():
            settings = AnalysisTable()
        else:
            raise ReportError(f"{root / SPEC_FILE}: {exc}") from None
    except (tomllib.TOMLDecodeError, ValidationError, OSError) as exc:
        raise ReportError(f"{root / SPEC_FILE}: [analysis]: {' '.join(str(exc).split())}"
                          ) from None
    wanted = {"step", "date", *(o.column for o in OUTCOMES.values()), *STOCK_COLUMNS}
    ts = store.read("timeseries", columns=[c for c in store.columns() if c in wanted])
    return SweepData(root, meta, spec_text, raw, manifest, ts, settings, _last_units(root, store))


# ------------------------------------------------------------------------------ tables
@dataclass
class ReportTables:
    """The report's tables (DataFrames in display units) and its facts in plain words."""

    setup: dict[str, Any]
    reference: str
    outcomes: list[Outcome]
    effects: pd.DataFrame
    effects_wide: pd.DataFrame
    verdicts: pd.DataFrame
    levers: pd.DataFrame
    realised: pd.DataFrame
    stock: pd.DataFrame
    levels: pd.DataFrame
    values: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    cost: pd.DataFrame = field(default_factory=pd.DataFrame)
    headline: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Sheet name -> table, as written to ``tables.xlsx`` (plain words, no formulas)."""
        setup = pd.DataFrame(self.setup["facts"], columns=["item", "value"])
        futures = pd.DataFrame(self.setup["futures"])
        head = pd.DataFrame([{"policy": h["policy label"], "in one sentence": h["sentence"],
                              "how sure": h["how sure"]} for h in self.headline],
                            columns=["policy", "in one sentence", "how sure"])
        calib = pd.DataFrame(self.calibration.get("rows", []),
                             columns=["what", "calibrated?", "detail"])
        seeds = pd.DataFrame({"replicate": range(len(self.setup["seeds"])),
                              "seed": [str(x) for x in self.setup["seeds"]]})
        return {"headline": head, "set-up": setup, "futures": futures,
                "effects": self.effects_wide, "effects_long": self.effects,
                "verdicts": self.verdicts, "cost_effectiveness": self.cost,
                "lever_settings": self.levers, "realised": self.realised,
                "vacancy_stock_change": self.stock, "levels": self.levels,
                "calibration": calib, "seeds": seeds}


def _ordered(df: pd.DataFrame, orders: dict[str, list[str]]) -> pd.DataFrame:
    """Sort rows by the given column orders (spec order, not alphabetical)."""
    if df.empty:
        return df
    keys = []
    for col, order in orders.items():
        if col in df.columns:
            rank = {v: i for i, v in enumerate(order)}
            df = df.assign(**{f"_{col}": df[col].map(rank).fillna(len(order))})
            keys.append(f"_{col}")
    return df.sort_values(keys, kind="stable").drop(columns=keys).reset_index(drop=True)


def _lever_starts(policy: str) -> list[tuple[str, float]]:
    """``[(lever, start year)]`` of a policy's levers (its settings parsed and validated)."""
    from ..policies import parse_policy
    from ..policies.spec import Policy

    return [(lv.name, float(parse_policy(lv).values["start"]))
            for lv in Policy.parse(policy).levers]


def months_active(lever_start: float, start: int, years: int) -> int:
    """Months of a run (from January ``start``, ``years`` long) in which a lever that acts from
    January ``lever_start`` acts."""
    first = max(float(lever_start), float(start))
    return int(np.clip(round((start + years - first) * 12), 0, years * 12))


def lever_settings(policies: list[str], reference: str, varied: set[str],
                   future_starts: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per lever x setting (as used in the sweep's policies): value, unit, default,
    meaning (from the lever's typed settings, `sim.policies.base.Setting`) and the policies
    using it (column ``policies``; the deprecated ``arms`` duplicates it)."""
    from ..policies import POLICIES, parse_policy
    from ..policies.spec import Policy

    def shown(x: Any) -> str:
        if isinstance(x, bool):
            return "yes" if x else "no"
        return f"{x:g}" if isinstance(x, float) else str(x)

    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for policy in policies:
        if policy == reference:
            continue
        for spec in Policy.parse(policy).levers:
            name = spec.name
            lever = parse_policy(spec)
            cls = POLICIES[name]
            summary = (cls.__doc__ or "").strip().splitlines()[0]
            for key, s in cls.spec().items():
                value = shown(lever.values[key])
                if key == "start" and future_starts:
                    # Relative to each future: a lever never acts before its future begins.
                    y = float(lever.values[key])
                    acts = {f"{max(y, float(st)):g}" for st in future_starts.values()}
                    if len(acts) == 1:
                        value += f" (acts from {acts.pop()} in every future)"
                    else:
                        value += " (acts from " + ", ".join(
                            f"{max(y, float(st)):g} in {future_label(f)}"
                            for f, st in future_starts.items()) + ")"
                if f"{name}.{key}" in varied:
                    value += " (varied by the design)"
                row = rows.setdefault((name, key, value), {
                    "lever": name, "what it does": summary, "setting": key, "value": value,
                    "unit": s.unit, "default": shown(s.default), "meaning": s.doc, "policies": []})
                if policy not in row["policies"]:
                    row["policies"].append(policy)
    out = pd.DataFrame(list(rows.values()), columns=["lever", "what it does", "setting", "value",
                                                     "unit", "default", "meaning", "policies"])
    out["policies"] = out["policies"].map(", ".join)
    out = out.sort_values("lever", kind="stable").reset_index(drop=True)
    # The lever's one-line description once, on its first row.
    out.loc[out["lever"].duplicated(), "what it does"] = ""
    return out


def _window(ts: pd.DataFrame, window: int) -> pd.DataFrame:
    return ts.sort_values(["run_id", "step"]).groupby("run_id", sort=False).tail(window)


def realised(ts: pd.DataFrame, manifest: pd.DataFrame, policies: list[str]) -> pd.DataFrame:
    """Per town x point x future x policy, means over replicates of what the policy realised: units
    converted (sum over the run), public cost (EUR, cumulative), dwellings added, months the
    lever acted, and EUR per dwelling added."""
    ok = manifest[manifest["status"] == "ok"]
    ts = ts.sort_values(["run_id", "step"])
    g = ts.groupby("run_id", sort=True)
    per = pd.DataFrame({"run_id": sorted(ts["run_id"].unique())}).set_index("run_id")
    if "conversions" in ts:
        per["conversions"] = g["conversions"].sum()
    for c in ("public_cost", "housing_added"):
        if c in ts:
            per[c] = g[c].last()
    d = ok[["run_id", "town", "point", "scenario", "policy", "start", "years"]].merge(
        per.reset_index(), on="run_id")
    rows = []
    for (town, point, sc, pol), grp in d.groupby(["town", "point", "scenario", "policy"]):
        start, years = int(grp["start"].iloc[0]), int(grp["years"].iloc[0])
        acts = [(n, months_active(s, start, years)) for n, s in _lever_starts(pol)]
        firsts = [max(float(st), float(start)) for _, st in _lever_starts(pol)]
        row = {"town": town, "point": point, "future": sc, "policy": pol, "runs": len(grp),
               "years": f"{start}-{start + years - 1}",
               "lever acts from": (f"January {min(firsts):g}" if firsts and
                                   min(firsts) < start + years else
                                   ("never (starts after the run)" if firsts else "-")),
               "months lever active": max((m for _, m in acts), default=0),
               "lever months": ", ".join(f"{n} {m}" for n, m in acts) or "-"}
        if "conversions" in grp:
            row["units converted"] = float(grp["conversions"].mean())
        if "public_cost" in grp:
            row["public cost (EUR)"] = float(grp["public_cost"].mean())
        if "housing_added" in grp:
            row["dwellings added"] = float(grp["housing_added"].mean())
        # Cost per *extra* dwelling (against the reference) is in the cost-effectiveness table.
        rows.append(row)
    df = pd.DataFrame(rows)
    scen = list(dict.fromkeys(manifest["scenario"]))
    return _ordered(df, {"town": list(dict.fromkeys(manifest["town"])), "future": scen,
                         "policy": policies})


def stock_change(ts: pd.DataFrame, manifest: pd.DataFrame, reference: str, policies: list[str],
                 window: int, n_boot: int, confidence: float, seed: int) -> pd.DataFrame:
    """Per town x point x future x policy: the vacancy change against the reference split into
    'more units used' and 'fewer units counted' (percentage points, mean over replicate pairs
    with bootstrap intervals), and the stock changes behind it (units, m2), each the mean over
    the final ``window`` months of the paired differences."""
    need = {"n_vacant", "n_units_retail_eligible"}
    if not need <= set(ts.columns):
        return pd.DataFrame()
    ok = manifest[manifest["status"] == "ok"]
    keys = ["town", "scenario", "point", "replicate"]
    cols = ["run_id", "step", *[c for c in ("n_vacant", "n_units_retail_eligible",
                                            "retail_floor_area", "vacant_floor_area")
                                if c in ts.columns]]
    w = _window(ts[cols], window).merge(ok[["run_id", "policy", *keys]], on="run_id")
    ref = w[w["policy"] == reference].drop(columns=["run_id", "policy"])
    other = w[w["policy"] != reference].drop(columns=["run_id"])
    d = other.merge(ref, on=[*keys, "step"], suffixes=("", "_ref"))
    if d.empty:
        return pd.DataFrame()
    used, counted = decompose_vacancy(d["n_vacant"], d["n_units_retail_eligible"],
                                      d["n_vacant_ref"], d["n_units_retail_eligible_ref"])
    d["used"], d["counted"] = used * 100.0, counted * 100.0
    d["total"] = d["used"] + d["counted"]
    d["d_eligible"] = d["n_units_retail_eligible"] - d["n_units_retail_eligible_ref"]
    d["d_in_use"] = d["d_eligible"] - (d["n_vacant"] - d["n_vacant_ref"])
    extra = []
    for c, name in (("retail_floor_area", "d_floor"), ("vacant_floor_area", "d_vacant_floor")):
        if c in d.columns:
            d[name] = d[c] - d[f"{c}_ref"]
            extra.append(name)
    parts = ["total", "used", "counted", "d_eligible", "d_in_use", *extra]
    pairs = d.groupby(["town", "point", "scenario", "policy", "replicate"])[parts].mean()
    rows = []
    for (town, point, sc, pol), grp in pairs.groupby(level=["town", "point", "scenario",
                                                            "policy"]):
        row = {"town": town, "point": point, "future": sc, "policy": pol, "pairs": len(grp)}
        for p, label in (("total", "vacancy change (pp)"),
                         ("used", "of which more units used (pp)"),
                         ("counted", "of which fewer units counted (pp)")):
            x = grp[p].to_numpy()
            lo, hi = bootstrap_ci(x, n_boot, confidence,
                                  _rng(seed, repr(("stock", town, point, sc, pol, p))))
            row[label] = float(x.mean())
            row[f"{label} low"], row[f"{label} high"] = lo, hi
        row["retail-eligible units (change)"] = float(grp["d_eligible"].mean())
        row["units in use (change)"] = float(grp["d_in_use"].mean())
        if "d_floor" in grp:
            row["retail floor area (m2, change)"] = float(grp["d_floor"].mean())
        if "d_vacant_floor" in grp:
            row["vacant floor area (m2, change)"] = float(grp["d_vacant_floor"].mean())
        rows.append(row)
    scen = list(dict.fromkeys(manifest["scenario"]))
    return _ordered(pd.DataFrame(rows), {"town": list(dict.fromkeys(manifest["town"])),
                                         "future": scen, "policy": policies})


def _to_display(df: pd.DataFrame, cols: list[str], unit_kind: int) -> pd.DataFrame:
    df = df.copy()
    scale = df["outcome"].map(lambda o: display(o)[0])
    for c in cols:
        df[c] = df[c] * scale
    df.insert(df.columns.get_loc("outcome") + 1, "unit",
              df["outcome"].map(lambda o: display(o)[unit_kind]))
    return df


def _verdicts(eff: pd.DataFrame, scenarios: list[str] | None) -> pd.DataFrame:
    """Per town x point x lever x judged outcome: futures where it helps / has no clear effect
    / harms / cannot be judged, and the verdict in the report's words (`sim.report.evidence`)."""
    cols = ["town", "point", "lever", "outcome", "outcome (code)", "futures", "helps",
            "no clear effect", "harms", "too few replicates", "verdict", "verdict in words",
            "borderline", "helps in", "harms in"]
    e = eff[eff["status"] != NOT_JUDGED_WORD]
    if scenarios:
        e = e[e["future"].isin(scenarios)]
    if e.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (town, point, lever, outcome), g in e.groupby(["town", "point", "lever",
                                                       "outcome (code)"], sort=False):
        st = g["status"].tolist()
        v, words, edge = lever_verdict(st, g["borderline"].astype(bool).tolist(),
                                       [None if pd.isna(x) else int(x)
                                        for x in g["replicates needed"]])
        rows.append({"town": town, "point": point, "lever": lever,
                     "outcome": g["outcome"].iloc[0], "outcome (code)": outcome,
                     "futures": len(g), "helps": st.count("helps"),
                     "no clear effect": st.count("no clear effect") + st.count("no change"),
                     "harms": st.count("harms"), "too few replicates": st.count(TOO_FEW),
                     "verdict": v, "verdict in words": words, "borderline": edge,
                     "helps in": ", ".join(future_label(f) for f in
                                           g.loc[g["status"] == "helps", "future"]),
                     "harms in": ", ".join(future_label(f) for f in
                                           g.loc[g["status"] == "harms", "future"])})
    return pd.DataFrame(rows, columns=cols)


def build_tables(data: SweepData) -> ReportTables:
    """All tables and facts of the report (see the module docstring)."""
    from .cost import cost_effectiveness
    from .headline import SOURCE_SEEDS, calibration_statement, headline

    s, manifest, ts = data.settings, data.manifest, data.timeseries
    notes: list[str] = []
    policies = list(dict.fromkeys(manifest["policy"]))
    scenarios = list(dict.fromkeys(manifest["scenario"]))
    towns = list(dict.fromkeys(manifest["town"]))
    ok = manifest[manifest["status"] == "ok"]
    reference = s.reference if s.reference in set(ok["policy"]) else (
        next(a for a in policies if a in set(ok["policy"])))
    if reference != s.reference:
        notes.append(f"This sweep has no {s.reference!r} policy: effects are measured against "
                     f"the first policy, {reference!r}.")
    outcomes = available_outcomes(ts.columns, list(REPORT_OUTCOMES))
    missing = [o for o in REPORT_OUTCOMES if o not in {x.name for x in outcomes}]
    if missing:
        notes.append(f"Not recorded in this sweep, left out: {', '.join(missing)}.")
    values = outcome_values(manifest, ts, outcomes, s.window_months)
    orders = {"town": towns, "future": scenarios, "lever": policies, "policy": policies,
              "outcome (code)": list(REPORT_OUTCOMES)}
    raw_effects = paired_effects(values, reference, s.bootstrap, s.confidence, s.seed)
    by = ["town", "scenario", "point", "policy", "outcome"]
    if not raw_effects.empty:
        raw_effects = raw_effects.merge(paired_spread(values, reference), on=by, how="left")
    else:
        raw_effects = raw_effects.assign(sd=pd.Series(dtype=float))
    good_of = {o.name: (None if o.name in NOT_JUDGED else o.good) for o in outcomes}
    raw_effects = status_array(raw_effects, good_of, s.confidence)
    raw_effects["judgement"] = raw_effects["status"]  # one vocabulary (sim/report/evidence.py)
    eff = raw_effects.rename(columns={"scenario": "future", "policy": "lever"})
    eff["label"] = eff["outcome"].map(lambda o: OUTCOMES[o].label)
    eff = _to_display(eff, ["mean", "ci_low", "ci_high", "reference_mean", "sd"], 1)
    eff["source of uncertainty"] = SOURCE_SEEDS
    eff = eff.rename(columns={"outcome": "outcome (code)"}).rename(columns={"label": "outcome"})
    eff = _ordered(eff[["town", "point", "future", "lever", "outcome", "unit", "mean",
                        "ci_low", "ci_high", "n", "sd", "status", "borderline",
                        "replicates needed", "judgement", "source of uncertainty",
                        "reference_mean", "outcome (code)"]],
                   {"town": towns, "lever": policies, "future": scenarios,
                    "outcome (code)": list(REPORT_OUTCOMES)})
    wide = pd.DataFrame()
    if not eff.empty:
        parts = []
        for o in outcomes:
            e = eff[eff["outcome (code)"] == o.name].set_index(["town", "point", "lever",
                                                                 "future"])
            head = f"{o.label} ({display(o.name)[1]})"
            parts.append(e[["mean", "ci_low", "ci_high", "status"]].rename(columns={
                "mean": f"{head} mean", "ci_low": f"{head} low", "ci_high": f"{head} high",
                "status": f"{head} judgement"}))
        wide = _ordered(pd.concat(parts, axis=1).reset_index(),
                        {"town": towns, "lever": policies, "future": scenarios})
    robust_scen = [x for x in (s.robustness_scenarios or []) if x in scenarios] or None
    rob = _ordered(_verdicts(eff, robust_scen), orders)
    levels = summarise(values, s.bootstrap, s.confidence, s.seed).rename(
        columns={"scenario": "future"})
    levels = _to_display(levels, ["mean", "sd", "ci_low", "ci_high"], 2)
    levels["outcome (code)"] = levels["outcome"]
    levels["outcome"] = levels["outcome"].map(lambda o: OUTCOMES[o].label)
    levels = _ordered(levels[["town", "point", "future", "policy", "outcome", "unit", "n", "mean",
                              "sd", "ci_low", "ci_high", "outcome (code)"]], orders)
    varied = {f["name"] for f in data.meta.get("factors", []) if f.get("kind") == "lever"}
    setup = _setup(data, reference, towns, scenarios, policies)
    starts = {f["future"]: f["start year"] for f in setup["futures"]
              if f["start year"] is not None}
    levers = lever_settings(policies, reference, varied, starts)
    real = realised(ts, manifest, policies)
    stock = stock_change(ts, manifest, reference, policies, s.window_months, s.bootstrap,
                         s.confidence, s.seed)
    conv = {}
    for sc in scenarios:
        try:
            from ..scenarios.loader import load_scenario

            conv[sc] = float(load_scenario(sc).params["conversion_cost"])
        except Exception:  # a scenario file moved since the sweep: no owners' outlay
            pass
    cost = cost_effectiveness(values, manifest, reference, data.units, s.bootstrap,
                              s.confidence, s.seed, conv)
    if not cost.empty:
        cost = _ordered(cost, {"town": towns, "future": scenarios, "policy": policies})
    if not rob.empty:
        notes.append("Public cost and housing added are reported but not judged: the verdicts "
                     "count the futures in which a lever improves vacancy, vacant floor area, "
                     "shops or footfall.")
    n_rep = int(manifest["replicate"].nunique())
    if n_rep < MIN_PAIRS and len(policies) > 1:
        notes.append(f"{n_rep} replicate{'s' if n_rep != 1 else ''} per future and policy: too "
                     f"few to judge (a verdict needs at least {MIN_PAIRS}; the tables say how "
                     "many each effect would need). The effects below are what these runs "
                     "did; one seed is one story.")
    if len(scenarios) == 1:
        notes.append("One future only: the [P31] verdict needs several futures to say whether a "
                     "lever is robust.")
    if int((manifest["status"] != "ok").sum()):
        notes.append(f"{int((manifest['status'] != 'ok').sum())} of {len(manifest)} runs did not "
                     "finish (failed or pending) and are left out; pairs need both runs.")
    from ..idle import spec_warnings

    try:
        from ..batch.spec import parse_spec

        warnings = spec_warnings(parse_spec(data.spec_raw, source="report",
                                            base=data.root)) if data.spec_raw else []
    except Exception:  # a spec that no longer parses (moved files): no warnings
        warnings = []
    labels = {a: policy_label(a) for a in policies}
    head = headline(eff.rename(columns={"outcome": "label", "outcome (code)": "outcome"}),
                    rob.rename(columns={"outcome": "label", "outcome (code)": "outcome"}),
                    cost, policies, reference, n_rep, len(scenarios), labels)
    # The deprecated column names (arm, arms) stay as duplicates at the end (sim/deprecation.py).
    levers, real, stock, levels, cost = (with_deprecated_columns(x) for x in
                                         (levers, real, stock, levels, cost))
    return ReportTables(setup, reference, outcomes, eff, wide, rob, levers, real, stock, levels,
                        values, notes, cost, head, warnings, calibration_statement())


def _setup(data: SweepData, reference: str, towns: list[str], scenarios: list[str],
           policies: list[str]) -> dict[str, Any]:
    """The question and set-up in plain words (seeds are in the reproduce section only)."""
    from ..scenarios.loader import load_scenario

    m, s = data.manifest, data.settings
    exp = data.spec_raw.get("experiment", {})
    futures = []
    for sc in scenarios:
        rows = m[m["scenario"] == sc]
        start = int(rows["start"].iloc[0]) if "start" in rows else None
        years = int(rows["years"].iloc[0]) if "years" in rows else None
        desc = ""
        # A scenario file is named relative to the spec that named it (as the sweep read it).
        source = data.meta.get("source")
        for where in (sc, *([str(Path(source).parent / sc)] if source else [])):
            try:
                desc = load_scenario(where).description
                break
            except Exception:  # a scenario file moved since the sweep: the name is enough
                continue
        futures.append({"future": sc, "name": future_label(sc), "description": desc,
                        "start year": start, "years": years,
                        "last month": f"December {start + years - 1}" if start and years
                        else None})
    seeds = m.drop_duplicates("replicate").sort_values("replicate")["seed"].tolist()
    n_rep = int(m["replicate"].nunique())
    counts = m["status"].value_counts()
    versions = data.meta.get("versions", {})
    facts = [
        ("experiment", data.meta.get("name") or exp.get("name", "")),
        ("towns", ", ".join(towns)),
        ("futures (scenarios)", ", ".join(future_label(x) for x in scenarios)),
        ("policies compared", ", ".join(policy_label(a) for a in policies)),
        ("compared with", policy_label(reference)),
        ("replicates per future and policy", n_rep),
        ("runs", f"{len(m)} ({int(counts.get('ok', 0))} finished, "
                 f"{int(counts.get('failed', 0))} failed, {int(counts.get('pending', 0))} "
                 "not run)"),
        ("outcome window", f"mean of the last {s.window_months} months of each run "
                           "(public cost and housing added: the total at the end)"),
        ("intervals", f"{s.confidence:.0%} bootstrap intervals of the mean over replicates "
                      f"({s.bootstrap:,} resamples); they hold the seeds' uncertainty only"),
        ("model version", versions.get("binnenstad", "unknown")),
        ("created", data.meta.get("created", "")),
    ]
    return {"facts": [(k, str(v)) for k, v in facts], "futures": futures, "towns": towns,
            "scenarios": scenarios, "policies": policies,
            "arms": policies,  # deprecated: use "policies"
            "replicates": n_rep, "seeds": seeds,
            "root_seed": exp.get("seed", 0), "town_seed": exp.get("town_seed", 0),
            "versions": versions, "git_commit": data.meta.get("git_commit"),
            "name": facts[0][1],
            "description": data.meta.get("description") or exp.get("description", ""),
            "n_points": int(m["point"].nunique()),
            "window": s.window_months, "confidence": s.confidence, "bootstrap": s.bootstrap}
