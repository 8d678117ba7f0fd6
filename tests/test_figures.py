"""Figures: colour-blind-safe palettes, zone outlines, the centre map, the scenario comparison
with bands over replicates and the policy-effect plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath

from sim.figures import (
    FUNCTION_COLOURS,
    OKABE_ITO,
    SERIES_COLOURS,
    ZONE_COLOURS,
    draw_centre,
    plot_policy_effects,
    plot_scenarios,
    zone_outlines,
)
from sim.functions import FUNCTION_NAMES, ZONE_NAMES, Function
from sim.town import generate_town


@pytest.fixture(scope="module")
def town():
    return generate_town("small", seed=2)


def test_palettes_are_the_published_ones_and_complete():
    assert OKABE_ITO["vermillion"] == "#D55E00" and OKABE_ITO["bluish_green"] == "#009E73"
    assert len(set(SERIES_COLOURS)) == len(SERIES_COLOURS) == 8
    assert set(FUNCTION_COLOURS) == set(FUNCTION_NAMES)
    assert set(ZONE_COLOURS) == {"all", *ZONE_NAMES}
    for c in [*FUNCTION_COLOURS.values(), *SERIES_COLOURS]:
        to_rgb(c)  # valid colours


def test_zone_outlines_enclose_their_zone(town):
    outlines = zone_outlines(town)
    assert set(outlines) == set(ZONE_NAMES)
    for code, name in enumerate(ZONE_NAMES):
        assert outlines[name], f"no outline for {name}"
        inside = np.zeros(town.n_units, dtype=bool)
        pts = np.c_[town.unit_x, town.unit_y]
        for line in outlines[name]:
            inside |= MplPath(line).contains_points(pts)
        mine = town.unit_zone == code
        assert inside[mine].mean() > 0.95  # the zone's units lie inside its outline
        assert inside[~mine].mean() < 0.5


def test_draw_centre_marks_vacancy_and_footfall(town):
    fig = Figure()
    ax = fig.add_subplot()
    function = town.function.copy()
    function[:7] = Function.VACANT
    foot = np.linspace(1.0, 500.0, town.n_nodes)
    draw_centre(ax, town, function, node_footfall=foot, legend="inside")
    streets = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(streets) == 1 and np.allclose(
        streets[0].get_array(), 0.5 * (foot[town.edge_u] + foot[town.edge_v]) + 1)
    crosses = [c for c in ax.collections if c.get_offsets().shape[0] == 7]
    assert crosses, "seven vacant units drawn as crosses"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "vacant unit" in labels and "core (kernwinkelgebied)" in labels
    assert len(fig.axes) == 2  # the map and the footfall colour bar


def _tidy():
    rows = []
    for s, level in (("baseline", 0.10), ("corona", 0.15)):
        for r in range(3):
            for m in range(5):
                rows.append({"scenario": s, "replicate": r, "step": m + 1,
                             "vacancy_rate": level + 0.01 * m + 0.02 * r})
    return pd.DataFrame(rows)


def test_scenario_plot_mean_and_band():
    df = _tidy()
    ax = plot_scenarios(df, "vacancy_rate", time="step", ax=Figure().add_subplot())
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["baseline", "corona"]
    np.testing.assert_allclose(lines[0].get_ydata(), 100 * (0.10 + 0.01 * np.arange(5) + 0.02))
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    assert "(%)" in ax.get_ylabel() and "3 replicates" in ax.get_title()
    ax = plot_scenarios(df, "vacancy_rate", time="step", band="range", ax=Figure().add_subplot())
    band = next(c for c in ax.collections if isinstance(c, PolyCollection))
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(10.0) and ys.max() == pytest.approx(18.0)
    ax = plot_scenarios(df, "vacancy_rate", time="step", band=None, ax=Figure().add_subplot())
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_scenario_plot_dates_and_legend_switch():
    df = _tidy()
    df["date"] = pd.Timestamp("2018-01-01") + pd.to_timedelta(31 * df["step"], unit="D")
    ax = plot_scenarios(df, ax=Figure().add_subplot())
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    assert ax.get_legend() is not None
    ax = plot_scenarios(df, legend=False, ax=Figure().add_subplot())
    assert ax.get_legend() is None
    assert [ln.get_label() for ln in ax.get_lines()] == ["baseline", "corona"]


def test_scenario_plot_rejects_a_frame_without_its_columns():
    df = _tidy().drop(columns="replicate")
    with pytest.raises(ValueError, match="'replicate' missing"):
        plot_scenarios(df, time="step")
    with pytest.raises(ValueError, match="band 'iqr' not allowed"):
        plot_scenarios(_tidy(), time="step", band="iqr")


def test_policy_effect_plot():
    rows = []
    for s in ("baseline", "ontspannen_stad"):
        for i, p in enumerate(("compaction", "blurring", "both")):
            for o in ("vacancy_rate", "footfall_total"):
                m = -0.01 * (i + 1)
                rows.append({"scenario": s, "policy": p, "outcome": o, "mean": m,
                             "ci_low": m - 0.005, "ci_high": m + 0.005})
    df = pd.DataFrame(rows)
    fig = plot_policy_effects(df)
    axes = fig.axes
    assert len(axes) == 2
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["compaction", "blurring", "both"]
    assert [c.get_label() for c in axes[0].containers] == ["baseline", "ontspannen_stad"]
    xs = axes[0].containers[0].lines[0].get_xdata()
    np.testing.assert_allclose(xs, [-0.01, -0.02, -0.03])
    assert len(fig.legends) == 1
    with pytest.raises(ValueError, match="'ci_low' missing"):
        plot_policy_effects(df.drop(columns="ci_low"))
    with pytest.raises(ValueError, match="outcome 'rent' not in the DataFrame"):
        plot_policy_effects(df, outcomes=["rent"])


# ------------------------------------------- run figures keep the town (issue 22, item 7)
@pytest.fixture(scope="module")
def changed_run():
    """A small run whose last snapshot holds other units than the town: two units merged into
    one, one split in two (as owners do during a run)."""
    import sim

    result = sim.run(town="small", years=1, seed=4)
    units = result.units
    last = int(units["year"].max())
    snap = units[units["year"] == last]
    merged = snap.iloc[2:]                           # units 0 and 1 gone ...
    merged.iloc[0, merged.columns.get_loc("floor_area")] *= 2  # ... into this one
    half = snap.iloc[[5]].copy()
    half["unit_id"] = units["unit_id"].max() + 1
    half["x"] += 3.0
    changed = pd.concat([units[units["year"] != last], merged, half], ignore_index=True)
    result.units = changed
    return result, len(merged) + 1


def test_map_draws_streets_zones_and_entries_after_merges_and_splits(changed_run):
    from sim.figures import plot_map

    result, n_units = changed_run
    assert n_units != result.town.n_units
    fig = Figure()
    ax = fig.add_subplot()
    plot_map(result, ax=ax)
    streets = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(streets) == 1 and len(streets[0].get_segments()) == len(result.town.edge_u)
    zone_lines = [ln for ln in ax.get_lines() if ln.get_color() in
                  {ZONE_COLOURS[z] for z in ZONE_NAMES}]
    assert zone_lines, "zone outlines drawn"
    drawn = sum(c.get_offsets().shape[0] for c in ax.collections
                if not isinstance(c, LineCollection))
    assert drawn == n_units + len(result.town.entry_node)  # every unit of the snapshot, entries
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"entry point", "vacant unit", "core (kernwinkelgebied)"} <= set(labels)
    assert "one run, seed 4" in ax.get_title()


def test_single_run_figures_say_which_seed_and_the_footfall_legend_explains_entries(
        changed_run):
    from sim.figures import plot_footfall, plot_vacancy

    result, _ = changed_run
    fig = Figure()
    ax = plot_footfall(result, ax=fig.add_subplot())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("entry point") for lab in labels), labels
    assert "one run, seed 4" in ax.get_title()
    ax = plot_vacancy(result, ax=Figure().add_subplot())
    assert "one run, seed 4" in ax.get_title()
