"""A real town end to end: the Helsinki centre (OpenStreetMap, ODbL; `tests/data/osm/`) is built
with ``town from-osm`` at a small radius, its street network simplified, and run; the
simplification keeps the walking distances and the flows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

pytest.importorskip("osmium", reason="the osm extra (osmium) is part of the dev install")

import sim
from sim.model import CityCentreModel
from sim.space import street_graph
from sim.town_io import load_town
from sim.town_osm import build
from sim.town_osm.build import write_town

EXTRACT = Path(__file__).parent / "data" / "osm" / "helsinki_centre.osm.pbf"
CENTRE = (60.1699, 24.9384)


@pytest.fixture(scope="module")
def towns(tmp_path_factory):
    """(simplified town, its report, the town as read without simplifying)."""
    d = tmp_path_factory.mktemp("helsinki")
    report = write_town(EXTRACT, d / "simple.geojson", centre=CENTRE, radius=250)
    keep = build.simplify_streets

    def as_read(parts, anchors, **kw):
        s = keep(parts, anchors, **kw)
        return build.Simplified(lines=list(parts), dropped_m=0.0,
                                length_before_m=s.length_before_m,
                                length_after_m=s.length_before_m)

    build.simplify_streets = as_read
    try:
        write_town(EXTRACT, d / "raw.geojson", centre=CENTRE, radius=250)
    finally:
        build.simplify_streets = keep
    return load_town(d / "simple.geojson"), report, load_town(d / "raw.geojson")


def test_helsinki_builds_a_town_with_a_simplified_network(towns):
    town, report, raw = towns
    assert 300 <= report.n_units <= 400 and report.crs == "EPSG:32635"
    assert town.n_nodes == report.street_nodes < report.street_nodes_before == raw.n_nodes
    assert town.n_nodes < 0.7 * raw.n_nodes
    assert {"parking", "station"} <= set(report.entries)


def test_simplifying_keeps_walking_distances(towns):
    """Between units, walking distances on the simplified network are those of the network as
    read, up to where a unit meets its street (nodes every <= 25 m)."""
    town, _, raw = towns

    def unit_dist(t, idx):
        d = dijkstra(street_graph(t), directed=False, indices=t.unit_node[idx])
        off = np.hypot(t.unit_x - t.node_x[t.unit_node], t.unit_y - t.node_y[t.unit_node])[idx]
        return d[:, t.unit_node[idx]] + off[:, None] + off[None, :]

    idx = np.random.default_rng(0).choice(len(town.unit_node), 40, replace=False)
    a, b = unit_dist(raw, idx), unit_dist(town, idx)
    far = a > 100
    assert np.median(np.abs(b[far] - a[far])) < 10.0
    assert np.quantile(np.abs(b[far] - a[far]) / a[far], 0.95) < 0.1


def test_simplifying_keeps_the_flows(towns):
    """Every unit equally attractive, trips from the entry points: the visits per unit and the
    footfall at the units agree closely on the two networks."""
    town, _, raw = towns
    out = []
    for t in (town, raw):
        m = CityCentreModel(town=t, rng=0, burn_in=False)
        n_units = len(t.unit_node)
        attr = np.ones((4, m.units.n))
        attr[:, n_units:] = 0.0  # the model's extra slots
        m0 = np.zeros((4, 2, t.n_nodes))
        np.add.at(m0, (slice(None), slice(None), t.entry_node), 1000.0 * t.entry_weight)
        cont = np.asarray(m.p.stop_continue, dtype=float)
        stops = np.asarray(m.p.max_stops, dtype=np.int64)
        entry = t.entry_node.astype(np.int64)
        net, g = m.net, m.geometry
        visits, od, em, _ = m.kernels.visitor_flows(
            net.pair_ptr, net.pair_col, g.kernel, g.door, m.units.node, attr, m0, cont, stops,
            g.exit_prob, entry)
        foot = m.kernels.push_flows(net.pair_ptr, net.pair_col, od, em, g.exit_prob, entry,
                                    net.tree_ptr, net.tree_node, net.tree_pred)
        out.append((visits[:n_units], foot[t.unit_node]))
    (va, fa), (vb, fb) = out
    assert abs(va.sum() / vb.sum() - 1) < 0.01
    assert np.corrcoef(va, vb)[0, 1] > 0.98
    assert np.corrcoef(fa, fb)[0, 1] > 0.9


def test_helsinki_runs(towns, tmp_path):
    town, _, _ = towns
    res = sim.run(town=town, years=1, seed=1, out=tmp_path / "run", figures=False, check=True)
    ts = res.timeseries
    assert len(ts) == 12
    assert ts["visits"].gt(0).all() if "visits" in ts else True
    assert 0.0 <= ts["vacancy_rate"].iloc[-1] <= 0.6
    assert (tmp_path / "run" / "run.json").is_file()
