"""Mesa's data collection for `CityCentreModel`: ``model.datacollector``.

Mesa recipes read a model's ``datacollector`` (a `mesa.DataCollector`): ``batch_run`` returns
its columns, ``get_model_vars_dataframe()`` gives one row per collected step, Mesa's plot
components draw its columns. The model collects once at the start and after every monthly step.

- **Model reporters**: the main outcomes, in the units of the run tables (``timeseries.parquet``;
  ``binnenstad run`` writes those from `sim.record`, which this module does not replace):
  vacancy overall and by zone (fraction of retail-eligible units), shops, footfall, public cost,
  dwellings added, the calendar date.
- **Agent reporters** (per `Shop`, `agenttype_reporters`): unit, branch (a plain string such as
  ``"fashion"``), chain, pop-up, cash, innovativeness, webshop. Shops are the agents a user
  selects and counts; residents (thousands of households) are left out to keep collection
  cheap. Shop rows are collected every December and at the start (yearly, like the unit
  snapshots of ``units.parquet``); `SHOP_EVERY_MONTH` switches that to every step.

Reporters only read the model (no random numbers, no state change), so a run with the data
collector gives the same tables as one without.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import DataCollector

from .functions import ZONE_NAMES

if TYPE_CHECKING:
    from .model import CityCentreModel

#: Collect the shops' rows after every step instead of every December (costs about 1 ms a
#: month on a medium town; the yearly default costs a twelfth of that).
SHOP_EVERY_MONTH = False


def _zone_vacancy(zone: int):
    def reporter(m: CityCentreModel) -> float:
        return m.vacancy_rate(m.units.zone == zone)
    reporter.__name__ = f"vacancy_rate_{ZONE_NAMES[zone]}"
    return reporter


def _footfall_total(m: CityCentreModel) -> float:
    return float(np.asarray(m.node_footfall, dtype=float).sum())


def _date(m: CityCentreModel) -> str:
    """``YYYY-MM`` of the month just simulated (the start: January of the first year)."""
    if m.steps == 0:
        return f"{m.start_year}-01"
    return f"{m.year}-{m.calendar_month:02d}"


#: Model reporters: column -> reporter (reads only).
MODEL_REPORTERS: dict[str, Any] = {
    "date": _date,
    "vacancy_rate": lambda m: m.vacancy_rate(),
    **{f"vacancy_rate_{name}": _zone_vacancy(code) for code, name in enumerate(ZONE_NAMES)},
    "n_shops": lambda m: len(m.shop_at),
    "n_vacant": lambda m: int((m.units.vacant & m.units.eligible & m.units.active).sum()),
    "footfall_total": _footfall_total,
    "public_cost": lambda m: float(m.municipality.public_cost),
    "housing_added": lambda m: int(m.housing_added),
    "residents": lambda m: round(float(np.sum(m.residents_at))),
}

#: Shop attributes collected per shop (the `Shop` properties of the same name).
SHOP_ATTRIBUTES = ("unit", "branch", "is_chain", "is_popup", "cash", "innovativeness",
                   "online_channel")


class CentreDataCollector(DataCollector):
    """Mesa's `DataCollector` with the shops' rows collected yearly (see the module doc)."""

    def collect(self, model: Any) -> None:
        shops = self.agenttype_reporters
        yearly = not SHOP_EVERY_MONTH and not (model.steps == 0 or model.calendar_month == 12)
        if yearly:
            self.agenttype_reporters = {}  # this step: the model reporters only
        try:
            super().collect(model)
        finally:
            self.agenttype_reporters = shops


def datacollector() -> CentreDataCollector:
    """A fresh data collector for one model."""
    from .agents import Shop

    def attr(name: str):
        return lambda a: getattr(a, name)

    return CentreDataCollector(
        model_reporters=dict(MODEL_REPORTERS),
        agenttype_reporters={Shop: {name: attr(name) for name in SHOP_ATTRIBUTES}})
