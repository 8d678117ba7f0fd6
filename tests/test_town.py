"""Town generation: presets, determinism, zones, anchors, entries and a realistic mix."""

from __future__ import annotations

import numpy as np
import pytest

from sim.functions import Anchor, Function, Zone
from sim.space import build_street_network
from sim.town import PRESETS, generate_town


@pytest.mark.parametrize(("preset", "n"), [("small", 150), ("medium", 600), ("large", 2500)])
def test_preset_sizes(preset, n):
    t = generate_town(preset, seed=0)
    assert t.n_units == n == PRESETS[preset].n_units
    t.validate()


def test_xl_size():
    assert generate_town("xl", seed=0).n_units == 10_000


def test_deterministic_for_a_seed():
    a, b, c = generate_town("medium", 5), generate_town("medium", 5), generate_town("medium", 6)
    for name in ("unit_x", "unit_y", "floor_area", "function", "owner", "chain", "anchor"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.function, c.function) or not np.array_equal(a.floor_area,
                                                                           c.floor_area)


def test_zones_entries_and_anchors():
    t = generate_town("medium", seed=0)
    zones = np.bincount(t.unit_zone, minlength=3) / t.n_units
    assert all(0.2 < z < 0.45 for z in zones)  # roughly a third each
    assert set(t.entry_kind) == {"parking", "station", "bike", "residential"}
    assert t.entry_weight.sum() == pytest.approx(1.0)
    assert (t.anchor == Anchor.DEPARTMENT_STORE).sum() == 1
    assert (t.anchor == Anchor.SUPERMARKET).sum() == 3
    assert (t.function[t.anchor == Anchor.MARKET_SQUARE] == Function.MARKET).all()
    # core units are larger than aanloop units, and the core is fashion-heavy
    assert np.median(t.floor_area[t.unit_zone == Zone.CORE]) > np.median(
        t.floor_area[t.unit_zone == Zone.AANLOOP])
    core = t.function[t.unit_zone == Zone.CORE]
    assert (core == Function.FASHION).mean() > (core == Function.HOUSING).mean()
    fringe = t.function[t.unit_zone == Zone.FRINGE]
    assert (fringe == Function.HOUSING).mean() > 0.2
    # chains favour the core
    assert t.chain[t.unit_zone == Zone.CORE].mean() > t.chain[t.unit_zone == Zone.FRINGE].mean()
    # owners: the municipality (0) owns the public anchors; institutions own many units each
    assert (t.owner[np.isin(t.anchor, [Anchor.MARKET_SQUARE, Anchor.CULTURE])] == 0).all()
    inst_units = np.bincount(t.owner[t.owner_institutional[t.owner]])
    assert inst_units[inst_units > 0].mean() > 3


def test_street_network_is_connected_and_metric():
    t = generate_town("small", seed=0)
    net = build_street_network(t, contagion_radius=60, choice_radius=900)
    d = net.pair_dist
    assert np.isfinite(d).all() and np.isfinite(net.exit_dist).all()
    # pairs are symmetric (same pattern, same distance both ways) and within the radius
    rows = np.repeat(np.arange(t.n_nodes), np.diff(net.pair_ptr))
    pair = dict(zip(zip(rows.tolist(), net.pair_col.tolist(), strict=True), d, strict=True))
    assert all(pair[t_, s_] == v for (s_, t_), v in pair.items())
    assert d.max() <= 900 and all(pair[s_, s_] == 0.0 for s_ in net.sources.tolist())
    # triangle inequality through node 0, and edges are 25 m street cells
    assert np.allclose(t.edge_length, 25.0)
    d0 = {c: v for (r, c), v in pair.items() if r == net.sources[0]}
    assert all(d0[c] <= d0[r] + v + 1e-9 for (r, c), v in pair.items() if r in d0 and c in d0)
    # every node's contagion list contains the units on that node
    for s in range(t.n_nodes):
        members = set(net.near_unit[net.near_ptr[s]:net.near_ptr[s + 1]].tolist())
        assert set(np.flatnonzero(t.unit_node == s).tolist()) <= members


def test_unknown_preset():
    with pytest.raises(ValueError, match="allowed: small, medium, large, xl"):
        generate_town("village")
