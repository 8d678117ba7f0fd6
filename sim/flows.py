"""Trips -> stop choice -> routes -> footfall, for one month (the kernels do the heavy work).

Visitor groups are arrays, not agents: trips by (purpose, age band, start node) come from the
month's demand (catchment visitors start at the entry points in proportion to their weights,
centre residents at home). The flow kernel returns the stop potential of every unit for every
purpose, the node-to-node flows (on the network's stop-choice pairs, plus the exits) and the
visits; footfall pushes the flows along shortest paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .demand import Demand
from .functions import DAYS_PER_MONTH
from .kernels import Kernels
from .params import Params
from .space import StreetNetwork
from .town import Town


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
                kernel: np.ndarray, door: np.ndarray, exit_prob: np.ndarray, m0: np.ndarray,
                main: np.ndarray, second: np.ndarray) -> FlowState:
    """Run the flow kernels for attractiveness ``main + second`` (purposes x units); ``kernel``
    is the (pairs, ages) decay of the network's stop-choice pairs (`choice_kernel`)."""
    cont = np.asarray(p.stop_continue, dtype=float)
    max_stops = np.asarray(p.max_stops, dtype=np.int64)
    entry = town.entry_node.astype(np.int64)
    _, od, exit_mass, potential = kernels.visitor_flows(
        net.pair_ptr, net.pair_col, kernel, door, unit_node, main + second, m0, cont, max_stops,
        exit_prob, entry)
    node_foot = kernels.push_flows(net.pair_ptr, net.pair_col, od, exit_mass, exit_prob, entry,
                                   net.tree_ptr, net.tree_node, net.tree_pred) / DAYS_PER_MONTH
    return FlowState(potential=potential, main_visits=(main * potential).sum(axis=0),
                     second_visits=(second * potential).sum(axis=0),
                     node_footfall=node_foot, trips=float(m0.sum()))
