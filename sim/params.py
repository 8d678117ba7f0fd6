"""Runtime parameters: a scenario's values turned into NumPy arrays indexed by the model's codes.

`Params` is the one object that policy levers modify (through `sim.policies`); agents and kernels
read from it. Maps over branches become arrays over `Function` codes (0 where not applicable),
maps over zones, purposes, anchors and owner types become arrays over those codes.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .functions import (
    BRANCH_NAMES,
    COMMERCIAL,
    N_FUNCTIONS,
    PURPOSE_NAMES,
    Function,
)
from .scenarios.loader import CentreScenario
from .scenarios.schema import PARAMS, TRAJECTORIES


class Trajectory:
    """A driver over time: linear interpolation between (year, value) points, flat outside."""

    def __init__(self, years: tuple[float, ...], values: tuple[float, ...]) -> None:
        self.years = np.asarray(years, dtype=float)
        self.values = np.asarray(values, dtype=float)

    def __call__(self, year: float) -> float:
        return float(np.interp(year, self.years, self.values))


def _keys_for(spec_keys: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Index positions for a map's keys in its target array."""
    if spec_keys == tuple(BRANCH_NAMES):
        return np.array([int(b) for b in COMMERCIAL]), list(spec_keys)
    return np.arange(len(spec_keys)), list(spec_keys)


def _as_array(value: dict, keys: tuple[str, ...]) -> np.ndarray:
    idx, names = _keys_for(keys)
    size = N_FUNCTIONS if keys == tuple(BRANCH_NAMES) else len(keys)
    dtype = bool if all(isinstance(v, bool) for v in value.values()) else float
    out = np.zeros(size, dtype=dtype)
    for i, k in zip(idx, names, strict=True):
        out[i] = value[k]
    return out


class Params:
    """Attribute access to every parameter (scalars as float/int, maps as arrays) and trajectories
    as callables of the (fractional) year. Copy before changing: policies get their own copy."""

    def __init__(self, scenario: CentreScenario) -> None:
        self.scenario_name = scenario.name
        for name, spec in PARAMS.items():
            v = scenario.params[name]
            if spec.kind == "map":
                v = _as_array(v, spec.keys)
            elif spec.kind == "matrix":
                v = self._matrix(name, v, spec.keys, spec.cols)
            setattr(self, name, v)
        self.traj: dict[str, Trajectory] = {
            name: Trajectory(*scenario.trajectories[name]) for name in TRAJECTORIES
        }
        # Extra rule switches that policies and scenario mechanisms turn on. They are data, not
        # code paths in agents: the model's submodels read them.
        self.extra: dict[str, Any] = {}

    @staticmethod
    def _matrix(name: str, v: dict, rows: tuple[str, ...], cols: tuple[str, ...]) -> np.ndarray:
        if name == "purpose_mix":  # branch x purpose -> (N_FUNCTIONS, n_purposes)
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

    def online_share(self, year: float) -> np.ndarray:
        """Online share of spending by function code at ``year``."""
        out = np.zeros(N_FUNCTIONS)
        for b, code in zip(BRANCH_NAMES, COMMERCIAL, strict=True):
            out[int(code)] = self.traj[f"online_share_{b}"](year)
        return out

    def copy(self) -> Params:
        return copy.deepcopy(self)

