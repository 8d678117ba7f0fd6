"""The app without a browser: controls -> model inputs, the app model, its data reads, the map
and chart figures, a headless render of the whole page, and ``binnenstad viz`` argument errors."""

from __future__ import annotations

import gc
import socket

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app as cli
from sim.functions import FUNCTION_NAMES, ZONE_NAMES
from sim.scenarios.loader import load_scenario
from sim.viz import adapter
from sim.viz.model import SERIES, CentreApp, policy_kwargs
from sim.viz.settings import (
    ONLINE_DRIVERS,
    AppSettings,
    SettingsError,
    build_levers,
    build_scenario,
    parse_seed,
)


# ------------------------------------------------------------------------------------ settings
def test_multiplier_one_is_the_scenario_itself():
    base = load_scenario("baseline")
    sc = build_scenario(AppSettings())
    assert sc.trajectories == base.trajectories
    assert sc.params == base.params


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_online_growth_scales_the_change_since_the_start_year(factor):
    base = load_scenario("baseline")
    sc = build_scenario(AppSettings(online_growth=factor, start=2013))
    for name in ONLINE_DRIVERS:
        years, values = (np.asarray(v) for v in base.trajectories[name])
        v0 = np.interp(2013, years, values)
        _, new = sc.trajectories[name]
        np.testing.assert_allclose(new, v0 + factor * (values - v0))
    # other drivers untouched
    assert sc.trajectories["share_65plus"] == base.trajectories["share_65plus"]


def test_ageing_and_contagion_multipliers():
    base = load_scenario("baseline")
    sc = build_scenario(AppSettings(ageing=0.0, contagion=2.5))
    _, shares = sc.trajectories["share_65plus"]
    years, values = base.trajectories["share_65plus"]
    assert np.allclose(shares, np.interp(2013, years, values))  # ageing frozen
    assert sc.params["contagion_strength"] == pytest.approx(
        2.5 * base.params["contagion_strength"])


def test_online_share_above_100_percent_is_refused_in_one_line():
    with pytest.raises(SettingsError) as err:
        build_scenario(AppSettings(scenario="binnenstad_united", online_growth=3.0))
    msg = str(err.value)
    assert "online share growth x3" in msg and "online share of" in msg
    assert "allowed: 0% to 100%" in msg and "\n" not in msg


@pytest.mark.parametrize("text, ok", [("0", 0), (" 42 ", 42), ("abc", None), ("-1", None),
                                      ("1.5", None)])
def test_seed_text(text, ok):
    if ok is None:
        with pytest.raises(SettingsError, match="random seed"):
            parse_seed(text)
    else:
        assert parse_seed(text) == ok


def test_levers_at_their_intensity():
    levers = build_levers({"compaction": 2.0, "popup_programme": 0.5})
    assert [lv.name for lv in levers] == ["compaction", "popup_programme"]
    assert [lv.intensity for lv in levers] == [2.0, 0.5]
    with pytest.raises(SettingsError, match="unknown policy"):
        build_levers({"teleport": 1.0})


def test_policy_switches_and_sliders():
    on = policy_kwargs({"policy_compaction": True, "intensity_compaction": 1.5,
                        "policy_biz": False, "intensity_biz": 2.0})
    assert on == {"compaction": 1.5}
    with pytest.raises(TypeError, match="unexpected keyword"):
        policy_kwargs({"policy_teleport": True})


# ------------------------------------------------------------------------------------ app model
@pytest.fixture(scope="module")
def small_app():
    app = CentreApp(town="small", policy_popup_programme=True, intensity_popup_programme=2.0)
    for _ in range(3):
        app.step()
    return app


def test_app_steps_and_records_the_chart_series(small_app):
    app = small_app
    assert app.error is None and app.running
    assert adapter.months_done(app.sim) == app.steps == 3
    df = app.datacollector.get_model_vars_dataframe()
    assert list(df.columns) == list(SERIES) and len(df) == 4  # start + 3 months
    last = df.iloc[-1]
    assert last["vacancy_all"] == pytest.approx(100 * app.sim.vacancy_rate())
    for z in ZONE_NAMES:
        mask = app.sim.units.zone == ZONE_NAMES.index(z)
        assert last[f"vacancy_{z}"] == pytest.approx(100 * app.sim.vacancy_rate(mask))
    assert last["shops_shops"] == last["shops_chains"] + last["shops_independents"]
    assert [lv.name for lv in app.sim.municipality.policies] == ["popup_programme"]
    assert app.sim.municipality.policies[0].intensity == 2.0


def test_adapter_reads(small_app):
    sim = small_app.sim
    vacant, eligible = adapter.vacancy_counts(sim)
    assert vacant / eligible == pytest.approx(adapter.vacancy(sim))
    assert adapter.date_label(sim) == "March 2013"
    state = adapter.map_state(sim)
    assert len(state.function) == sim.town.n_units
    assert len(state.node_footfall) == sim.town.n_nodes and np.all(state.node_footfall >= 0)
    state.function[:] = 0  # a copy: the model is untouched
    assert np.any(sim.units.function != 0)


@pytest.mark.parametrize("kwargs, words", [
    ({"rng": "abc"}, "random seed 'abc' is not a whole number"),
    ({"town": "nowhere.geojson"}, "nowhere.geojson"),
    ({"scenario_name": "binnenstad_united", "online_growth": 3.0}, "online share of"),
])
def test_impossible_settings_become_a_message(kwargs, words):
    app = CentreApp(**{"town": "small", **kwargs})
    assert app.sim is None and not app.running
    assert words in app.error and "\n" not in app.error
    app.step()  # harmless
    assert app.datacollector.get_model_vars_dataframe().empty


def test_run_stops_after_its_years():
    app = CentreApp(town="small", years=1)
    for _ in range(12):
        assert app.running
        app.step()
    assert not app.running
    assert app.steps == 12


def test_reset_arguments_from_solara_viz():
    # On Reset, SolaraViz passes the controls plus a fresh Mesa Scenario; the app ignores the
    # latter and takes its scenario from scenario_name.
    from mesa.experimental.scenarios import Scenario

    from sim.viz.app import model_params

    params = model_params("small", "corona")
    kwargs = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    app = CentreApp(**kwargs, scenario=Scenario())
    assert app.error is None and app.sim.p.scenario_name == "corona"


# ------------------------------------------------------------------------------------ the page
def test_map_chart_and_key(small_app):
    from sim.viz.components import chart_option, legend_html, map_option, status_line
    from sim.viz.model import VACANCY_SERIES

    sim = small_app.sim
    option = map_option(small_app, footfall_layer=True)
    series = option["series"]
    streets = [s for s in series if s["type"] == "lines" and "passers-by" in s["name"]]
    units = [s for s in series if s["type"] == "scatter" and s["name"] in FUNCTION_NAMES]
    named = {s["name"]: s for s in series}
    n_vacant = int(sim.units.vacant.sum())  # dormant slots of splittable units are not drawn
    assert len(named["vacant units"]["data"]) == n_vacant
    assert sum(len(s["data"]) for s in units) == int(sim.units.active.sum()) - n_vacant
    assert sum(len(s["data"]) for s in streets) == len(sim.town.edge_u)
    assert 1 < len(streets) <= 8  # footfall classes
    assert len(named["entry points"]["data"]) == len(sim.town.entry_node)
    assert {"core (kernwinkelgebied)", "aanloop (approach streets)", "fringe"} <= set(named)
    assert all(d["name"].startswith("vacant for ") for d in named["vacant units"]["data"])
    grey = map_option(small_app, footfall_layer=False)["series"][0]
    assert grey["lineStyle"]["color"] == "#c8c8c8"
    assert len(grey["data"]) == len(sim.town.edge_u)
    # equal scale on both axes: the plot area's aspect is the town's
    w, h = option["grid"]["width"], option["grid"]["height"]
    ext_x = option["xAxis"]["max"] - option["xAxis"]["min"]
    ext_y = option["yAxis"]["max"] - option["yAxis"]["min"]
    assert w / h == pytest.approx(ext_x / ext_y, rel=0.02)
    key = legend_html(small_app)
    assert "vacant unit (vacancy)" in key and "core (kernwinkelgebied)" in key
    assert "passers-by/day" in key and "passers-by/day" not in legend_html(small_app, False)
    colours = dict.fromkeys(VACANCY_SERIES, "#000000")
    option = chart_option(small_app, VACANCY_SERIES, "vacancy", "Vacancy by zone", colours)
    assert [s["name"] for s in option["series"]] == [lab for _, lab in VACANCY_SERIES.values()]
    first = option["series"][0]["data"]
    assert [d for d, _ in first] == ["2013-01-01", "2013-02-01", "2013-03-01", "2013-04-01"]
    df = small_app.datacollector.get_model_vars_dataframe()
    assert first[-1][1] == pytest.approx(df["vacancy_all"].iloc[-1], abs=1e-3)
    assert status_line(small_app).startswith("March 2013: vacancy ")


def test_page_renders_and_redraws_headless(monkeypatch):
    """The whole SolaraViz page renders server-side, and every step re-draws the map and the
    charts with the new month (what the browser receives)."""
    import solara
    from mesa.visualization.utils import force_update
    from solara.components.echarts import EchartsWidget

    import sim.viz.app as page_module

    monkeypatch.setenv(page_module.ENV_TOWN, "small")
    _box, rc = solara.render(page_module.Page(), handle_error=False)
    try:
        apps = [o for o in gc.get_objects() if isinstance(o, CentreApp) and o.sim is not None
                and o.settings.town == "small" and o.steps == 0]
        assert apps
        app = apps[-1]

        def figures():
            options = [w.option for w in rc.find(EchartsWidget).widgets]
            charts = [o for o in options if "xAxis" in o and o["xAxis"]["type"] == "time"]
            maps = [o for o in options if o not in charts]
            return maps, charts

        maps, charts = figures()
        assert len(maps) == 1 and len(charts) == 3
        assert maps[0]["title"]["text"] == "start of 2013 (month 0)"
        for month, name in ((1, "January"), (2, "February")):
            app.step()
            force_update()
            maps, charts = figures()
            assert maps[0]["title"]["text"] == f"{name} 2013 (month {month})"
            for chart in charts:
                for series in chart["series"]:
                    assert len(series["data"]) == month + 1  # the start and every month
                    assert series["data"][-1][0] == f"2013-{month + 1:02d}-01"
    finally:
        rc.close()


# ------------------------------------------------------------------------------------ CLI
runner = CliRunner()


@pytest.mark.parametrize("args, words", [
    (["--town", "nowhere"], "unknown town 'nowhere'"),
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--port", "0"], "--port must be between 1 and 65535"),
    (["--start", "1200"], "--start must be a year"),
])
def test_viz_bad_arguments(args, words):
    res = runner.invoke(cli, ["viz", *args])
    assert res.exit_code == 2
    assert words in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_viz_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = runner.invoke(cli, ["viz", "--town", "small", "--port", str(port)])
    assert res.exit_code == 2 and f"cannot serve on 127.0.0.1:{port}" in res.output


def test_settings_that_do_nothing_are_shown_above_the_map():
    import ipyvuetify as v
    import solara

    from sim.viz.controls import RunSummary, idle_lines

    app = CentreApp(town="small", years=1, policy_compaction=True, policy_blurring=True,
                    intensity_blurring=0.0)
    lines = idle_lines(app)
    assert lines == ["policy blurring has intensity=0: it is switched off and does nothing",
                     "policy compaction starts in 2015, after the run ends (December 2013): it "
                     "does nothing (choose more years)"]
    assert idle_lines(CentreApp(town="small", years=3, policy_compaction=True)) == []
    settings = {"town": "small", "years": 1}
    _box, rc = solara.render(RunSummary(solara.reactive(app), solara.reactive(settings),
                                        solara.reactive(settings)), handle_error=False)
    try:
        shown = [w.children[0] if w.children else "" for w in rc.find(v.Alert).widgets]
        assert [t for t in shown if t.startswith("Does nothing: ")] == [
            f"Does nothing: {line}." for line in lines]
    finally:
        rc.close()
