"""Trips -> stop choice -> routes -> footfall, for one month (the kernels do the heavy work).

Visitor groups are arrays, not agents: trips by (purpose, age band, start node) come from the
month's demand (catchment visitors start at the entry points in proportion to their weights,
centre residents at home). The flow kernel returns the stop potential of every unit for every
purpose, the node-to-node flows (on the network's stop-choice pairs, plus the exits) and the
visits; footfall pushes the flows along shortest paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .attraction import attractiveness, street_factor
from .demand import Demand
from .functions import DAYS_PER_MONTH
from .kernels import Kernels
from .kernels.flows import choice_kernel, door_decay
from .params import Params
from .space import StreetNetwork
from .town import Town

if TYPE_CHECKING:
    from .model import CityCentreModel
    from .month import Month


@dataclass
class FlowState:
    """What the month's flows leave behind.

    Attributes:
        potential: (purposes, units) visits per month a unit of attractiveness 1 would draw.
        main_visits, second_visits: (units,) visits per month to each unit's main and mixed-use
            second function.
        node_footfall: (nodes,) passers-by per day at each street node.
        trips: centre trips this month (all purposes).
    """

    potential: np.ndarray
    main_visits: np.ndarray
    second_visits: np.ndarray
    node_footfall: np.ndarray
    trips: float


#: Street networks of at most `DENSE_MAX_NODES` nodes whose stop-choice pairs fill at least
#: `DENSE_MIN_FILL` of all node pairs run the dense flow kernels (every node pair a matrix
#: entry, BLAS products; cost ~ nodes^2); the others the sparse kernels (stop-choice pairs and
#: cut trees; cost ~ pairs): the faster of the two, as measured per size (benchmarks/README.md,
#: "Sparse against dense": dense 0.5-0.65x the time up to 300 nodes with 83-95% fill, level at
#: 608 nodes with 74%, sparse 10-40x faster on xl and Helsinki).
DENSE_MAX_NODES = 600
DENSE_MIN_FILL = 0.8


def use_dense(net: StreetNetwork) -> bool:
    """Whether ``net`` runs the dense flow kernels (see `DENSE_MAX_NODES`)."""
    n = net.n_nodes
    return n <= DENSE_MAX_NODES and len(net.pair_col) >= DENSE_MIN_FILL * n * n


@dataclass(frozen=True)
class DenseGeometry:
    """The dense formulation's static arrays (`sim.kernels.dense`): the (ages, nodes, nodes)
    decay of every node pair (0 beyond the stop-choice radius), and every source's full
    shortest-path tree (``order``: nodes by decreasing distance, ``pred``: predecessors)."""

    kernel: np.ndarray
    order: np.ndarray
    pred: np.ndarray


@dataclass(frozen=True)
class FlowGeometry:
    """The static terms of stop choice: the decay of the network's stop-choice pairs by age band
    (`choice_kernel`, (pairs, ages)), the door terms of each unit, the probabilities of
    leaving by each entry point from each node, and on small networks the dense formulation's
    arrays (``dense``; None: the sparse kernels run)."""

    kernel: np.ndarray
    door: np.ndarray
    exit_prob: np.ndarray
    dense: DenseGeometry | None = None


def flow_geometry(p: Params, town: Town, net: StreetNetwork,
                  dense: bool | None = None) -> FlowGeometry:
    """The flow geometry of ``town``; ``dense``: the dense formulation (None: `use_dense`)."""
    lengths = np.array([p.decay_length_under65, p.decay_length_65plus])
    ed = net.exit_dist
    w = town.entry_weight[None, :] * np.exp(-(ed - ed.min(axis=1, keepdims=True))
                                            / p.exit_decay_length)
    if dense is None:
        dense = use_dense(net)
    return FlowGeometry(kernel=choice_kernel(net.pair_dist, lengths),
                        door=door_decay(net.unit_offset, lengths),
                        exit_prob=w / w.sum(axis=1, keepdims=True),
                        dense=dense_geometry(town, lengths, net.choice_radius) if dense else None)


def dense_geometry(town: Town, decay_lengths: np.ndarray, radius: float) -> DenseGeometry:
    """All-pairs shortest paths of the street graph and the dense decay kernel."""
    from scipy.sparse.csgraph import shortest_path

    from .kernels.dense import decay_kernel
    from .space import street_graph

    dist, pred = shortest_path(street_graph(town), method="D", directed=False,
                               return_predecessors=True)
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    return DenseGeometry(kernel=decay_kernel(dist, decay_lengths, radius), order=order,
                         pred=pred.astype(np.int32))


def month(m: CityCentreModel, mo: Month, local_vacancy_node: np.ndarray) -> None:
    """Trips -> stop choice -> routes -> footfall (kernels), into ``mo``; every unit's visits
    and footfall. The street factor comes from ``local_vacancy_node`` (at the end of last
    month)."""
    u, i, g = m.units, mo.inputs, m.geometry
    mo.street = street_factor(m.p, local_vacancy_node, i.perceived_vacancy)
    main, second = attractiveness(m.p, u, m.clock, mo.street, i.unit_attraction)
    res_nodes = np.bincount(u.node, weights=m.households.residents_at, minlength=m.town.n_nodes)
    m0 = start_mass(mo.demand, m.town, m.town.entry_weight * i.entry_weight, res_nodes)
    mo.flows = month_flows(m.p, m.kernels, m.net, m.town, u.node, g, m0, main, second)
    u.visits[:] = mo.flows.main_visits + mo.flows.second_visits
    u.footfall[:] = mo.flows.node_footfall[u.node]


def start_mass(demand: Demand, town: Town, entry_weight: np.ndarray,
               residents_at_node: np.ndarray) -> np.ndarray:
    """Trips per month starting at each node, [purpose, age, node]."""
    trips = demand.trips  # [origin, age, purpose]
    n_purposes = trips.shape[2]
    m0 = np.zeros((n_purposes, 2, town.n_nodes))
    w = entry_weight / entry_weight.sum()
    np.add.at(m0, (slice(None), slice(None), town.entry_node),
              trips[0].T[:, :, None] * w[None, None, :])
    total_res = residents_at_node.sum()
    if total_res > 0:
        m0 += trips[1].T[:, :, None] * (residents_at_node / total_res)[None, None, :]
    return m0


def month_flows(p: Params, kernels: Kernels, net: StreetNetwork, town: Town, unit_node: np.ndarray,
                g: FlowGeometry, m0: np.ndarray, main: np.ndarray, second: np.ndarray
                ) -> FlowState:
    """Run the flow kernels for attractiveness ``main + second`` (purposes x units), dense or
    sparse as ``g`` says."""
    cont = np.asarray(p.stop_continue, dtype=float)
    max_stops = np.asarray(p.max_stops, dtype=np.int64)
    entry = town.entry_node.astype(np.int64)
    if g.dense is not None:
        _, od, potential = kernels.visitor_flows_dense(
            g.dense.kernel, g.door, unit_node, main + second, m0, cont, max_stops, g.exit_prob,
            entry)
        node_foot = kernels.push_flows_dense(od, g.dense.order, g.dense.pred) / DAYS_PER_MONTH
    else:
        _, od, exit_mass, potential = kernels.visitor_flows(
            net.pair_ptr, net.pair_col, g.kernel, g.door, unit_node, main + second, m0, cont,
            max_stops, g.exit_prob, entry)
        node_foot = kernels.push_flows(net.pair_ptr, net.pair_col, od, exit_mass, g.exit_prob,
                                       entry, net.tree_ptr, net.tree_node,
                                       net.tree_pred) / DAYS_PER_MONTH
    return FlowState(potential=potential, main_visits=(main * potential).sum(axis=0),
                     second_visits=(second * potential).sum(axis=0),
                     node_footfall=node_foot, trips=float(m0.sum()))
