"""The walkable street network: distances, shortest-path trees and neighbourhood lists.

Everything here is static for a run and computed once from a `Town`: all-pairs walking distances
between street nodes (Dijkstra), the shortest-path predecessor of every node from every source,
each source's nodes ordered by decreasing distance (for pushing flows down the tree), each unit's
door-to-node distance and the units within the contagion radius (CSR lists). The stop-choice
decay kernel is built from the distances by the model (`sim.kernels.flows.decay_kernel`).
The Mesa `Network` space built from the same graph gives agents their cells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from .limits import MAX_NETWORK_GIB
from .town import Town

#: Bytes held per (node, node) pair while the street network is built and used: distances
#: (float64, 8), predecessors (int32, 4, plus 4 for SciPy's copy), path order (int32, 4, plus 8
#: for the int64 argsort and 8 for the negated distances it sorts), the stop-choice decay kernel
#: (float64 for two age bands, 16) and the visitor-flow kernel's origin-destination matrix and
#: its temporaries (float64, 3 x 8).
BYTES_PER_NODE_PAIR = 76
#: The default limit (GiB) on those matrices is `sim.limits.MAX_NETWORK_GIB`; the environment
#: variable ``BINNENSTAD_MAX_NETWORK_GIB`` raises or lowers it. 4 GiB is about 7,500 street
#: nodes (a town of roughly 30,000 units; the ``xl`` preset has 2,300 nodes and needs 0.4 GiB).
LIMIT_ENV = "BINNENSTAD_MAX_NETWORK_GIB"


class TownTooLargeError(ValueError):
    """A town whose street network would need more memory than the limit. One-line message."""


def network_memory_bytes(n_nodes: int) -> int:
    """Estimated bytes of the dense (nodes x nodes) street-network matrices for ``n_nodes``.

    Only the matrices that grow with the square of the node count are counted; the process
    itself (about 0.25 GiB) comes on top.
    """
    return BYTES_PER_NODE_PAIR * int(n_nodes) ** 2


def network_memory_limit() -> float:
    """The limit in bytes: `MAX_NETWORK_GIB` or ``$BINNENSTAD_MAX_NETWORK_GIB``."""
    raw = os.environ.get(LIMIT_ENV, "").strip()
    if not raw:
        return MAX_NETWORK_GIB * 2**30
    try:
        gib = float(raw)
    except ValueError:
        gib = float("nan")
    if not gib > 0 or gib == float("inf"):
        raise TownTooLargeError(f"{LIMIT_ENV}={raw!r} is not allowed; allowed: a number of GiB "
                                "> 0, e.g. 8")
    return gib * 2**30


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.1f} MiB"


def check_network_size(n_nodes: int, what: str = "town") -> None:
    """Refuse (`TownTooLargeError`) a street network whose matrices would exceed the limit,
    before anything is allocated; the message gives the estimate and the limit."""
    need, limit = network_memory_bytes(n_nodes), network_memory_limit()
    if need > limit:
        raise TownTooLargeError(
            f"{what} has {n_nodes:,} street nodes: its street network needs about "
            f"{_size(need)} ({BYTES_PER_NODE_PAIR} bytes per node pair); limit: {_size(limit)}, "
            f"about {int((limit / BYTES_PER_NODE_PAIR) ** 0.5):,} nodes (set {LIMIT_ENV} to change "
            "it)")


@dataclass
class StreetNetwork:
    """Static street geometry of a run (all distances in metres).

    Attributes:
        dist: (nodes, nodes) walking distance.
        pred: (nodes, nodes) predecessor of column node on the shortest path from row node.
        order: (nodes, nodes) for each source row, nodes sorted by decreasing distance.
        unit_offset: (units,) distance from a unit's door to its street node.
        near_ptr, near_unit: CSR lists, for each node the units within the contagion radius.
        exit_dist: (nodes, entries) walking distance to each entry point.
    """

    dist: np.ndarray
    pred: np.ndarray
    order: np.ndarray
    unit_offset: np.ndarray
    near_ptr: np.ndarray
    near_unit: np.ndarray
    exit_dist: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.dist.shape[0]


def _csr_within(dist_rows: np.ndarray, unit_node: np.ndarray, offset: np.ndarray, radius: float,
                chunk: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each node, the units whose walking distance is <= radius (chunked to bound memory)."""
    n = dist_rows.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    units, dists = [], []
    for start in range(0, n, chunk):
        d = dist_rows[start : start + chunk][:, unit_node] + offset[None, :]
        rows, cols = np.nonzero(d <= radius)
        counts = np.bincount(rows, minlength=d.shape[0])
        ptr[start + 1 : start + 1 + d.shape[0]] = counts
        units.append(cols.astype(np.int32))
        dists.append(d[rows, cols])
    ptr = np.cumsum(ptr)
    return ptr, np.concatenate(units), np.concatenate(dists)


def build_street_network(town: Town, contagion_radius: float) -> StreetNetwork:
    """Compute the static street geometry for ``town``; radius in metres.

    Raises:
        TownTooLargeError: the dense matrices would exceed `network_memory_limit`.
    """
    n = town.n_nodes
    check_network_size(n, f"town {town.name!r}")
    g = coo_matrix(
        (np.r_[town.edge_length, town.edge_length], (np.r_[town.edge_u, town.edge_v],
                                                     np.r_[town.edge_v, town.edge_u])),
        shape=(n, n),
    ).tocsr()
    dist, pred = shortest_path(g, method="D", directed=False, return_predecessors=True)
    if not np.all(np.isfinite(dist)):
        raise ValueError("street network is not connected: every street node must be reachable")
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    offset = np.hypot(town.unit_x - town.node_x[town.unit_node],
                      town.unit_y - town.node_y[town.unit_node])
    near_ptr, near_unit, _ = _csr_within(dist, town.unit_node, np.zeros_like(offset),
                                         contagion_radius)
    return StreetNetwork(
        dist=dist,
        pred=pred.astype(np.int32),
        order=order,
        unit_offset=offset,
        near_ptr=near_ptr,
        near_unit=near_unit,
        exit_dist=dist[:, town.entry_node].copy(),
    )


def mesa_space(town: Town, random) -> Network:
    """The street graph as a Mesa `Network` space: one cell per street node, positioned in
    metres."""
    graph = nx.Graph()
    graph.add_nodes_from(range(town.n_nodes))
    graph.add_weighted_edges_from(
        zip(town.edge_u.tolist(), town.edge_v.tolist(), town.edge_length.tolist(), strict=True),
        weight="length",
    )
    layout = {i: (float(x), float(y)) for i, (x, y) in enumerate(zip(town.node_x, town.node_y,
                                                                      strict=True))}
    return Network(graph, random=random, layout=layout)
