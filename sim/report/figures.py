"""The report's figures, colour-blind safe and readable in print.

- `effect_map`: futures x policies for one outcome; a cell is coloured only where the evidence
  carries a judgement (blue helps, orange harms: ColorBrewer's colour-blind-safe *RdBu* end
  colours, light tints so black text stays readable); hatched grey where there are too few
  replicates; white where there is no clear effect.
- `verdict_map`: policies x outcomes, coloured by the verdict word (robust dark blue,
  conditional light blue, gamble light orange, does not help white, too few replicates hatched
  grey): a gamble never looks like a win.
- `change_map`: for one policy, per future, where it changes vacancy (the share of replicates in
  which a unit stands empty, against no policy) and use (units whose use differs from no policy
  in most replicates), on the town's own streets.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..figures import FUNCTION_COLOURS, ZONE_COLOURS, ZONE_LABELS, ZONE_LINESTYLES, _streets
from .evidence import (
    CONDITIONAL,
    GAMBLE,
    HARMS,
    HELPS,
    NO_CHANGE,
    NO_HELP,
    ROBUST,
    TOO_FEW,
    UNCLEAR,
    UNDECIDED,
)

#: Cell colours by status (light tints of ColorBrewer RdBu, colour-blind safe; black text).
STATUS_COLOURS = {HELPS: "#92c5de", HARMS: "#f4a582", UNCLEAR: "#ffffff", NO_CHANGE: "#ffffff",
                  TOO_FEW: "#e0e0e0"}
#: Verdict colours: robust strongest, a gamble warm and light (never like a win).
VERDICT_COLOURS = {ROBUST: "#4393c3", CONDITIONAL: "#d1e5f0", GAMBLE: "#fddbc7",
                   NO_HELP: "#ffffff", UNDECIDED: "#e0e0e0"}
#: Diverging map of change in vacancy: blue = less often empty, vermillion = more often.
CHANGE_CMAP = "RdBu_r"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:,.1f}M"
    if a >= 1e3:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _cell(ax: Any, j: int, i: int, colour: str, hatch: bool) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour, edgecolor="#999999",
                           lw=0.6, hatch="///" if hatch else None))


def effect_map(effects: pd.DataFrame, outcome: str, label: str, unit: str, good: str | None,
               futures: dict[str, str], levers: dict[str, str], title: str = "") -> Figure:
    """Futures (columns) x policies (rows) of one outcome (see the module docstring)."""
    e = effects[effects["outcome (code)"] == outcome]
    pols = [p for p in levers if p in set(e["lever"])]
    scens = [f for f in futures if f in set(e["future"])]
    fig = Figure(figsize=(2.2 * len(scens) + 2.6, 0.75 * len(pols) + 1.9))
    ax = fig.subplots()
    for r in e.itertuples():
        i, j = pols.index(r.lever), scens.index(r.future)
        status = r.status if good else ""
        _cell(ax, j, i, STATUS_COLOURS.get(status, "#ffffff"), status == TOO_FEW)
        words = {HELPS: "helps", HARMS: "harms", UNCLEAR: "no clear effect",
                 NO_CHANGE: "no change", TOO_FEW: "too few replicates"}.get(status, "")
        if getattr(r, "borderline", False) and status in (HELPS, HARMS, UNCLEAR):
            words += " (borderline)"
        ax.text(j, i, f"{_fmt(r.mean)}\n[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]\n{words}",
                ha="center", va="center", fontsize=7.5, color="black",
                fontweight="bold" if status in (HELPS, HARMS) else "normal")
    ax.set_xlim(-0.5, len(scens) - 0.5)
    ax.set_ylim(len(pols) - 0.5, -0.5)
    ax.set_xticks(range(len(scens)), [futures[f] for f in scens], rotation=15, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(pols)), [levers[p] for p in pols], fontsize=8)
    better = {"lower": "lower is better", "higher": "higher is better"}.get(good or "",
                                                                            "not judged")
    ax.set_title(f"Effect on {label} ({unit}; {better}){title}", fontsize=9)
    handles = [Patch(facecolor=STATUS_COLOURS[HELPS], edgecolor="#999999", label="helps"),
               Patch(facecolor=STATUS_COLOURS[HARMS], edgecolor="#999999", label="harms"),
               Patch(facecolor="#ffffff", edgecolor="#999999", label="no clear effect"),
               Patch(facecolor=STATUS_COLOURS[TOO_FEW], edgecolor="#999999", hatch="///",
                     label="too few replicates to judge")]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def verdict_map(verdicts: pd.DataFrame, levers: dict[str, str], title: str = "") -> Figure:
    """Policies x outcomes coloured by the verdict word."""
    pols = [p for p in levers if p in set(verdicts["lever"])]
    outs = list(dict.fromkeys(verdicts["outcome"]))
    fig = Figure(figsize=(1.9 * len(outs) + 2.6, 0.7 * len(pols) + 1.9))
    ax = fig.subplots()
    for r in verdicts.itertuples():
        i, j = pols.index(r.lever), outs.index(r.outcome)
        _cell(ax, j, i, VERDICT_COLOURS.get(r.verdict, "#ffffff"), r.verdict == UNDECIDED)
        text = "too few\nreplicates" if r.verdict == UNDECIDED else (
            f"{r.verdict}\nhelps {r.helps}, harms {r.harms}\nof {r.futures}")
        ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color="black")
    ax.set_xlim(-0.5, len(outs) - 0.5)
    ax.set_ylim(len(pols) - 0.5, -0.5)
    ax.set_xticks(range(len(outs)), outs, rotation=15, ha="right", fontsize=8)
    ax.set_yticks(range(len(pols)), [levers[p] for p in pols], fontsize=8)
    ax.set_title(f"Verdict per policy and outcome over the futures{title}", fontsize=9)
    handles = [Patch(facecolor=c, edgecolor="#999999", hatch="///" if v == UNDECIDED else None,
                     label=v) for v, c in VERDICT_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


# ------------------------------------------------------------------------------ maps of change
def unit_changes(units: pd.DataFrame, manifest: pd.DataFrame, reference: str
                 ) -> pd.DataFrame:
    """Per town x point x future x policy x unit (last snapshot, paired by replicate): the change
    in the share of replicates in which the unit is empty (``d_vacant``, -1..1), the share of
    replicates in which its use differs from the reference's (``changed``), the policy's most
    common use where it differs, and the unit's position."""
    ok = manifest[manifest["status"] == "ok"][["run_id", "town", "scenario", "point",
                                               "policy", "replicate"]]
    # the store may already label each row with its run's town and scenario: the manifest's win
    u = units.drop(columns=[c for c in ok.columns if c != "run_id" and c in units.columns]
                   ).merge(ok, on="run_id")
    keys = ["town", "scenario", "point", "replicate", "unit_id"]
    ref = u[u["policy"] == reference][[*keys, "is_vacant", "function"]]
    other = u[u["policy"] != reference]
    d = other.merge(ref, on=keys, how="inner", suffixes=("", "_ref"))
    if d.empty:
        return pd.DataFrame()
    d["dv"] = d["is_vacant"].astype(float) - d["is_vacant_ref"].astype(float)
    d["changed"] = (d["function"].astype(str) != d["function_ref"].astype(str)) & ~d["is_vacant"]
    g = d.groupby(["town", "point", "scenario", "policy", "unit_id"], sort=False)
    out = g.agg(x=("x", "first"), y=("y", "first"), d_vacant=("dv", "mean"),
                changed=("changed", "mean"), pairs=("dv", "size")).reset_index()
    use = (d[d["changed"]].groupby(["town", "point", "scenario", "policy", "unit_id"])[
        "function"].agg(lambda s: s.astype(str).mode().iloc[0]).rename("new_use"))
    return out.merge(use.reset_index(), on=["town", "point", "scenario", "policy", "unit_id"],
                     how="left")


def change_map(changes: pd.DataFrame, town: Any, outlines: dict | None, policy_label: str,
               futures: dict[str, str], reference_label: str, title: str = "") -> Figure:
    """One policy: a column per future; top row the change in vacancy, bottom row the units
    whose use changed (see the module docstring)."""
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    scens = [f for f in futures if f in set(changes["scenario"])]
    fig = Figure(figsize=(3.3 * len(scens) + 1.6, 7.0))
    axes = np.atleast_2d(fig.subplots(2, len(scens), squeeze=False))
    norm = Normalize(-1.0, 1.0)
    sc_handle = None
    for j, sc in enumerate(scens):
        c = changes[changes["scenario"] == sc]
        for i in range(2):
            ax = axes[i, j]
            if town is not None:
                _streets(ax, town)
                for name, lines in (outlines or {}).items():
                    for line in lines:
                        ax.plot(line[:, 0], line[:, 1], color=ZONE_COLOURS[name],
                                ls=ZONE_LINESTYLES[name], lw=1.0, zorder=2)
            if i == 0:
                sc_handle = ax.scatter(c["x"], c["y"], c=c["d_vacant"], cmap=CHANGE_CMAP,
                                       norm=norm, s=22, edgecolors="#555555", linewidths=0.3,
                                       zorder=3)
                ax.set_title(futures[sc], fontsize=9)
            else:
                same = c[~(c["changed"] >= 0.5)]
                ax.scatter(same["x"], same["y"], s=10, c="#dddddd", edgecolors="#aaaaaa",
                           linewidths=0.3, zorder=3)
                moved = c[c["changed"] >= 0.5]
                ax.scatter(moved["x"], moved["y"], s=34,
                           c=[FUNCTION_COLOURS.get(str(f), "#000000") for f in moved["new_use"]],
                           edgecolors="black", linewidths=0.8, zorder=4, marker="s")
            ax.set_aspect("equal")
            ax.set_axis_off()
    if sc_handle is not None:
        bar = fig.colorbar(sc_handle, ax=list(axes[0]), shrink=0.8, fraction=0.03, pad=0.02)
        bar.set_label("change in the share of replicates in which\nthe unit is empty "
                      "(+: more often, -: less often)", fontsize=8)
        bar.set_ticks([-1, -0.5, 0, 0.5, 1], labels=["-100%", "-50%", "0", "+50%", "+100%"])
        bar.ax.tick_params(labelsize=7)
    uses = sorted({str(f) for f in changes.loc[changes["changed"] >= 0.5, "new_use"].dropna()})
    handles = [Line2D([], [], ls="", marker="s", markerfacecolor=FUNCTION_COLOURS.get(f, "#000"),
                      markeredgecolor="black", label=f"now {f.replace('_', ' ')}") for f in uses]
    handles.append(Line2D([], [], ls="", marker="o", markerfacecolor="#dddddd",
                          markeredgecolor="#aaaaaa", label="same use as with "
                          f"{reference_label}"))
    handles += [Line2D([], [], color=ZONE_COLOURS[z], ls=ZONE_LINESTYLES[z],
                       label=ZONE_LABELS[z]) for z in ("core", "aanloop", "fringe")]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=7,
               frameon=False)
    n = int(changes["pairs"].max()) if len(changes) else 0
    fig.suptitle(f"Where {policy_label} changes the centre against {reference_label} (end of the "
                 f"run; mean over {n} replicate pair{'s' if n != 1 else ''}){title}\n"
                 "top: vacancy (blue = empty less often, red = more often); bottom: units "
                 "whose use differs in most replicates", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.86, top=0.88, bottom=0.1, wspace=0.05, hspace=0.08)
    return fig
