"""The dense street-network arrays of a model (all node pairs), for the benchmarks that compare
the sparse flow kernels with the dense formulation they replaced (`sim.kernels.dense`) and for
the Mesa agents of `mesa_idiomatic`, which look up any node pair."""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import shortest_path

from sim.kernels.dense import decay_kernel
from sim.space import street_graph


def dense_network(model) -> dict:
    """``dist``, ``pred``, ``order`` (nodes, nodes) and the dense decay ``kernel`` (ages, nodes,
    nodes) of ``model``'s town, as `sim.space` built them before issue 20."""
    dist, pred = shortest_path(street_graph(model.town), method="D", directed=False,
                               return_predecessors=True)
    order = np.argsort(-dist, axis=1, kind="stable").astype(np.int32)
    lengths = np.array([model.p.decay_length_under65, model.p.decay_length_65plus])
    return {"dist": dist, "pred": pred.astype(np.int32), "order": order,
            "kernel": decay_kernel(dist, lengths, model.p.huff_radius)}
