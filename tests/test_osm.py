"""``binnenstad town from-osm``: a small OpenStreetMap extract built here (XML by hand, PBF with
osmium's writer) becomes a valid town file: streets, premises and their branches, vacancy,
floor areas from footprints, zones, entries; bad input is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("osmium", reason="the osm extra (osmium) is part of the dev install")

from sim.cli import app as cli
from sim.functions import FUNCTION_NAMES, ZONE_NAMES
from sim.model import CityCentreModel
from sim.town_io import resolve_town
from sim.town_osm.build import build_town, choose_crs
from sim.town_osm.read import OsmError

runner = CliRunner()
LAT0, LON0 = 52.0, 5.0
M_LAT = 111_320.0
M_LON = 111_320.0 * math.cos(math.radians(LAT0))


def lonlat(x: float, y: float) -> tuple[float, float]:
    return LON0 + x / M_LON, LAT0 + y / M_LAT


# A cross of streets (x, y in metres east/north of LON0, LAT0), premises beside them, a shop in a
# 10 x 20 m building, a shoe shop drawn as its own 8 x 10 m building, entries, and things that
# must be left out (a bench, a motorway, a private service road).
STREETS = {
    100: ([(-200, 0), (0, 0), (200, 0)], {"highway": "pedestrian", "name": "Lange Straat"}),
    101: ([(0, -150), (0, 0), (0, 150)], {"highway": "residential"}),
    102: ([(200, 0), (500, 0)], {"highway": "primary"}),
    103: ([(-200, 400), (200, 400)], {"highway": "motorway"}),
    104: ([(-100, -100), (-100, -300)], {"highway": "service", "access": "private"}),
}
POINTS = {
    20: ((-50, 8), {"shop": "bakery", "name": "Bakker"}),
    21: ((-30, -8), {"amenity": "cafe", "brand": "Koffie & Co"}),
    22: ((-10, 8), {"shop": "vacant"}),
    23: ((30, 8), {"disused:shop": "clothes"}),
    24: ((40, -5), {"amenity": "bench"}),
    25: ((60, -8), {"shop": "supermarket"}),
    26: ((8, 50), {"shop": "clothes", "name": "Mode"}),  # inside building 200
    27: ((-8, 80), {"office": "company"}),
    28: ((8, -60), {"craft": "carpenter"}),
    29: ((-8, -90), {"amenity": "bank"}),
    30: ((-190, 10), {"amenity": "parking", "capacity": "300"}),
    31: ((10, 140), {"railway": "station"}),
    32: ((20, 12), {"amenity": "bicycle_parking"}),
}
BUILDINGS = {
    200: ([(4, 40), (14, 40), (14, 60), (4, 60)], {"building": "yes", "building:levels": "3"}),
    201: ([(100, 5), (108, 5), (108, 15), (100, 15)],
          {"building": "retail", "shop": "shoes"}),
}
EXPECTED = {"n20": "daily", "n21": "horeca", "n22": "vacant", "n23": "vacant", "n25": "daily",
            "n26": "fashion", "n27": "office", "n28": "maker", "n29": "services",
            "w201": "fashion"}


def _objects():
    """Nodes (id, lon, lat, tags) and ways (id, node ids, tags) of the extract."""
    nodes, ways, nid = [], [], 1000
    ids: dict[tuple[float, float], int] = {}

    def vertex(x, y):
        nonlocal nid
        if (x, y) not in ids:
            nid += 1
            ids[x, y] = nid
            nodes.append((nid, *lonlat(x, y), {}))
        return ids[x, y]

    for wid, (pts, tags) in {**STREETS, **BUILDINGS}.items():
        refs = [vertex(x, y) for x, y in pts]
        if wid in BUILDINGS:
            refs.append(refs[0])
        ways.append((wid, refs, tags))
    nodes += [(pid, *lonlat(x, y), tags) for pid, ((x, y), tags) in POINTS.items()]
    return sorted(nodes), sorted(ways)


def write_xml(path: Path) -> Path:
    nodes, ways = _objects()

    def tags_xml(tags):
        return "".join(f'<tag k="{k}" v="{v.replace("&", "&amp;")}"/>' for k, v in tags.items())

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}">{tags_xml(t)}</node>'
              for i, lon, lat, t in nodes]
    lines += [f'<way id="{i}">' + "".join(f'<nd ref="{r}"/>' for r in refs) + tags_xml(t)
              + "</way>" for i, refs, t in ways]
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_pbf(path: Path) -> Path:
    import osmium
    from osmium.osm.mutable import Node, Way

    nodes, ways = _objects()
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for i, lon, lat, t in nodes:
            w.add_node(Node(id=i, location=(round(lon, 7), round(lat, 7)), tags=t))
        for i, refs, t in ways:
            w.add_way(Way(id=i, nodes=refs, tags=t))
    return path


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    d = tmp_path_factory.mktemp("osm")
    return write_xml(d / "mini.osm"), write_pbf(d / "mini.osm.pbf")


def _units(feats):
    return {f["properties"]["unit_id"]: f for f in feats if f["properties"]["kind"] == "unit"}


def test_xml_extract_becomes_a_valid_town(extracts, tmp_path):
    xml, _ = extracts
    out = tmp_path / "mini.geojson"
    res = runner.invoke(cli, ["town", "from-osm", str(xml), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "10 units (2 vacant" in res.output
    town = resolve_town(out)  # loads with the town format's own checks
    doc = json.loads(out.read_text())
    units = _units(doc["features"])
    assert {k: u["properties"]["function"] for k, u in units.items()} == EXPECTED
    assert doc["properties"]["crs"] == "EPSG:28992"
    assert town.n_units == 10
    assert sorted(FUNCTION_NAMES[f] for f in town.function) == sorted(EXPECTED.values())

    p = {k: u["properties"] for k, u in units.items()}
    assert p["n26"]["floor_area"] == pytest.approx(200.0, rel=0.02)  # its building's footprint
    assert p["n26"]["upper_floors"] == 2  # building:levels 3
    assert p["w201"]["floor_area"] == pytest.approx(80.0, rel=0.02)  # drawn as a building
    assert p["n20"]["floor_area"] == 110.0  # default without a footprint
    assert p["n25"]["anchor"] == "supermarket" and p["n25"]["floor_area"] == 1200.0
    assert p["n21"]["chain"] is True and p["n20"]["chain"] is False
    assert p["n22"]["osm_tag"] == "shop=vacant" and p["n23"]["osm_tag"] == "disused:shop=clothes"
    assert set(town.entry_kind) == {"parking", "station", "bike", "residential"}
    assert town.entry_weight.sum() == pytest.approx(1.0)
    # the motorway (y = 400 m) and the private road (down to y = -300 m) are not streets: the
    # network is the cross (y from -150 to 150 m) and the primary road (x from -200 to 500 m)
    assert np.ptp(town.node_y) == pytest.approx(300, abs=3)
    assert np.ptp(town.node_x) == pytest.approx(700, abs=5)


def test_pbf_written_by_osmium_gives_the_same_town(extracts):
    xml, pbf = extracts
    _, fx, _ = build_town(xml)
    _, fp, _ = build_town(pbf)
    assert fx == fp


def test_zones_by_density_and_by_core_radius(extracts):
    xml, _ = extracts
    _, feats, _ = build_town(xml)
    zones = [f["properties"]["zone"] for f in feats if f["properties"]["kind"] == "unit"]
    assert zones.count("core") == 3 and zones.count("aanloop") == 3  # 30% / 32% of 10
    _, feats, _ = build_town(xml, centre=(LAT0, LON0), radius=800, core_radius=40)
    assert all(u["properties"]["zone"] in ZONE_NAMES for u in _units(feats).values())
    near = {k: u["properties"]["zone"] for k, u in _units(feats).items()}
    assert near["n22"] == "core" and near["n28"] == "aanloop" and near["n29"] == "fringe"


def test_bbox_selects_part_and_main_road_becomes_an_entry(extracts):
    xml, _ = extracts
    w, s = lonlat(-120, -70)
    e, n = lonlat(300, 120)
    _, feats, _ = build_town(xml, bbox=(w, s, e, n))
    assert set(_units(feats)) == set(EXPECTED) - {"n29"}  # the bank (y = -90 m) is outside
    kinds = [f["properties"]["entry_kind"] for f in feats if f["properties"]["kind"] == "entry"]
    # the primary road leaves the box at x = 300 m; the parking and the station lie outside it
    assert sorted(kinds) == ["bike", "residential"]


def test_the_model_runs_on_the_town(extracts, tmp_path):
    xml, _ = extracts
    out = tmp_path / "t.geojson"
    assert runner.invoke(cli, ["town", "from-osm", str(xml), "--out", str(out),
                               "--population", "20000"]).exit_code == 0
    model = CityCentreModel(resolve_town(out), "baseline", rng=1)
    model.run_months(3)
    assert 0.0 <= model.vacancy_rate() <= 1.0


def test_custom_tag_table(extracts, tmp_path):
    from sim.town_osm.tags import DEFAULT_TABLE

    xml, _ = extracts
    table = tmp_path / "branches.toml"
    table.write_text(DEFAULT_TABLE.read_text().replace('bakery = "daily"', 'bakery = "fashion"'))
    _, feats, _ = build_town(xml, branches=table)
    assert _units(feats)["n20"]["properties"]["function"] == "fashion"
    table.write_text(DEFAULT_TABLE.read_text().replace('bakery = "daily"', 'bakery = "pizza"'))
    with pytest.raises(OsmError, match="function 'pizza' is not allowed"):
        build_town(xml, branches=table)


def test_synthetic_extract(tmp_path):
    from sim.town_osm.synthetic import write_example_extract

    src = write_example_extract(tmp_path / "ex.osm.pbf", n_premises=80, seed=4)
    props, _, report = build_town(src)
    assert 60 <= report.n_units <= 90 and report.n_vacant > 0
    assert set(report.entries) == {"parking", "station", "bike", "residential"}
    assert props["catchment_population"] == round(167.0 * report.n_units)


def test_crs_choice():
    assert choose_crs(5.0, 52.0) == "EPSG:28992"  # the Netherlands: RD New
    assert choose_crs(2.35, 48.85) == "EPSG:32631"  # Paris: UTM 31N
    assert choose_crs(151.2, -33.9) == "EPSG:32756"  # Sydney: UTM 56S


# ---------------------------------------------------------------------------- bad input
def _without(path: Path, *parts: dict) -> Path:
    """Write the extract with ``parts`` (of STREETS, POINTS, BUILDINGS) left out."""
    kept = [dict(p) for p in parts]
    for p in parts:
        p.clear()
    try:
        return write_xml(path)
    finally:
        for p, k in zip(parts, kept, strict=True):
            p.update(k)


def _streets_only(d: Path) -> Path:
    return _without(d / "streets.osm", POINTS, BUILDINGS)


def _premises_only(d: Path) -> Path:
    return _without(d / "premises.osm", STREETS)


def _not_osm(d: Path) -> Path:
    p = d / "notes.osm"
    p.write_text("this is not OpenStreetMap data\n")
    return p


@pytest.mark.parametrize("make, args, words", [
    (_not_osm, [], "not an OpenStreetMap file"),
    (_streets_only, [], "no premises"),
    (_premises_only, [], "no walkable streets"),
    (None, ["--bbox", "6.5,53.0,6.6,53.1"], "selects no streets"),
    (None, ["--bbox", ",".join(f"{v:.6f}" for v in (*lonlat(300, -20), *lonlat(500, 20)))],
     "selects no premises"),
    (None, ["--centre", "52.1,5.0", "--radius", "100"], "selects no streets"),
    (None, ["--bbox", "5,52,4,53"], "--bbox '5,52,4,53': need"),
    (None, ["--bbox", "5,52"], "must be 4 numbers"),
    (None, ["--centre", "5.0,52.0,1"], "must be 2 numbers"),
    (None, ["--radius", "100"], "--radius needs --centre"),
])
def test_bad_input_one_line_nothing_written(extracts, tmp_path, make, args, words):
    src = make(tmp_path) if make else extracts[0]
    out = tmp_path / "out" / "town.geojson"
    out.parent.mkdir()
    res = runner.invoke(cli, ["town", "from-osm", str(src), "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert list(out.parent.iterdir()) == []


def test_bad_out_and_missing_file(extracts, tmp_path):
    res = runner.invoke(cli, ["town", "from-osm", str(extracts[0]), "--out",
                              str(tmp_path / "town.txt")])
    assert res.exit_code == 2 and "must end in .geojson" in res.output
    res = runner.invoke(cli, ["town", "from-osm", str(tmp_path / "nope.osm"), "--out",
                              str(tmp_path / "t.geojson")])
    assert res.exit_code == 2 and "no such file" in res.output
    assert not (tmp_path / "t.geojson").exists()


def test_simplify_streets_drops_empty_dead_ends_and_merges_chains():
    """A street drawn with a vertex every 2 m, a bent street, a dead end with a shop at its end
    and one with nothing: the empty dead end goes, the shop's stays, chains lose their
    collinear vertices, bends stay, and walking distances are kept."""
    from sim.town_osm.build import _street_nodes, simplify_streets

    main = np.c_[np.arange(0.0, 201.0, 2.0), np.zeros(101)]  # (0, 0) -> (200, 0)
    bent = np.array([(200.0, 0.0), (250.0, 0.0), (250.0, 50.0), (250.2, 100.0)])
    shop_spur = np.c_[np.full(21, 100.0), np.arange(0.0, 41.0, 2.0)]  # up from (100, 0)
    empty_spur = np.c_[np.full(21, 50.0), -np.arange(0.0, 41.0, 2.0)]  # down from (50, 0)
    anchors = np.array([(103.0, 40.0), (5.0, 3.0), (253.0, 98.0)])  # shops by the ends
    s = simplify_streets([main, bent, shop_spur, empty_spur], anchors)
    assert s.dropped_m == pytest.approx(40.0)
    length = lambda c: float(np.hypot(*np.diff(c, axis=0).T).sum())  # noqa: E731
    assert s.length_before_m == pytest.approx(200 + 150.0004 + 40 + 40, abs=0.01)
    assert s.length_after_m == pytest.approx(s.length_before_m - 40, abs=0.01)
    assert sum(length(c) for c in s.lines) == pytest.approx(s.length_after_m)
    assert all(len(c) == 2 for c in s.lines if c[:, 1].max() == 0)  # straight: ends only
    # the corner at (250, 0) stays; (250, 50) is within 1 m of the straight line on to the end
    corners = {tuple(p) for c in s.lines for p in np.round(c, 1)}
    assert (250.0, 0.0) in corners and (250.0, 50.0) not in corners
    assert (100.0, 40.0) in corners and (50.0, -40.0) not in corners
    before = _street_nodes([main, bent, shop_spur, empty_spur])
    after = _street_nodes(s.lines)
    assert before > 2 * after
    # a junction stays (100, 0); where only two streets meet (200, 0) they become one line
    assert (100.0, 0.0) in corners and (200.0, 0.0) not in corners


def test_from_osm_reports_street_nodes_before_and_after(tmp_path):
    src = write_xml(tmp_path / "centre.osm")
    out = tmp_path / "town.geojson"
    res = runner.invoke(cli, ["town", "from-osm", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "street nodes as read" in res.output and "simplified" in res.output
    _, _, report = build_town(src)
    assert 0 < report.street_nodes <= report.street_nodes_before
    assert resolve_town(out).n_nodes == report.street_nodes
