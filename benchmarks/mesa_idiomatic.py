"""The visitor-trip rule written the idiomatic Mesa way, in two versions, on the model's own arrays.

The model computes *expected* flows on street nodes (`sim.kernels.flows`): for every purpose and
age band the mass of trips moves through the stop rounds as matrix products, with no sampling
noise and a cost that does not depend on the number of trips. A visitor at node s stops at unit
u with the Huff probability

    P(u | s) = A[p, u] w[a, u] K[a, s, t_u] / sum_k A[p, k] w[a, k] K[a, s, t_k]

(A: attractiveness, w: door decay, K: node-to-node decay within the stop radius, t_u: the unit's
street node), goes on to a further stop with probability ``cont[p]`` (at most ``max_stops[p]``
stops) and walks to an exit drawn from ``exit_prob``; footfall counts every node reached or
passed on the shortest paths.

1. `SampledDay`: one `mesa.Agent` per visitor (`SampledVisitor`), as a textbook Mesa model would
   do it. One representative day of sampled visitors (the month's trips / 30.44); each draws its
   stops from its own random numbers and walks the shortest paths, adding footfall as it goes;
   ``agents.shuffle_do("step")``. Its cost grows with the number of visitors and its footfall
   carries sampling noise (``relative_rmse``).
2. `GroupRounds`: one `mesa.Agent` per visitor group (`VisitorGroup`: purpose, age band, street
   node and the expected number of trips there), stepping through the stop rounds: in each round
   every group spreads its mass over the units in reach with the Huff probabilities and hands on
   the share that goes on to new groups at the stops' nodes. It computes the same expected
   visits and node-to-node flows as `visitor_flows` (no sampling; checked against it), so it is
   the exact agent-per-group counterpart of the kernel. Footfall from its flows is pushed with the
   model's own `push_flows`.

The arrays are the ones the model hands to its flow kernel (`capture_flow_inputs`), so all
paths see identical towns, attractiveness and demand.
"""

from __future__ import annotations

import time

import mesa
import numpy as np

from sim.functions import DAYS_PER_MONTH

#: Argument names of `Kernels.visitor_flows`, in order (``kval``: the sparse stop-choice kernel).
FLOW_ARGS = ("ptr", "col", "kval", "door", "unit_node", "attr", "m0", "cont", "max_stops",
             "exit_prob", "entry_node")
TREE_ARGS = ("tree_ptr", "tree_node", "tree_pred")


def month_flows(model) -> None:
    """The model's flow submodel (`sim.flows.month`) once more on its last month's inputs."""
    from sim import flows

    mo = model.last_month
    flows.month(model, mo, mo.local_vacancy_node)


def capture_flow_inputs(model) -> dict:
    """Run ``model``'s flow submodel once and return the arrays it passes to the flow kernel
    (names as in `Kernels.visitor_flows`), the cut trees footfall is pushed down, and for the
    agents the dense decay ``kernel`` and predecessors ``pred`` of every node pair."""
    from dense_net import dense_network

    seen: dict = {}
    kernels = model.kernels
    inner = kernels._flows

    def record(*args):
        seen.update(zip(FLOW_ARGS, args, strict=True))
        return inner(*args)

    from sim.flows import flow_geometry

    kernels._flows = record
    own = model.geometry  # the sparse kernels' arguments, whatever the model runs
    model.geometry = flow_geometry(model.p, model.town, model.net, dense=False)
    try:
        month_flows(model)
    finally:
        kernels._flows = inner
        model.geometry = own
    net = model.net
    seen.update(tree_ptr=net.tree_ptr, tree_node=net.tree_node, tree_pred=net.tree_pred)
    dense = dense_network(model)
    seen["kernel"], seen["pred"] = dense["kernel"], dense["pred"]
    return seen


def flow_args(inputs: dict) -> list:
    return [inputs[k] for k in FLOW_ARGS]


def expected_flows(inputs: dict, kernels) -> tuple[np.ndarray, np.ndarray]:
    """Visits per unit and footfall per node of the month's expected flows (per month)."""
    visits, od, exit_mass, _ = kernels.visitor_flows(*flow_args(inputs))
    return visits, kernels.push_flows(inputs["ptr"], inputs["col"], od, exit_mass,
                                      inputs["exit_prob"], inputs["entry_node"],
                                      *[inputs[k] for k in TREE_ARGS])


def _pull(inputs: dict) -> np.ndarray:
    """(purposes, ages, units) A[p, u] w[a, u]: each unit's pull without the distance decay."""
    attr = np.where(inputs["attr"] > 0.0, inputs["attr"], 0.0)
    return attr[:, None, :] * inputs["door"][None, :, :]


# ------------------------------------------------------------------ one agent per visitor
class SampledVisitor(mesa.Agent):
    """One visitor on one day: purpose ``p``, age band ``a``, starting at street node ``node``."""

    def __init__(self, model: SampledDay, purpose: int, age_band: int, node: int) -> None:
        super().__init__(model)
        self.purpose = purpose
        self.age_band = age_band
        self.node = node
        self.stops: list[int] = []

    def walk(self, target: int) -> None:
        """Walk the shortest path from the current node to ``target``, counting footfall at every
        node reached or passed (not the one left; a stop in place counts once)."""
        m, s = self.model, self.node
        if target == s:
            m.footfall[s] += 1.0
        else:
            node = target
            while node != s:
                m.footfall[node] += 1.0
                node = m.pred[s, node]
        self.node = target

    def step(self) -> None:
        m, p, a = self.model, self.purpose, self.age_band
        for r in range(m.max_stops[p]):
            w = m.pull[p, a] * m.kernel[a, self.node][m.unit_node]
            cum = np.cumsum(w)
            if cum[-1] <= 0.0:
                break  # nothing to stop at within reach: head for an exit
            unit = min(int(np.searchsorted(cum, self.random.random() * cum[-1], side="right")),
                       len(cum) - 1)
            m.visits[unit] += 1.0
            self.stops.append(unit)
            self.walk(int(m.unit_node[unit]))
            if r + 1 < m.max_stops[p] and self.random.random() >= m.cont[p]:
                break
        cum = np.cumsum(m.exit_prob[self.node])
        e = min(int(np.searchsorted(cum, self.random.random() * cum[-1], side="right")),
                len(cum) - 1)
        self.walk(int(m.entry_node[e]))


class SampledDay(mesa.Model):
    """One day of individually simulated visitors on the arrays of a `CityCentreModel`."""

    def __init__(self, inputs: dict, n_visitors: int | None = None, seed: int = 0) -> None:
        super().__init__(rng=seed)
        for key, value in inputs.items():
            setattr(self, key, value)
        self.pull = _pull(inputs)
        m0 = inputs["m0"]
        self.trips_month = float(m0.sum())
        n = round(self.trips_month / DAYS_PER_MONTH) if n_visitors is None else int(n_visitors)
        self.n_visitors = n
        self.footfall = np.zeros(m0.shape[2])
        self.visits = np.zeros(inputs["attr"].shape[1])
        origin = self.rng.choice(m0.size, size=n, p=(m0 / m0.sum()).ravel())
        purpose, age, node = np.unravel_index(origin, m0.shape)
        for i in range(n):
            SampledVisitor(self, int(purpose[i]), int(age[i]), int(node[i]))

    def step(self) -> None:
        self.agents.shuffle_do("step")


def sampled_day(inputs: dict, n_visitors: int | None = None, seed: int = 0) -> dict:
    """Create and run one day of sampled visitors; footfall per node and the wall times."""
    t0 = time.perf_counter()
    day = SampledDay(inputs, n_visitors, seed)
    t1 = time.perf_counter()
    day.step()
    t2 = time.perf_counter()
    return {"n_visitors": day.n_visitors, "footfall": day.footfall, "visits": day.visits,
            "create_s": t1 - t0, "step_s": t2 - t1, "total_s": t2 - t0,
            "stops": int(sum(len(v.stops) for v in day.agents))}


def relative_rmse(sampled: np.ndarray, expected: np.ndarray) -> float:
    """Root-mean-square error over nodes relative to the mean expected footfall."""
    return float(np.sqrt(np.mean((sampled - expected) ** 2)) / np.mean(expected))


# ------------------------------------------------------------------ one agent per visitor group
class VisitorGroup(mesa.Agent):
    """The expected trips of one purpose and age band at one street node in one stop round."""

    def __init__(self, model: GroupRounds, purpose: int, age_band: int, node: int,
                 mass: float) -> None:
        super().__init__(model)
        self.purpose = purpose
        self.age_band = age_band
        self.node = node
        self.mass = mass

    def step(self) -> None:
        """Spread the group's trips over the units in reach (Huff); the arrivals at each node
        are pooled by the model, which forms next round's groups from them."""
        m, p, a, s = self.model, self.purpose, self.age_band, self.node
        w = m.pull[p, a] * m.kernel[a, s][m.unit_node]
        total = w.sum()
        if total <= 0.0:
            m.exit_mass[s] += self.mass  # nothing within reach: the group heads for an exit
        else:
            flow = w * (self.mass / total)
            m.visits += flow
            arrived = np.bincount(m.unit_node, weights=flow, minlength=m.n_nodes)
            m.od[s] += arrived
            m.arrivals[p, a] += arrived
        self.remove()


class GroupRounds(mesa.Model):
    """A month's expected visitor flows with one agent per (purpose, age band, node) group."""

    def __init__(self, inputs: dict) -> None:
        super().__init__(rng=0)
        for key, value in inputs.items():
            setattr(self, key, value)
        self.pull = _pull(inputs)
        m0 = inputs["m0"]
        self.n_nodes = m0.shape[2]
        self.visits = np.zeros(inputs["attr"].shape[1])
        self.od = np.zeros((self.n_nodes, self.n_nodes))
        self.exit_mass = np.zeros(self.n_nodes)
        self.arrivals = np.zeros(m0.shape)
        self.round = 0
        self.group_steps = 0
        for p, a, s in zip(*np.nonzero(m0 > 0.0), strict=True):
            VisitorGroup(self, int(p), int(a), int(s), float(m0[p, a, s]))

    def step(self) -> None:
        """One stop round: every group chooses its stops; the ones that go on form new groups."""
        self.arrivals[:] = 0.0
        self.group_steps += len(self.agents)
        self.agents.shuffle_do("step")
        for p in range(self.arrivals.shape[0]):
            if self.round >= self.max_stops[p]:
                continue
            last = self.round == self.max_stops[p] - 1
            go_on = 0.0 if last else float(self.cont[p])
            for a in range(self.arrivals.shape[1]):
                arrived = self.arrivals[p, a]
                self.exit_mass += arrived * (1.0 - go_on)
                if go_on > 0.0:
                    for t in np.flatnonzero(arrived > 0.0):
                        VisitorGroup(self, p, a, int(t), float(arrived[t] * go_on))
        self.round += 1

    def run(self) -> tuple[np.ndarray, np.ndarray]:
        """All stop rounds, then the exits; returns (visits, od) as `visitor_flows` does."""
        while len(self.agents):
            self.step()
        np.add.at(self.od, (slice(None), self.entry_node),
                  self.exit_mass[:, None] * self.exit_prob)
        return self.visits, self.od


def group_month(inputs: dict) -> dict:
    """Run one month's expected flows with group agents; results, agent count and wall time."""
    t0 = time.perf_counter()
    model = GroupRounds(inputs)
    n_start = len(model.agents)
    visits, od = model.run()
    return {"visits": visits, "od": od, "total_s": time.perf_counter() - t0,
            "groups_start": n_start, "group_steps": model.group_steps, "rounds": model.round}
