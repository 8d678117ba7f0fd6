"""The visitor-trip rule written the idiomatic Mesa way: one `mesa.Agent` per sampled visitor.

The model itself computes *expected* flows: for every (purpose, age band) a mass of trips moves
through the stop rounds (`sim.kernels.flows`), with no sampling noise and a cost that does not
depend on the number of trips. Here the same rule is simulated visitor by visitor, as a textbook
Mesa model would: each `SampledVisitor` starts at a node drawn from the month's trip origins,
picks each stop with the Huff probabilities

    P(u | s) = attr[p, u] * decay[a, k] / sum_k' attr[p, u'] * decay[a, k']

using its own random numbers, walks the shortest path to the stop (adding footfall to every node
it reaches or passes, as `push_flows` counts it), goes on to a further stop with probability
``cont[p]`` (at most ``max_stops[p]`` stops) and finally walks to an exit drawn from
``exit_prob``. ``SampledDay.step`` runs all visitors with ``agents.shuffle_do("step")``.

One representative day of visitors (the month's trips / 30.44) stands for the month, the same
way the model reports footfall per day. The arrays are the ones the model hands to its kernels
(see `capture_flow_inputs`), so both paths see identical towns, attractiveness and demand.
"""

from __future__ import annotations

import time

import mesa
import numpy as np

from sim.functions import DAYS_PER_MONTH


def capture_flow_inputs(model) -> dict:
    """Run ``model``'s flow submodel once and return the arrays it passes to the flow kernel
    (names as in `Kernels.visitor_flows`), plus the shortest-path predecessors ``pred``."""
    names = ("cand_ptr", "cand_unit", "decay", "unit_node", "attr", "m0", "cont", "max_stops",
             "exit_prob", "entry_node")
    seen: dict = {}
    kernels = model.kernels
    inner = kernels._flows

    def record(*args):
        seen.update(zip(names, args, strict=True))
        return inner(*args)

    kernels._flows = record
    try:
        model._flows(model.demand)
    finally:
        kernels._flows = inner
    seen["pred"] = model.net.pred
    seen["order"] = model.net.order
    return seen


def expected_footfall(inputs: dict, kernels) -> np.ndarray:
    """Footfall per node of the month's expected flows (passers-by per month)."""
    keys = ("cand_ptr", "cand_unit", "decay", "unit_node", "attr", "m0", "cont", "max_stops",
            "exit_prob", "entry_node")
    _, od = kernels.visitor_flows(*(inputs[k] for k in keys))
    return kernels.push_flows(od, inputs["order"], inputs["pred"])


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
            lo, hi = m.cand_ptr[self.node], m.cand_ptr[self.node + 1]
            w = m.attr[p, m.cand_unit[lo:hi]] * m.decay[a, lo:hi]
            if w.sum() <= 0.0:
                break  # nothing to stop at within reach: head for an exit
            cum = np.cumsum(np.where(w > 0.0, w, 0.0))
            k = min(int(np.searchsorted(cum, self.random.random() * cum[-1], side="right")),
                    hi - lo - 1)
            unit = int(m.cand_unit[lo + k])
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
