"""Named, independent random streams derived from one root seed (common random numbers).

Each mechanism draws from its own stream, keyed by a stable hash of its name, so switching a policy
on or adding a new mechanism does not shift the draws of unrelated mechanisms.
"""

from __future__ import annotations

import zlib

import numpy as np

#: The streams every run creates up front; levers (``policy:<name>``), scenario mechanisms
#: (``shocks:<name>``) and ``conversion_households`` are created on first use. Adding a name never
#: changes another's draws.
STREAM_NAMES = (
    "town",
    "init",
    "residents",
    "closures",
    "conversions",
    "entry",
    "relocation",
    "adaptation",
)


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator for mechanism ``name`` under root ``seed``.

    The stream is seeded by ``SeedSequence(seed, spawn_key=(crc32(name),))``: independent of every
    other name and identical across processes and platforms.
    """
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(key,)))


def streams(seed: int, names: tuple[str, ...] = STREAM_NAMES) -> dict[str, np.random.Generator]:
    """Return ``{name: generator}`` for all named streams of a run."""
    return {name: stream(seed, name) for name in names}
