"""Town files: the shipped example, save/load round trips, error messages, `resolve_town`."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from sim.functions import FUNCTION_NAMES, Anchor, Function, Zone
from sim.town import CELL_M, ENTRY_KINDS, generate_town
from sim.town_io import EXAMPLE_TOWN, TownFileError, load_town, resolve_town, save_town


def _unit(x: float, y: float, **props) -> dict:
    base = {"kind": "unit", "zone": "core", "floor_area": 120, "function": "fashion"}
    base.update(props)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": base}


def _minimal() -> dict:
    """A small valid town: an L of two streets (100 m and 50 m), one entry, four units."""
    return {
        "type": "FeatureCollection",
        "properties": {"name": "Mini", "catchment_population": 5000},
        "features": [
            {"type": "Feature",
             "geometry": {"type": "LineString", "coordinates": [[0, 0], [100, 0], [100, 50]]},
             "properties": {"kind": "street"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 5]},
             "properties": {"kind": "entry", "entry_kind": "parking", "weight": 2}},
            _unit(20, 9),
            _unit(60, -9, zone="aanloop", function="vacant", owner="A", owner_type="institutional"),
            _unit(80, 9, function="housing", owner="A"),
            _unit(109, 40, zone="fringe", function="culture", anchor="culture",
                  owner_type="municipality"),
        ],
    }


def _write(tmp_path: Path, doc: dict | str, name: str = "town.geojson") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def _groups(owner: np.ndarray) -> set[frozenset[int]]:
    g: dict[int, set[int]] = defaultdict(set)
    for u, o in enumerate(owner.tolist()):
        g[o].add(u)
    return {frozenset(s) for s in g.values()}


# ------------------------------------------------------------------------------ the example
def test_example_loads_and_validates():
    t = load_town(EXAMPLE_TOWN)
    t.validate()
    assert t.name == "Voorbeeldstad"
    assert 80 <= t.n_units <= 150
    assert set(t.entry_kind) == set(ENTRY_KINDS)
    assert np.isclose(t.entry_weight.sum(), 1.0)
    assert set(np.unique(t.unit_zone).tolist()) == {Zone.CORE, Zone.AANLOOP, Zone.FRINGE}
    anchors = set(t.anchor.tolist())
    assert {Anchor.SUPERMARKET, Anchor.MARKET_SQUARE, Anchor.CULTURE} <= anchors
    market = np.flatnonzero(t.anchor == Anchor.MARKET_SQUARE)
    assert np.all(t.function[market] == Function.MARKET)
    # The municipality (owner 0) owns the market and the culture anchor.
    assert np.all(t.owner[(t.anchor == Anchor.MARKET_SQUARE) | (t.anchor == Anchor.CULTURE)] == 0)
    assert not t.owner_institutional[0]
    # Institutional owners each hold several core units.
    inst = np.flatnonzero(t.owner_institutional)
    assert len(inst) >= 2
    for o in inst:
        assert np.sum((t.owner == o) & (t.unit_zone == Zone.CORE)) >= 3
    # About 10% of retail units vacant, mostly in the aanloopstraten.
    vacant = t.function == Function.VACANT
    assert 0.05 <= vacant.sum() / t.retail_allowed.sum() <= 0.15
    assert np.sum(vacant & (t.unit_zone == Zone.AANLOOP)) > vacant.sum() / 2
    assert np.all(t.edge_length <= CELL_M + 1e-9)


def test_example_runs_in_model():
    from sim.model import CityCentreModel

    model = CityCentreModel(town=load_town(EXAMPLE_TOWN), rng=1)
    model.run_months(3)
    assert model.steps == 3


# ------------------------------------------------------------------------------ round trip
def test_round_trip_generated_town(tmp_path):
    t = generate_town("small", seed=3)
    p = tmp_path / "small.geojson"
    save_town(t, p)
    t2 = load_town(p)
    assert t2.name == t.name
    assert t2.catchment_population == t.catchment_population
    assert t2.n_units == t.n_units
    assert t2.n_nodes == t.n_nodes
    assert len(t2.edge_u) == len(t.edge_u)
    np.testing.assert_allclose(np.sort(t2.edge_length), np.sort(t.edge_length))
    for name in ("unit_zone", "function", "upper_floors", "chain", "anchor", "retail_allowed"):
        np.testing.assert_array_equal(getattr(t2, name), getattr(t, name), err_msg=name)
    np.testing.assert_allclose(t2.floor_area, t.floor_area)
    np.testing.assert_allclose(t2.unit_x, t.unit_x)
    # Same owner grouping and types; the municipality stays owner 0.
    assert _groups(t2.owner) == _groups(t.owner)
    np.testing.assert_array_equal(t2.owner_institutional[t2.owner],
                                  t.owner_institutional[t.owner])
    assert np.all((t2.owner == 0) == (t.owner == 0))
    np.testing.assert_allclose(t2.entry_weight, t.entry_weight, atol=1e-6)
    assert t2.entry_kind == t.entry_kind
    # Units sit at the same street positions.
    np.testing.assert_allclose(t2.node_x[t2.unit_node], t.node_x[t.unit_node])
    np.testing.assert_allclose(t2.node_y[t2.unit_node], t.node_y[t.unit_node])
    # A loaded town is a fixed point of save -> load: every array comes back identical.
    p2 = tmp_path / "again.geojson"
    save_town(t2, p2)
    t3 = load_town(p2)
    for f in fields(t2):
        if f.name != "meta":
            np.testing.assert_array_equal(getattr(t3, f.name), getattr(t2, f.name),
                                          err_msg=f.name)


def test_minimal_file_defaults_and_streets(tmp_path):
    t = load_town(_write(tmp_path, _minimal()))
    # 100 m -> 4 cells, 50 m -> 2 cells: 7 nodes, 6 edges of 25 m.
    assert t.n_nodes == 7 and len(t.edge_u) == 6
    np.testing.assert_allclose(t.edge_length, 25.0)
    assert t.entry_weight.tolist() == [1.0]
    assert t.retail_allowed.tolist() == [True, True, False, True]
    assert t.owner[3] == 0 and t.owner[1] == t.owner[2] != t.owner[0]
    assert t.owner_institutional[t.owner[1]] and not t.owner_institutional[t.owner[0]]
    assert t.upper_floors.tolist() == [0, 0, 0, 0]
    assert t.unit_node[0] == int(np.argmin(np.hypot(t.node_x - 20, t.node_y)))


def test_t_junction_and_close_vertices_join(tmp_path):
    doc = _minimal()
    # A side street ending on the middle of the first segment (no vertex there) and one whose end
    # is 0.5 m from a vertex: both must connect.
    doc["features"] += [
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [[50, 0.3], [50, -60]]},
         "properties": {"kind": "street", "zone": "fringe"}},
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [[100.5, 50.2], [150, 50]]},
         "properties": {"kind": "street"}},
    ]
    t = load_town(_write(tmp_path, doc))
    assert np.all(t.edge_length <= CELL_M + 1e-3)  # 1 mm slack: the T-junction is 0.3 m off
    assert np.sum(t.node_zone == Zone.FRINGE) >= 3


def test_town_feature_instead_of_top_level_properties(tmp_path):
    doc = _minimal()
    del doc["properties"]
    doc["features"].append({"type": "Feature", "geometry": None,
                            "properties": {"kind": "town", "name": "Via feature",
                                           "catchment_population": 1234}})
    t = load_town(_write(tmp_path, doc))
    assert t.name == "Via feature" and t.catchment_population == 1234


# ------------------------------------------------------------------------------ errors
def _unit_feature(doc: dict, k: int = 0) -> dict:
    return [f for f in doc["features"] if f["properties"].get("kind") == "unit"][k]


def _set(**props):
    def edit(doc):
        _unit_feature(doc)["properties"].update(props)
    return edit


def _drop(key):
    def edit(doc):
        del _unit_feature(doc)["properties"][key]
    return edit


def _no_entries(doc):
    doc["features"] = [f for f in doc["features"] if f["properties"]["kind"] != "entry"]


def _no_streets(doc):
    doc["features"] = [f for f in doc["features"] if f["properties"]["kind"] != "street"]


def _disconnected(doc):
    doc["features"].append({"type": "Feature",
                            "geometry": {"type": "LineString",
                                         "coordinates": [[300, 300], [340, 300]]},
                            "properties": {"kind": "street"}})


def _unknown_kind(doc):
    doc["features"].append({"type": "Feature", "geometry": None,
                            "properties": {"kind": "tree"}})


def _dup_id(doc):
    for k in (0, 1):
        _unit_feature(doc, k)["properties"]["unit_id"] = "A1"


def _no_catchment(doc):
    del doc["properties"]["catchment_population"]


def _entry_kind(doc):
    doc["features"][1]["properties"]["entry_kind"] = "airport"


ERROR_CASES = [
    ("missing zone", _drop("zone"), ["feature 2 (unit)", "zone", "core, aanloop, fringe"]),
    ("bad zone", _set(zone="centre"),
     ["feature 2 (unit)", "zone 'centre' is not allowed; allowed: core, aanloop, fringe"]),
    ("unknown function", _set(function="bakery"),
     ["feature 2 (unit)", "function 'bakery'", ", ".join(FUNCTION_NAMES)]),
    ("negative area", _set(floor_area=-20),
     ["feature 2 (unit)", "floor_area", "from 1 to 100,000 m2"]),
    ("area as text", _set(floor_area="120"), ["feature 2 (unit)", "floor_area", "number"]),
    ("missing area", _drop("floor_area"), ["feature 2 (unit)", "floor_area"]),
    ("bad upper floors", _set(upper_floors=1.5), ["feature 2 (unit)", "upper_floors"]),
    ("bool as int", _set(chain=1), ["feature 2 (unit)", "chain", "true or false"]),
    ("chain on housing", _set(function="housing", chain=True), ["feature 2 (unit)", "chain"]),
    ("bad anchor", _set(anchor="castle"), ["feature 2 (unit)", "anchor", "market_square"]),
    ("bad owner type", _set(owner_type="bank"),
     ["feature 2 (unit)", "owner_type", "private, institutional, municipality"]),
    ("conflicting owner type", _set(owner="A", owner_type="private"),
     ["feature 3 (unit)", "owner 'A'", "owner_type"]),
    ("duplicate unit id", _dup_id, ["feature 3 (unit)", "unit_id 'A1'"]),
    ("no entries", _no_entries, ["no entries", "parking, station, bike, residential"]),
    ("bad entry kind", _entry_kind, ["feature 1 (entry)", "entry_kind 'airport'", "parking"]),
    ("no streets", _no_streets, ["no streets"]),
    ("disconnected", _disconnected, ["disconnected", "2 components"]),
    ("unknown kind", _unknown_kind,
     ["feature 6", "kind 'tree' is not allowed; allowed: street, entry, unit, town"]),
    ("no catchment", _no_catchment, ["catchment_population"]),
]


@pytest.mark.parametrize(("label", "edit", "needles"), ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_name_file_and_field(tmp_path, label, edit, needles):
    doc = copy.deepcopy(_minimal())
    edit(doc)
    p = _write(tmp_path, doc, name="my.geojson")
    with pytest.raises(TownFileError) as exc:
        load_town(p)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(str(p)), msg
    for needle in needles:
        assert needle in msg, (label, needle, msg)


def test_malformed_json(tmp_path):
    p = _write(tmp_path, '{"type": "FeatureCollection", "features": [', name="broken.geojson")
    with pytest.raises(TownFileError, match=r"broken\.geojson: malformed JSON at line 1"):
        load_town(p)


def test_not_a_feature_collection(tmp_path):
    p = _write(tmp_path, '{"type": "Feature"}')
    with pytest.raises(TownFileError, match="FeatureCollection"):
        load_town(p)


def test_unreadable_file(tmp_path):
    with pytest.raises(TownFileError, match=r"missing\.geojson: cannot read \(no such file\)"):
        load_town(tmp_path / "missing.geojson")


def test_degree_coordinates_rejected(tmp_path):
    doc = _minimal()
    for f in doc["features"]:
        g = f["geometry"]
        if g["type"] == "Point":
            g["coordinates"] = [5.1 + g["coordinates"][0] * 1e-5, 52.1 + g["coordinates"][1] * 1e-5]
        else:
            g["coordinates"] = [[5.1 + x * 1e-5, 52.1 + y * 1e-5] for x, y in g["coordinates"]]
    with pytest.raises(TownFileError, match="not degrees"):
        load_town(_write(tmp_path, doc))


def test_unit_far_from_streets_rejected(tmp_path):
    doc = _minimal()
    _unit_feature(doc)["geometry"]["coordinates"] = [5000, 5000]
    with pytest.raises(TownFileError, match=r"feature 2 \(unit\): unit is \d+ m from"):
        load_town(_write(tmp_path, doc))


def test_validate_errors_are_wrapped(tmp_path, monkeypatch):
    from sim import town as town_mod

    def broken(self):
        raise ValueError("owner refers to an owner that does not exist")

    monkeypatch.setattr(town_mod.Town, "validate", broken)
    p = _write(tmp_path, _minimal(), name="v.geojson")
    with pytest.raises(TownFileError, match=r"v\.geojson: owner refers"):
        load_town(p)


# ------------------------------------------------------------------------------ resolve
def test_resolve_preset():
    t = resolve_town("small", seed=3)
    ref = generate_town("small", seed=3)
    assert t.n_units == ref.n_units
    np.testing.assert_array_equal(t.function, ref.function)


def test_resolve_file(tmp_path):
    assert resolve_town(str(EXAMPLE_TOWN)).name == "Voorbeeldstad"
    p = _write(tmp_path, _minimal(), name="mini.txt")  # any existing file
    assert resolve_town(str(p)).name == "Mini"


def test_resolve_unknown():
    with pytest.raises(TownFileError,
                       match=r"unknown town 'tiny'; allowed: small, medium, large, xl or a "
                             r"\.geojson file"):
        resolve_town("tiny")


def test_resolve_missing_geojson_is_file_error(tmp_path):
    with pytest.raises(TownFileError, match=r"cannot read \(no such file\)"):
        resolve_town(str(tmp_path / "nope.geojson"))


def test_documented_minimal_example_loads(tmp_path):
    doc = (Path(__file__).parents[1] / "docs" / "town_format.md").read_text(encoding="utf-8")
    section = doc.split("## Minimal valid example", 1)[1]
    block = section.split("```json", 1)[1].split("```", 1)[0]
    t = load_town(_write(tmp_path, block, name="doc.geojson"))
    assert t.n_nodes == 7 and len(t.edge_u) == 6 and t.n_units == 4
    assert t.owner[1] == t.owner[2] and t.owner_institutional[t.owner[1]] and t.owner[3] == 0
