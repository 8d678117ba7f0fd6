"""Write a report: ``DIR/report/index.html`` (one self-contained page from the Jinja2 template
``templates/report.html.j2``, figures embedded as base64 PNG, no external files, printable) and
``DIR/report/tables.xlsx`` (the same tables, one sheet each).

The report folder is built in a temporary folder beside it and moved into place only when every
file is written, so a failure never leaves a half-written report (the previous one, if any,
stays until the new one is complete).
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..batch.analysis import MAX_FIGURE_GROUPS, OUTCOMES
from ..deprecation import without_deprecated_columns
from ..safetext import protect_sheet
from .errors import ReportError
from .evidence import MIN_PAIRS, STATUS_CLASS, TOO_FEW, needed_words
from .evidence import NOT_JUDGED as NOT_JUDGED_WORD
from .headline import uncertainty_sources
from .tables import (
    NOT_JUDGED,
    ReportTables,
    build_tables,
    display,
    future_label,
    load_sweep,
    policy_label,
)

REPORT_DIR = "report"
HTML_FILE = "index.html"
XLSX_FILE = "tables.xlsx"
#: Outcomes drawn as figures (every outcome is in the tables).
FIGURE_OUTCOMES = ("vacancy_rate", "shops")


# ------------------------------------------------------------------------------ formatting
def fmt(x: Any, digits: int = 2) -> str:
    """A number as a planner reads it: thousands separators for large values, a few decimals
    for small ones; '-' for a missing value."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:,.1f}"
    return f"{x:,.{digits}f}"


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


# ------------------------------------------------------------------------------ figures
def _town_of(data: Any, town: str) -> Any:
    """The sweep's town geometry (preset or file, with the spec's town seed), or None."""
    from ..town_io import resolve_town

    exp = data.spec_raw.get("experiment", {})
    seed = int(exp.get("town_seed", 0))
    for spec in exp.get("towns", [town]):
        if spec == town or Path(str(spec)).stem == town:
            path = Path(str(spec))
            if not path.is_absolute() and path.suffix:
                path = data.root.parent / path if not path.exists() else path
            try:
                return resolve_town(str(path) if path.suffix else str(spec), seed=seed)
            except Exception:  # a town file moved since the sweep: maps without streets
                return None
    return None


def change_maps(t: ReportTables, data: Any) -> list[dict[str, str]]:
    """One map of change per policy (and town x point), as ``{title, caption, png, policy}``
    (``arm``: a deprecated duplicate of ``policy``)."""
    from ..figures import zone_outlines
    from .figures import change_map, unit_changes

    if data.units is None or len(t.setup["policies"]) < 2:
        return []
    ch = unit_changes(data.units, data.manifest, t.reference)
    if ch.empty:
        return []
    futures = {f: future_label(f) for f in t.setup["scenarios"]}
    out = []
    groups = ch[["town", "point"]].drop_duplicates().head(MAX_FIGURE_GROUPS)
    multi = len(groups) > 1
    for town, point in groups.itertuples(index=False):
        geo = _town_of(data, town)
        outlines = zone_outlines(geo) if geo is not None else None
        for policy in t.setup["policies"]:
            c = ch[(ch["town"] == town) & (ch["point"] == point) & (ch["policy"] == policy)]
            if c.empty:
                continue
            sub = f" - {town}, point {point}" if multi else ""
            fig = change_map(c, geo, outlines, policy_label(policy), futures,
                             policy_label(t.reference), sub)
            out.append({"policy": policy, "arm": policy,
                        "title": f"Where {policy_label(policy)} changes the centre{sub}",
                        "caption": "End of the run, each unit compared with the same unit "
                                   f"under {policy_label(t.reference)} in the same replicate "
                                   "(same seed), averaged over the replicates. Top: how much "
                                   "more (red) or less (blue) often the unit stands empty. "
                                   "Bottom: units whose use differs in most replicates, "
                                   "coloured by their new use.",
                        "png": _png(fig)})
    return out


def figures(t: ReportTables, ts: pd.DataFrame, manifest: pd.DataFrame) -> list[dict[str, str]]:
    """The report's figures as ``{title, caption, png}`` (base64): effect maps for vacancy and
    shops, the verdict map, and vacancy and shops over time per future and policy."""
    from ..batch.analysis import plot_timeseries
    from .figures import effect_map, verdict_map

    out = []
    futures = {f: future_label(f) for f in t.setup["scenarios"]}
    levers = {a: policy_label(a) for a in t.setup["policies"] if a != t.reference}
    groups = (t.values[["town", "point"]].drop_duplicates().sort_values(["town", "point"])
              .head(MAX_FIGURE_GROUPS))
    multi = len(groups) > 1
    for town, point in groups.itertuples(index=False):
        sub = f" - {town}, point {point}" if multi else ""
        e = t.effects[(t.effects["town"] == town) & (t.effects["point"] == point)]
        for o in t.outcomes:
            if o.name not in FIGURE_OUTCOMES or e[e["outcome (code)"] == o.name].empty:
                continue
            out.append({"title": f"Effect on {o.label}{sub}",
                        "caption": f"Mean effect against {policy_label(t.reference)} and its "
                                   f"{t.setup['confidence']:.0%} interval. Blue: helps, "
                                   "orange: harms (the interval excludes zero, with enough "
                                   "replicates); white: no clear effect; hatched grey: too "
                                   "few replicates to judge.",
                        "png": _png(effect_map(e, o.name, o.label, display(o.name)[1], o.good,
                                               futures, levers, sub))})
        r = t.verdicts[(t.verdicts["town"] == town) & (t.verdicts["point"] == point)]
        if not r.empty:
            out.append({"title": f"Verdict over the futures{sub}",
                        "caption": "Per policy and outcome, Platform31's rule [P31]: robust "
                                   "(helps in at least 3 of 4 futures), conditional, gamble "
                                   "(helps in one), does not help; hatched: too few replicates "
                                   "to judge.",
                        "png": _png(verdict_map(r, levers, sub))})
        man = manifest[(manifest["town"] == town) & (manifest["point"] == point)]
        man = man.assign(scenario=man["scenario"].map(lambda x: futures.get(x, x)),
                         policy=man["policy"].map(policy_label))
        for name in FIGURE_OUTCOMES:
            o = OUTCOMES[name]
            if o.column not in ts.columns:
                continue
            scale, _, unit = display(name)
            shown = ts[["run_id", "date", o.column]].assign(**{o.column: ts[o.column] * scale})
            out.append({"title": f"{o.label.capitalize()} over time{sub}",
                        "caption": "Mean over replicates per policy; band: 10-90% of "
                                   "replicates (the spread of single stories).",
                        "png": _png(plot_timeseries(shown, man, replace(o, unit=unit), sub))})
    return out


# ------------------------------------------------------------------------------ HTML context
def _cell_text(r: Any) -> str:
    word = str(r["status"])
    if word == TOO_FEW and not pd.isna(r["replicates needed"]):
        word += f" ({needed_words(int(r['replicates needed']))})"
    elif word == TOO_FEW:
        word += f" ({needed_words(None)})"
    if bool(r["borderline"]) and word in ("helps", "harms", "no clear effect"):
        word += ", borderline"
    return word


def _effect_groups(t: ReportTables) -> list[dict[str, Any]]:
    """Per town x point: the futures x levers table as rows of formatted cells."""
    groups = []
    if t.effects.empty:
        return groups
    heads = [{"label": o.label, "unit": display(o.name)[1],
              "good": {"lower": "lower is better", "higher": "higher is better"}.get(
                  o.good or "", "not judged") if o.name not in NOT_JUDGED else "not judged"}
             for o in t.outcomes]
    for (town, point), g in t.effects.groupby(["town", "point"], sort=False):
        rows = []
        for (lever, future), cell in g.groupby(["lever", "future"], sort=False):
            by = cell.set_index("outcome (code)")
            cells = []
            for o in t.outcomes:
                if o.name not in by.index:
                    cells.append({"mean": "-", "ci": "", "cls": "", "word": ""})
                    continue
                r = by.loc[o.name]
                has_ci = math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])
                cells.append({"mean": fmt(r["mean"]),
                              "ci": (f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]" if has_ci
                                     else f"no interval from {int(r['n'])} pair"
                                          f"{'s' if int(r['n']) != 1 else ''}"),
                              "cls": STATUS_CLASS.get(r["status"], "plain"),
                              "word": "" if r["status"] == NOT_JUDGED_WORD else _cell_text(r)})
            rows.append({"lever": policy_label(lever), "future": future_label(future),
                         "cells": cells, "n": int(cell["n"].iloc[0])})
        for i, row in enumerate(rows):
            first = i == 0 or rows[i - 1]["lever"] != row["lever"]
            row["span"] = sum(1 for r in rows if r["lever"] == row["lever"]) if first else 0
        groups.append({"town": town, "point": point, "heads": heads, "rows": rows})
    return groups


def _verdict_list(t: ReportTables) -> list[dict[str, Any]]:
    """Per lever: the verdict on vacancy and, for the other outcomes, the verdicts."""
    out = []
    v = t.verdicts
    if v.empty:
        return out
    for (town, point, lever), g in v.groupby(["town", "point", "lever"], sort=False):
        by = g.set_index("outcome (code)")
        head = by.loc["vacancy_rate"] if "vacancy_rate" in by.index else by.iloc[0]
        others = [f"{r['outcome']}: {r['verdict in words']}" for o, r in by.iterrows()
                  if o != head.name]
        out.append({"town": town, "point": point, "lever": policy_label(lever),
                    "outcome": head["outcome"], "headline": head["verdict in words"],
                    "verdict": str(head["verdict"]).replace(" ", "-"), "others": others})
    return out


def _cost_rows(cost: pd.DataFrame) -> dict[str, Any]:
    if cost.empty:
        return {"columns": [], "rows": []}

    def bound(x: float) -> str:
        return "unbounded" if x == math.inf else fmt(x)

    def ci(est: float, lo: float, hi: float) -> str:
        if not math.isfinite(est):
            return "-"
        return f"{fmt(est)} [{bound(lo)}, {bound(hi)}]" if math.isfinite(lo) else fmt(est)

    rows = []
    for r in cost.to_dict("records"):
        row = {"policy": policy_label(r["policy"]), "future": future_label(r["future"]),
               "pairs": r["pairs"],
               "extra public cost (EUR)": ci(r["extra public cost (EUR)"],
                                             r.get("extra public cost (EUR) low", math.nan),
                                             r.get("extra public cost (EUR) high", math.nan)),
               "extra dwellings": ci(r["extra dwellings"], r.get("extra dwellings low", math.nan),
                                     r.get("extra dwellings high", math.nan)),
               "public cost per extra dwelling (EUR)": (
                   ci(r["public cost per extra dwelling (EUR)"],
                      r["public cost per extra dwelling low"],
                      r["public cost per extra dwelling high"])
                   if math.isfinite(r["public cost per extra dwelling (EUR)"])
                   else "no extra dwellings"),
               "public cost per point of vacancy avoided (EUR)": (
                   ci(r["public cost per point of vacancy avoided (EUR)"],
                      r["public cost per point of vacancy avoided low"],
                      r["public cost per point of vacancy avoided high"])
                   if math.isfinite(r["public cost per point of vacancy avoided (EUR)"])
                   else "vacancy not lower")}
        if "owners' rent income, change (EUR/yr)" in r:
            row["owners' rent income, change (EUR/yr)"] = fmt(
                r["owners' rent income, change (EUR/yr)"])
            row["owners' conversion outlay, extra (EUR)"] = fmt(
                r["owners' conversion outlay, extra (EUR)"])
        row["how sure"] = r["how sure"] or "enough replicates"
        rows.append(row)
    df = pd.DataFrame(rows)
    return {"columns": list(df.columns), "rows": df.astype(str).values.tolist()}


def _rows(df: pd.DataFrame, digits: int = 2) -> dict[str, Any]:
    """A table as ``{columns, rows}`` of formatted strings."""
    rows = [[fmt(x, digits) if isinstance(x, float | int | np.floating | np.integer)
             and not isinstance(x, bool) else ("" if x is None else str(x)) for x in r]
            for r in df.itertuples(index=False)]
    return {"columns": list(df.columns), "rows": rows}


def _stock_rows(stock: pd.DataFrame) -> dict[str, Any]:
    if stock.empty:
        return {"columns": [], "rows": []}
    show = without_deprecated_columns(stock)
    for label in ("vacancy change (pp)", "of which more units used (pp)",
                  "of which fewer units counted (pp)"):
        show[label] = [f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]" for m, lo, hi in
                       zip(show[label], show[f"{label} low"], show[f"{label} high"],
                           strict=True)]
        show = show.drop(columns=[f"{label} low", f"{label} high"])
    show["future"] = show["future"].map(future_label)
    show["policy"] = show["policy"].map(policy_label)
    show = show.rename(columns={"pairs": "replicate pairs"})
    show.columns = [c.replace("(pp)", "(percentage points)") for c in show.columns]
    return _rows(_single(show))


def _single(df: pd.DataFrame) -> pd.DataFrame:
    """Without the town / point columns where the sweep has one of each."""
    drop = [c for c in ("town", "point") if c in df and df[c].nunique() <= 1]
    return df.drop(columns=drop)


def _reproduce(root: Path, t: ReportTables) -> dict[str, Any]:
    s = t.setup
    desc = s.get("description", "")
    cmds = []
    if desc.startswith("binnenstad compare"):
        cmds.append(desc)
    cmds.append(f"binnenstad sweep {root / 'spec.toml'} --out NEW_FOLDER")
    cmds.append("binnenstad report NEW_FOLDER")
    try:
        now = metadata.version("binnenstad")
    except metadata.PackageNotFoundError:
        now = "not installed"
    return {"commands": cmds, "versions": s.get("versions", {}),
            "git_commit": s.get("git_commit") or "unknown", "report_version": now,
            "seeds": ", ".join(str(x) for x in s.get("seeds", [])),
            "root_seed": s.get("root_seed", 0), "town_seed": s.get("town_seed", 0)}


def _realised_rows(real: pd.DataFrame) -> dict[str, Any]:
    if real.empty:
        return {"columns": [], "rows": []}
    show = without_deprecated_columns(real)
    show["future"] = show["future"].map(future_label)
    show["policy"] = show["policy"].map(policy_label)
    show = show.rename(columns={"runs": "replicates"})
    return _rows(_single(show), 1)


def _lever_rows(levers: pd.DataFrame) -> dict[str, Any]:
    if levers.empty:
        return {"columns": [], "rows": []}
    show = without_deprecated_columns(levers)
    show["lever"] = show["lever"].str.replace("_", " ")
    show["policies"] = show["policies"].map(lambda a: ", ".join(policy_label(x.strip())
                                                                for x in str(a).split(", ")))
    return _rows(show.rename(columns={"lever": "policy", "policies": "used in"}))


def _verdict_table(v: pd.DataFrame) -> dict[str, Any]:
    if v.empty:
        return {"columns": [], "rows": []}
    show = v.drop(columns=["outcome (code)", "verdict"]).copy()
    show["lever"] = show["lever"].map(policy_label)
    show["borderline"] = show["borderline"].map({True: "yes", False: "no"})
    return _rows(_single(show.rename(columns={"lever": "policy"})))


def context(root: Path, t: ReportTables, figs: list[dict[str, str]], spec_text: str,
            maps: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Everything the template shows."""
    s = t.setup
    labels = {a: policy_label(a) for a in s["policies"]}
    return {
        "title": f"What-if report: {s['name']}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "setup": s, "reference": policy_label(t.reference), "notes": t.notes,
        "warnings": t.warnings, "headline": t.headline,
        "futures": s["futures"], "outcomes": t.outcomes,
        "levers": [labels[a] for a in s["policies"] if a != t.reference],
        "future_names": [future_label(f) for f in s["scenarios"]],
        "effect_groups": _effect_groups(t), "verdicts": _verdict_list(t),
        "verdict_table": _verdict_table(t.verdicts),
        "lever_settings": _lever_rows(t.levers), "realised": _realised_rows(t.realised),
        "stock": _stock_rows(t.stock), "cost": _cost_rows(t.cost), "figures": figs,
        "maps": maps or [], "has_units": bool(maps), "spec_text": spec_text,
        "reproduce": _reproduce(root, t), "n_futures": len(s["scenarios"]),
        "confidence": f"{s['confidence']:.0%}", "min_pairs": MIN_PAIRS,
        "calibration": t.calibration,
        "uncertainty": _rows(uncertainty_sources(t.effects)),
    }


def render_html(ctx: dict[str, Any]) -> str:
    """The page from the package template (autoescaped)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("sim.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**ctx)


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """One sheet per table; column widths fitted to the contents."""
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            protect_sheet(ws)  # text starting with = + - @ stays text (sim/safetext.py)
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col)), *(len(str(v)) for v in df[col].head(200))])
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(
                    max(width + 2, 8), 60)


# ------------------------------------------------------------------------------ writing
def write_report(root: str | Path, with_figures: bool = True) -> Path:
    """Build ``root/report/`` (index.html, tables.xlsx) from the sweep in ``root``; return the
    report folder. Raises `ReportError` (before anything is written) if ``root`` holds no sweep
    with finished runs."""
    from ..outdir import ResultsFolder, ResultsFolderError

    root = Path(root)
    data = load_sweep(root)
    t = build_tables(data)
    figs = figures(t, data.timeseries, data.manifest) if with_figures else []
    maps = change_maps(t, data) if with_figures else []
    html = render_html(context(root, t, figs, data.spec_text, maps))
    # Replaced as a whole like a run's results (sim/outdir.py: temporary sibling, swap, lock).
    try:
        folder = ResultsFolder(root / REPORT_DIR, replaceable=None).open()
    except ResultsFolderError as exc:
        raise ReportError(str(exc)) from None
    try:
        folder.write(lambda tmp: ((tmp / HTML_FILE).write_text(html, encoding="utf-8"),
                                  write_xlsx(tmp / XLSX_FILE, t.sheets())))  # full disk: 1 line
        folder.commit()
    except ResultsFolderError as exc:
        raise ReportError(str(exc)) from None
    except BaseException:
        folder.abort()
        raise
    return folder.path
