"""Demand that can shift: spending by age band and branch, a leisure demand with its own driver,
branch-specific competition, and what ageing does to the centre (issue 11, item 6)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.demand import DemandDrivers, centre_share, compute_demand, spending_per_capita
from sim.functions import N_FUNCTIONS, Function, Purpose
from sim.params import Params
from sim.scenarios.loader import load_scenario

RETAIL = [int(b) for b in (Function.DAILY, Function.FASHION, Function.HOME, Function.ELECTRONICS,
                           Function.PERSONAL_CARE, Function.LEISURE_GOODS)]


def _drivers(**kw) -> DemandDrivers:
    base = dict(population_index=1.0, share_65plus=0.2, spending_index=1.0,
                leisure_visit_index=1.0, work_demand_index=1.0, competition_index=1.0,
                online_share=np.zeros(N_FUNCTIONS))
    return DemandDrivers(**{**base, **kw})


@pytest.fixture(scope="module")
def p() -> Params:
    return Params(load_scenario("baseline"))


def test_over_65s_shift_spending_between_branches(p):
    s = spending_per_capita(p, _drivers())
    ratio = s[1] / np.where(s[0] > 0, s[0], 1)
    # [OV] over-65s spend 40% less in retail overall ...
    retail = s[1, RETAIL].sum() / s[0, RETAIL].sum()
    assert retail == pytest.approx(0.6, abs=0.03)
    # ... but not alike: far less on fashion and electronics, about as much on daily goods and
    # care, and going out holds up [G32]
    assert ratio[Function.FASHION] < 0.5 < ratio[Function.DAILY]
    assert ratio[Function.HORECA] > ratio[Function.FASHION]
    assert ratio[Function.CULTURE] >= 1.0


def test_leisure_demand_follows_its_own_driver(p):
    """Going out can grow while goods spending falls: trips are not a fixed multiple of goods."""
    residents = np.array([0.0, 0.0])
    ones = np.ones(N_FUNCTIONS)
    ref = np.ones(N_FUNCTIONS)
    base = compute_demand(p, _drivers(), 1e5, residents, 0.05, ref, ref, ones)
    shifted = compute_demand(p, _drivers(spending_index=0.9, leisure_visit_index=1.3), 1e5,
                             residents, 0.05, ref, ref, ones)
    goods = base.centre.sum(axis=(0, 1))[RETAIL].sum()
    goods2 = shifted.centre.sum(axis=(0, 1))[RETAIL].sum()
    leisure = base.trips[..., int(Purpose.LEISURE)].sum()
    leisure2 = shifted.trips[..., int(Purpose.LEISURE)].sum()
    assert goods2 < goods and leisure2 > 1.15 * leisure
    np.testing.assert_allclose(shifted.total, shifted.online + shifted.outside + shifted.centre)


def test_competition_hits_branches_by_their_exposure(p):
    ref = np.ones(N_FUNCTIONS)
    before = centre_share(p, _drivers(), 0.0, ref, ref)
    after = centre_share(p, _drivers(competition_index=1.5), 0.0, ref, ref)
    loss = 1 - after / np.where(before > 0, before, 1)
    # furnishing goes to the boulevards, daily goods stay near home [OV]
    assert loss[Function.HOME] > loss[Function.FASHION] > loss[Function.DAILY] > 0


def clearly_below_zero(diffs: list[float]) -> bool:
    """Mean paired difference more than two standard errors below zero."""
    d = np.asarray(diffs)
    return bool(d.mean() + 2 * d.std(ddof=1) / np.sqrt(len(d)) < 0)


@pytest.fixture(scope="module")
def ageing_contrast(tmp_path_factory) -> tuple[list[float], list[float], list[float]]:
    """Paired differences (older catchment minus baseline, 2016-2020) in vacancy, fashion shops
    and the share of daily-goods and personal-care shops, for a catchment that ages from 16% to
    36% 65+ in 2014 (a sharp contrast that shows the mechanism within a short run; medium town,
    10 seeds, common random numbers)."""
    f = tmp_path_factory.mktemp("ageing") / "older.toml"
    f.write_text('[scenario]\nname = "older"\nextends = "baseline"\n'
                 '[trajectories.share_65plus]\nunit = "fraction"\nsource = "test"\n'
                 'points = { 2013 = 0.16, 2014 = 0.36 }\n')
    d_vac, d_fashion, d_daily_share = [], [], []
    for seed in range(10):
        a = sim.run(town="medium", years=8, seed=seed, figures=False).timeseries
        b = sim.run(town="medium", years=8, seed=seed, scenario=str(f),
                    figures=False).timeseries
        late_a, late_b = a[a.year >= 2016], b[b.year >= 2016]
        d_vac.append(late_b.vacancy_rate.mean() - late_a.vacancy_rate.mean())
        d_fashion.append(late_b.n_fashion.mean() - late_a.n_fashion.mean())
        share_a = (late_a.n_daily + late_a.n_personal_care).mean() / late_a.n_shops.mean()
        share_b = (late_b.n_daily + late_b.n_personal_care).mean() / late_b.n_shops.mean()
        d_daily_share.append(share_b - share_a)
    return d_vac, d_fashion, d_daily_share


@pytest.mark.slow
def test_ageing_cuts_fashion(ageing_contrast):
    """[OV]: over-65s spend far less on fashion: an ageing catchment has fewer fashion shops."""
    _, d_fashion, _ = ageing_contrast
    assert clearly_below_zero(d_fashion), d_fashion


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "finding (20 paired seeds, after the market rebuild): the share of daily goods and "
    "care among the shops does not clearly rise with ageing (paired differences between "
    "-0.9 and +0.6 points around zero); see docs/ODD.md 8.3"
))
def test_ageing_shifts_the_mix_toward_daily_goods_and_care(ageing_contrast):
    """[OV]: the 65+ shift between branches: daily goods and care hold up while fashion goes,
    so their share of the shops rises."""
    _, _, d_share = ageing_contrast
    assert clearly_below_zero([-d for d in d_share]), d_share


@pytest.mark.slow
def test_ageing_raises_vacancy(ageing_contrast):
    """Locatus [OV]: ageing is a main predictor of vacancy."""
    d_vac, _, _ = ageing_contrast
    assert clearly_below_zero([-d for d in d_vac]), d_vac
