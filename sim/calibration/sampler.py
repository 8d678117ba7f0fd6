"""A pyabc sampler that runs particles through the sweep layer's executor.

pyabc's own parallel samplers draw their random numbers from unseeded generators, so a
calibration would differ from run to run and with the number of workers. This sampler gives
every accepted particle of generation *t* its own seed, spawned from the calibration's root
seed with `numpy.random.SeedSequence`; each task re-seeds the worker's generators, samples
until it has one accepted particle, and the particles are put back in task order. The result is
the same whatever the number of workers (process pool or Dask) and after a resume.
"""

from __future__ import annotations

import random
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler


def accept_one(task: tuple[int, bytes, int]) -> tuple[int, list[Any], int]:
    """Worker side: sample with ``simulate_one`` until one particle is accepted."""
    index, payload, seed = task
    simulate_one = cloudpickle.loads(payload)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - pyabc draws proposals from the global RNG
    random.seed(seed)
    particles, n = [], 0
    while True:
        p = simulate_one()
        n += 1
        particles.append(p)
        if p.accepted:
            return index, particles, n


class ExecutorSampler(Sampler):
    """Sampler over an `sim.batch.executor.Executor` with reproducible per-particle seeds."""

    def __init__(self, executor: Any, root_seed: int, progress: Any = None) -> None:
        super().__init__()
        self.executor = executor
        self.root_seed = int(root_seed)
        self.progress = progress  # called with (generation, done, total)

    def seeds(self, t: int, n: int) -> list[int]:
        return [int(s) for s in np.random.SeedSequence([self.root_seed, 2, t + 1])
                .generate_state(n, np.uint64)]

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        payload = cloudpickle.dumps(simulate_one)
        tasks = [(i, payload, s) for i, s in enumerate(self.seeds(t, n))]
        results: dict[int, tuple[list[Any], int]] = {}
        for _task, res in self.executor.map_unordered(accept_one, tasks):
            if isinstance(res, BaseException):
                raise res
            index, particles, evals = res
            results[index] = (particles, evals)
            if self.progress is not None:
                self.progress(t, len(results), n)
        sample = self._create_empty_sample()
        evaluations = 0
        for i in range(n):
            particles, evals = results[i]
            evaluations += evals
            for p in particles:
                sample.append(p)
        self.nr_evaluations_ = evaluations
        return sample
