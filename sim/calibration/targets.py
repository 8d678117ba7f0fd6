"""What the model is fitted to and checked against: targets from the source documents.

A `Target` states what a source says (a level with its tolerance, or a direction), the run it is
measured on (town, scenario, years) and how to measure it from one run's tables. ``fit`` targets
lie in the calibration window (the ``historical`` scenario up to early 2013) and enter the
calibration distance; ``check`` targets are not fitted: they are the out-of-sample predictions
(2013 on) and cross-sections the validation reports.

Tolerances (``sd``) combine the source's rounding, the spread of individual centres around a
provincial or national mean (one simulated centre is not an average of many) and the model's
known structural limits; they are assumptions, stated per target, not fitted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: The calibration window: the ``historical`` run from 2007 to the end of 2012 (early 2013).
FIT_YEARS = (2007, 2012)


@dataclass(frozen=True)
class Tables:
    """The tables of one run that targets are measured on."""

    timeseries: pd.DataFrame
    units: pd.DataFrame


@dataclass(frozen=True)
class Target:
    """One statement of a source the model should reproduce.

    ``kind``: ``level`` (the value should be ``observed`` within ``sd``), ``above`` / ``below``
    (the value should be above / below ``observed``; ``sd`` scales a shortfall in the distance),
    ``report`` (no source figure: the value is reported, not judged).
    ``role``: ``fit`` (in the calibration distance) or ``check`` (validation only).
    """

    name: str
    statement: str
    source: str
    kind: Literal["level", "above", "below", "report"]
    observed: float
    sd: float
    role: Literal["fit", "check"]
    measure: Callable[[Tables], float]
    #: the last year the measure reads (the run must reach its end)
    needs_year: int = 2013
    unit: str = "fraction"
    town: str = "medium"
    scenario: str = "historical"
    tolerance_note: str = ""

    def standardised(self, value: float) -> float:
        """The signed shortfall in units of ``sd``: (value - observed) / sd for a level, the
        distance to the wrong side of the threshold (0 when met) for a direction."""
        if self.kind == "report":
            return 0.0
        if not np.isfinite(value):
            return float("inf")
        gap = (value - self.observed) / self.sd
        if self.kind == "level":
            return float(gap)
        if self.kind == "above":
            return float(min(gap, 0.0))
        return float(max(gap, 0.0))

    def passes(self, mean: float, se: float) -> bool | None:
        """Whether the model agrees with the target, judged on its mean over replicate runs
        (``se``: the mean's standard error): a level when the mean lies within observed +- 2
        sd (the target's tolerance); a direction when the mean's 95% confidence interval
        (mean +- 1.96 se) lies wholly on the right side. None for a reported value."""
        if self.kind == "report" or not np.isfinite(mean):
            return None
        if self.kind == "level":
            return bool(abs(mean - self.observed) <= 2 * self.sd)
        if self.kind == "above":
            return bool(mean - 1.96 * se > self.observed)
        return bool(mean + 1.96 * se < self.observed)


# ---------------------------------------------------------------------------- measures
def _months(ts: pd.DataFrame, first: tuple[int, int], last: tuple[int, int]) -> pd.DataFrame:
    key = ts.year * 12 + ts.month
    return ts[(key >= first[0] * 12 + first[1]) & (key <= last[0] * 12 + last[1])]


def _year(ts: pd.DataFrame, year: int) -> pd.DataFrame:
    return ts[ts.year == year]


def vacancy_in(first: tuple[int, int], last: tuple[int, int], col: str = "vacancy_rate"
               ) -> Callable[[Tables], float]:
    def measure(t: Tables) -> float:
        return float(_months(t.timeseries, first, last)[col].mean())
    return measure


def yearly_change(col: str, year: int) -> Callable[[Tables], float]:
    """Relative change of a monthly flow's yearly sum from ``year - 1`` to ``year``."""
    def measure(t: Tables) -> float:
        before = _year(t.timeseries, year - 1)[col].sum()
        return float(_year(t.timeseries, year)[col].sum() / before - 1.0) if before > 0 else (
            float("nan"))
    return measure


def zone_gap(year: tuple[int, int]) -> Callable[[Tables], float]:
    """Aanloop minus core vacancy over the months of ``year`` (first, last month)."""
    def measure(t: Tables) -> float:
        m = _months(t.timeseries, (year[0], 1), (year[0], year[1]))
        return float((m.vacancy_rate_aanloop - m.vacancy_rate_core).mean())
    return measure


def zone_rise_gap(first: int, last: int) -> Callable[[Tables], float]:
    """How much more aanloop vacancy rose than core vacancy, from year ``first`` to ``last``
    (yearly means)."""
    def measure(t: Tables) -> float:
        a, b = _year(t.timeseries, first), _year(t.timeseries, last)
        rise_aanloop = b.vacancy_rate_aanloop.mean() - a.vacancy_rate_aanloop.mean()
        rise_core = b.vacancy_rate_core.mean() - a.vacancy_rate_core.mean()
        return float(rise_aanloop - rise_core)
    return measure


def _shops(units: pd.DataFrame, year: int) -> pd.DataFrame:
    snap = units[units.year == year]
    return snap[(snap.branch != "") & ~snap.is_vacant]


def outlet_change(first: int, last: int) -> Callable[[Tables], float]:
    """Relative change in the number of occupied commercial outlets between two year-end unit
    snapshots (``first - 1`` is the state at the start of ``first``)."""
    def measure(t: Tables) -> float:
        a, b = len(_shops(t.units, first)), len(_shops(t.units, last))
        return b / a - 1.0 if a else float("nan")
    return measure


def outlet_size_change(first: int, last: int) -> Callable[[Tables], float]:
    """Relative change in the mean floor area of occupied commercial outlets."""
    def measure(t: Tables) -> float:
        a = _shops(t.units, first).floor_area.mean()
        b = _shops(t.units, last).floor_area.mean()
        return float(b / a - 1.0) if a > 0 else float("nan")
    return measure


def shop_floor_change(first: int, last: int) -> Callable[[Tables], float]:
    """Relative change in the floor area of occupied commercial outlets."""
    def measure(t: Tables) -> float:
        a = _shops(t.units, first).floor_area.sum()
        b = _shops(t.units, last).floor_area.sum()
        return float(b / a - 1.0) if a > 0 else float("nan")
    return measure


def structural_share(year: int) -> Callable[[Tables], float]:
    """Share of vacant units vacant for more than a year, over the months of ``year``."""
    def measure(t: Tables) -> float:
        m = _year(t.timeseries, year)
        vac = m.vacancy_rate.to_numpy()
        if not len(vac):
            return float("nan")
        share = np.divide(m.vacancy_structural_1y.to_numpy(), vac, out=np.zeros_like(vac),
                          where=vac > 0)
        return float(share.mean())
    return measure


def branch_share_change(branches: tuple[str, ...], first: int, last: int
                        ) -> Callable[[Tables], float]:
    """Change (points) in the share of occupied outlets in ``branches`` (a proxy for jobs by
    sector, which the model does not have)."""
    def share(units: pd.DataFrame, year: int) -> float:
        s = _shops(units, year)
        return float(s.branch.isin(branches).mean()) if len(s) else float("nan")

    def measure(t: Tables) -> float:
        return share(t.units, last) - share(t.units, first)
    return measure


RETAIL = ("daily", "fashion", "home", "electronics", "personal_care", "leisure_goods")

# ---------------------------------------------------------------------------- the targets
_OV_LEVEL = ("the Overijssel mean over many centres of all sizes; one medium centre deviates "
             "from it (the [OV] centres range from about 5% to over 15%): sd 2 points")

TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("vacancy_2007", "Overijssel centre outlet vacancy 6.9% in 2007",
           "[OV] trend 01 (Locatus)", "level", 0.069, 0.02, "fit",
           vacancy_in((2007, 1), (2007, 12)), tolerance_note=_OV_LEVEL, needs_year=2007),
    Target("vacancy_early_2013", "Overijssel centre outlet vacancy 10.9% early 2013",
           "[OV] trend 01 (Locatus)", "level", 0.109, 0.02, "fit",
           vacancy_in((2012, 11), (2013, 3)), tolerance_note=_OV_LEVEL, needs_year=2013),
    Target("vacancy_rise_2007_2013", "Overijssel centre vacancy rose 4 points 2007-2013",
           "[OV] trend 01 (Locatus)", "level", 0.040, 0.015, "fit",
           lambda t: vacancy_in((2012, 11), (2013, 3))(t) - vacancy_in((2007, 1), (2007, 12))(t),
           tolerance_note="the rise is measured more tightly than the levels (same centres, "
                          "same method): sd 1.5 points", needs_year=2013),
    Target("physical_turnover_2012", "physical shop turnover -5% in 2012",
           "[OV] trend 01", "level", -0.05, 0.02, "fit",
           yearly_change("shop_revenue", 2012),
           tolerance_note="national retail; the model's centre shops include horeca and "
                          "services: sd 2 points", needs_year=2012),
    Target("online_turnover_2012", "online turnover +10% in 2012", "[OV] trend 01", "level",
           0.10, 0.03, "fit", yearly_change("spend_online", 2012),
           tolerance_note="set mostly by the online-share driver; sd 3 points", needs_year=2012),
    Target("aanloop_above_core_2012", "aanloopstraten have more vacancy than the core",
           "[OV] trend 01; BRIEF section 8", "above", 0.0, 0.02, "fit", zone_gap((2012, 12)),
           unit="points", needs_year=2012),
    Target("aanloop_rises_faster", "vacancy rises faster in the aanloopstraten than in the "
           "core (they feel decline first)", "[OV]; BRIEF section 8", "above", 0.0, 0.02,
           "fit", zone_rise_gap(2007, 2012), unit="points", needs_year=2012),
    Target("outlets_fall_2007_2013", "the number of outlets falls (scale enlargement)",
           "[OV][G32]", "below", 0.0, 0.02, "fit", outlet_change(2006, 2012), needs_year=2012),
    Target("outlets_grow_larger", "the mean outlet grows larger (m2 per shop up)",
           "[G32] m2 per shop 5x in 50 years", "above", 0.0, 0.01, "fit",
           outlet_size_change(2006, 2012), needs_year=2012),
    Target("shop_floor_not_up", "shop floor space in most centres fell or stayed 2007-2013",
           "[OV] trend 01 (Locatus)", "below", 0.0, 0.02, "fit", shop_floor_change(2006, 2012),
           needs_year=2012),
    # ---- checks: not fitted (out of sample, or not a medium-centre statement)
    Target("vacancy_2012_national", "NL central shopping areas: vacancy 7.7% in 2012",
           "[OV] trend 01 (Locatus)", "level", 0.077, 0.025, "check",
           vacancy_in((2012, 1), (2012, 12)),
           tolerance_note="a national mean over central shopping areas of every size; one "
                          "medium centre deviates from it: sd 2.5 points", needs_year=2012),
    Target("vacancy_2016", "NL shop vacancy about 10% in 2016 (G32 cities 6% to 20%)",
           "[G32]", "level", 0.10, 0.035, "check", vacancy_in((2016, 1), (2016, 12)),
           tolerance_note="a national mean; G32 cities range 6-20%: sd 3.5 points",
           needs_year=2016),
    Target("structural_share_2016", "over a quarter of vacancy is structural (> 1 year)",
           "[G32]", "above", 0.25, 0.05, "check", structural_share(2016), needs_year=2016),
    Target("vacancy_2024", "vacancy in 2024 (no source figure: reported, not judged)",
           "out-of-sample prediction", "report", float("nan"), 1.0, "check",
           vacancy_in((2024, 1), (2024, 12)), needs_year=2024),
    Target("retail_share_falls", "retail's share of centre outlets falls (proxy for [OV]'s "
           "jobs: retail share falling)", "[OV] PBL 1996-2008; [P31]", "below", 0.0, 0.02,
           "check", branch_share_change(RETAIL, 2006, 2023), unit="points", needs_year=2023),
    Target("horeca_share_rises", "horeca's share of centre outlets rises (proxy for [OV]'s "
           "jobs: horeca 10.4% -> 12.9%)", "[OV] PBL 1996-2008", "above", 0.0, 0.02, "check",
           branch_share_change(("horeca",), 2006, 2023), unit="points", needs_year=2023),
)}


def fit_targets() -> list[Target]:
    return [t for t in TARGETS.values() if t.role == "fit"]


def measure_all(tables: Tables, targets: list[Target]) -> dict[str, float]:
    """Every target's value on one run."""
    return {t.name: float(t.measure(tables)) for t in targets}
