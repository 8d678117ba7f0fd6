"""Every numba kernel agrees with its plain-NumPy reference twin (hypothesis-generated inputs),
the sparse flow and footfall kernels agree with the dense formulation they replaced
(`sim.kernels.dense`), and the thin wrappers reject bad arrays with a clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import random as sparse_random
from scipy.sparse.csgraph import shortest_path

from sim.kernels import Kernels
from sim.kernels.dense import (
    decay_kernel,
    push_flows_dense_numba,
    push_flows_dense_reference,
    visitor_flows_dense_numba,
    visitor_flows_dense_reference,
)
from sim.kernels.flows import (
    choice_kernel,
    door_decay,
    od_dense,
    visitor_flows_numba,
    visitor_flows_reference,
)
from sim.kernels.footfall import push_flows_numba, push_flows_reference
from sim.kernels.neighbourhood import local_vacancy_numba, local_vacancy_reference
from sim.kernels.rents import update_asking_rents_numba, update_asking_rents_reference
from sim.space import flow_lists


def _graph(rng: np.random.Generator, n: int):
    """A random connected street graph: a path plus random shortcuts, lengths in metres."""
    w = sparse_random(n, n, density=min(1.0, 3.0 / n), random_state=rng, format="lil")
    for i in range(n - 1):
        w[i, i + 1] = 10 + 40 * rng.random()
    w = w.tocsr()
    w.data = 10 + 40 * np.abs(w.data)
    return w.maximum(w.T).tocsr()


def _street_graph(rng: np.random.Generator, n: int):
    """Dense all-pairs distances, predecessors and farthest-first order of a random graph."""
    g = _graph(rng, n)
    dist, pred = shortest_path(g, method="D", directed=False, return_predecessors=True)
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    return g, dist, pred.astype(np.int32), order


def _flow_case(seed: int, n_nodes: int, n_units: int, n_entries: int, n_purposes: int = 4,
               quantile: float = 0.6):
    """(sparse args, dense args, lists, dense (order, pred)) of one random month."""
    rng = np.random.default_rng(seed)
    g, dist, pred, order = _street_graph(rng, n_nodes)
    unit_node = rng.integers(0, n_nodes, n_units).astype(np.int64)
    entry_node = rng.choice(n_nodes, size=min(n_entries, n_nodes), replace=False).astype(np.int64)
    radius = float(np.quantile(dist, quantile))
    lengths = np.array([150.0, 100.0])
    door = door_decay(rng.uniform(0, 20, n_units), lengths)
    k = n_purposes
    attr = rng.random((k, n_units)) * (rng.random((k, n_units)) < 0.8) * 100
    m0 = np.zeros((k, 2, n_nodes))
    m0[:, :, entry_node] = rng.random((k, 2, len(entry_node))) * 1000
    m0[:, :, unit_node[rng.integers(0, n_units)]] += 50  # residents at home
    cont = rng.random(k)
    max_stops = rng.integers(1, 6, k).astype(np.int64)
    ep = rng.random((n_nodes, len(entry_node)))
    ep /= ep.sum(axis=1, keepdims=True)
    sources = np.union1d(unit_node, entry_node)
    lists = flow_lists(g, sources, entry_node, radius)
    tail = (door, unit_node, attr, m0, cont, max_stops, ep, entry_node)
    sparse = (lists.pair_ptr, lists.pair_col, choice_kernel(lists.pair_dist, lengths), *tail)
    dense = (decay_kernel(dist, lengths, radius), *tail)
    return sparse, dense, lists, (order, pred)


def _push_args(sparse, lists, od, exit_mass):
    ptr, col = sparse[0], sparse[1]
    ep, en = sparse[9], sparse[10]
    return ptr, col, od, exit_mass, ep, en, lists.tree_ptr, lists.tree_node, lists.tree_pred


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 40), n_units=st.integers(1, 80),
       n_entries=st.integers(1, 2), n_purposes=st.integers(1, 5))
def test_visitor_flows_twins_agree(seed, n_nodes, n_units, n_entries, n_purposes):
    sparse, _, _, _ = _flow_case(seed, n_nodes, n_units, n_entries, n_purposes)
    for x, y in zip(visitor_flows_numba(*sparse), visitor_flows_reference(*sparse), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 40), n_units=st.integers(1, 80),
       n_entries=st.integers(1, 3), n_purposes=st.sampled_from([1, 4, 5]),
       quantile=st.floats(0.05, 1.0))
def test_sparse_flows_and_footfall_match_the_dense_formulation(seed, n_nodes, n_units,
                                                               n_entries, n_purposes, quantile):
    """Only the pairs within the radius between sources, and the cut trees, are kept: visits,
    potential, flows and footfall are those of the dense kernel on every node pair."""
    sparse, dense, lists, (order, pred) = _flow_case(seed, n_nodes, n_units, n_entries,
                                                     n_purposes, quantile)
    visits, od, exit_mass, pot = visitor_flows_numba(*sparse)
    d_visits, d_od, d_pot = visitor_flows_dense_numba(*dense)
    r_visits, r_od, r_pot = visitor_flows_dense_reference(*dense)
    np.testing.assert_allclose(visits, d_visits, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(visits, r_visits, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(pot, d_pot, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(pot, r_pot, rtol=1e-10, atol=1e-12)
    full = od_dense(sparse[0], sparse[1], od, exit_mass, sparse[9], sparse[10])
    np.testing.assert_allclose(full, d_od, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(full, r_od, rtol=1e-10, atol=1e-9)
    foot = push_flows_numba(*_push_args(sparse, lists, od, exit_mass))
    np.testing.assert_allclose(foot, push_flows_dense_numba(d_od, order, pred), rtol=1e-10,
                               atol=1e-9)
    # on the same flows the cut trees give bit-identical sums
    np.testing.assert_array_equal(foot, push_flows_dense_numba(full, order, pred))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 30), n_units=st.integers(1, 60))
def test_visits_are_attractiveness_times_potential(seed, n_nodes, n_units):
    """The stop potential forecasts any unit's visits: visits = sum_p attr[p] x potential[p]."""
    sparse, _, _, _ = _flow_case(seed, n_nodes, n_units, 2)
    visits, _, _, potential = visitor_flows_numba(*sparse)
    attr = sparse[5]
    assert np.all(potential >= 0)
    np.testing.assert_allclose(visits, (attr * potential).sum(axis=0), rtol=1e-10, atol=1e-9)


def test_entry_points_sharing_a_node_keep_all_exit_flows():
    sparse, _, lists, _ = _flow_case(3, 10, 20, 2)
    sparse = list(sparse)
    sparse[10] = np.array([4, 4], dtype=np.int64)  # two entry points on one street node
    sparse[3] = sparse[3].copy()
    sources = np.union1d(sparse[4], [4])
    from sim.kernels.flows import choice_kernel as ck
    lists = flow_lists(_graph(np.random.default_rng(3), 10), sources, sparse[10])
    sparse[0], sparse[1] = lists.pair_ptr, lists.pair_col
    sparse[2] = ck(lists.pair_dist, np.array([150.0, 100.0]))
    m0 = np.zeros_like(sparse[6])
    m0[:, :, 4] = 100.0
    sparse[6] = m0
    v1, od1, em1, _ = visitor_flows_numba(*sparse)
    _v2, od2, _em2, _ = visitor_flows_reference(*sparse)
    np.testing.assert_allclose(od1, od2, rtol=1e-10, atol=1e-9)
    full = od_dense(sparse[0], sparse[1], od1, em1, sparse[9], sparse[10])
    np.testing.assert_allclose(full.sum(), v1.sum() + m0.sum(), rtol=1e-9)


def test_visitor_flows_match_the_huff_choice_by_hand():
    """Two units on two nodes, one purpose, one stop: visits split by A x exp(-d / L)."""
    lengths = np.array([50.0])
    ptr = np.array([0, 2, 4])
    col = np.array([0, 1, 0, 1], dtype=np.int32)
    kval = choice_kernel(np.array([0.0, 100.0, 100.0, 0.0]), lengths)
    door = door_decay(np.array([0.0, 10.0]), lengths)
    attr = np.array([[2.0, 3.0]])
    m0 = np.zeros((1, 1, 2))
    m0[0, 0, 0] = 100.0
    visits, _od, _em, pot = visitor_flows_numba(ptr, col, kval, door, np.array([0, 1]), attr, m0,
                                                np.array([0.0]), np.array([1]), np.ones((2, 1)),
                                                np.array([0]))
    w = np.array([2.0, 3.0 * np.exp(-110.0 / 50.0)])
    np.testing.assert_allclose(visits, 100.0 * w / w.sum())
    np.testing.assert_allclose(pot[0] * attr[0], visits)
    # beyond the radius a unit is not a candidate: the pair is not in the pattern
    near = (np.array([0, 1, 2]), np.array([0, 1], dtype=np.int32), kval[[0, 3]])
    v2, _, _, _ = visitor_flows_numba(*near, door, np.array([0, 1]), attr, m0, np.array([0.0]),
                                      np.array([1]), np.ones((2, 1)), np.array([0]))
    np.testing.assert_allclose(v2, [100.0, 0.0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 40), n_units=st.integers(1, 80))
def test_visitor_flows_conserve_trips(seed, n_nodes, n_units):
    """Every trip leaves through an exit: the exits carry the trips started, and each trip makes
    at least one and at most max_stops stops (where it has any candidate)."""
    sparse, _, _, _ = _flow_case(seed, n_nodes, n_units, 2)
    m0, max_stops = sparse[6], sparse[8]
    visits, od, exit_mass, _ = visitor_flows_numba(*sparse)
    assert np.all(visits >= 0) and np.all(od >= 0) and np.all(exit_mass >= 0)
    stops, started = visits.sum(), m0.sum()
    np.testing.assert_allclose(od.sum(), stops, rtol=1e-9)  # a stop leg per stop
    np.testing.assert_allclose(exit_mass.sum(), started, rtol=1e-9)  # an exit leg per trip
    assert stops <= started * max_stops.max() + 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), n_entries=st.integers(1, 3))
def test_push_flows_twins_agree(seed, n, n_entries):
    sparse, _, lists, _ = _flow_case(seed, n, max(1, n // 2), min(n_entries, n))
    rng = np.random.default_rng(seed + 1)
    od = rng.random(len(sparse[1])) * (rng.random(len(sparse[1])) < 0.5) * 100
    exit_mass = np.where(np.diff(sparse[0]) > 0, rng.random(n) * 10, 0.0)
    args = _push_args(sparse, lists, od, exit_mass)
    np.testing.assert_allclose(push_flows_numba(*args), push_flows_reference(*args), rtol=1e-10,
                               atol=1e-9)


def test_dense_push_twins_agree():
    _, _, pred, order = _street_graph(np.random.default_rng(5), 20)
    od = np.random.default_rng(6).random((20, 20)) * 100
    np.testing.assert_allclose(push_flows_dense_numba(od, order, pred),
                               push_flows_dense_reference(od, order, pred), rtol=1e-10)


def test_push_flows_path_by_hand():
    # a line 0-1-2-3: flow 5 from 0 to 3 passes 1, 2 and arrives at 3; 1 stays at 2
    ptr = np.array([0, 1, 1, 2, 2])
    col = np.array([3, 2], dtype=np.int32)
    od = np.array([5.0, 1.0])
    tree_ptr = np.array([0, 3, 3, 5, 5])
    tree_node = np.array([3, 2, 1, 1, 3], dtype=np.int32)  # from 0: 3, 2, 1; from 2: 1, 3
    tree_pred = np.array([2, 1, 0, 2, 2], dtype=np.int32)
    args = (ptr, col, od, np.zeros(4), np.ones((4, 1)), np.array([0]), tree_ptr, tree_node,
            tree_pred)
    np.testing.assert_allclose(push_flows_numba(*args), [0, 5, 6, 5])
    np.testing.assert_allclose(push_flows_reference(*args), [0, 5, 6, 5])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), quantile=st.floats(0.0, 1.0))
def test_flow_lists_are_the_all_pairs_rows_cut(seed, n, quantile):
    """Pairs and trees are the all-pairs Dijkstra rows restricted: same distances, same
    predecessors, the full farthest-first order with the nodes that carry no flow left out."""
    rng = np.random.default_rng(seed)
    g, dist, pred, order = _street_graph(rng, n)
    sources = np.unique(rng.integers(0, n, max(1, n // 3)))
    entries = sources[:2]
    radius = float(np.quantile(dist, quantile))
    lists = flow_lists(g, sources, entries, radius)
    for s in range(n):
        cols = lists.pair_col[lists.pair_ptr[s]:lists.pair_ptr[s + 1]]
        nodes = lists.tree_node[lists.tree_ptr[s]:lists.tree_ptr[s + 1]]
        if s not in sources:
            assert len(cols) == 0 and len(nodes) == 0
            continue
        want = sources[dist[s, sources] <= radius]
        np.testing.assert_array_equal(cols, want)
        np.testing.assert_array_equal(lists.pair_dist[lists.pair_ptr[s]:lists.pair_ptr[s + 1]],
                                      dist[s, want])
        on_path = set()
        for e in entries:
            node = e
            while node != s:
                on_path.add(int(node))
                node = pred[s, node]
        keep = {int(t) for t in np.flatnonzero(dist[s] <= radius) if t != s} | on_path
        np.testing.assert_array_equal(nodes, [t for t in order[s] if t in keep])
        np.testing.assert_array_equal(lists.tree_pred[lists.tree_ptr[s]:lists.tree_ptr[s + 1]],
                                      pred[s, nodes])
        np.testing.assert_array_equal(lists.exit_dist[s], dist[s, entries])


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
    sparse, _, lists, _ = _flow_case(1, 5, 8, 1)
    args = list(sparse)
    bad_dtype = list(args)
    bad_dtype[5] = args[5].astype(np.int64)  # attr as ints
    with pytest.raises(ValueError, match="attr: expected a float array"):
        k.visitor_flows(*bad_dtype)
    bad_shape = list(args)
    bad_shape[6] = args[6][:, :, :-1]  # m0 missing a node
    with pytest.raises(ValueError, match="m0: dimension 2"):
        k.visitor_flows(*bad_shape)
    bad_index = list(args)
    bad_index[4] = args[4] + 100
    with pytest.raises(ValueError, match="unit_node"):
        k.visitor_flows(*bad_index)
    negative = list(args)
    negative[5] = -args[5]
    with pytest.raises(ValueError, match="attr: attractiveness must be finite and >= 0"):
        k.visitor_flows(*negative)
    bad_ptr = list(args)
    bad_ptr[0] = args[0][::-1].copy()
    with pytest.raises(ValueError, match="ptr: expected CSR row pointers"):
        k.visitor_flows(*bad_ptr)
    not_source = list(args)
    m0 = np.zeros_like(args[6])
    empty = np.flatnonzero(np.diff(args[0]) == 0)
    if len(empty):
        m0[0, 0, empty[0]] = 1.0
        not_source[6] = m0
        with pytest.raises(ValueError, match="m0: trips start at a node that has no"):
            k.visitor_flows(*not_source)
    _visits, od, em, _ = k.visitor_flows(*args)
    push = list(_push_args(sparse, lists, od, em))
    with pytest.raises(ValueError, match="od: dimension 0"):
        k.push_flows(*push[:2], od[:-1], *push[3:])
    bad_tree = list(push)
    bad_tree[7] = push[7] + 100
    with pytest.raises(ValueError, match="tree_node: node index out of range"):
        k.push_flows(*bad_tree)
    with pytest.raises(ValueError, match="vacant: expected a bool array"):
        k.local_vacancy(np.array([0, 1]), np.array([0], np.int32), np.array([0]), np.array([1]),
                        np.array([True]))
    with pytest.raises(ValueError, match="expected a NumPy array"):
        k.push_flows([0, 1], *push[1:])


def test_unknown_backend():
    with pytest.raises(ValueError, match="allowed: numba, reference"):
        Kernels("cuda")


def test_the_model_picks_the_faster_formulation_and_both_agree(monkeypatch):
    """Small, densely filled street networks run the dense kernels, the others the sparse ones
    (`sim.flows.use_dense`); a whole run on either gives the same results (to rounding)."""
    import sim
    from sim import flows
    from sim.model import CityCentreModel

    small = CityCentreModel("small", rng=0, burn_in=False)
    assert small.geometry.dense is not None
    assert CityCentreModel("large", rng=0, burn_in=False).geometry.dense is None
    dense = sim.run(town="small", years=3, seed=6, figures=False, policies=["compaction"])
    monkeypatch.setattr(flows, "DENSE_MAX_NODES", 0)
    assert CityCentreModel("small", rng=0, burn_in=False).geometry.dense is None
    sparse = sim.run(town="small", years=3, seed=6, figures=False, policies=["compaction"])
    a, b = dense.timeseries, sparse.timeseries
    for col in a.columns:
        if a[col].dtype.kind == "f":
            scale = 1.0 if col != "spend_leakage" else float(a["spend_total"].max())
            np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-9 * scale,
                                       err_msg=col)
        else:
            assert (a[col] == b[col]).all(), col
