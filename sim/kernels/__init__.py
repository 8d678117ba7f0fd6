"""Hot loops of the model, each as a numba kernel with a plain-NumPy reference twin.

Call them through `Kernels`, whose thin wrappers check shapes and dtypes (raising a clear
`ValueError` instead of a numba typing error or a segfault) and dispatch to the chosen backend:
``Kernels("numba")`` (default, compiled with ``cache=True``; on a read-only install the cache
falls back to a private temporary folder or is switched off, see `_cache`) or
``Kernels("reference")``. Both give the same results for the same inputs. `vectorised` holds
NumPy versions of the numba kernels' own algorithms, for honest benchmarks.

The visitor flows and footfall come in two formulations: sparse (`flows`, `footfall`: the
stop-choice pairs within the radius and cut shortest-path trees; cost ~ pairs) and dense
(`dense`: every node pair a matrix entry, products through BLAS; cost ~ nodes^2). The model
uses the dense one on small, densely filled street networks, where it is faster, and the
sparse one otherwise (`sim.flows.use_dense`, benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np

from .dense import (
    push_flows_dense_numba,
    push_flows_dense_reference,
    visitor_flows_dense_numba,
    visitor_flows_dense_reference,
)
from .flows import visitor_flows_numba, visitor_flows_reference
from .footfall import push_flows_numba, push_flows_reference
from .neighbourhood import local_vacancy_numba, local_vacancy_reference
from .rents import update_asking_rents_numba, update_asking_rents_reference

BACKENDS = ("numba", "reference")


def _check(name: str, arr: np.ndarray, dtype, ndim: int, shape: tuple | None = None) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{name}: expected a NumPy array, got {type(arr).__name__}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim}-d array, got shape {arr.shape}")
    if shape is not None:
        for i, (got, want) in enumerate(zip(arr.shape, shape, strict=True)):
            if want is not None and got != want:
                raise ValueError(
                    f"{name}: dimension {i} is {got}, expected {want} (shape {arr.shape})")
    if np.dtype(dtype).kind == "f" and arr.dtype.kind not in "f":
        raise ValueError(f"{name}: expected a float array, got dtype {arr.dtype}")
    if np.dtype(dtype).kind == "i" and arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected an integer array, got dtype {arr.dtype}")
    if np.dtype(dtype).kind == "b" and arr.dtype != np.bool_:
        raise ValueError(f"{name}: expected a bool array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=dtype)


class Kernels:
    """The model's kernels on one backend (``"numba"`` or ``"reference"``)."""

    def __init__(self, backend: str = "numba") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown kernel backend {backend!r}; allowed: {', '.join(BACKENDS)}")
        self.backend = backend
        fast = backend == "numba"
        self._flows = visitor_flows_numba if fast else visitor_flows_reference
        self._push = push_flows_numba if fast else push_flows_reference
        self._local = local_vacancy_numba if fast else local_vacancy_reference
        self._rents = update_asking_rents_numba if fast else update_asking_rents_reference
        self._flows_dense = visitor_flows_dense_numba if fast else visitor_flows_dense_reference
        self._push_dense = push_flows_dense_numba if fast else push_flows_dense_reference

    def visitor_flows(self, ptr, col, kval, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                      entry_node) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Expected visits per unit (trips/month), the flows on the stop-choice pattern and the
        trips leaving from each node (trips/month), and the stop potential per purpose and unit
        (visits per unit of attractiveness); see `sim.kernels.flows`.

        Args:
            ptr: (nodes + 1,) int CSR row pointers of the stop-choice pairs (rows: sources).
            col: (pairs,) int column (street node) of each pair.
            kval: (pairs, ages) float decay exp(-d / L) of each pair.
            door: (ages, units) float decay from each unit's door to its node.
            unit_node: (units,) int street node of each unit (a source row).
            attr: (purposes, units) float attractiveness, >= 0 (0 = not a stop).
            m0: (purposes, ages, nodes) float trips starting at each node per month (only on
                source rows).
            cont: (purposes,) float probability of a further stop.
            max_stops: (purposes,) int most stops per trip.
            exit_prob: (nodes, entries) float exit choice probabilities (rows sum to 1).
            entry_node: (entries,) int street node of each entry point.

        Returns:
            (visits (units,), od (pairs,), exit_mass (nodes,), potential (purposes, units)).
        """
        pt = _check("ptr", ptr, np.int64, 1)
        n_nodes = len(pt) - 1
        cl = _check("col", col, np.int32, 1)
        if n_nodes < 0 or pt[0] != 0 or pt[-1] != len(cl) or np.any(np.diff(pt) < 0):
            raise ValueError("ptr: expected CSR row pointers (from 0 to len(col), ascending)")
        kv = _check("kval", kval, np.float64, 2, (len(cl), None))
        n_ages = kv.shape[1]
        un = _check("unit_node", unit_node, np.int64, 1)
        n_units = len(un)
        dr = _check("door", door, np.float64, 2, (n_ages, n_units))
        at = _check("attr", attr, np.float64, 2, (None, n_units))
        mm = _check("m0", m0, np.float64, 3, (at.shape[0], n_ages, n_nodes))
        ct = _check("cont", cont, np.float64, 1, (at.shape[0],))
        ms = _check("max_stops", max_stops, np.int64, 1, (at.shape[0],))
        en = _check("entry_node", entry_node, np.int64, 1)
        ep = _check("exit_prob", exit_prob, np.float64, 2, (n_nodes, len(en)))
        if len(cl) and (cl.min() < 0 or cl.max() >= n_nodes):
            raise ValueError("col: node index out of range")
        if n_units and (un.min() < 0 or un.max() >= n_nodes):
            raise ValueError("unit_node: node index out of range")
        if len(en) and (en.min() < 0 or en.max() >= n_nodes):
            raise ValueError("entry_node: node index out of range")
        if at.size and not (at.min() >= 0 and np.all(np.isfinite(at))):
            raise ValueError("attr: attractiveness must be finite and >= 0")
        empty = pt[1:] == pt[:-1]
        if n_units and empty[un].any():
            raise ValueError("unit_node: a unit's node has no stop-choice pairs (not a source)")
        if mm.size and np.any(mm[:, :, empty] != 0.0):
            raise ValueError("m0: trips start at a node that has no stop-choice pairs (not a "
                             "source)")
        return self._flows(pt, cl, kv, dr, un, at, mm, ct, ms, ep, en)

    def push_flows(self, ptr, col, od, exit_mass, exit_prob, entry_node, tree_ptr, tree_node,
                   tree_pred) -> np.ndarray:
        """Flow passing each node (trips/month) from the flows of `visitor_flows` (``od`` on
        the pattern ``ptr``, ``col``; ``exit_mass`` over the entry points by ``exit_prob``),
        pushed down each source's cut shortest-path tree (``tree_*``; `sim.kernels.footfall`)."""
        pt = _check("ptr", ptr, np.int64, 1)
        n = len(pt) - 1
        cl = _check("col", col, np.int32, 1, (pt[-1] if len(pt) else 0,))
        o = _check("od", od, np.float64, 1, (len(cl),))
        em = _check("exit_mass", exit_mass, np.float64, 1, (n,))
        en = _check("entry_node", entry_node, np.int64, 1)
        ep = _check("exit_prob", exit_prob, np.float64, 2, (n, len(en)))
        tp = _check("tree_ptr", tree_ptr, np.int64, 1, (n + 1,))
        tn = _check("tree_node", tree_node, np.int32, 1, (tp[-1],))
        tr = _check("tree_pred", tree_pred, np.int32, 1, (tp[-1],))
        for name, arr in (("col", cl), ("tree_node", tn), ("tree_pred", tr), ("entry_node", en)):
            if len(arr) and (arr.min() < 0 or arr.max() >= n):
                raise ValueError(f"{name}: node index out of range")
        return self._push(pt, cl, o, em, ep, en, tp, tn, tr)

    def visitor_flows_dense(self, kernel, door, unit_node, attr, m0, cont, max_stops, exit_prob,
                            entry_node) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`visitor_flows` in the dense formulation (`sim.kernels.dense`): ``kernel`` is the
        (ages, nodes, nodes) decay of every node pair (0 beyond the radius); returns visits
        (units,), the (nodes, nodes) flows with the exits included, and the potential
        (purposes, units)."""
        k = _check("kernel", kernel, np.float64, 3)
        n_ages, n_nodes = k.shape[0], k.shape[1]
        if k.shape[2] != n_nodes:
            raise ValueError(f"kernel: expected shape (ages, nodes, nodes), got {k.shape}")
        un = _check("unit_node", unit_node, np.int64, 1)
        dr = _check("door", door, np.float64, 2, (n_ages, len(un)))
        at = _check("attr", attr, np.float64, 2, (None, len(un)))
        mm = _check("m0", m0, np.float64, 3, (at.shape[0], n_ages, n_nodes))
        ct = _check("cont", cont, np.float64, 1, (at.shape[0],))
        ms = _check("max_stops", max_stops, np.int64, 1, (at.shape[0],))
        en = _check("entry_node", entry_node, np.int64, 1)
        ep = _check("exit_prob", exit_prob, np.float64, 2, (n_nodes, len(en)))
        for name, arr in (("unit_node", un), ("entry_node", en)):
            if len(arr) and (arr.min() < 0 or arr.max() >= n_nodes):
                raise ValueError(f"{name}: node index out of range")
        if at.size and not (at.min() >= 0 and np.all(np.isfinite(at))):
            raise ValueError("attr: attractiveness must be finite and >= 0")
        return self._flows_dense(k, dr, un, at, mm, ct, ms, ep, en)

    def push_flows_dense(self, od, order, pred) -> np.ndarray:
        """`push_flows` in the dense formulation: ``od`` (nodes, nodes) pushed down every
        source's full shortest-path tree (``order``: nodes by decreasing distance, ``pred``:
        predecessors; both (nodes, nodes) int32)."""
        o = _check("od", od, np.float64, 2)
        n = o.shape[0]
        if o.shape != (n, n):
            raise ValueError(f"od: expected a square matrix, got {o.shape}")
        order_ = _check("order", order, np.int32, 2, (n, n))
        pred_ = _check("pred", pred, np.int32, 2, (n, n))
        if n and (order_.min() < 0 or order_.max() >= n):
            raise ValueError("order: node index out of range")
        if n and pred_.max() >= n:
            raise ValueError("pred: node index out of range")
        return self._push_dense(o, order_, pred_)

    def local_vacancy(self, near_ptr, near_unit, unit_node, vacant, eligible):
        """Vacant share of eligible units near each node and each unit (own unit excluded)."""
        ptr = _check("near_ptr", near_ptr, np.int64, 1)
        nu = _check("near_unit", near_unit, np.int32, 1, (ptr[-1],))
        un = _check("unit_node", unit_node, np.int64, 1)
        va = _check("vacant", vacant, np.bool_, 1, (len(un),))
        el = _check("eligible", eligible, np.bool_, 1, (len(un),))
        if len(un) and un.max() >= len(ptr) - 1:
            raise ValueError("unit_node: node index out of range")
        return self._local(ptr, nu, un, va, el)

    def update_asking_rents(self, asking, contract, months_vacant, vacant, seen, reservation,
                            hold: float, step: float, learning: float) -> np.ndarray:
        """New asking rents (EUR/m2/yr) of all units (see `sim.kernels.rents`)."""
        n = len(asking)
        args = [
            _check("asking", asking, np.float64, 1, (n,)),
            _check("contract", contract, np.float64, 1, (n,)),
            _check("months_vacant", months_vacant, np.int64, 1, (n,)),
            _check("vacant", vacant, np.bool_, 1, (n,)),
            _check("seen", seen, np.float64, 1, (n,)),
            _check("reservation", reservation, np.float64, 1, (n,)),
        ]
        return self._rents(*args, float(hold), float(step), float(learning))
