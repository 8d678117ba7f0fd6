"""The vectorised NumPy/SciPy versions of the numba kernels' algorithms (`sim.kernels.vectorised`,
the benchmarks' honest yardstick and the sparse-BLAS candidate) agree with the numba kernels."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels.flows import visitor_flows_numba
from sim.kernels.footfall import push_flows_numba
from sim.kernels.vectorised import (
    local_vacancy_vectorised,
    push_flows_vectorised,
    update_asking_rents_vectorised,
    visitor_flows_vectorised,
)

from .conftest import run_model
from .test_kernels import _flow_case, _push_args


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 30), n_units=st.integers(1, 40),
       n_entries=st.integers(1, 2), n_purposes=st.integers(1, 5))
def test_visitor_flows_vectorised_matches_numba(seed, n_nodes, n_units, n_entries, n_purposes):
    sparse, _, _, _ = _flow_case(seed, n_nodes, n_units, n_entries, n_purposes)
    for got, want in zip(visitor_flows_vectorised(*sparse), visitor_flows_numba(*sparse),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), density=st.floats(0.0, 1.0))
def test_push_flows_vectorised_matches_numba(seed, n, density):
    sparse, _, lists, _ = _flow_case(seed, n, max(1, n // 2), 1)
    rng = np.random.default_rng(seed)
    od = rng.random(len(sparse[1])) * (rng.random(len(sparse[1])) < density) * 100
    exit_mass = np.where(np.diff(sparse[0]) > 0, rng.random(n), 0.0)
    args = _push_args(sparse, lists, od, exit_mass)
    np.testing.assert_allclose(push_flows_vectorised(*args), push_flows_numba(*args), rtol=1e-12,
                               atol=1e-9)


def test_on_a_model_step():
    """Same results on the arrays the model passes in one month."""
    from sim.flows import flow_geometry

    m = run_model("small", years=1, seed=4)
    m.geometry = flow_geometry(m.p, m.town, m.net, dense=False)  # small runs dense otherwise
    seen = {}
    k = m.kernels
    flows, push = k._flows, k._push
    k._flows = lambda *a: seen.setdefault("flows", a) and flows(*a)
    k._push = lambda *a: seen.setdefault("push", a) and push(*a)
    try:
        from sim import flows as month_flows

        mo = m.last_month
        month_flows.month(m, mo, mo.local_vacancy_node)
    finally:
        k._flows, k._push = flows, push
    for got, want in zip(visitor_flows_vectorised(*seen["flows"]),
                         visitor_flows_numba(*seen["flows"]), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(push_flows_vectorised(*seen["push"]),
                               push_flows_numba(*seen["push"]), rtol=1e-10)


def test_the_other_two_are_the_vectorised_reference_twins():
    from sim.kernels.neighbourhood import local_vacancy_reference
    from sim.kernels.rents import update_asking_rents_reference

    assert local_vacancy_vectorised is local_vacancy_reference
    assert update_asking_rents_vectorised is update_asking_rents_reference


def test_entries_sharing_a_street_node():
    """Two entry points on one street node (possible in town files): every implementation
    sends the exit flows to both."""
    from sim.kernels.flows import visitor_flows_reference

    sparse, _, lists, _ = _flow_case(3, 12, 20, 2)
    sparse = list(sparse)
    sparse[10] = np.array([sparse[10][0], sparse[10][0]])
    sparse[9] = np.full((12, 2), 0.5)
    want = visitor_flows_numba(*sparse)
    for impl in (visitor_flows_reference, visitor_flows_vectorised):
        for got, w in zip(impl(*sparse), want, strict=True):
            np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-9)
    args = _push_args(sparse, lists, want[1], want[2])
    np.testing.assert_allclose(push_flows_vectorised(*args), push_flows_numba(*args), rtol=1e-12)
