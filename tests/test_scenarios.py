"""Scenario presets: every preset loads with its source header, assumptions, expectations, units
and sources; each switches on its mechanisms; the mechanisms act through their hooks. What a
preset *assumes* (its inputs: online shares, ageing, second-hand, shocks) is not tested as an
outcome: it is set, not earned. What it *expects* (the emergent consequences its source states)
is judged against the baseline over 20 paired seeds in `tests/test_scenario_directions.py`.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.params import Params
from sim.scenarios.loader import SCENARIO_DIR, available_scenarios, load_scenario
from sim.scenarios.mechanisms import MECHANISMS, Mechanism, build_mechanisms
from sim.scenarios.schema import PARAMS, TRAJECTORIES

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
SOURCE_TAG = {"OV": "[OV]", "P31": "[P31]", "corona": "[PB]"}


# ---------------------------------------------------------------------------- static checks
def test_all_presets_listed_with_one_line_descriptions():
    listed = available_scenarios()
    # historical: the hindcast scenario of the calibration (tests/test_calibration.py)
    assert set(listed) == {"baseline", "historical", *PRESETS}
    for name, desc in listed.items():
        assert desc and "\n" not in desc, name
    out = CliRunner().invoke(app, ["scenarios"])
    assert out.exit_code == 0
    lines = out.stdout.strip().split("\n\n")[0].splitlines()
    assert len(lines) == 11
    for name in listed:
        assert any(line.split()[0] == name and len(line.split()) > 1 for line in lines), name


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_loads_with_source_header_assumes_expects_units_and_sources(name):
    path = SCENARIO_DIR / f"{name}.toml"
    text = path.read_text()
    header = [line for line in text.splitlines() if line.startswith("#")][:3]
    assert header and header[0].startswith(f"# {name}:")
    assert "Source:" in " ".join(header)
    family = "corona" if name == "corona" else ("OV" if PRESETS[name] == OV else "P31")
    assert SOURCE_TAG[family] in " ".join(header)
    raw = tomllib.loads(text)
    head = raw["scenario"]
    assert head["extends"] == "baseline" and "directions" not in head
    assert SOURCE_TAG[family] in head["source"]
    assert len(head["assumes"]) >= 2 and len(head["expects"]) >= 3
    assert all(SOURCE_TAG[family][:-1] in a for a in head["assumes"])  # "[OV" or "[OV 3.2]"
    for key, entry in raw.get("params", {}).items():
        assert entry["unit"] == PARAMS[key].unit and entry["source"].strip(), key
    for key, entry in raw.get("trajectories", {}).items():
        assert entry["unit"] == TRAJECTORIES[key].unit and entry["source"].strip(), key
    sc = load_scenario(name)
    assert sc.name == name and not sc.notes
    assert sc.chain[0].endswith("_defaults.toml") and sc.chain[2].endswith("baseline.toml")
    assert (sc.start_year, sc.end_year - sc.start_year) == (PRESETS[name][0],
                                                            PRESETS[name][1])
    assert set(sc.params) == set(PARAMS) and set(sc.trajectories) == set(TRAJECTORIES)
    for key in (*PARAMS, *TRAJECTORIES):
        assert sc.sources[key].strip() and sc.units[key], key


def test_baseline_switches_every_mechanism_off():
    sc = load_scenario("baseline")
    assert build_mechanisms(sc, Params(sc)) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("stedencompetitie", {"regional_competition", "tourism", "upper_floor_housing"}),
    ("zelforganiserende_stad", {"secondhand", "upper_floor_housing"}),
    ("stad_als_speelveld", {"lease_flexibility", "temporary_centres", "chain_bankruptcy"}),
    ("ontspannen_stad", {"tourism", "inward_moves"}),
    ("binnenstad_united", {"chain_bankruptcy", "upper_floor_housing"}),
    ("autarkische_binnenstad", {"secondhand", "temporary_centres", "lease_flexibility",
                                "chain_bankruptcy"}),
    ("binnenstad_als_game", {"ar_game", "vacancy_masking"}),
    ("exclusieve_binnenstad", {"stratification", "chain_bankruptcy"}),
    ("corona", {"visit_shock"}),
])
def test_presets_switch_on_their_mechanisms(name, expected):
    sc = load_scenario(name)
    mechs = build_mechanisms(sc, Params(sc))
    assert expected <= {m.name for m in mechs}
    assert all(isinstance(m, Mechanism) for m in mechs)


def test_mechanisms_act_through_effects_events_and_searchers():
    """Every registered mechanism overrides at least one hook, and no hook edits parameters."""
    for name, (cls, _) in MECHANISMS.items():
        hooks = [h for h in ("events", "effects", "searchers")
                 if getattr(cls, h) is not getattr(Mechanism, h)]
        assert hooks, name


def test_trajectory_points_accept_year_months(tmp_path):
    sc = load_scenario("corona")
    years, values = sc.trajectories["visit_shock"]
    assert years[0] == pytest.approx(2020 + 1 / 12) and values[0] == 0.0
    p = Params(sc)
    assert p.traj["visit_shock"](2020 + 3 / 12) == pytest.approx(0.6)
    assert p.traj["visit_shock"](2019.5) == 0.0 and p.traj["visit_shock"](2023) == 0.0
    bad = tmp_path / "b.toml"
    bad.write_text('[scenario]\nname = "b"\nextends = "baseline"\n[trajectories.visit_shock]\n'
                   'unit = "fraction"\nsource = "x"\npoints = { 2020-13 = 0.1 }\n')
    with pytest.raises(sim.ScenarioError, match="must be a year"):
        load_scenario(bad)


def test_chain_bankruptcy_closes_all_outlets_of_a_brand_at_once(tmp_path):
    path = tmp_path / "shock.toml"
    path.write_text(
        '[scenario]\nname = "shock"\nextends = "baseline"\n'
        '[trajectories.chain_bankruptcy_share]\nunit = "fraction"\nsource = "test"\n'
        "points = { 2013 = 0.0, 2014 = 0.3, 2015 = 0.0 }\n")
    m = sim.CityCentreModel("medium", load_scenario(path), rng=4)
    u = m.units
    m.run_months(13)  # through January 2014
    brands_before = {b: np.flatnonzero(u.occupied_commercial & (u.chain_id == b))
                     for b in np.unique(u.chain_id[u.occupied_commercial & u.chain])}
    m.run_months(1)  # February 2014: the shock month
    (mech,) = m.mechanisms
    assert mech.failures and all(year == 2014 for year, _, _ in mech.failures)
    for _, brand, n in mech.failures:
        assert n == len(brands_before[brand]) and n > 0
        assert not np.any(u.chain_id[brands_before[brand]] == brand)  # every outlet closed
    ev = m.recorder.frames()[2]
    assert (ev.cause == "chain_bankruptcy").sum() == sum(n for _, _, n in mech.failures)
    m.run_months(12)  # no failures in other years
    assert all(year == 2014 for year, _, _ in mech.failures)
