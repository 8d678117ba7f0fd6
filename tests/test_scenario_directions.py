"""What the scenario presets *expect* (the emergent consequences their sources state, the
``expects`` list of each header), judged against the baseline over 20 paired seeds.

Runs are replicated under common random numbers: the same seeds and the same medium town for a
preset and for the baseline, so that each difference is a paired contrast. Each preset runs from
its own start year over its own span ([OV] 2013-2024, [P31] 2018-2037). A direction is "clear"
when the 95% interval of the paired mean difference over the 20 seeds lies on its side of zero;
thresholds on levels and ratios are judged on the mean over the seeds. An expectation that does
not emerge is a strict xfail naming what does emerge (docs/ODD.md 8.3), never loosened. The runs
take several minutes: the module is marked ``slow`` and runs in one xdist worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.functions import BRANCH_NAMES
from sim.scenarios.loader import load_scenario
from tests.directions import clearly, interval

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("scenario_directions")]

SEEDS = tuple(range(20))
TOWN = "medium"
OV = (2013, 12)  # [OV] 2013 -> 2025
P31 = (2018, 20)  # [P31] 2018 -> 2038
PRESETS = {
    "stedencompetitie": OV,
    "zelforganiserende_stad": OV,
    "stad_als_speelveld": OV,
    "ontspannen_stad": OV,
    "binnenstad_united": P31,
    "autarkische_binnenstad": P31,
    "binnenstad_als_game": P31,
    "exclusieve_binnenstad": P31,
    "corona": OV,
}
RETAIL = [f"n_{b}" for b in BRANCH_NAMES[:6]]
#: the centre as workplace ([OV] "Werken"): services, makers' workshops and workspaces (offices,
#: co-working; counted from the yearly unit snapshot); horeca and culture belong to [OV]
#: "Ontmoeten" (meeting and leisure)
WORK = ["n_services", "n_maker", "n_office"]
NEW_GOODS = ["n_fashion", "n_home", "n_electronics", "n_leisure_goods"]


# ---------------------------------------------------------------------------- runs (cached)
@dataclass
class Run:
    ts: pd.DataFrame
    units: pd.DataFrame
    events: pd.DataFrame
    mechanisms: dict[str, Any]
    town_nodes: tuple[np.ndarray, np.ndarray]


@cache
def _run(scenario: str, start: int, years: int, seed: int) -> Run:
    r = sim.run(TOWN, scenario, start=start, years=years, seed=seed, figures=False,
                keep_model=True)
    ts = r.timeseries.copy()
    offices = r.units[r.units.function == "office"].groupby("year").size()
    ts["n_office"] = ts.year.map(offices).fillna(0)
    ts["retail"] = ts[RETAIL].sum(axis=1)
    ts["work"] = ts[WORK].sum(axis=1)
    ts["new_goods"] = ts[NEW_GOODS].sum(axis=1)
    ts["churn"] = ts.openings + ts.closures
    ts["popup_share"] = ts.n_popups / ts.n_shops.clip(lower=1)
    mech = {m.name: m for m in r.model.mechanisms}
    town = r.model.town
    # the model itself is dropped to save memory
    return Run(ts, r.units, r.events, mech, (town.node_x.copy(), town.node_y.copy()))


def runs(scenario: str) -> list[Run]:
    start, years = PRESETS.get(scenario, OV)
    return [_run(scenario, start, years, s) for s in SEEDS]


def base_runs(scenario: str) -> list[Run]:
    start, years = PRESETS[scenario]
    return [_run("baseline", start, years, s) for s in SEEDS]


def _years(ts: pd.DataFrame, years: tuple[int, int] | None) -> pd.DataFrame:
    if years is None:  # the last two simulated years
        years = (int(ts.year.max()) - 1, int(ts.year.max()))
    return ts[(ts.year >= years[0]) & (ts.year <= years[1])]


def level(scenario: str, col: str, years: tuple[int, int] | None = None,
          baseline: bool = False) -> float:
    """Mean over seeds of the mean of ``col`` over ``years`` (default: the last two years)."""
    rs = base_runs(scenario) if baseline else runs(scenario)
    return float(np.mean([_years(r.ts, years)[col].mean() for r in rs]))


def deltas(scenario: str, col: str, years: tuple[int, int] | None = None) -> np.ndarray:
    """Per seed, the paired difference scenario - baseline (common random numbers)."""
    a = [_years(r.ts, years)[col].mean() for r in runs(scenario)]
    b = [_years(r.ts, years)[col].mean() for r in base_runs(scenario)]
    return np.asarray(a, dtype=float) - np.asarray(b, dtype=float)


def delta(scenario: str, col: str, years: tuple[int, int] | None = None) -> float:
    """Mean over seeds of the paired difference scenario - baseline (common random numbers)."""
    return float(deltas(scenario, col, years).mean())


def ratio(scenario: str, col: str, years: tuple[int, int] | None = None) -> float:
    return level(scenario, col, years) / level(scenario, col, years, baseline=True)


def yearly(scenario: str, col: str, baseline: bool = False) -> pd.Series:
    rs = base_runs(scenario) if baseline else runs(scenario)
    return pd.concat([r.ts.groupby("year")[col].mean() for r in rs], axis=1).mean(axis=1)


def _not_up(d: np.ndarray, what: str) -> None:
    """Not pushed up: the paired mean at most half a point and not clearly above zero."""
    mean, lo, hi = interval(d)
    assert mean <= 0.005 and lo <= 0, (f"{what}: paired mean {mean:+.4g}, 95% interval "
                                       f"[{lo:+.4g}, {hi:+.4g}]")


# ---------------------------------------------------------------------------- [OV] matrix
@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds, values not yet recalibrated): ontspannen stad ends with less "
    "vacancy than zelforganiserende stad (-1.0 points, 95% [-1.7, -0.3]), the matrix has "
    "it higher; see docs/ODD.md 8.3"
))
def test_overijssel_matrix_ordering():
    """The matrix's vacancy and shopping-area columns, ++ to +/-: ontspannen > zelforganiserende
    > baseline >= stedencompetitie in vacancy, the reverse in shops."""
    dv = {n: deltas(n, "vacancy_rate") for n in ("stedencompetitie", "zelforganiserende_stad",
                                                   "ontspannen_stad")}
    clearly(dv["ontspannen_stad"] - dv["zelforganiserende_stad"], True, "ontspannen - zelf.")
    clearly(dv["zelforganiserende_stad"], True, "zelforganiserende vacancy")
    _not_up(dv["stedencompetitie"], "stedencompetitie vacancy")
    ds = {n: deltas(n, "n_shops") for n in dv}
    clearly(ds["stedencompetitie"], True, "stedencompetitie shops")
    clearly(ds["zelforganiserende_stad"], False, "zelforganiserende shops")


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): ontspannen stad keeps more shops than zelforganiserende stad "
    "(zelforganiserende minus ontspannen -8.5 shops, 95% [-9.8, -7.2]); see docs/ODD.md "
    "8.3"
))
def test_overijssel_matrix_shops_ontspannen_below_zelforganiserende():
    ds = {n: deltas(n, "n_shops") for n in ("zelforganiserende_stad", "ontspannen_stad")}
    clearly(ds["zelforganiserende_stad"] - ds["ontspannen_stad"], True)


def test_stedencompetitie():
    name = "stedencompetitie"
    clearly(deltas(name, "n_shops"), True, "shops")  # shopping area +
    clearly(deltas(name, "n_residents"), True, "residents")  # living +
    _not_up(deltas(name, "vacancy_rate"), "vacancy")  # vacancy +/-: no push up


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): stedencompetitie has fewer workplaces than the baseline (-20.2, "
    "95% [-22.4, -18.1]): its stronger retail demand lets shops outbid office users; see "
    "docs/ODD.md 8.3"
))
def test_stedencompetitie_more_workplace():
    clearly(deltas("stedencompetitie", "work"), True)  # workplace +


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): zelforganiserende stad has more workplaces than the baseline "
    "(+3.9, 95% [+2.4, +5.4]), the matrix has fewer; see docs/ODD.md 8.3"
))
def test_zelforganiserende_stad():
    name = "zelforganiserende_stad"
    clearly(deltas(name, "n_shops"), False, "shops")  # shopping -
    clearly(deltas(name, "work"), False, "workplace")  # workplace -
    clearly(deltas(name, "n_residents"), True, "residents")  # living +
    clearly(deltas(name, "vacancy_rate"), True, "vacancy")  # vacancy +


def _block_volatility(units: pd.DataFrame) -> float:
    """Mean absolute year-to-year change of the vacancy rate of 100 m x 100 m blocks."""
    u = units[units.retail_eligible]
    block = (u.x // 100).astype(int).astype(str) + "_" + (u.y // 100).astype(int).astype(str)
    v = u.assign(block=block).groupby(["block", "year"]).is_vacant.mean().unstack()
    return float(v.diff(axis=1).abs().mean().mean())


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): churn, the vacancy path and volatile streets emerge, but "
    "workplaces fall against the baseline (-16.5, 95% [-19.7, -13.2]), the scenario has "
    "them rise; see docs/ODD.md 8.3"
))
def test_stad_als_speelveld():
    name = "stad_als_speelveld"
    whole = (2013, 2024)
    assert ratio(name, "churn", whole) > 1.5  # high churn
    assert abs(delta(name, "vacancy_rate", whole)) < 0.06  # vacancy +/- over the period
    # the crisis years 2016-2018: vacancy not below baseline; by 2024 below its crisis level
    assert delta(name, "vacancy_rate", (2016, 2018)) > -0.01
    assert level(name, "vacancy_rate") < level(name, "vacancy_rate", (2016, 2018))
    vol = np.mean([_block_volatility(r.units) for r in runs(name)])
    vol0 = np.mean([_block_volatility(r.units) for r in base_runs(name)])
    assert vol > 1.2 * vol0, (vol, vol0)  # volatile streets
    clearly(deltas(name, "work"), True, "workplace")  # workplace +


def test_stad_als_speelveld_residents_close_to_baseline():
    name = "stad_als_speelveld"
    assert abs(delta(name, "n_residents")) < 0.1 * level(name, "n_residents", baseline=True)


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): vacancy rises as the matrix says, but workplaces do not fall "
    "(ratio to the baseline 1.01, wanted below 0.95): office users take the units shops "
    "leave; see docs/ODD.md 8.3"
))
def test_ontspannen_stad():
    name = "ontspannen_stad"
    clearly(deltas(name, "vacancy_rate"), True, "vacancy")
    assert delta(name, "vacancy_rate") > 0.03  # vacancy ++
    assert ratio(name, "retail") < 0.9  # shopping --
    assert ratio(name, "work") < 0.95  # workplace --


@pytest.mark.xfail(strict=True, reason="finding (20 seeds): ontspannen stad adds no clear number "
                   "of residents (+5 persons, 95% [-8, +19]): vacant units are converted to "
                   "dwellings about as often as in the baseline; see docs/ODD.md 8.3")
def test_ontspannen_stad_more_living():
    clearly(deltas("ontspannen_stad", "n_residents"), True, "residents")  # living +


@pytest.mark.xfail(strict=True, reason="finding (calibrated values): no contraction to the core: "
                   "the core's vacancy rises about as much as the aanloopstraten' (about 12 "
                   "points each against the baseline); see docs/ODD.md 8.3")
def test_ontspannen_stad_contracts_to_the_core():
    name = "ontspannen_stad"
    gap = deltas(name, "vacancy_rate_aanloop") - deltas(name, "vacancy_rate_core")
    clearly(gap - 0.05, True, "aanloop minus core vacancy, less 5 points")  # contraction


@pytest.mark.xfail(strict=True, reason="finding: fringe vacancy does not rise with aanloop "
                   "vacancy: the fringe is let to office users, whose arrivals the scenario "
                   "lowers but whose leases run on; see docs/ODD.md 8.3")
def test_ontspannen_stad_fringe_empties_too():
    name = "ontspannen_stad"
    gap = deltas(name, "vacancy_rate_fringe") - deltas(name, "vacancy_rate_core")
    clearly(gap - 0.05, True, "fringe minus core vacancy, less 5 points")


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): the tourism mechanism never sees an empty centre (the tourist "
    "index stays 1.0 early and late): vacancy stays below its threshold; see docs/ODD.md "
    "8.3"
))
def test_ontspannen_stad_tourists_leave_an_empty_centre():
    name = "ontspannen_stad"
    early, late = [], []
    for r in runs(name):
        hist = np.array(r.mechanisms["tourism"].history)
        early.append(hist[hist[:, 0] < 2016, 1].mean())
        late.append(hist[hist[:, 0] >= 2023, 1].mean())
    assert np.mean(late) < np.mean(early) - 0.2, (early, late)


# ---------------------------------------------------------------------------- [P31]
def _takings(r: Run, branches: tuple[str, ...]) -> float:
    """Revenue (EUR/month) of the shops of ``branches`` in the last three yearly snapshots."""
    u = r.units
    last = u[(u.year >= u.year.max() - 2) & u.branch.isin(branches)]
    return float(last.revenue.sum() / 3)


def test_binnenstad_united():
    name = "binnenstad_united"
    assert ratio(name, "n_units_retail_eligible") < 0.9  # smaller shopping area
    assert ratio(name, "n_housing") > 1.1 and ratio(name, "n_residents") > 1.05  # more housing
    assert ratio(name, "retail") < 0.95  # retail employment down
    leisure = [_takings(r, ("horeca", "culture")) for r in runs(name)]
    leisure0 = [_takings(r, ("horeca", "culture")) for r in base_runs(name)]
    assert np.mean(leisure) < 0.95 * np.mean(leisure0), (leisure, leisure0)


def test_autarkische_binnenstad():
    name = "autarkische_binnenstad"
    sc = load_scenario(name)
    assert ratio(name, "new_goods") < 0.8  # the stock of shops selling new goods shrinks
    assert ratio(name, "retail") < 0.95
    popup = level(name, "popup_share")
    assert popup > 0.04 and popup > 4 * level(name, "popup_share", baseline=True)
    # pop-ups open in the shifting temporary centres: far more than their share of vacant units
    inside, expected = [], []
    rad2 = sc.params["temporary_centre_radius"] ** 2
    for r in runs(name):
        tc = r.mechanisms["temporary_centres"]
        assert len(tc.history) >= 10  # the centres keep moving ...
        assert not set(tc.history[-1][1]) & set(tc.history[-2][1])  # ... to new places
        moves = np.array([s for s, _ in tc.history])
        share_inside = dict(tc.vacant_inside)
        units = r.units.groupby("unit_id")[["x", "y"]].first()
        nodes_x, nodes_y = r.town_nodes
        opens = r.events[r.events.kind == "popup_open"]
        for step, unit in zip(opens.step, opens.unit_id, strict=True):
            month = int(step) - 1
            centres = tc.history[int(np.searchsorted(moves, month, side="right")) - 1][1]
            x, y = units.loc[unit, ["x", "y"]]
            d2 = (nodes_x[centres] - x) ** 2 + (nodes_y[centres] - y) ** 2
            inside.append(bool(np.any(d2 <= rad2)))
            expected.append(share_inside.get(month, 0.0))
    assert np.mean(inside) > 2 * np.mean(expected), (np.mean(inside), np.mean(expected))


@pytest.mark.xfail(strict=True, reason=(
    "finding (20 seeds): the vacancy path peaks in mid-period as stated, but rises only "
    "1.9 points above 2018-2019 (wanted more than 2): see docs/ODD.md 8.3"
))
def test_binnenstad_als_game():
    """Vacancy first masked, then refilled: the yearly vacancy path (mean over seeds) rises to a
    peak in mid-period (2021-2031), then falls back clearly by 2038 (rise, then fall)."""
    name = "binnenstad_als_game"
    v = yearly(name, "vacancy_rate")
    early = v.loc[2018:2019].mean()
    peak_year = int(v.idxmax())
    assert 2021 <= peak_year <= 2031, v.round(3).to_dict()
    assert v.max() - early > 0.02
    assert v.max() - v.loc[2036:2037].mean() > 0.02
    shops = yearly(name, "n_shops")
    assert shops.loc[2036:2037].mean() > shops.loc[peak_year]  # refilled
    assert ratio(name, "footfall_total") > 1.0  # AR games draw visitors


def _size_classes(r: Run) -> dict[str, float]:
    u = r.units
    first = u[(u.year == u.year.min()) & u.retail_eligible]
    large = set(first.unit_id[first.floor_area > 250])
    small = set(first.unit_id[first.floor_area <= first.floor_area.median()])
    last = u[u.year >= u.year.max() - 2]
    shop = last[last.branch != ""]
    out = {}
    for key, ids in (("small", small), ("large", large)):
        s = shop[shop.unit_id.isin(ids)]
        out[f"occ_{key}"] = len(s) / max(int(last.unit_id.isin(ids).sum()), 1)
        out[f"rpm_{key}"] = s.revenue.sum() / s.floor_area.sum()
    return out


def test_exclusieve_binnenstad():
    name = "exclusieve_binnenstad"
    assert ratio(name, "n_shops") < 0.95  # far fewer shops
    assert ratio(name, "footfall_total") < 0.95  # stratified visitors: fewer come
    sc = pd.DataFrame([_size_classes(r) for r in runs(name)]).mean()
    b = pd.DataFrame([_size_classes(r) for r in base_runs(name)]).mean()
    # small units beat large ones: revenue per m2 and occupancy, relative to the baseline
    assert sc.rpm_small / sc.rpm_large > b.rpm_small / b.rpm_large
    assert (b.occ_large - sc.occ_large) > (b.occ_small - sc.occ_small), (sc, b)


def test_corona():
    name = "corona"
    before = (2013, 2019)
    assert delta(name, "vacancy_rate", before) == 0.0  # common random numbers until the shock
    shock = ratio(name, "footfall_total", (2020, 2021))
    after = ratio(name, "footfall_total", (2023, 2024))
    assert shock < 0.85  # the visit shock of the lockdowns
    assert 1.0 - after < 0.5 * (1.0 - shock)  # visits recover most of the way
    after_shock = deltas(name, "vacancy_rate", (2021, 2024))
    clearly(after_shock, True, "vacancy 2021-2024")  # fewer visitors, more vacancy
    assert after_shock.mean() > 0.01
