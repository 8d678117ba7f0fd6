"""Figures of runs and experiments (matplotlib, colour-blind-safe palettes).

Run figures (written by ``binnenstad run``): vacancy by zone over time, the map of functions and
vacancies with the zones outlined, and the footfall map. Experiment figures: a scenario
comparison with bands over replicates (`plot_scenarios`) and policy effects with intervals
(`plot_policy_effects`). `draw_centre` draws the map; the interactive app (`sim.viz`) and the
animations (`sim.animate`) use it too, so a centre looks the same everywhere.

Palettes: Okabe & Ito (2008) for zones and series (scenarios), Paul Tol's *muted* and *light*
schemes for unit functions, the ColorBrewer *YlOrBr* scale for footfall. Vacancy is shown by
shape (a black cross), zones by line style as well as colour, so no figure relies on telling
two hues apart.

Every function draws on the ``ax`` it is given (or a new one) and never changes the matplotlib
backend or global style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .functions import FUNCTION_NAMES, ZONE_NAMES, Function

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .runner import RunResult
    from .town import Town

# ------------------------------------------------------------------------------------ palettes
#: Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable with every common
#: colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
#: Colours for series (scenarios, policies) in order; yellow last (weak on white).
SERIES_COLOURS = tuple(OKABE_ITO[k] for k in (
    "blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black",
    "yellow"))
#: Marker per series, so series differ by shape as well as colour.
SERIES_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
#: Line style per series.
SERIES_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--")

#: Zone colour and line style (Okabe-Ito); ``all`` is the whole centre.
ZONE_COLOURS = {"all": OKABE_ITO["black"], "core": OKABE_ITO["vermillion"],
                "aanloop": OKABE_ITO["bluish_green"], "fringe": OKABE_ITO["blue"]}
ZONE_LINESTYLES = {"all": "-", "core": "-", "aanloop": "--", "fringe": ":"}
ZONE_LABELS = {"all": "whole centre", "core": "core (kernwinkelgebied)",
               "aanloop": "aanloop (approach streets)", "fringe": "fringe"}

#: One colour per unit function, from Paul Tol's muted and light schemes (vacant units are drawn
#: as black crosses; housing and offices in greys, as background to the commercial mix).
FUNCTION_COLOURS = {
    "daily": "#117733", "fashion": "#CC6677", "home": "#DDCC77", "electronics": "#332288",
    "personal_care": "#AA4499", "leisure_goods": "#882255", "horeca": "#88CCEE",
    "services": "#44AA99", "culture": "#EE8866", "maker": "#BBCC33", "office": "#AAAAAA",
    "housing": "#DDDDDD", "market": "#EEDD88", "vacant": "#000000",
}
_FUNCTION_RGBA = np.array([to_rgba(FUNCTION_COLOURS[n])
                           for n in FUNCTION_NAMES])
#: Sequential colour map of footfall (ColorBrewer YlOrBr; colour-blind safe, prints in grey).
FOOTFALL_CMAP = "YlOrBr"
_STREET_GREY = "#c8c8c8"


# ------------------------------------------------------------------------------------ the map
def zone_outlines(town: Town, reach: float = 20.0, max_cells: int = 500) -> dict[str, list]:
    """Outlines of the zones: for each zone name, a list of (k, 2) arrays of x, y (m).

    A zone's area is every point within ``reach`` metres of one of its street nodes or units
    whose nearest node or unit belongs to the zone; it is rasterised (at most ``max_cells`` cells
    a side), smoothed by one cell and contoured at one half. Compute once per town and pass the
    result to `draw_centre` (zones do not change during a run).
    """
    import contourpy
    from scipy.ndimage import gaussian_filter
    from scipy.spatial import cKDTree

    px = np.r_[town.node_x, town.unit_x]
    py = np.r_[town.node_y, town.unit_y]
    pz = np.r_[town.node_zone, town.unit_zone].astype(np.int64)
    lo_x, hi_x = px.min() - 2 * reach, px.max() + 2 * reach
    lo_y, hi_y = py.min() - 2 * reach, py.max() + 2 * reach
    cell = max(reach / 4.0, max(hi_x - lo_x, hi_y - lo_y) / max_cells)
    gx = np.arange(lo_x, hi_x + cell, cell)
    gy = np.arange(lo_y, hi_y + cell, cell)
    xx, yy = np.meshgrid(gx, gy)
    dist, nearest = cKDTree(np.column_stack([px, py])).query(
        np.column_stack([xx.ravel(), yy.ravel()]), distance_upper_bound=reach)
    label = np.where(np.isfinite(dist), pz[np.minimum(nearest, len(pz) - 1)], -1)
    label = label.reshape(xx.shape)
    out: dict[str, list] = {}
    for code, name in enumerate(ZONE_NAMES):
        field = gaussian_filter((label == code).astype(float), 1.0)
        lines = contourpy.contour_generator(gx, gy, field).lines(0.5)
        out[name] = [np.asarray(line) for line in lines if len(line) >= 4]
    return out


def _street_segments(town: Town) -> np.ndarray:
    return np.stack([np.c_[town.node_x[town.edge_u], town.node_y[town.edge_u]],
                     np.c_[town.node_x[town.edge_v], town.node_y[town.edge_v]]], axis=1)


def _streets(ax: Axes, town: Town, colours=None, widths=None, cmap=None, norm=None):
    lc = LineCollection(_street_segments(town), colors=_STREET_GREY if colours is None else None,
                        linewidths=widths if widths is not None else 3, cmap=cmap, norm=norm,
                        zorder=1, capstyle="round")
    if colours is not None:
        lc.set_array(colours)
    ax.add_collection(lc)
    return lc


def _footfall_streets(ax: Axes, town: Town, node_footfall: np.ndarray, colorbar: bool,
                      fontsize: float = 10.0, location: str = "right"):
    """Streets coloured and widened by passers-by per day (log scale)."""
    edge_foot = 0.5 * (node_footfall[town.edge_u] + node_footfall[town.edge_v]) + 1.0
    top = max(float(edge_foot.max()), 2.0)
    norm = LogNorm(vmin=max(float(edge_foot.min()), 1.0), vmax=top)
    widths = 1.5 + 5.0 * np.log(edge_foot) / max(np.log(top), 1e-9)
    lc = _streets(ax, town, colours=edge_foot, widths=widths, cmap=FOOTFALL_CMAP, norm=norm)
    if colorbar:
        bar = ax.figure.colorbar(lc, ax=ax, shrink=0.7, pad=0.02 if location == "right" else 0.1,
                                 fraction=0.05, location=location)
        bar.set_label("passers-by per day", fontsize=fontsize)
        bar.ax.tick_params(labelsize=0.8 * fontsize)
        # Plain numbers (10, 100, 1000): mathtext powers of ten cost more to draw than the map.
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        bar.ax.minorticks_off()
    return lc


def draw_centre(
    ax: Axes,
    town: Town,
    function: np.ndarray | None = None,
    *,
    area: np.ndarray | None = None,
    node_footfall: np.ndarray | None = None,
    outlines: Mapping[str, list] | None = None,
    legend: str | None = "outside",
    colorbar: bool = True,
    entries: bool = True,
    fontsize: float = 7.0,
    frame: bool = True,
    unit_xy: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Draw the centre on ``ax``: streets, zone outlines, units and entry points.

    Args:
        ax: matplotlib axes (its aspect is set to equal, axes in metres).
        town: the centre's geometry.
        function: function code per unit (`sim.functions.Function`); default: the town's initial
            functions. Units with function ``vacant`` are drawn as black crosses (vacancy).
        area: floor area per unit (m2), sets the dot size; default: the town's floor areas.
        node_footfall: passers-by per day per street node; when given, streets are coloured by
            it (the footfall layer), otherwise drawn in grey.
        outlines: result of `zone_outlines` (computed here if None; pass it when drawing the same
            town repeatedly).
        legend: ``"outside"`` (right of the axes), ``"inside"`` or None.
        colorbar: add a footfall colour bar (only with ``node_footfall``).
        entries: mark the entry points (triangles).
        fontsize: font size of the legend and colour bar.
        frame: draw axes with metre ticks; False draws a 100 m scale bar instead.
        unit_xy: positions (x, y in m) of the units ``function`` and ``area`` describe, when
            they are not the town's own units (after merges and splits a run's snapshot has
            other units than the town it started from; streets, zones and entries stay).
    """
    function = town.function if function is None else np.asarray(function)
    area = town.floor_area if area is None else np.asarray(area)
    ux, uy = (town.unit_x, town.unit_y) if unit_xy is None else (
        np.asarray(unit_xy[0], float), np.asarray(unit_xy[1], float))
    if not len(ux) == len(function) == len(area):
        raise ValueError(f"draw_centre: {len(function)} functions and {len(area)} floor areas "
                         f"for {len(ux)} units; give unit_xy for units other than the town's")
    outlines = zone_outlines(town) if outlines is None else outlines
    if node_footfall is None:
        _streets(ax, town)
    else:
        # With the legend on the right, the colour bar goes left so they do not overlap.
        _footfall_streets(ax, town, np.asarray(node_footfall, dtype=float), colorbar,
                          fontsize=fontsize + 1,
                          location="left" if legend == "outside" else "right")
    handles: list[Any] = []
    for name in ZONE_NAMES:
        for line in outlines.get(name, []):
            ax.plot(line[:, 0], line[:, 1], color=ZONE_COLOURS[name],
                    ls=ZONE_LINESTYLES[name], lw=1.4, zorder=2)
        if outlines.get(name):
            handles.append(Line2D([], [], color=ZONE_COLOURS[name], ls=ZONE_LINESTYLES[name],
                                  lw=1.4, label=ZONE_LABELS[name]))
    vacant = function == Function.VACANT
    occupied = ~vacant
    sizes = np.clip(area / 8.0, 6.0, 120.0)
    ax.scatter(ux[occupied], uy[occupied], s=sizes[occupied],
               c=_FUNCTION_RGBA[function[occupied].astype(np.int64)], edgecolors="#555555",
               linewidths=0.3, zorder=3)
    ax.scatter(ux[vacant], uy[vacant], s=34, marker="x", c="black", linewidths=1.3, zorder=4)
    present = np.unique(function[occupied].astype(np.int64))
    handles += [Line2D([], [], ls="", marker="o", markersize=6, markerfacecolor=_FUNCTION_RGBA[f],
                       markeredgecolor="#555555", markeredgewidth=0.3,
                       label=FUNCTION_NAMES[f].replace("_", " ")) for f in present]
    handles.append(Line2D([], [], ls="", marker="x", color="black", markersize=6,
                          label="vacant unit"))
    if entries:
        e = town.entry_node
        ax.scatter(town.node_x[e], town.node_y[e], marker="^", s=80, c="white",
                   edgecolors="black", zorder=5)
        handles.append(Line2D([], [], ls="", marker="^", markerfacecolor="white",
                              markeredgecolor="black", markersize=7, label="entry point"))
    ax.autoscale_view()
    ax.set_aspect("equal")
    if frame:
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
    else:
        ax.set_axis_off()
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
        ax.plot([bx, bx + 100.0], [by, by], color="black", lw=2, zorder=6)
        ax.text(bx + 50.0, by + 0.015 * (y1 - y0), "100 m", ha="center", va="bottom",
                fontsize=fontsize, zorder=6)
    if legend == "outside":
        ax.legend(handles=handles, fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  frameon=False)
    elif legend == "inside":
        ax.legend(handles=handles, fontsize=fontsize, loc="best", framealpha=0.85)


# ------------------------------------------------------------------------------------ run figures
def _one_seed(result: RunResult) -> str:
    """Title suffix of a single-run figure: which seed it is (one seed is one story)."""
    seed = (result.meta or {}).get("seed")
    return f"\n(one run, seed {seed}: one possible story, not an average)" if seed is not None \
        else ""


def plot_vacancy(result: RunResult, ax: Axes | None = None) -> Axes:
    """Vacancy rate overall and by zone over time (percent)."""
    ts = result.timeseries
    ax = ax or plt.subplots(figsize=(8, 4.5))[1]
    for zone in ("all", *ZONE_NAMES):
        col = "vacancy_rate" if zone == "all" else f"vacancy_rate_{zone}"
        ax.plot(ts["date"], 100 * ts[col], label=ZONE_LABELS[zone], color=ZONE_COLOURS[zone],
                ls=ZONE_LINESTYLES[zone], lw=2.0 if zone == "all" else 1.4)
    ax.set_ylabel("vacancy (% of retail-eligible units)")
    meta = result.meta
    ax.set_title(f"Vacancy by zone: {meta.get('scenario', '')}, {meta.get('town', '')}"
                 f"{_one_seed(result)}")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _function_codes(names: pd.Series) -> np.ndarray:
    index = {n: i for i, n in enumerate(FUNCTION_NAMES)}
    return names.map(index).to_numpy(dtype=np.int64)


def plot_map(result: RunResult, year: int | None = None, ax: Axes | None = None) -> Axes:
    """Units coloured by function in the last (or given) yearly snapshot, vacancies marked,
    zones outlined."""
    units = result.units
    year = int(units["year"].max()) if year is None else year
    snap = units[units["year"] == year].sort_values("unit_id")
    ax = ax or plt.subplots(figsize=(8, 8))[1]
    if result.town is not None:
        # The snapshot's own units (merged and split ones included) on the town's streets.
        draw_centre(ax, result.town, _function_codes(snap["function"]),
                    area=snap["floor_area"].to_numpy(),
                    unit_xy=(snap["x"].to_numpy(), snap["y"].to_numpy()))
    else:  # no geometry: units only
        for name in FUNCTION_NAMES:
            part = snap[(snap["function"] == name) & ~snap["is_vacant"]]
            if len(part):
                ax.scatter(part["x"], part["y"], s=np.clip(part["floor_area"] / 8, 6, 120),
                           c=FUNCTION_COLOURS[name], label=name, zorder=2)
        vac = snap[snap["is_vacant"]]
        ax.scatter(vac["x"], vac["y"], s=34, marker="x", c="black", label="vacant unit")
        ax.set_aspect("equal")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title(f"Functions and vacancy, end of {year}{_one_seed(result)}")
    return ax


def plot_footfall(result: RunResult, ax: Axes | None = None) -> Axes:
    """Streets coloured by passers-by per day (last month, log scale), zones outlined."""
    ax = ax or plt.subplots(figsize=(8, 7))[1]
    t, foot = result.town, result.node_footfall
    if t is None or foot is None:
        raise ValueError("footfall map needs the run's town and node footfall")
    outlines = zone_outlines(t)
    _footfall_streets(ax, t, np.asarray(foot, dtype=float), colorbar=True)
    handles = []
    for name in ZONE_NAMES:
        for line in outlines[name]:
            ax.plot(line[:, 0], line[:, 1], color=ZONE_COLOURS[name], ls=ZONE_LINESTYLES[name],
                    lw=1.2, zorder=2)
        if outlines[name]:
            handles.append(Line2D([], [], color=ZONE_COLOURS[name], ls=ZONE_LINESTYLES[name],
                                  label=ZONE_LABELS[name]))
    ax.scatter(t.node_x[t.entry_node], t.node_y[t.entry_node], marker="^", s=80, c="white",
               edgecolors="black", zorder=4)
    handles.append(Line2D([], [], ls="", marker="^", markerfacecolor="white",
                          markeredgecolor="black", markersize=7,
                          label="entry point (car park, station, ...)"))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.legend(handles=handles, fontsize=7, loc="lower left", frameon=False)
    ax.set_title(f"Footfall, last simulated month{_one_seed(result)}")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    return ax


def write_figures(result: RunResult, folder: Path) -> list[Path]:
    """Write vacancy_by_zone.png, map.png and footfall.png into ``folder``."""
    paths = []
    for name, fn, size in (("vacancy_by_zone.png", plot_vacancy, (8, 4.5)),
                           ("map.png", plot_map, (9.5, 8)),
                           ("footfall.png", plot_footfall, (8.5, 7))):
        if fn is not plot_vacancy and result.town is None:
            continue
        # A bare Figure (no pyplot): files are written the same way in a terminal, a notebook or
        # a worker process, and the user's interactive backend is left alone.
        fig = Figure(figsize=size)
        ax = fig.add_subplot()
        fn(result, ax=ax)
        fig.tight_layout()
        path = Path(folder) / name
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------------ experiments
def _require(df: pd.DataFrame, columns: Sequence[str], who: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        has = ", ".join(map(str, df.columns))
        raise ValueError(f"{who}: column(s) {', '.join(map(repr, missing))} missing; the "
                         f"DataFrame needs {', '.join(columns)} (has {has})")


def _is_fraction(outcome: str) -> bool:
    return "rate" in outcome or "share" in outcome or outcome.startswith("vacancy_structural")


def plot_scenarios(
    df: pd.DataFrame,
    outcome: str = "vacancy_rate",
    *,
    time: str = "date",
    band: tuple[float, float] | str | None = (0.1, 0.9),
    percent: bool | None = None,
    ax: Axes | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Compare scenarios: per scenario, the mean over replicates and a band across replicates.

    Args:
        df: tidy time series, one row per scenario, replicate and time, with columns
            ``scenario``, ``replicate``, ``time`` and ``outcome`` (e.g. the ``timeseries`` tables
            of several runs concatenated with a scenario and replicate column).
        outcome: column to plot.
        time: column on the x axis (``date``, ``step`` or ``year``).
        band: quantiles of the replicates spanned by the shaded band (default 10% to 90%),
            ``"range"`` for minimum to maximum, or None for no band.
        percent: show the outcome in percent; default: when its name says it is a rate or share.
        ax: axes to draw on.
        ylabel, title: override the labels.
        legend: draw a legend (switch it off on all but one panel of a multi-panel figure).

    Scenarios are drawn in order of first appearance, each with its own colour and line style.
    """
    _require(df, ["scenario", "replicate", time, outcome], "plot_scenarios")
    if isinstance(band, str) and band != "range":
        raise ValueError(f"plot_scenarios: band {band!r} not allowed; allowed: a pair of "
                         "quantiles such as (0.1, 0.9), 'range' or None")
    ax = ax or plt.subplots(figsize=(8, 4.5))[1]
    scale = 100.0 if (_is_fraction(outcome) if percent is None else percent) else 1.0
    n_rep = int(df.groupby("scenario")["replicate"].nunique().min()) if len(df) else 0
    for i, (scenario, part) in enumerate(df.groupby("scenario", sort=False)):
        g = part.groupby(time, sort=True)[outcome]
        mean = g.mean() * scale
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        ax.plot(mean.index, mean.to_numpy(), color=colour,
                ls=SERIES_LINESTYLES[i % len(SERIES_LINESTYLES)], lw=1.8, label=str(scenario))
        if band is not None and part["replicate"].nunique() > 1:
            if band == "range":
                lo, hi = g.min() * scale, g.max() * scale
            else:
                lo, hi = g.quantile(band[0]) * scale, g.quantile(band[1]) * scale
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.18,
                            lw=0)
    what = outcome.replace("_", " ") + (" (%)" if scale == 100.0 else "")
    ax.set_ylabel(ylabel or what)
    ax.set_xlabel(time)
    if pd.api.types.is_datetime64_any_dtype(df[time]):
        # Concise dates (2018, Apr, Jul, ...): full dates overlap on a narrow panel.
        locator = mdates.AutoDateLocator(maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if band is None:
        spread = "no band"
    elif band == "range":
        spread = "band: lowest to highest replicate"
    else:
        spread = f"band: {100 * band[0]:g}% to {100 * band[1]:g}% of replicates"
    ax.set_title(title or f"{outcome.replace('_', ' ')} by scenario "
                          f"(mean of {n_rep} replicates; {spread})", fontsize=10)
    if legend:
        ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_policy_effects(
    df: pd.DataFrame,
    *,
    outcomes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Forest plot of policy effects: one panel per outcome, one row per policy, one marker with
    its interval per scenario; the vertical line marks no effect.

    Args:
        df: one row per scenario, policy and outcome with columns ``scenario``, ``policy``,
            ``outcome``, ``mean`` (the effect, e.g. policy minus no-policy with common random
            numbers), ``ci_low`` and ``ci_high`` (its interval).
        outcomes: outcomes to show, in order (default: all, in order of first appearance).
        labels: axis label per outcome (default: the outcome name).
        fig: figure to draw in (default: a new bare `Figure`).

    A policy whose interval lies on the same side of zero in most scenarios is robust in the
    sense of the Platform31 rule (works in three or four futures) [P31].
    """
    _require(df, ["scenario", "policy", "outcome", "mean", "ci_low", "ci_high"],
             "plot_policy_effects")
    outcomes = list(dict.fromkeys(df["outcome"])) if outcomes is None else list(outcomes)
    unknown = [o for o in outcomes if o not in set(df["outcome"])]
    if unknown:
        raise ValueError(f"plot_policy_effects: outcome {unknown[0]!r} not in the DataFrame; "
                         f"allowed: {', '.join(dict.fromkeys(df['outcome']))}")
    policies = list(dict.fromkeys(df["policy"]))
    scenarios = list(dict.fromkeys(df["scenario"]))
    labels = dict(labels or {})
    if fig is None:
        fig = Figure(figsize=(1.6 + 3.2 * len(outcomes), 1.2 + 0.42 * len(policies)
                              * max(1.0, len(scenarios) / 3)))
    axes = fig.subplots(1, len(outcomes), sharey=True, squeeze=False)[0]
    m = len(scenarios)
    offsets = (np.arange(m) - (m - 1) / 2) * (0.7 / max(m, 1))
    row = {p: i for i, p in enumerate(policies)}
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = df[df["outcome"] == outcome]
        for j, scenario in enumerate(scenarios):
            s = part[part["scenario"] == scenario]
            if s.empty:
                continue
            y = s["policy"].map(row).to_numpy(dtype=float) + offsets[j]
            mean = s["mean"].to_numpy(dtype=float)
            err = np.vstack([mean - s["ci_low"].to_numpy(dtype=float),
                             s["ci_high"].to_numpy(dtype=float) - mean])
            ax.errorbar(mean, y, xerr=np.clip(err, 0, None), ls="",
                        marker=SERIES_MARKERS[j % len(SERIES_MARKERS)], markersize=5,
                        color=SERIES_COLOURS[j % len(SERIES_COLOURS)], elinewidth=1.4,
                        capsize=2, label=str(scenario))
        ax.axvline(0.0, color="0.4", lw=0.9, zorder=0)
        ax.set_xlabel(labels.get(outcome, outcome.replace("_", " ")))
        ax.set_title(outcome.replace("_", " "), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(policies)), [str(p) for p in policies])
    axes[0].set_ylim(len(policies) - 0.5, -0.5)
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=min(m, 4), frameon=False,
                   fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("Policy effects (mean and interval; vertical line: no effect)", fontsize=11)
    fig.tight_layout(rect=(0, 0.08 if m else 0, 1, 0.97))
    return fig
