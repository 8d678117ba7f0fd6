"""The outcomes of a run that analyses judge, defined once (`OUTCOMES`).

A leaf module (imports nothing from the package), so the spec check (`sim.batch.spec`) and the
analyses (`sim.batch.analysis`, `sim.batch.sensitivity`, `sim.batch.ema`) share the table without
importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Outcome:
    """An outcome of a run.

    Attributes:
        name: outcome name in the analysis tables.
        column: timeseries column it is computed from.
        label: axis label.
        unit: unit of the value.
        good: ``lower`` or ``higher`` is better; None: no direction (reported, not judged).
        reduce: ``mean`` over the final window, or ``last`` value (cumulative quantities).
    """

    name: str
    column: str
    label: str
    unit: str
    good: Literal["lower", "higher"] | None
    reduce: Literal["mean", "last"] = "mean"


_OUTCOMES = (
    Outcome("vacancy_rate", "vacancy_rate", "vacancy rate", "fraction of retail-eligible units",
            "lower"),
    Outcome("structural_vacancy", "vacancy_structural_1y", "structural vacancy (> 1 year)",
            "fraction of retail-eligible units", "lower"),
    Outcome("vacant_floor_area", "vacant_floor_area", "vacant floor area", "m2", "lower"),
    Outcome("shops", "n_shops", "shops", "number of occupied shop units", "higher"),
    Outcome("footfall", "footfall_total", "footfall", "persons/day (sum over street nodes)",
            "higher"),
    Outcome("shop_revenue", "shop_revenue", "shop revenue", "EUR/month", "higher"),
    Outcome("diversity", "shannon_diversity", "diversity of the mix", "nats (Shannon)",
            "higher"),
    Outcome("public_cost", "public_cost", "public cost", "EUR (cumulative)", "lower", "last"),
    Outcome("housing_added", "housing_added", "housing added", "dwellings (cumulative)", None,
            "last"),
)
#: name -> `Outcome`; the one place outcomes and their good direction are defined.
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}
