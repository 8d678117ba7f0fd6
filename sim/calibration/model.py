"""One particle of the calibration: a parameter vector run over the replicate seeds.

Every particle is run with the same replicate seeds (common random numbers), so two particles
differ only by their parameters; the targets are measured on each run and averaged over the
replicates (replicate averaging), then standardised against the sources
(`Target.standardised`). The distance is the Euclidean norm of the standardised values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .targets import TARGETS, Tables

#: Prefixes of the summary statistics: standardised values (in the distance) and raw values.
Z, RAW = "z:", "raw:"


def replicate_seeds(root: int, n: int) -> list[int]:
    """The replicate seeds of a calibration (the same for every particle)."""
    return [int(s) for s in np.random.SeedSequence([root, 1]).generate_state(n, np.uint64)
            % (2**63)]


@dataclass(frozen=True)
class ParticleModel:
    """Callable ``{parameter: value} -> summary statistics`` (picklable: it is sent to the
    worker processes inside pyabc's particle sampler)."""

    town: str
    town_seed: int
    scenario: str
    years: int
    seeds: tuple[int, ...]
    targets: tuple[str, ...]
    params_map: tuple[tuple[str, str], ...]  # (pyabc name, config name)

    def overrides(self, values: dict[str, float]) -> dict[str, Any]:
        from ..scenarios.schema import PARAMS

        out: dict[str, Any] = {}
        for abc_name, name in self.params_map:
            if abc_name not in values:  # not given: the scenario's own value
                continue
            base, _, key = name.partition(".")
            v = float(values[abc_name])
            v = round(v) if PARAMS[base].kind == "int" else v
            if key:
                out.setdefault(base, {})[key] = v
            else:
                out[base] = v
        return out

    def raw(self, values: dict[str, float]) -> dict[str, float]:
        """Each target's value averaged over the replicate runs."""
        import warnings

        from ..runner import run

        params = self.overrides(values)
        sums = dict.fromkeys(self.targets, 0.0)
        for seed in self.seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = run(self.town, self.scenario, years=self.years, seed=seed,
                        town_seed=self.town_seed, figures=False, params=params)
            tables = Tables(r.timeseries, r.units)
            for name in self.targets:
                sums[name] += float(TARGETS[name].measure(tables))
        return {k: v / len(self.seeds) for k, v in sums.items()}

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        raw = self.raw(dict(values))
        out = {f"{RAW}{k}": v for k, v in raw.items()}
        out.update({f"{Z}{k}": TARGETS[k].standardised(v) for k, v in raw.items()})
        return out


def distance(x: dict[str, float], x0: dict[str, float] | None = None) -> float:
    """Euclidean norm of the standardised target values (``x0`` is ignored: the observations
    are built into the standardisation)."""
    total = 0.0
    for k, v in x.items():
        if k.startswith(Z):
            if not math.isfinite(v):
                return math.inf
            total += v * v
    return math.sqrt(total)
