"""Named, independent random streams derived from one root seed (common random numbers).

Each mechanism draws from its own stream, and a month's stream derives from the root seed, the
stream's name and the month (``SeedSequence(seed, spawn_key=(crc32(name), month))``). So

- switching a policy on or adding a mechanism does not shift the draws of unrelated mechanisms,
- and extra draws by a mechanism in one month do not shift its own, or anyone's, draws in the
  next month: a lever moves outcomes through what it does, not through reshuffled luck.

Within a month a stream is one generator (a mechanism's draws that month continue each other).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

#: Every stream of the model and the one mechanism that draws from it (levers draw from
#: ``policy:<lever>``, scenario mechanisms from ``shocks:<mechanism>`` and
#: ``shocks:<mechanism>:<purpose>``). Adding a name never changes another's draws.
STREAM_NAMES = {
    "town": "generating a preset town (`sim.town`)",
    "init": "the set-up: dwellings, tenants' traits, leases, office users, owners' debt",
    "start_households": "the set-up's households",
    "settle": "the settling of the generated tenancies",
    "residents": "households ageing, moving out and being replaced (each January)",
    "conversion_households": "households moving into converted units",
    "appeal": "the drift of tenants' appeal",
    "closures": "successions of retiring entrepreneurs (who finds a successor)",
    "succession": "a successor's age and retirement age",
    "offices": "office users moving on at lease end",
    "owners": "the debt of buyers of units sold in a covenant breach",
    "splits": "owners' attention and credit for splits",
    "merges": "owners' attention and credit for merges",
    "conversions": "banks' answers to owners' conversion plans, once a year (credit rationing)",
    "arrivals": "arriving searchers and their traits",
    "search": "the units each searcher inspects",
    "shop_traits": "a new shop's brand, innovativeness, appeal and retirement age",
    "popup_lease": "a pop-up's lease length",
    "adaptation": "webshop adoption (each January)",
    "format": "format reviews (mixed use)",
}


def stream(seed: int, name: str, month: int | None = None) -> np.random.Generator:
    """Return the generator of mechanism ``name`` under root ``seed`` (in ``month``, a model
    clock month; ``None`` for a stream outside the monthly chain).

    Seeded by ``SeedSequence(seed, spawn_key=(crc32(name), month))``: independent of every other
    name and month and identical across processes and platforms.
    """
    key = zlib.crc32(name.encode("utf-8"))
    spawn = (key,) if month is None else (key, int(month))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=spawn))


class Streams:
    """The run's streams: one generator per name and month (the month is ``clock()``)."""

    def __init__(self, seed: int, clock: Callable[[], int]) -> None:
        self.seed = int(seed)
        self._clock = clock
        self._month: int | None = None
        self._live: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        month = self._clock()
        if month != self._month:
            self._month, self._live = month, {}
        if name not in self._live:
            self._live[name] = stream(self.seed, name, month)
        return self._live[name]

    def __getitem__(self, name: str) -> np.random.Generator:
        """This month's generator of ``name`` (only once it has been used this month)."""
        return self._live[name]
