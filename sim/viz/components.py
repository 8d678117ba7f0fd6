"""The page's parts: the centre map and the three live charts, drawn in the browser with ECharts
(bundled in solara-assets, so offline); SolaraViz lays them out and re-draws them after every
step. The server only sends the data (about 10 ms for the map of a medium town, 1 ms a chart)
instead of drawing images (60-150 ms each with matplotlib; benchmarks/app_speed.py).

The map is custom because Mesa's space components draw agents on a space, while the centre's
map shows every unit, occupied or not, over the street network with the zones outlined and an
optional footfall layer. It uses the palettes and zone outlines of the run figures
(`sim.figures`), so it looks like ``map.png`` of a run. The charts read Mesa's
`DataCollector`, as Mesa's plot component does (see `page_components` for why they are not
Mesa's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import solara
from matplotlib import colormaps
from mesa.visualization.utils import update_counter

from ..figures import (
    FOOTFALL_CMAP,
    FUNCTION_COLOURS,
    SERIES_COLOURS,
    ZONE_COLOURS,
    ZONE_LABELS,
    ZONE_LINESTYLES,
    zone_outlines,
)
from ..functions import FUNCTION_NAMES, ZONE_NAMES, Function
from . import adapter
from .echarts import SafeEcharts
from .model import FOOTFALL_SERIES, SHOP_SERIES, VACANCY_SERIES, CentreApp

if TYPE_CHECKING:
    from ..town import Town

#: Largest plot area of the map (px, width x height) and the margin around the town (m).
MAP_PX = (300, 300)
#: Footfall classes of the streets on the map (logarithmic, from the least to the most).
FOOTFALL_CLASSES = 8
MAP_MARGIN_M = 25.0
#: An X-shaped marker for vacant units (ECharts symbol path).
_CROSS = "path://M2,0L5,3L8,0L10,2L7,5L10,8L8,10L5,7L2,10L0,8L3,5L0,2Z"


def status_line(app: CentreApp) -> str:
    """One line on the state of the centre, with vacancy in plain words."""
    sim = app.sim
    if sim is None:
        return ""
    vacant, eligible = adapter.vacancy_counts(sim)
    rate = 100.0 * vacant / eligible if eligible else 0.0
    done = "; run complete (press Reset to run again)" if not app.running else ""
    return (f"{adapter.date_label(sim)}: vacancy {rate:.1f}% ({vacant} of {eligible} shop units "
            f"empty), {adapter.shop_counts(sim)['shops']} shops{done}")


def _hex(rgba: np.ndarray) -> list[str]:
    rgb = np.round(np.asarray(rgba)[:, :3] * 255).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]


def map_size(town: Town, max_px: tuple[int, int] = MAP_PX) -> tuple[int, int]:
    """Width and height (px) of the plot area that keeps the town's aspect (1 m = 1 m)."""
    w = float(np.ptp(np.r_[town.node_x, town.unit_x])) + 2 * MAP_MARGIN_M
    h = float(np.ptp(np.r_[town.node_y, town.unit_y])) + 2 * MAP_MARGIN_M
    scale = min(max_px[0] / w, max_px[1] / h)
    return round(w * scale), round(h * scale)


def map_option(app: CentreApp, footfall_layer: bool = True) -> dict:
    """ECharts option of the centre map: streets (grey, or by footfall), zone outlines, units by
    function, vacant units as crosses, entry points; hovering a unit or street tells what it is.
    Colours and outlines are those of the run figures (`sim.figures`)."""
    sim = app.sim
    assert sim is not None
    town = adapter.town(sim)
    if app.outlines is None:
        app.outlines = zone_outlines(town)
    st = adapter.map_state(sim)
    xs = np.r_[town.node_x, town.unit_x]
    ys = np.r_[town.node_y, town.unit_y]
    width, height = map_size(town)

    def xy(x: float, y: float) -> list[float]:
        return [round(float(x), 1), round(float(y), 1)]

    u, v = town.edge_u, town.edge_v
    coords = [[xy(town.node_x[a], town.node_y[a]), xy(town.node_x[b], town.node_y[b])]
              for a, b in zip(u.tolist(), v.tolist(), strict=True)]
    # Streets in a few footfall classes, one series each with one style: ECharts draws that far
    # faster than a style per street (benchmarks/app_speed.py).
    series: list[dict] = []
    if footfall_layer:
        foot = 0.5 * (st.node_footfall[u] + st.node_footfall[v]) + 1.0
        lo, top = max(float(foot.min()), 1.0), max(float(foot.max()), 2.0)
        edges = np.geomspace(lo, top, FOOTFALL_CLASSES + 1) if top > lo else np.array([lo, top])
        cls = np.clip(np.searchsorted(edges, foot, side="right") - 1, 0, len(edges) - 2)
        cmap = colormaps[FOOTFALL_CMAP]
        for k in range(len(edges) - 1):
            members = np.flatnonzero(cls == k)
            if len(members) == 0:
                continue
            t = (k + 0.5) / (len(edges) - 1)
            series.append({
                "type": "lines", "coordinateSystem": "cartesian2d", "z": 1,
                "name": f"{edges[k] - 1:,.0f} to {edges[k + 1] - 1:,.0f} passers-by per day",
                "tooltip": {"formatter": "street: {a}"},
                "lineStyle": {"color": _hex(cmap([t]))[0], "width": round(1.5 + 4.5 * t, 1),
                              "opacity": 1, "cap": "round"},
                "data": [{"coords": coords[i]} for i in members.tolist()]})
    else:
        series.append({"type": "lines", "name": "streets", "coordinateSystem": "cartesian2d",
                       "z": 1, "silent": True,
                       "data": [{"coords": c} for c in coords],
                       "lineStyle": {"color": "#c8c8c8", "width": 2.5, "opacity": 1}})
    dash = {"-": "solid", "--": "dashed", ":": "dotted"}
    for zone, lines in app.outlines.items():
        series.append({"type": "lines", "name": ZONE_LABELS[zone], "polyline": True,
                       "coordinateSystem": "cartesian2d", "silent": True, "z": 2,
                       "lineStyle": {"color": ZONE_COLOURS[zone], "width": 1.5,
                                     "type": dash[ZONE_LINESTYLES[zone]], "opacity": 1},
                       "data": [{"coords": [xy(*p) for p in line[::2]]} for line in lines]})
    zone_names = [ZONE_NAMES[int(z)] for z in town.unit_zone]
    by_function: dict[int, list[dict]] = {}
    vacant = []
    for i in np.flatnonzero(st.active):
        f = int(st.function[i])
        where = f"{st.area[i]:,.0f} m², {zone_names[i]}, {st.footfall[i]:,.0f} passers-by/day"
        if f == Function.VACANT:
            vacant.append({"value": xy(town.unit_x[i], town.unit_y[i]),
                           "name": f"vacant for {int(st.months_vacant[i])} months: {where}"})
        else:
            name = FUNCTION_NAMES[f].replace("_", " ")
            chain = " (chain)" if st.chain[i] else ""
            by_function.setdefault(f, []).append({
                "value": xy(town.unit_x[i], town.unit_y[i]), "name": f"{name}{chain}: {where}",
                "symbolSize": round(float(np.clip(np.sqrt(st.area[i] / 8), 3, 11)), 1)})
    # One series per function (one colour each), as for the streets.
    series += [{"type": "scatter", "name": FUNCTION_NAMES[f], "data": data, "z": 3,
                "itemStyle": {"color": FUNCTION_COLOURS[FUNCTION_NAMES[f]],
                              "borderColor": "#555555", "borderWidth": 0.4, "opacity": 1}}
               for f, data in sorted(by_function.items())]
    series += [
        {"type": "scatter", "name": "vacant units", "data": vacant, "z": 4, "symbol": _CROSS,
         "symbolSize": 8, "itemStyle": {"color": "#000000", "opacity": 1}},
        {"type": "scatter", "name": "entry points", "z": 5, "symbol": "triangle",
         "symbolSize": 11,
         "data": [{"value": xy(town.node_x[n], town.node_y[n]), "name": f"entry point: {k}"}
                  for n, k in zip(town.entry_node.tolist(), town.entry_kind, strict=True)],
         "itemStyle": {"color": "#ffffff", "borderColor": "#000000", "borderWidth": 1.2}},
    ]
    axis = {"type": "value", "show": False, "scale": True}
    return {
        "animation": False,
        "title": {"text": f"{adapter.date_label(sim)} (month {app.steps})",
                  "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "grid": {"left": 4, "top": 26, "width": width, "height": height},
        "xAxis": {**axis, "min": round(float(xs.min()) - MAP_MARGIN_M, 1),
                  "max": round(float(xs.max()) + MAP_MARGIN_M, 1)},
        "yAxis": {**axis, "min": round(float(ys.min()) - MAP_MARGIN_M, 1),
                  "max": round(float(ys.max()) + MAP_MARGIN_M, 1)},
        "series": series,
    }


def _swatch(css: str, label: str) -> str:
    return (f'<div style="display:flex;align-items:center;gap:5px;line-height:14px">'
            f'<span style="{css}"></span><span>{label}</span></div>')


def _footfall_key() -> list[str]:
    """Five colours of the footfall scale (`sim.figures.FOOTFALL_CMAP`), light to dark."""
    return _hex(colormaps[FOOTFALL_CMAP](np.linspace(0.0, 1.0, 5)))


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
    for code in sorted(set(state.function[state.active].astype(int).tolist())):
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
                            f"{', '.join(_footfall_key())})",
                            f"footfall {foot.min():,.0f} to {foot.max():,.0f} passers-by/day "
                            "(log scale)"))
    return f'<div style="font-size:11px;padding-top:4px">{"".join(rows)}</div>'


@solara.component
def LiveEcharts(make_option: Callable[[], dict], attributes: dict, responsive: bool = False):
    """An ECharts figure whose option is computed by ``make_option`` and set on the widget after
    each render. Passed as an element property instead (as ``solara.FigureEcharts`` does), the
    option (thousands of numbers for a map) would be walked value by value by every re-render
    of the page (reacton looks for elements in properties), which costs more than drawing it.
    The element leaves ``option`` out, so re-renders never reset it.

    It re-renders after every step (it reads Mesa's update counter itself): reacton judges two
    lambdas with the same code and the same captured values equal, so a new ``make_option``
    alone would not make it render again."""
    update_counter.get()
    figure = SafeEcharts.element(attributes=attributes, responsive=responsive)

    def push() -> None:
        solara.get_widget(figure).option = make_option()

    solara.use_effect(push, None)  # after every render
    return figure


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
        width, height = map_size(adapter.town(app.sim))
        with solara.Row(gap="4px", style="flex-wrap: nowrap"):
            layer = footfall_layer.value
            LiveEcharts(lambda: map_option(app, layer),
                        attributes={"style": f"height: {height + 32}px; width: {width + 8}px; "
                                             "flex: none", "class": "binnenstad-map"})
            solara.HTML(unsafe_innerHTML=legend_html(app, footfall_layer.value),
                        classes=["binnenstad-legend"])


def chart_option(app: CentreApp, series: dict, ylabel: str, title: str,
                 colours: dict[str, str], styles: dict[str, str] | None = None) -> dict:
    """ECharts option of a time series chart of DataCollector columns ``series`` (x axis:
    calendar dates; row k of the DataCollector is the state after k months)."""
    df = app.datacollector.get_model_vars_dataframe()
    dates = (np.datetime64(f"{app.settings.start}-01", "M") + np.arange(len(df))).astype(
        "datetime64[D]").astype(str).tolist()
    dash = {"-": "solid", "--": "dashed", ":": "dotted"}
    lines = []
    for key, (_, label) in series.items():
        values = df[key].to_numpy(dtype=float) if key in df else np.full(len(df), np.nan)
        lines.append({
            "type": "line", "name": label, "showSymbol": False,
            "data": [[d, None if np.isnan(v) else round(float(v), 3)]
                     for d, v in zip(dates, values, strict=True)],
            "lineStyle": {"color": colours[key], "width": 2,
                          "type": dash[(styles or {}).get(key, "-")]},
            "itemStyle": {"color": colours[key]},
        })
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "textStyle": {"fontSize": 11}},
        "grid": {"left": 58, "right": 16, "top": 58, "bottom": 28},
        # monthly data: no ticks finer than a month
        "xAxis": {"type": "time", "minInterval": 28 * 24 * 3600 * 1000},
        "yAxis": {"type": "value", "name": ylabel, "nameLocation": "middle", "nameGap": 42,
                  "min": 0},
        "series": lines,
    }


@solara.component
def Chart(app: CentreApp, series: dict, ylabel: str, title: str, colours: dict[str, str],
          styles: dict[str, str] | None = None):
    """A live chart, drawn in the browser (ECharts) after every step."""
    update_counter.get()
    if app.error:
        return solara.Text("")
    LiveEcharts(lambda: chart_option(app, series, ylabel, title, colours, styles),
                attributes={"style": "height: 330px; width: 100%", "class": "binnenstad-chart"},
                responsive=True)


_ZONES = ("core", "aanloop", "fringe")


@solara.component
def VacancyChart(app: CentreApp):
    """Vacancy by zone (percent of retail-eligible units)."""
    Chart(app, VACANCY_SERIES, "vacancy (% of shop units)", "Vacancy by zone",
          {f"vacancy_{z}": ZONE_COLOURS[z] for z in ZONE_COLOURS},
          {f"vacancy_{z}": ZONE_LINESTYLES[z] for z in ZONE_LINESTYLES})


@solara.component
def FootfallChart(app: CentreApp):
    """Mean passers-by per day in front of the retail-eligible units, by zone."""
    Chart(app, FOOTFALL_SERIES, "passers-by per day", "Footfall in front of shop units",
          {f"footfall_{z}": ZONE_COLOURS[z] for z in _ZONES},
          {f"footfall_{z}": ZONE_LINESTYLES[z] for z in _ZONES})


@solara.component
def ShopChart(app: CentreApp):
    """Shops: all, chain outlets, independents, pop-ups."""
    Chart(app, SHOP_SERIES, "shops", "Shop counts",
          {k: SERIES_COLOURS[i] for i, k in enumerate(SHOP_SERIES)})


def page_components() -> list:
    """The page's components for SolaraViz: the map and three live charts (vacancy by zone,
    footfall by zone, shop counts).

    They are Solara components (not plain functions), so SolaraViz keeps them mounted when it
    re-renders its grid; a plain function is wrapped anew at every re-render, which remounts
    the charts and loses an ECharts figure that is still loading.

    The charts read Mesa's DataCollector as Mesa's ``make_plot_component`` does, but are drawn in
    the browser with ECharts (bundled in solara-assets, so offline): Mesa's matplotlib plots cost
    the server about 90-150 ms per chart per frame (a tight bounding box draws each figure
    twice), which kept the page below five months a second, and its Altair plots need vega files
    that solara-assets 1.58.2 does not serve (a blank chart offline). See
    benchmarks/app_speed.py.
    """
    return [CentreMap, VacancyChart, FootfallChart, ShopChart]
