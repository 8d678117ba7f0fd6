"""The walkable street network: distances, shortest-path trees and neighbourhood lists.

Everything here is static for a run and computed once from a `Town`, as lists that grow with the
nodes that matter times their neighbours, not with nodes^2 (issue 20):

* the *sources*: street nodes where trips start or stop (the units' and the entry points'
  nodes); nodes of footpaths and junctions without premises are passed through, never chosen;
* the stop-choice pairs: for each source, the sources within the stop-choice radius, with their
  walking distance (a CSR pattern; `sim.kernels.flows` turns it into the decay kernel);
* each source's shortest-path tree, cut to the nodes within the radius and on the paths to the
  entry points, in decreasing distance (`sim.kernels.footfall` pushes the flows down it);
* walking distances from every node to every entry point (exit choice), each unit's
  door-to-node distance and the units within the contagion radius of every node (CSR lists).

Distances and trees come from SciPy's Dijkstra, one source at a time (in chunks to bound
memory), exactly as an all-pairs run gives them; the contagion lists from Dijkstra limited to
the contagion radius. The Mesa `Network` space built from the same graph gives agents their
cells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from .limits import MAX_NETWORK_GIB
from .town import Town

#: Bytes held per (source, node) pair at most, when every pair lies within the stop-choice radius:
#: the stop-choice pattern (column int32 4, distance 8, decay kernel for two age bands 16, flows
#: 8) and the cut shortest-path tree (node and predecessor, int32 4 + 4). What a town really
#: needs is far less where the radius leaves most pairs out, or where most street nodes carry no
#: premises; the limit is checked on this upper bound before anything is allocated.
BYTES_PER_NODE_PAIR = 44
#: The default limit (GiB) on those matrices is `sim.limits.MAX_NETWORK_GIB`; the environment
#: variable ``BINNENSTAD_MAX_NETWORK_GIB`` raises or lowers it. 4 GiB is about 9,900 street
#: nodes that are all sources (the ``xl`` preset has 2,300 nodes: at most 0.2 GiB).
LIMIT_ENV = "BINNENSTAD_MAX_NETWORK_GIB"


class TownTooLargeError(ValueError):
    """A town whose street network would need more memory than the limit. One-line message."""


def network_memory_bytes(n_nodes: int, n_sources: int | None = None) -> int:
    """Upper bound on the bytes of the street-network lists for ``n_nodes`` street nodes of which
    ``n_sources`` (default: all) are sources; the process itself (about 0.25 GiB) comes on top.
    """
    n_src = int(n_nodes) if n_sources is None else int(n_sources)
    return BYTES_PER_NODE_PAIR * int(n_nodes) * n_src


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


def check_network_size(n_nodes: int, what: str = "town", n_sources: int | None = None) -> None:
    """Refuse (`TownTooLargeError`) a street network whose lists could exceed the limit, before
    anything is allocated; the message gives the estimate and the limit."""
    need, limit = network_memory_bytes(n_nodes, n_sources), network_memory_limit()
    if need > limit:
        raise TownTooLargeError(
            f"{what} has {n_nodes:,} street nodes: its street network needs up to "
            f"{_size(need)} ({BYTES_PER_NODE_PAIR} bytes per node pair); limit: {_size(limit)}, "
            f"about {int((limit / BYTES_PER_NODE_PAIR) ** 0.5):,} nodes (set {LIMIT_ENV} to change "
            "it)")


@dataclass
class StreetNetwork:
    """Static street geometry of a run (all distances in metres; CSR lists have a row for every
    street node, empty where it does not apply).

    Attributes:
        n_nodes: street nodes.
        sources: (sources,) sorted street nodes where trips start or stop (units' and entry
            points' nodes).
        pair_ptr, pair_col, pair_dist: stop-choice pairs: for source row s, the sources t with
            d(s, t) <= the stop-choice radius (ascending), and d(s, t). Every source row holds its
            diagonal (distance 0).
        tree_ptr, tree_node, tree_pred: for source row s, the nodes of its shortest-path tree
            within the radius or on a path to an entry point (s left out), in decreasing distance
            from s (ties by node number), and each one's predecessor on the path from s.
        unit_offset: (units,) distance from a unit's door to its street node.
        near_ptr, near_unit: CSR lists, for each node the units within the contagion radius.
        exit_dist: (nodes, entries) walking distance to each entry point.
        choice_radius: the stop-choice radius (m) the pairs and trees were cut at.
    """

    n_nodes: int
    sources: np.ndarray
    pair_ptr: np.ndarray
    pair_col: np.ndarray
    pair_dist: np.ndarray
    tree_ptr: np.ndarray
    tree_node: np.ndarray
    tree_pred: np.ndarray
    unit_offset: np.ndarray
    near_ptr: np.ndarray
    near_unit: np.ndarray
    exit_dist: np.ndarray
    choice_radius: float

    @property
    def n_pairs(self) -> int:
        """Stop-choice pairs (the flow kernel's work per stop round and age band)."""
        return len(self.pair_col)

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(v.nbytes for v in self.__dict__.values() if isinstance(v, np.ndarray))


#: Source rows per Dijkstra chunk: bounds the transient (chunk, nodes) distance and predecessor
#: arrays (xl: 256 x 2,293 x 12 bytes, 7 MB).
CHUNK_ROWS = 256


def street_graph(town: Town):
    """The undirected street graph as a symmetric SciPy CSR matrix of edge lengths (m)."""
    n = town.n_nodes
    return coo_matrix(
        (np.r_[town.edge_length, town.edge_length], (np.r_[town.edge_u, town.edge_v],
                                                     np.r_[town.edge_v, town.edge_u])),
        shape=(n, n),
    ).tocsr()


def _near_lists(g, unit_node: np.ndarray, n: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """For each node, the units whose node lies within ``radius`` (ascending unit index)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    units = []
    for start in range(0, n, CHUNK_ROWS):
        rows = np.arange(start, min(start + CHUNK_ROWS, n))
        d = dijkstra(g, directed=False, indices=rows, limit=radius)
        r, c = np.nonzero(d[:, unit_node] <= radius)
        ptr[rows + 1] = np.bincount(r, minlength=len(rows))
        units.append(c.astype(np.int32))
    return np.cumsum(ptr), np.concatenate(units)


@dataclass
class FlowLists:
    """The flow kernels' lists of a street graph (see `StreetNetwork` for the fields)."""

    pair_ptr: np.ndarray
    pair_col: np.ndarray
    pair_dist: np.ndarray
    tree_ptr: np.ndarray
    tree_node: np.ndarray
    tree_pred: np.ndarray
    exit_dist: np.ndarray


def flow_lists(g, sources: np.ndarray, entries: np.ndarray,
               choice_radius: float = float("inf")) -> FlowLists:
    """Stop-choice pairs, cut shortest-path trees and entry distances of the street graph ``g``
    (symmetric CSR of edge lengths, `street_graph`) for sorted ``sources`` (which must include
    the ``entries``' nodes), one Dijkstra run per source, `CHUNK_ROWS` at a time.

    Raises:
        ValueError: a street node cannot be reached from a source.
    """
    n = g.shape[0]
    sources = np.asarray(sources, dtype=np.int64)
    entries = np.asarray(entries, dtype=np.int64)
    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    tree_ptr = np.zeros(n + 1, dtype=np.int64)
    cols, dists, nodes, preds = [], [], [], []
    is_source = np.zeros(n, dtype=bool)
    is_source[sources] = True
    exit_dist = np.empty((n, len(entries)))
    for start in range(0, len(sources), CHUNK_ROWS):
        rows = sources[start:start + CHUNK_ROWS]
        d, pred = dijkstra(g, directed=False, indices=rows, return_predecessors=True)
        if not np.all(np.isfinite(d)):
            raise ValueError("street network is not connected: every street node must be "
                             "reachable")
        exit_dist[rows] = d[:, entries]
        inside = d <= choice_radius
        # stop-choice pairs: the sources within the radius (the diagonal included)
        r, c = np.nonzero(inside & is_source[None, :])
        pair_ptr[rows + 1] = np.bincount(r, minlength=len(rows))
        cols.append(c.astype(np.int32))
        dists.append(d[r, c])
        # cut trees: the nodes within the radius plus those on the paths to the entry points
        keep = inside.copy()
        idx = np.arange(len(rows))
        cur = np.broadcast_to(entries, (len(rows), len(entries))).copy()
        ri = np.broadcast_to(idx[:, None], cur.shape)
        while True:
            open_ = cur >= 0  # SciPy marks the source's own predecessor -9999
            if not open_.any():
                break
            keep[ri[open_], cur[open_]] = True
            nxt = np.full_like(cur, -1)
            nxt[open_] = pred[ri[open_], cur[open_]]
            cur = nxt
        keep[idx, rows] = False
        # decreasing distance, ties by node number: a stable sort of the full row, cut
        order = np.argsort(np.where(keep, -d, np.inf), axis=1, kind="stable")
        counts = keep.sum(axis=1)
        tree_ptr[rows + 1] = counts
        tn = order[np.arange(n)[None, :] < counts[:, None]]
        nodes.append(tn.astype(np.int32))
        preds.append(pred[np.repeat(idx, counts), tn].astype(np.int32))
    # entry distances of the other nodes, from the entry points' own runs (only the sources'
    # rows ever carry flow; these rows are for completeness)
    others = np.flatnonzero(~is_source)
    if len(others) and len(entries):
        exit_dist[others] = dijkstra(g, directed=False, indices=entries)[:, others].T
    empty_i32 = np.zeros(0, dtype=np.int32)
    return FlowLists(
        pair_ptr=np.cumsum(pair_ptr), pair_col=np.concatenate([empty_i32, *cols]),
        pair_dist=np.concatenate([np.zeros(0), *dists]), tree_ptr=np.cumsum(tree_ptr),
        tree_node=np.concatenate([empty_i32, *nodes]),
        tree_pred=np.concatenate([empty_i32, *preds]), exit_dist=exit_dist)


def build_street_network(town: Town, contagion_radius: float,
                         choice_radius: float = float("inf")) -> StreetNetwork:
    """Compute the static street geometry for ``town``; radii in metres (``choice_radius``: the
    stop-choice radius, ``huff_radius``; default: no cut, every source pair).

    Raises:
        TownTooLargeError: the lists could exceed `network_memory_limit`.
        ValueError: a street node cannot be reached from another.
    """
    n = town.n_nodes
    entries = np.asarray(town.entry_node, dtype=np.int64)
    sources = np.union1d(town.unit_node, entries).astype(np.int64)
    check_network_size(n, f"town {town.name!r}", len(sources))
    g = street_graph(town)
    lists = flow_lists(g, sources, entries, choice_radius)
    offset = np.hypot(town.unit_x - town.node_x[town.unit_node],
                      town.unit_y - town.node_y[town.unit_node])
    near_ptr, near_unit = _near_lists(g, np.asarray(town.unit_node), n, contagion_radius)
    return StreetNetwork(n_nodes=n, sources=sources, **lists.__dict__, unit_offset=offset,
                         near_ptr=near_ptr, near_unit=near_unit,
                         choice_radius=float(choice_radius))


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
