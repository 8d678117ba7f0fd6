"""`sim.market._best_per_searcher` picks the same rows as the sort it replaces."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.market import _best_per_searcher


def _by_sort(si: np.ndarray, un: np.ndarray, surplus: np.ndarray) -> np.ndarray:
    order = np.lexsort((un, -surplus, si))
    first = np.ones(len(order), dtype=bool)
    first[1:] = si[order][1:] != si[order][:-1]
    return order[first]


SURPLUS = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, np.inf, -np.inf, 1e300, 5e-324])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6), SURPLUS), max_size=40),
       st.booleans())
def test_best_row_per_searcher_equals_the_sort(rows, with_nan):
    rows = sorted(rows, key=lambda r: r[0])  # grouped by searcher, as evaluate builds them
    si = np.array([r[0] for r in rows], dtype=np.int64)
    un = np.array([r[1] for r in rows], dtype=np.int64)
    surplus = np.array([r[2] for r in rows], dtype=float)
    if with_nan and len(rows):
        surplus[len(rows) // 2] = np.nan
    np.testing.assert_array_equal(_best_per_searcher(si, un, surplus), _by_sort(si, un, surplus))


def test_ties_go_to_the_lowest_unit_then_the_first_row():
    si = np.array([0, 0, 0, 1, 1])
    un = np.array([7, 3, 3, 2, 9])
    surplus = np.array([5.0, 5.0, 5.0, 1.0, 4.0])
    np.testing.assert_array_equal(_best_per_searcher(si, un, surplus), [1, 4])
