"""What differs between Mesa 3.5 and Mesa 4 (4.0.0a0), in one place.

- Mesa 4 has no ``Model.steps`` counter; its clock is ``Model.time``. Every model here takes
  one step per time unit, so ``steps`` is ``int(time)`` on both (`MonthSteps`).
- Mesa 4 refuses ``rng`` together with a `Scenario` instance; the model passes only the
  scenario (whose ``rng`` is the run's seed), which Mesa 3.5 reads the same way.
"""

from __future__ import annotations


class MonthSteps:
    """Mixin for a Mesa `Model`: ``steps`` = months simulated = ``int(time)``."""

    @property
    def steps(self) -> int:
        """Steps taken (months simulated)."""
        return int(self.time)  # type: ignore[attr-defined]

    @steps.setter
    def steps(self, value: int) -> None:
        # Mesa 3 keeps its own count (set to 0, then +1 per step): the same as its time.
        pass
