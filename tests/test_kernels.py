"""Every numba kernel agrees with its plain-NumPy reference twin (hypothesis-generated inputs),
and the thin wrappers reject bad arrays with a clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import random as sparse_random
from scipy.sparse.csgraph import shortest_path

from sim.kernels import Kernels
from sim.kernels.flows import (
    decay_kernel,
    door_decay,
    visitor_flows_numba,
    visitor_flows_reference,
)
from sim.kernels.footfall import push_flows_numba, push_flows_reference
from sim.kernels.neighbourhood import local_vacancy_numba, local_vacancy_reference
from sim.kernels.rents import update_asking_rents_numba, update_asking_rents_reference


def _street_graph(rng: np.random.Generator, n: int):
    """A random connected street graph: a path plus random shortcuts, lengths in metres."""
    w = sparse_random(n, n, density=min(1.0, 3.0 / n), random_state=rng, format="lil")
    for i in range(n - 1):
        w[i, i + 1] = 10 + 40 * rng.random()
    w = w.tocsr()
    w.data = 10 + 40 * np.abs(w.data)
    dist, pred = shortest_path(w, directed=False, return_predecessors=True)
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    return dist, pred.astype(np.int32), order


def _flow_inputs(seed: int, n_nodes: int, n_units: int, n_entries: int, n_purposes: int = 4):
    rng = np.random.default_rng(seed)
    dist, _, _ = _street_graph(rng, n_nodes)
    unit_node = rng.integers(0, n_nodes, n_units).astype(np.int64)
    radius = np.quantile(dist, 0.6)
    lengths = np.array([150.0, 100.0])
    kernel = decay_kernel(dist, lengths, radius)
    door = door_decay(rng.uniform(0, 20, n_units), lengths)
    k = n_purposes
    attr = rng.random((k, n_units)) * (rng.random((k, n_units)) < 0.8) * 100
    m0 = np.zeros((k, 2, n_nodes))
    entry_node = rng.choice(n_nodes, size=n_entries, replace=False).astype(np.int64)
    m0[:, :, entry_node] = rng.random((k, 2, n_entries)) * 1000
    m0[:, :, rng.integers(0, n_nodes)] += 50  # residents at home
    cont = rng.random(k)
    max_stops = rng.integers(1, 6, k).astype(np.int64)
    ep = rng.random((n_nodes, n_entries))
    ep /= ep.sum(axis=1, keepdims=True)
    return kernel, door, unit_node, attr, m0, cont, max_stops, ep, entry_node


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 40), n_units=st.integers(1, 80),
       n_entries=st.integers(1, 2), n_purposes=st.integers(1, 5))
def test_visitor_flows_twins_agree(seed, n_nodes, n_units, n_entries, n_purposes):
    args = _flow_inputs(seed, n_nodes, n_units, n_entries, n_purposes)
    v1, od1, p1 = visitor_flows_numba(*args)
    v2, od2, p2 = visitor_flows_reference(*args)
    np.testing.assert_allclose(v1, v2, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(od1, od2, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(p1, p2, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 30), n_units=st.integers(1, 60))
def test_visits_are_attractiveness_times_potential(seed, n_nodes, n_units):
    """The stop potential forecasts any unit's visits: visits = sum_p attr[p] x potential[p]."""
    args = _flow_inputs(seed, n_nodes, n_units, 2)
    visits, _, potential = visitor_flows_numba(*args)
    attr = args[3]
    assert np.all(potential >= 0)
    np.testing.assert_allclose(visits, (attr * potential).sum(axis=0), rtol=1e-10, atol=1e-9)


def test_entry_points_sharing_a_node_keep_all_exit_flows():
    args = list(_flow_inputs(3, 10, 20, 2))
    args[8] = np.array([4, 4], dtype=np.int64)  # two entry points on one street node
    v1, od1, _ = visitor_flows_numba(*args)
    _v2, od2, _ = visitor_flows_reference(*args)
    np.testing.assert_allclose(od1, od2, rtol=1e-10, atol=1e-9)
    stops = v1.sum()
    np.testing.assert_allclose(od1.sum(), stops + args[4].sum(), rtol=1e-9)


def test_visitor_flows_match_the_huff_choice_by_hand():
    """Two units on two nodes, one purpose, one stop: visits split by A x exp(-d / L)."""
    dist = np.array([[0.0, 100.0], [100.0, 0.0]])
    lengths = np.array([50.0])
    kernel = decay_kernel(dist, lengths, 1000.0)
    door = door_decay(np.array([0.0, 10.0]), lengths)
    attr = np.array([[2.0, 3.0]])
    m0 = np.zeros((1, 1, 2))
    m0[0, 0, 0] = 100.0
    visits, _od, pot = visitor_flows_numba(kernel, door, np.array([0, 1]), attr, m0,
                                          np.array([0.0]), np.array([1]), np.ones((2, 1)),
                                          np.array([0]))
    w = np.array([2.0, 3.0 * np.exp(-110.0 / 50.0)])
    np.testing.assert_allclose(visits, 100.0 * w / w.sum())
    np.testing.assert_allclose(pot[0] * attr[0], visits)
    # beyond the radius a unit is not a candidate
    far = decay_kernel(dist, lengths, 50.0)
    v2, _, _ = visitor_flows_numba(far, door, np.array([0, 1]), attr, m0, np.array([0.0]),
                                   np.array([1]), np.ones((2, 1)), np.array([0]))
    np.testing.assert_allclose(v2, [100.0, 0.0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 40), n_units=st.integers(1, 80))
def test_visitor_flows_conserve_trips(seed, n_nodes, n_units):
    """Every trip leaves through an exit: total flow into exits equals trips started, and each
    trip makes at least one and at most max_stops stops (where it has any candidate)."""
    args = _flow_inputs(seed, n_nodes, n_units, 2)
    m0, max_stops = args[4], args[6]
    visits, od, _ = visitor_flows_numba(*args)
    assert np.all(visits >= 0) and np.all(od >= 0)
    legs_out = od.sum()
    started = m0.sum()
    # flow leaving = stop legs + exit legs; exits equal started trips
    stops = visits.sum()
    np.testing.assert_allclose(legs_out, stops + started, rtol=1e-9)
    assert stops <= started * max_stops.max() + 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30))
def test_push_flows_twins_agree(seed, n):
    rng = np.random.default_rng(seed)
    _, pred, order = _street_graph(rng, n)
    od = rng.random((n, n)) * (rng.random((n, n)) < 0.3) * 100
    np.testing.assert_allclose(push_flows_numba(od, order, pred),
                               push_flows_reference(od, order, pred), rtol=1e-10, atol=1e-9)


def test_push_flows_path_by_hand():
    # a line 0-1-2-3: flow 5 from 0 to 3 passes 1, 2 and arrives at 3
    n = 4
    dist = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    pred = np.array([[-9999, 0, 1, 2], [1, -9999, 1, 2], [1, 2, -9999, 2], [1, 2, 3, -9999]],
                    dtype=np.int32)
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    od = np.zeros((n, n))
    od[0, 3] = 5.0
    od[2, 2] = 1.0
    np.testing.assert_allclose(push_flows_numba(od, order, pred), [0, 5, 6, 5])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(1, 30), n_units=st.integers(1, 60))
def test_local_vacancy_twins_agree(seed, n_nodes, n_units):
    rng = np.random.default_rng(seed)
    unit_node = rng.integers(0, n_nodes, n_units).astype(np.int64)
    # Precondition (as built by sim.space): a node's list holds every unit on that node.
    lists = [np.flatnonzero((rng.random(n_units) < 0.3) | (unit_node == s)) for s in range(n_nodes)]
    ptr = np.r_[0, np.cumsum([len(x) for x in lists])].astype(np.int64)
    near = (np.concatenate(lists) if ptr[-1] else np.zeros(0)).astype(np.int32)
    vacant = rng.random(n_units) < 0.4
    eligible = rng.random(n_units) < 0.8
    a = local_vacancy_numba(ptr, near, unit_node, vacant, eligible)
    b = local_vacancy_reference(ptr, near, unit_node, vacant, eligible)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12)
        assert np.all((x >= 0) & (x <= 1))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 200))
def test_rent_twins_agree(seed, n):
    rng = np.random.default_rng(seed)
    asking = rng.uniform(0, 400, n)
    contract = rng.uniform(50, 400, n)
    months = rng.integers(0, 60, n).astype(np.int64)
    vacant = rng.random(n) < 0.5
    seen = np.where(rng.random(n) < 0.5, rng.uniform(0, 400, n), 0.0)
    reservation = rng.uniform(0, 200, n)
    a = update_asking_rents_numba(asking, contract, months, vacant, seen, reservation, 3.0,
                                  0.02, 0.3)
    b = update_asking_rents_reference(asking, contract, months, vacant, seen, reservation, 3.0,
                                      0.02, 0.3)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert np.all(a[vacant] >= reservation[vacant])


def test_rents_held_then_cut_toward_bids_never_below_reservation():
    k = Kernels("numba")
    one = lambda v, dt=float: np.array([v], dtype=dt)  # noqa: E731
    args = dict(contract=one(100.0), vacant=one(True, bool), hold=6.0, step=0.1, learning=0.5)
    no_bid, res = one(0.0), one(20.0)
    held = k.update_asking_rents(one(100.0), months_vacant=one(5, np.int64), seen=no_bid,
                                 reservation=res, **args)
    assert held[0] == 100.0  # within the hold: the owner asks its estimate
    fell = k.update_asking_rents(one(100.0), months_vacant=one(6, np.int64), seen=no_bid,
                                 reservation=res, **args)
    assert fell[0] == pytest.approx(90.0)
    learned = k.update_asking_rents(one(100.0), months_vacant=one(5, np.int64), seen=one(60.0),
                                    reservation=res, **args)
    assert learned[0] == pytest.approx(80.0)  # half way toward the bid seen
    floor = k.update_asking_rents(one(21.0), months_vacant=one(30, np.int64), seen=one(5.0),
                                  reservation=res, **args)
    assert floor[0] == pytest.approx(20.0)
    let = k.update_asking_rents(one(21.0), months_vacant=one(0, np.int64), seen=no_bid,
                                reservation=res, **{**args, "vacant": one(False, bool)})
    assert let[0] == 100.0  # an occupied unit's asking rent is its contract rent


@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_wrappers_reject_bad_input(backend):
    k = Kernels(backend)
    args = list(_flow_inputs(1, 5, 8, 1))
    bad_dtype = list(args)
    bad_dtype[3] = args[3].astype(np.int64)  # attr as ints
    with pytest.raises(ValueError, match="attr: expected a float array"):
        k.visitor_flows(*bad_dtype)
    bad_shape = list(args)
    bad_shape[4] = args[4][:, :, :-1]  # m0 missing a node
    with pytest.raises(ValueError, match="m0: dimension 2"):
        k.visitor_flows(*bad_shape)
    bad_index = list(args)
    bad_index[2] = args[2] + 100
    with pytest.raises(ValueError, match="unit_node"):
        k.visitor_flows(*bad_index)
    negative = list(args)
    negative[3] = -args[3]
    with pytest.raises(ValueError, match="attr: attractiveness must be finite and >= 0"):
        k.visitor_flows(*negative)
    with pytest.raises(ValueError, match="square"):
        k.push_flows(np.zeros((3, 4)), np.zeros((3, 3), np.int32), np.zeros((3, 3), np.int32))
    with pytest.raises(ValueError, match="vacant: expected a bool array"):
        k.local_vacancy(np.array([0, 1]), np.array([0], np.int32), np.array([0]), np.array([1]),
                        np.array([True]))
    with pytest.raises(ValueError, match="expected a NumPy array"):
        k.push_flows([[1.0]], np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int32))


def test_unknown_backend():
    with pytest.raises(ValueError, match="allowed: numba, reference"):
        Kernels("cuda")
