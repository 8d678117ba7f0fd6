"""Named, independent random streams derived from one root seed (common random numbers).

Each mechanism draws from its own stream, keyed by a stable hash of its name, so switching a policy
on or adding a new mechanism does not shift the draws of unrelated mechanisms.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Streams of the core model, for reference (every stream is created on first use by
#: `CityCentreModel.stream`; levers draw from ``policy:<name>`` and scenario mechanisms from
#: ``shocks:<name>``). Adding a name never changes another's draws.
STREAM_NAMES = (
    "town", "init", "settle", "residents", "conversion_households", "appeal", "closures",
    "succession", "offices", "owners", "conversions", "splits", "merges", "entry", "search",
    "adaptation", "format",
)


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator for mechanism ``name`` under root ``seed``.

    The stream is seeded by ``SeedSequence(seed, spawn_key=(crc32(name),))``: independent of every
    other name and identical across processes and platforms.
    """
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(key,)))


def streams(seed: int, names: tuple[str, ...] = STREAM_NAMES) -> dict[str, np.random.Generator]:
    """Return ``{name: generator}`` for the named streams of a run."""
    return {name: stream(seed, name) for name in names}


class Streams:
    """The run's named random streams (`stream`), each created on first use."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._live: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        if name not in self._live:
            self._live[name] = stream(self.seed, name)
        return self._live[name]

    def __getitem__(self, name: str) -> np.random.Generator:
        return self._live[name]
