"""PNG figures of a run: vacancy by zone over time, a map of functions and vacancies, and a
footfall heat map of the streets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .functions import FUNCTION_NAMES

if TYPE_CHECKING:
    from .runner import RunResult

#: One colour per function (vacant is drawn separately).
FUNCTION_COLOURS = {
    "daily": "#2ca02c", "fashion": "#d62728", "home": "#8c564b", "electronics": "#7f7f7f",
    "personal_care": "#e377c2", "leisure_goods": "#ff7f0e", "horeca": "#bcbd22",
    "services": "#17becf", "culture": "#9467bd", "maker": "#aec7e8", "office": "#c7c7c7",
    "housing": "#98df8a", "market": "#ffbb78", "vacant": "#000000",
}


def plot_vacancy(result: RunResult, ax=None):
    """Vacancy rate overall and by zone over time (percent)."""
    ts = result.timeseries
    ax = ax or plt.subplots(figsize=(8, 4.5))[1]
    styles = {"vacancy_rate": ("all", "black", 2.0), "vacancy_rate_core": ("core", "#d62728", 1.4),
              "vacancy_rate_aanloop": ("aanloop", "#ff7f0e", 1.4),
              "vacancy_rate_fringe": ("fringe", "#1f77b4", 1.4)}
    for col, (label, colour, lw) in styles.items():
        ax.plot(ts["date"], 100 * ts[col], label=label, color=colour, lw=lw)
    ax.set_ylabel("vacant retail-eligible units (%)")
    meta = result.meta
    ax.set_title(f"Vacancy by zone: {meta.get('scenario', '')}, {meta.get('town', '')}")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _streets(ax, town, colours=None, widths=None, cmap=None, norm=None):
    segs = np.stack([np.c_[town.node_x[town.edge_u], town.node_y[town.edge_u]],
                     np.c_[town.node_x[town.edge_v], town.node_y[town.edge_v]]], axis=1)
    lc = LineCollection(segs, colors="#dddddd" if colours is None else None,
                        linewidths=widths if widths is not None else 3, cmap=cmap, norm=norm,
                        zorder=1)
    if colours is not None:
        lc.set_array(colours)
    ax.add_collection(lc)
    return lc


def plot_map(result: RunResult, year: int | None = None, ax=None):
    """Units coloured by function in the last (or given) yearly snapshot; vacancies marked."""
    units = result.units
    year = int(units["year"].max()) if year is None else year
    snap = units[units["year"] == year]
    ax = ax or plt.subplots(figsize=(8, 8))[1]
    if result.town is not None:
        _streets(ax, result.town)
    for name in FUNCTION_NAMES:
        part = snap[snap["function"] == name]
        if len(part) == 0 or name == "vacant":
            continue
        ax.scatter(part["x"], part["y"], s=np.clip(part["floor_area"] / 8, 6, 120),
                   c=FUNCTION_COLOURS[name], label=name, edgecolors="none", zorder=2)
    vac = snap[snap["is_vacant"]]
    ax.scatter(vac["x"], vac["y"], s=40, marker="x", c="black", label="vacant", zorder=3)
    if result.town is not None:
        t = result.town
        ax.scatter(t.node_x[t.entry_node], t.node_y[t.entry_node], marker="^", s=90,
                   c="white", edgecolors="black", label="entry", zorder=4)
    ax.set_aspect("equal")
    ax.set_title(f"Functions and vacancies, end of {year}")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def plot_footfall(result: RunResult, ax=None):
    """Streets coloured by passers-by per day (last month, log scale)."""
    ax = ax or plt.subplots(figsize=(8, 7))[1]
    t, foot = result.town, result.node_footfall
    if t is None or foot is None:
        raise ValueError("footfall map needs the run's town and node footfall")
    edge_foot = 0.5 * (foot[t.edge_u] + foot[t.edge_v]) + 1.0
    norm = LogNorm(vmin=max(edge_foot.min(), 1.0), vmax=max(edge_foot.max(), 2.0))
    widths = 1.5 + 5 * (np.log(edge_foot) / max(np.log(edge_foot.max()), 1e-9))
    lc = _streets(ax, t, colours=edge_foot, widths=widths, cmap="inferno_r", norm=norm)
    ax.scatter(t.node_x[t.entry_node], t.node_y[t.entry_node], marker="^", s=80, c="white",
               edgecolors="black", zorder=4)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.figure.colorbar(lc, ax=ax, label="passers-by per day")
    ax.set_title("Footfall, last simulated month")
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
