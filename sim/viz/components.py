"""The page's parts: the centre map and the three live charts (Solara components drawn with
matplotlib; SolaraViz lays them out and re-draws them after every step).

The map is custom because Mesa's space components draw agents on a space, while the centre's
map shows every unit, occupied or not, over the street network with the zones outlined and an
optional footfall layer; it uses the same drawing code as the run figures (`sim.figures`). The
charts read Mesa's `DataCollector` like Mesa's plot component, but draw faster (see
`chart_components`).
"""

from __future__ import annotations

import numpy as np
import solara
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from ..figures import (
    FUNCTION_COLOURS,
    SERIES_COLOURS,
    ZONE_COLOURS,
    ZONE_LABELS,
    ZONE_LINESTYLES,
    draw_centre,
    zone_outlines,
)
from ..functions import FUNCTION_NAMES
from . import adapter
from .model import FOOTFALL_SERIES, SHOP_SERIES, VACANCY_SERIES, CentreApp

#: Size of the map figure (inches) and of the charts, and the resolution of all images (dots per
#: inch): small images keep the page fast (see benchmarks/app_speed.py).
MAP_SIZE = (3.9, 3.9)
CHART_SIZE = (5.2, 3.6)
DPI = 80
#: Colours of the footfall key (the YlOrBr scale of `sim.figures.FOOTFALL_CMAP`, light to dark).
_FOOTFALL_KEY = ("#ffffe5", "#fee391", "#fe9929", "#cc4c02", "#662506")


def status_line(app: CentreApp) -> str:
    """One line on the state of the centre, with vacancy in plain words."""
    sim = app.sim
    if sim is None:
        return ""
    vacant, eligible = adapter.vacancy_counts(sim)
    rate = 100.0 * vacant / eligible if eligible else 0.0
    done = "; run complete" if not app.running else ""
    return (f"{adapter.date_label(sim)}: vacancy {rate:.1f}% ({vacant} of {eligible} shop units "
            f"empty), {adapter.shop_counts(sim)['shops']} shops{done}")


def map_figure(app: CentreApp, footfall_layer: bool = True) -> Figure:
    """The centre map of ``app`` as a bare matplotlib Figure (its key is `legend_html`)."""
    sim = app.sim
    assert sim is not None
    town = adapter.town(sim)
    if app.outlines is None:
        app.outlines = zone_outlines(town)
    state = adapter.map_state(sim)
    fig = Figure(figsize=MAP_SIZE, dpi=DPI)
    # A fixed layout (no tight_layout, no tight bounding box: each draws the figure once more)
    # and the key in HTML next to the image (text is the slowest thing matplotlib draws).
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    draw_centre(ax, town, state.function, area=state.area,
                node_footfall=state.node_footfall if footfall_layer else None,
                outlines=app.outlines, legend=None, colorbar=False, fontsize=7, frame=False)
    ax.set_title(f"{adapter.date_label(sim)} (month {adapter.months_done(sim)})", fontsize=9)
    return fig


def _swatch(css: str, label: str) -> str:
    return (f'<div style="display:flex;align-items:center;gap:5px;line-height:14px">'
            f'<span style="{css}"></span><span>{label}</span></div>')


def legend_html(app: CentreApp, footfall_layer: bool = True) -> str:
    """The map's key as HTML: zones, the functions on the map, vacancy, entries, footfall."""
    sim = app.sim
    assert sim is not None
    rows = []
    for zone in ("core", "aanloop", "fringe"):
        style = {"-": "solid", "--": "dashed", ":": "dotted"}[ZONE_LINESTYLES[zone]]
        rows.append(_swatch(f"width:16px;border-top:2px {style} {ZONE_COLOURS[zone]}",
                            ZONE_LABELS[zone]))
    state = adapter.map_state(sim)
    for code in sorted(set(state.function.astype(int).tolist())):
        name = FUNCTION_NAMES[code]
        if name == "vacant":
            continue
        rows.append(_swatch(f"width:9px;height:9px;border-radius:50%;border:1px solid #555;"
                            f"background:{FUNCTION_COLOURS[name]}", name.replace("_", " ")))
    rows.append('<div style="line-height:14px"><b>&#x2715;</b> vacant unit (vacancy)</div>')
    rows.append('<div style="line-height:14px">&#x25B3; entry point</div>')
    if footfall_layer:
        foot = state.node_footfall
        rows.append(_swatch(f"width:40px;height:8px;background:linear-gradient(to right, "
                            f"{', '.join(_FOOTFALL_KEY)})",
                            f"footfall {foot.min():,.0f} to {foot.max():,.0f} passers-by/day "
                            "(log scale)"))
    return f'<div style="font-size:11px;padding-top:4px">{"".join(rows)}</div>'


@solara.component
def CentreMap(app: CentreApp):
    """Status line (or the settings' error), a footfall-layer switch and the map with its key."""
    update_counter.get()
    footfall_layer = solara.use_reactive(True)
    with solara.Column(gap="0px"):
        if app.error:
            solara.Error(f"These settings cannot be simulated: {app.error}. Change them and "
                         "press Reset.", classes=["binnenstad-error"])
            return
        solara.Text(status_line(app), classes=["binnenstad-status"], style="font-size: 14px")
        solara.Checkbox(label="footfall layer (passers-by per day)", value=footfall_layer,
                        style="margin-top: 0px; height: 28px")
        with solara.Row(gap="4px", style="flex-wrap: nowrap"):
            solara.FigureMatplotlib(map_figure(app, footfall_layer.value), format="png",
                                    dpi=DPI)
            solara.HTML(unsafe_innerHTML=legend_html(app, footfall_layer.value),
                        classes=["binnenstad-legend"])


def chart_figure(app: CentreApp, series: dict, ylabel: str, title: str,
                 colours: dict[str, str], styles: dict[str, str] | None = None) -> Figure:
    """A time series chart of DataCollector columns ``series`` (x axis: calendar time)."""
    df = app.datacollector.get_model_vars_dataframe()
    start = app.settings.start
    fig = Figure(figsize=CHART_SIZE, dpi=DPI)
    # Fixed layout, no tight bounding box: one draw per frame.
    ax = fig.add_axes((0.13, 0.14, 0.84, 0.76))
    # Row k is the state after k months: the first day of month k + 1.
    dates = (np.datetime64(f"{start}-01", "M") + np.arange(len(df))).astype("datetime64[D]")
    for key, (_, label) in series.items():
        ax.plot(dates, df[key].to_numpy(dtype=float) if key in df else np.full(len(df), np.nan),
                color=colours[key], ls=(styles or {}).get(key, "-"), lw=1.6, label=label)
    locator = AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=2)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0.0)
    return fig


@solara.component
def Chart(app: CentreApp, series: dict, ylabel: str, title: str, colours: dict[str, str],
          styles: dict[str, str] | None = None):
    """A live chart (re-drawn at every step)."""
    update_counter.get()
    if app.error:
        return solara.Text("")
    solara.FigureMatplotlib(chart_figure(app, series, ylabel, title, colours, styles),
                            format="png", dpi=DPI)


def chart_components() -> list:
    """The three live charts: vacancy by zone, footfall by zone, shop counts.

    Mesa's ``make_plot_component`` draws the same kind of chart from the same DataCollector, but
    it saves every frame with a tight bounding box (two draws of the figure) and labels the x
    axis in steps; at one frame per month that alone kept the page below five months a second
    (benchmarks/app_speed.py). These charts draw once per frame, with calendar dates.
    """
    zones = ("core", "aanloop", "fringe")
    specs = [
        (VACANCY_SERIES, "vacancy (% of shop units)", "Vacancy by zone",
         {f"vacancy_{z}": ZONE_COLOURS[z] for z in ZONE_COLOURS},
         {f"vacancy_{z}": ZONE_LINESTYLES[z] for z in ZONE_LINESTYLES}),
        (FOOTFALL_SERIES, "passers-by per day", "Footfall in front of shop units",
         {f"footfall_{z}": ZONE_COLOURS[z] for z in zones},
         {f"footfall_{z}": ZONE_LINESTYLES[z] for z in zones}),
        (SHOP_SERIES, "shops", "Shop counts",
         {k: SERIES_COLOURS[i] for i, k in enumerate(SHOP_SERIES)}, None),
    ]

    def make(spec):
        def component(app: CentreApp):
            return Chart(app, *spec)
        return component

    return [make(spec) for spec in specs]
