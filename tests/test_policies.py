"""Policy levers: each lever's first-order effect against no policy under common random numbers
(same town, same seed), composition, idempotence, and the parsing of lever specs."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree
from typer.testing import CliRunner

from sim.cli import app
from sim.functions import Function
from sim.model import CityCentreModel
from sim.policies import POLICIES, PolicyError, available_policies, parse_policy
from sim.policies.base import Lever
from sim.runner import RunResult, run

SEEDS = (1, 2, 3)
YEARS = 8  # 2013-2020; levers start in 2015 by default
LATE = 2017  # effects are compared from two years after the levers start
LEVERS = ("biz", "blurring", "car_free", "compaction", "demolition", "deregulation",
          "evening_economy", "herverkaveling", "hide_vacancy", "peripheral_levy",
          "popup_programme", "starter_support", "transformation", "vacancy_ordinance")


@functools.cache
def _run(policies: tuple[str, ...], seed: int) -> RunResult:
    return run(town="medium", years=YEARS, seed=seed, policies=list(policies), figures=False)


def late(res: RunResult, col: str) -> float:
    ts = res.timeseries
    return float(ts.loc[ts.year >= LATE, col].mean())


def total(res: RunResult, col: str) -> float:
    return float(res.timeseries[col].sum())


def paired(spec: str | tuple[str, ...], metric) -> np.ndarray:
    """(seeds, 2) array of ``metric`` without and with the lever(s), same seed each row."""
    specs = (spec,) if isinstance(spec, str) else spec
    return np.array([[metric(_run((), s)), metric(_run(specs, s))] for s in SEEDS])


def _every_seed(pairs: np.ndarray, higher: bool) -> None:
    """The lever moves the metric the intended way on average over the replicate seeds and in a
    majority of them (the model is path dependent: one seed can drift away from its pair)."""
    diff = pairs[:, 1] - pairs[:, 0]
    right = diff > 0 if higher else diff < 0
    assert (diff.mean() > 0 if higher else diff.mean() < 0) and right.sum() * 2 > len(right), pairs


# ---------------------------------------------------------------------------- registry and parsing
def test_registry_has_all_levers_with_descriptions():
    assert set(POLICIES) == set(LEVERS)
    desc = available_policies()
    for name in LEVERS:
        doc = POLICIES[name].__doc__
        assert desc[name] and len(desc[name]) <= 100, name
        assert any(tag in doc for tag in ("[OV]", "[P31]", "[PB]", "[VB]", "[G32]")), name
        assert "Mechanism" in doc, name


def test_cli_lists_all_levers():
    res = CliRunner().invoke(app, ["policies"])
    assert res.exit_code == 0
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == len(LEVERS)
    assert {ln.split()[0] for ln in lines} == set(LEVERS)


def test_parse_typed_settings():
    lever = parse_policy("transformation:mode=gebiedsgericht,intensity=2,start=2016,area=fringe,"
                         "min_months=6")
    assert lever.mode == "gebiedsgericht" and lever.intensity == 2.0 and lever.start == 2016.0
    assert lever.area == "fringe" and lever.min_months == 6 and isinstance(lever.min_months, int)
    assert parse_policy("compaction").area == "outside_core"
    assert parse_policy("biz").area == "core" and parse_policy("hide_vacancy").area == "all"


@pytest.mark.parametrize(("spec", "needle"), [
    ("free_parking", "unknown policy 'free_parking'; allowed: biz, blurring, car_free"),
    ("transformation:mode=random",
     "policy 'transformation': mode 'random' not allowed; allowed: pand_voor_pand, gebiedsgericht"),
    ("compaction:speed=2", "policy 'compaction': unknown setting 'speed'; allowed: intensity"),
    ("biz:intensity=high", "policy 'biz': intensity 'high' is not valid; allowed: a number"),
    ("biz:intensity=-1", "policy 'biz': intensity '-1' out of range; allowed: a number from 0"),
    ("vacancy_ordinance:months=2.5", "policy 'vacancy_ordinance': months '2.5' is not valid; "
                                     "allowed: a whole number"),
    ("vacancy_ordinance:enforcement=1.5", "enforcement '1.5' out of range; allowed: a number "
                                          "from 0 to 1"),
    ("car_free:area=suburbs", "area 'suburbs' not allowed; allowed: core, aanloop, fringe, "
                              "outside_core, all"),
    ("deregulation:enforcement", "must look like key=value"),
    ("demolition:start=nan", "start 'nan' is not valid"),
])
def test_parse_errors_are_one_line(spec, needle):
    with pytest.raises(PolicyError) as exc:
        parse_policy(spec)
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg, msg


def test_cli_bad_policy_setting_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["run", "--town", "small", "--years", "1", "--quiet",
                                   "--policy", "transformation:mode=random",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "mode 'random' not allowed" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------- interface
def test_apply_is_idempotent_within_a_month_and_levers_compose():
    levers = [parse_policy(s) for s in ("biz", "car_free", "evening_economy", "hide_vacancy",
                                        "peripheral_levy", "starter_support", "popup_programme",
                                        "blurring", "deregulation", "compaction:intensity=0.5")]
    m = CityCentreModel("small", "baseline", levers, rng=2, start_year=2015)
    m.run_months(3)
    snap = {k: np.array(v, copy=True) for k, v in m.p.extra.items()}
    attrs = {k: np.array(getattr(m.p, k), copy=True)
             for k in ("entrant_mix", "rent_reference", "gross_margin", "popup_rent_discount",
                       "popup_margin_threshold")}
    discrete = ("blurring", "compaction", "starter_support", "popup_programme")
    for lever in levers:  # a second application in the same month changes no parameter
        if lever.name not in discrete:  # (those also let or convert units: state changes)
            lever.apply(m)
    for k, v in snap.items():
        np.testing.assert_allclose(np.asarray(m.p.extra[k], dtype=float), v.astype(float),
                                   err_msg=k)
    for k, v in attrs.items():
        np.testing.assert_allclose(getattr(m.p, k), v, err_msg=k)
    # Levers combine multiplicatively on a shared switch: biz x car_free x ... on unit_attraction.
    core = m.units.zone == 0
    assert np.all(np.asarray(m.p.extra["unit_attraction"])[core] > 1.0)
    # popup_programme and starter_support both raise the entrant rate; each keeps the others'.
    assert m.p.extra["entrant_factor"] > 1.0 and m.p.extra["rent_subsidy"] > 0.0


def test_intensity_zero_and_late_start_change_nothing():
    base = _run((), 1).timeseries
    for spec in ("compaction:intensity=0", "popup_programme:start=2030"):
        ts = run(town="medium", years=YEARS, seed=1, policies=[spec], figures=False).timeseries
        pd.testing.assert_frame_equal(ts, base)


def test_two_levers_compose():
    for s in SEEDS[:2]:
        a = _run(("compaction",), s).timeseries
        b = _run(("blurring",), s).timeseries
        both = run(town="medium", years=YEARS, seed=s, policies=["compaction", "blurring"],
                   figures=False, keep_model=True)
        ab = both.timeseries
        assert not ab.equals(a) and not ab.equals(b)
        # Both mechanisms are present: compaction's conversions, blurring's mixed-use shops.
        assert ab.conversions.sum() > b.conversions.sum()
        assert ab.vacancy_rate.iloc[-24:].mean() < b.vacancy_rate.iloc[-24:].mean()
        u = both.model.units
        assert (u.mixed_use & u.occupied_commercial).sum() > 0.1 * u.occupied_commercial.sum()
        assert both.model.p.extra["mixed_use_attraction"] > 1.0
        assert not np.all(both.model.p.extra["lettable"])


# ---------------------------------------------------------------------------- first-order effects
def test_compaction_lowers_vacancy_converts_and_moves_shops_to_the_heart():
    _every_seed(paired("compaction", lambda r: late(r, "vacancy_rate")), higher=False)
    _every_seed(paired("compaction", lambda r: total(r, "conversions")), higher=True)
    core = paired("compaction", lambda r: late(r, "vacancy_rate_core"))
    assert core[:, 1].mean() < core[:, 0].mean(), core
    _every_seed(paired("compaction", lambda r: late(r, "mean_rent_core")), higher=False)

    def moves_into_core(r: RunResult) -> float:
        ev = r.events
        zone = r.units.drop_duplicates("unit_id").set_index("unit_id").zone
        rin = ev[ev.kind == "relocation_in"]
        src = rin.cause.str.extract(r"from unit (\d+)")[0].astype(int)
        return float(((rin.zone == "core") & (src.map(zone) != "core").to_numpy()).sum())

    _every_seed(paired("compaction", moves_into_core), higher=True)


def test_compaction_is_slowed_by_fragmented_ownership():
    conv = paired(("compaction:fragmentation=1",), lambda r: total(r, "conversions"))
    fast = paired(("compaction:fragmentation=0",), lambda r: total(r, "conversions"))
    assert fast[:, 1].sum() > conv[:, 1].sum()


def test_blurring_raises_diversity_and_non_retail():
    div = paired("blurring", lambda r: late(r, "shannon_diversity"))
    assert div[:, 1].mean() > div[:, 0].mean(), div
    non_retail = paired("blurring", lambda r: sum(late(r, f"n_{b}") for b in (
        "horeca", "services", "culture", "maker")))
    _every_seed(non_retail, higher=True)


class _ChainBankruptcy:
    """Test-only lever: at ``step`` every fashion chain outlet closes at once (a V&D-like
    bankruptcy)."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.hit = np.array([], dtype=np.int64)

    def apply(self, model: CityCentreModel) -> None:
        if model.steps == self.step:
            u = model.units
            self.hit = np.flatnonzero(u.occupied_commercial & u.chain
                                      & (u.function == Function.FASHION))
            for unit in self.hit:
                model.shop_at[int(unit)].close("chain_bankruptcy")


def _bankruptcy(seed: int, levers: list) -> tuple[float, float]:
    """After a fashion chain bankruptcy: the extra vacant units in the following six months per
    outlet closed (the vacancy spike), and the share of its outlets still empty six months on."""
    shock = _ChainBankruptcy(step=61)
    m = CityCentreModel("medium", "baseline", [*levers, shock], rng=seed)
    m.run_months(67)
    n_vacant = m.recorder.frames()[0].n_vacant.to_numpy()
    hit = max(len(shock.hit), 1)
    return (float((n_vacant[60:66].mean() - n_vacant[59]) / hit),
            float(m.units.vacant[shock.hit].mean()))


def test_blurring_softens_a_chain_bankruptcy():
    res = np.array([[_bankruptcy(s, []), _bankruptcy(s, [parse_policy("blurring")])]
                    for s in SEEDS])  # (seed, without/with, spike/still empty)
    spike, empty = res[:, :, 0], res[:, :, 1]
    assert spike[:, 0].min() > 0.2, spike  # the shock does leave gaps
    assert spike[:, 1].mean() < spike[:, 0].mean() - 0.05, spike
    assert empty[:, 1].mean() < empty[:, 0].mean(), empty


def _mean_nn_distance(r: RunResult, cause: str) -> float:
    ev = r.events
    ids = ev[(ev.kind == "conversion") & (ev.cause == cause)].unit_id.to_numpy()
    xy = np.c_[r.town.unit_x[ids], r.town.unit_y[ids]]
    d, _ = cKDTree(xy).query(xy, k=2)
    return float(d[:, 1].mean())


def test_transformation_converts_and_gebiedsgericht_is_clustered():
    for mode in ("pand_voor_pand", "gebiedsgericht"):
        spec = f"transformation:mode={mode}"
        _every_seed(paired(spec, lambda r: total(r, "conversions")), higher=True)
        _every_seed(paired(spec, lambda r: late(r, "vacancy_rate")), higher=False)
    ratios = []
    for s in SEEDS:
        scattered = _mean_nn_distance(_run(("transformation:mode=pand_voor_pand",), s),
                                      "transformation")
        area = _mean_nn_distance(_run(("transformation:mode=gebiedsgericht",), s),
                                 "transformation")
        # Gatenkaas: building-by-building conversions lie further apart than area-based ones.
        assert area < scattered, (s, area, scattered)
        ratios.append(area / scattered)
    assert np.mean(ratios) < 0.8, ratios


def test_popup_programme_more_popups_shorter_vacancy():
    _every_seed(paired("popup_programme", lambda r: late(r, "n_popups")), higher=True)
    dur = paired("popup_programme", lambda r: late(r, "mean_months_vacant"))
    assert dur[:, 1].mean() < dur[:, 0].mean(), dur
    _every_seed(paired("popup_programme", lambda r: late(r, "vacancy_rate")), higher=False)


def test_vacancy_ordinance_lowers_structural_vacancy():
    _every_seed(paired("vacancy_ordinance", lambda r: late(r, "vacancy_structural_1y")),
                higher=False)
    weak = paired("vacancy_ordinance:enforcement=0.1", lambda r: late(r, "vacancy_structural_1y"))
    strong = paired("vacancy_ordinance:enforcement=0.9",
                    lambda r: late(r, "vacancy_structural_1y"))
    assert strong[:, 1].mean() < weak[:, 1].mean()


def test_biz_raises_core_footfall():
    _every_seed(paired("biz", lambda r: late(r, "footfall_core")), higher=True)
    levied = _run(("biz",), SEEDS[0]).events
    assert levied.cause.str.contains("biz: vote").any()


def test_herverkaveling_merges_units_and_lowers_vacancy():
    _every_seed(paired("herverkaveling", lambda r: late(r, "vacancy_rate")), higher=False)
    for s in SEEDS:
        r = _run(("herverkaveling",), s)
        merges = r.events.cause.str.contains("herverkaveling: merged").sum()
        assert merges > 0
        last = r.units[r.units.year == r.units.year.max()]
        first = r.units[r.units.year == r.units.year.min()]
        # Units and floor area are conserved; the merged units are larger.
        assert len(last) == len(first)
        assert last.floor_area.sum() == pytest.approx(first.floor_area.sum())
        assert last.floor_area.max() >= first.floor_area.max()


def test_starter_support_raises_openings():
    _every_seed(paired("starter_support", lambda r: total(r, "openings")), higher=True)
    stick = parse_policy("starter_support:threshold=0")
    m = CityCentreModel("medium", "baseline", [stick], rng=1)
    m.run_months(48)
    assert stick.stick_months > 0
    ev = m.recorder.frames()[2]
    assert ev.cause.str.contains("starter_support: forced letting").any()


def test_evening_economy_raises_horeca():
    _every_seed(paired("evening_economy", lambda r: late(r, "n_horeca")), higher=True)


def test_deregulation_raises_openings_less_with_friction():
    free = paired("deregulation:enforcement=0", lambda r: total(r, "openings"))
    friction = paired("deregulation:enforcement=0.9", lambda r: total(r, "openings"))
    _every_seed(free, higher=True)
    assert free[:, 1].sum() - free[:, 0].sum() > friction[:, 1].sum() - friction[:, 0].sum()


def test_hide_vacancy_raises_footfall_in_empty_streets_and_cuts_closures():
    _every_seed(paired("hide_vacancy", lambda r: late(r, "footfall_fringe")), higher=True)
    closures = paired("hide_vacancy", lambda r: total(r, "closures"))
    assert closures[:, 1].sum() < closures[:, 0].sum(), closures


def test_demolition_shrinks_the_retail_stock():
    stock = paired("demolition", lambda r: float(r.timeseries.n_units_retail_eligible.iloc[-1]))
    _every_seed(stock, higher=False)
    _every_seed(paired("demolition", lambda r: late(r, "vacancy_rate_fringe")), higher=False)


def test_peripheral_levy_raises_centre_spending():
    _every_seed(paired("peripheral_levy", lambda r: late(r, "shop_revenue")), higher=True)


def test_car_free_shifts_footfall_to_the_core():
    def core_share(r: RunResult) -> float:
        zones = [late(r, f"footfall_{z}") for z in ("core", "aanloop", "fringe")]
        return zones[0] / sum(zones)

    _every_seed(paired("car_free", core_share), higher=True)


def test_lever_objects_are_reusable():
    """A lever object used for a second model starts afresh (no state carried over)."""
    lever = parse_policy("transformation:mode=gebiedsgericht")
    a = CityCentreModel("small", "baseline", [lever], rng=4)
    a.run_months(40)
    b = CityCentreModel("small", "baseline", [lever], rng=4)
    b.run_months(40)
    fresh = CityCentreModel("small", "baseline",
                            [parse_policy("transformation:mode=gebiedsgericht")], rng=4)
    fresh.run_months(40)
    np.testing.assert_array_equal(b.units.function, fresh.units.function)
    assert isinstance(lever, Lever)
