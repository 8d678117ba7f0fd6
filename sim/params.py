"""Runtime parameters: a scenario's values turned into NumPy arrays indexed by the model's codes.

Maps over branches become arrays over `Function` codes (0 where not applicable); maps over zones,
purposes, anchors, operators and owner types become arrays over those codes. `Params` is read-only
for the model: levers and scenario mechanisms change what agents face through `sim.inputs.Effects`,
never by editing parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .functions import BRANCH_NAMES, COMMERCIAL, N_FUNCTIONS, PURPOSE_NAMES, Function
from .scenarios.schema import PARAMS, TRAJECTORIES

if TYPE_CHECKING:  # the loader brings Mesa; `binnenstad policies` should not need it
    from .scenarios.loader import CentreScenario


class Trajectory:
    """A driver over time: linear interpolation between (year, value) points, flat outside."""

    def __init__(self, years: tuple[float, ...], values: tuple[float, ...]) -> None:
        self.years = np.asarray(years, dtype=float)
        self.values = np.asarray(values, dtype=float)

    def __call__(self, year: float) -> float:
        return float(np.interp(year, self.years, self.values))


class WithHistory:
    """A driver that follows the centre's history before ``year0`` (the year the scenario's own
    data begins) and the scenario from then on. ``values`` are the scenario's own points."""

    def __init__(self, history: Trajectory, own: Trajectory, year0: float) -> None:
        self.history, self.own, self.year0 = history, own, float(year0)

    @property
    def years(self) -> np.ndarray:
        return self.own.years

    @property
    def values(self) -> np.ndarray:
        return self.own.values

    def __call__(self, year: float) -> float:
        return self.history(year) if year < self.year0 else self.own(year)


def _as_array(value: dict, keys: tuple[str, ...]) -> np.ndarray:
    branch = keys == tuple(BRANCH_NAMES)
    idx = [int(b) for b in COMMERCIAL] if branch else list(range(len(keys)))
    dtype = bool if all(isinstance(v, bool) for v in value.values()) else float
    out = np.zeros(N_FUNCTIONS if branch else len(keys), dtype=dtype)
    for i, k in zip(idx, keys, strict=True):
        out[i] = value[k]
    return out


class Params:
    """Attribute access to every parameter (scalars as float/int, maps as arrays) and trajectories
    as callables of the (fractional) year."""

    def __init__(self, scenario: CentreScenario) -> None:
        self.scenario_name = scenario.name
        for name, spec in PARAMS.items():
            v = scenario.params[name]
            if spec.kind == "map":
                v = _as_array(v, spec.keys)
            elif spec.kind == "matrix":
                v = self._matrix(name, v)
            setattr(self, name, v)
        self.traj: dict[str, Trajectory] = {
            name: Trajectory(*scenario.trajectories[name]) for name in TRAJECTORIES
        }

    @staticmethod
    def _matrix(name: str, v: dict) -> np.ndarray:
        if name == "purpose_mix":  # branch x purpose -> (N_FUNCTIONS, n_purposes), rows sum to 1
            out = np.zeros((N_FUNCTIONS, len(PURPOSE_NAMES)))
            for b, code in zip(BRANCH_NAMES, COMMERCIAL, strict=True):
                row = v[b]
                total = sum(row.values())
                for j, p in enumerate(PURPOSE_NAMES):
                    out[int(code), j] = row[p] / total if total > 0 else 0.0
            return out
        if name == "stop_preference":  # purpose x (branch | market) -> (n_purposes, N_FUNCTIONS)
            out = np.zeros((len(PURPOSE_NAMES), N_FUNCTIONS))
            for i, p in enumerate(PURPOSE_NAMES):
                for b, code in zip(BRANCH_NAMES, COMMERCIAL, strict=True):
                    out[i, int(code)] = v[p][b]
                out[i, int(Function.MARKET)] = v[p]["market"]
            return out
        raise KeyError(name)

    def with_history(self, history: CentreScenario, year0: float) -> None:
        """Drivers follow ``history`` (the ``historical`` scenario's record) before ``year0``
        and this scenario from then on (see `WithHistory`); parameters stay this scenario's."""
        for name in TRAJECTORIES:
            self.traj[name] = WithHistory(Trajectory(*history.trajectories[name]),
                                          self.traj[name], year0)

    def driver(self, name: str, year: float, burn_in: bool = False) -> float:
        """Driver ``name`` at ``year``; a shock driver is neutral during the burn-in."""
        spec = TRAJECTORIES[name]
        if burn_in and spec.shock:
            return spec.neutral
        return self.traj[name](year)

    def online_share(self, year: float) -> np.ndarray:
        """Online share of spending by function code at ``year``."""
        out = np.zeros(N_FUNCTIONS)
        for b, code in zip(BRANCH_NAMES, COMMERCIAL, strict=True):
            out[int(code)] = self.traj[f"online_share_{b}"](year)
        return out
