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
from ..safetext import protect_sheet
from .errors import ReportError
from .tables import ReportTables, build_tables, display, load_sweep

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
def figures(t: ReportTables, ts: pd.DataFrame, manifest: pd.DataFrame) -> list[dict[str, str]]:
    """The report's figures as ``{title, caption, png}`` (base64): effect heat maps per outcome,
    the robustness matrix, and vacancy over time per future and arm."""
    from ..batch.analysis import plot_effects, plot_robustness, plot_timeseries

    out = []
    groups = (t.values[["town", "point"]].drop_duplicates().sort_values(["town", "point"])
              .head(MAX_FIGURE_GROUPS))
    multi = len(groups) > 1
    for town, point in groups.itertuples(index=False):
        sub = f" - {town}, point {point}" if multi else f" - {town}"
        e = t.effects[(t.effects["town"] == town) & (t.effects["point"] == point)].rename(
            columns={"future": "scenario", "lever": "policy"})
        e = e.assign(significant=(e["ci_low"] > 0) | (e["ci_high"] < 0))
        for o in t.outcomes:
            # The table gives every effect; the map is drawn for the headline outcome.
            if o.name not in FIGURE_OUTCOMES or e[e["outcome"] == o.name].empty:
                continue
            shown = replace(o, unit=display(o.name)[1])
            out.append({"title": f"Effect on {o.label}{sub}",
                        "caption": f"Mean effect against '{t.reference}' and its interval; bold: "
                                   "the interval excludes 0 (green good, red bad); grey: it "
                                   "does not.",
                        "png": _png(plot_effects(e, shown, sub))})
        r = t.verdicts[(t.verdicts["town"] == town) & (t.verdicts["point"] == point)]
        if not r.empty:
            r = r.rename(columns={"lever": "policy", "n_futures": "n_scenarios"})
            out.append({"title": f"Robustness over the futures{sub}",
                        "caption": "Per lever and outcome: futures where it helps (+) and harms "
                                   "(-), with the [P31] verdict.",
                        "png": _png(plot_robustness(r, sub))})
        man = manifest[(manifest["town"] == town) & (manifest["point"] == point)]
        for name in FIGURE_OUTCOMES:
            o = OUTCOMES[name]
            if o.column not in ts.columns:
                continue
            scale, _, unit = display(name)
            shown = ts[["run_id", "date", o.column]].assign(**{o.column: ts[o.column] * scale})
            out.append({"title": f"{o.label.capitalize()} over time{sub}",
                        "caption": "Mean over replicates per arm; band: 10-90% of replicates "
                                   "(the spread of single stories).",
                        "png": _png(plot_timeseries(shown, man, replace(o, unit=unit), sub))})
    return out


# ------------------------------------------------------------------------------ HTML context
def _effect_groups(t: ReportTables) -> list[dict[str, Any]]:
    """Per town x point: the futures x levers table as rows of formatted cells."""
    groups = []
    if t.effects.empty:
        return groups
    heads = [{"label": o.label, "unit": display(o.name)[1],
              "good": {"lower": "lower is better", "higher": "higher is better"}.get(
                  o.good or "", "no direction")} for o in t.outcomes]
    for (town, point), g in t.effects.groupby(["town", "point"], sort=False):
        rows = []
        for (lever, future), cell in g.groupby(["lever", "future"], sort=False):
            by = cell.set_index("outcome")
            cells = []
            for o in t.outcomes:
                if o.name not in by.index:
                    cells.append({"mean": "-", "ci": "", "cls": ""})
                    continue
                r = by.loc[o.name]
                cells.append({"mean": fmt(r["mean"]),
                              "ci": f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]",
                              "cls": r["judgement"] or "plain"})
            rows.append({"lever": lever, "future": future, "cells": cells,
                         "n": int(cell["n"].iloc[0])})
        # rowspan of the lever cell: rows of the same lever follow each other
        for i, row in enumerate(rows):
            first = i == 0 or rows[i - 1]["lever"] != row["lever"]
            row["span"] = sum(1 for r in rows if r["lever"] == row["lever"]) if first else 0
        groups.append({"town": town, "point": point, "heads": heads, "rows": rows})
    return groups


def _verdict_list(t: ReportTables) -> list[dict[str, Any]]:
    """Per lever: the headline verdict on vacancy and, for the other outcomes, the verdicts."""
    out = []
    v = t.verdicts
    if v.empty:
        return out
    labels = {o.name: o.label for o in t.outcomes}
    for (town, point, lever), g in v.groupby(["town", "point", "lever"], sort=False):
        by = g.set_index("outcome")
        head = by.loc["vacancy_rate"] if "vacancy_rate" in by.index else by.iloc[0]
        others = [f"{labels.get(o, o)}: {r['verdict in words']}"
                  + (f"; harms in {r['bad']} of {r['n_futures']}" if r["bad"] else "")
                  for o, r in by.iterrows() if o != head.name]
        out.append({"town": town, "point": point, "lever": lever,
                    "outcome": labels.get(head.name, head.name),
                    "headline": head["verdict in words"], "verdict": head["verdict"],
                    "harms": int(head["bad"]), "others": others})
    return out


def _rows(df: pd.DataFrame, digits: int = 2) -> dict[str, Any]:
    """A table as ``{columns, rows}`` of formatted strings."""
    rows = [[fmt(x, digits) if isinstance(x, float | int | np.floating | np.integer)
             and not isinstance(x, bool) else ("" if x is None else str(x)) for x in r]
            for r in df.itertuples(index=False)]
    return {"columns": list(df.columns), "rows": rows}


def _stock_rows(stock: pd.DataFrame) -> dict[str, Any]:
    if stock.empty:
        return {"columns": [], "rows": []}
    show = stock.copy()
    for label in ("vacancy change (pp)", "of which more units used (pp)",
                  "of which fewer units counted (pp)"):
        show[label] = [f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]" for m, lo, hi in
                       zip(show[label], show[f"{label} low"], show[f"{label} high"],
                           strict=True)]
        show = show.drop(columns=[f"{label} low", f"{label} high"])
    return _rows(show.drop(columns=["point"]) if show["point"].nunique() == 1 else show)


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
            "git_commit": s.get("git_commit") or "unknown", "report_version": now}


def context(root: Path, t: ReportTables, figs: list[dict[str, str]], spec_text: str
            ) -> dict[str, Any]:
    """Everything the template shows."""
    s = t.setup
    return {
        "title": f"What-if report: {s['name']}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "setup": s, "reference": t.reference, "notes": t.notes,
        "futures": s["futures"], "outcomes": t.outcomes,
        "levers": [a for a in s["arms"] if a != t.reference],
        "effect_groups": _effect_groups(t), "verdicts": _verdict_list(t),
        "verdict_table": _rows(t.verdicts.drop(columns=["town", "point"])
                               if t.verdicts["point"].nunique() <= 1 and
                               t.verdicts["town"].nunique() <= 1 else t.verdicts),
        "lever_settings": _rows(t.levers), "realised": _rows(t.realised, 1),
        "stock": _stock_rows(t.stock), "figures": figs, "spec_text": spec_text,
        "reproduce": _reproduce(root, t), "n_futures": len(s["scenarios"]),
        "confidence": f"{s['confidence']:.0%}",
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
    html = render_html(context(root, t, figs, data.spec_text))
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
