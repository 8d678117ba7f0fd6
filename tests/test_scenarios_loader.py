"""Scenario files: validation with one-line errors naming file, key and allowed values."""

from __future__ import annotations

import pytest

from sim.params import Params
from sim.scenarios.loader import ScenarioError, available_scenarios, load_scenario
from sim.scenarios.schema import PARAMS, TRAJECTORIES


def test_baseline_is_complete_with_units_and_sources():
    sc = load_scenario("baseline")
    assert set(sc.params) == set(PARAMS) and set(sc.trajectories) == set(TRAJECTORIES)
    for name in (*PARAMS, *TRAJECTORIES):
        assert sc.sources[name].strip(), f"{name} has no source"
        assert sc.units[name] == ({**PARAMS, **TRAJECTORIES}[name]).unit
    p = Params(sc)
    assert p.traj["share_65plus"](2013) == pytest.approx(0.16)
    assert p.traj["share_65plus"](2040) == pytest.approx(0.26)
    assert p.traj["online_share_fashion"](2013) == pytest.approx(0.10)
    assert p.traj["online_share_fashion"](2020) == pytest.approx(0.25)
    assert p.traj["online_share_fashion"](2030) > 0.25  # rising after 2020
    assert "baseline" in available_scenarios()


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_extends_overrides_only_what_it_names(tmp_path):
    path = _write(tmp_path, """
[scenario]
name = "mine"
extends = "baseline"
[params.contagion_strength]
value = 0.0
unit = "dimensionless"
source = "test"
[params.housing_rent]
value = { core = 400.0 }
unit = "EUR/m2/yr"
source = "test"
""")
    sc = load_scenario(path)
    base = load_scenario("baseline")
    assert sc.params["contagion_strength"] == 0.0
    assert sc.params["housing_rent"]["core"] == 400.0
    assert sc.params["housing_rent"]["aanloop"] == base.params["housing_rent"]["aanloop"]
    assert sc.params["lease_months"] == base.params["lease_months"]
    assert sc.chain[-1].endswith("s.toml")


@pytest.mark.parametrize(("body", "needle"), [
    ('[params.warp_speed]\nvalue = 1\nunit = "x"\nsource = "y"',
     "params.warp_speed is not a known"),
    ('[params.contagion_strength]\nvalue = "high"\nunit = "dimensionless"\nsource = "y"',
     "must be a number"),
    ('[params.contagion_strength]\nvalue = -1\nunit = "dimensionless"\nsource = "y"',
     "out of range; allowed: [0"),
    ('[params.contagion_strength]\nvalue = 1\nunit = "percent"\nsource = "y"',
     "allowed: 'dimensionless'"),
    ('[params.housing_rent]\nvalue = { centre = 1.0 }\nunit = "EUR/m2/yr"\nsource = "y"',
     "allowed: core, aanloop, fringe"),
    ('[params.contagion_strength]\nvalue = nan\nunit = "dimensionless"\nsource = "y"',
     "not a finite number"),
    ('[params.contagion_strength]\nvalue = inf\nunit = "dimensionless"\nsource = "y"',
     "not a finite number"),
    ('[params.housing_rent]\nvalue = nan\nunit = "EUR/m2/yr"\nsource = "y"',
     "not a finite number"),
    ('[params.popup_lease_months]\nvalue = { min = 30, max = 2 }\nunit = "months"\nsource = "y"',
     "min = 30 > max = 2"),
    ('[params.entrant_mix]\nvalue = { starter = 0, chain = 0, horeca = 0, services = 0, popup = 0 }'
     '\nunit = "fraction"\nsource = "y"', "zero for every type"),
    ('[params.burn_in_min_months]\nvalue = 2.5\nunit = "months"\nsource = "y"',
     "must be a whole number"),
    ('[trajectories.share_65plus]\nunit = "fraction"\nsource = "y"\n'
     'points = { 2013 = 0.2, "2013-01" = 0.3 }', "for the same month"),
    ('[trajectories.share_65plus]\nunit = "fraction"\nsource = "y"\npoints = { 2013 = nan }',
     "not a finite number"),
    ('[params.contagion_strength]\nvalue = 1\nunit = "dimensionless"', "source"),
    ('[trajectories.share_65plus]\nunit = "fraction"\nsource = "y"\npoints = { 2013 = 1.5 }',
     "out of range"),
    ('[trajectories.share_65plus]\nunit = "fraction"\nsource = "y"\npoints = { soon = 0.2 }',
     "must be a year"),
    ('[trajectories.flying_cars]\nunit = "fraction"\nsource = "y"\npoints = { 2013 = 0.2 }',
     "not a known driver"),
    ('[params.contagion_strength]\nvalue = 1\nunit = "dimensionless"\nsource = "y"\ncolour = 2',
     "allowed: value, unit, source"),
])
def test_bad_values_name_file_key_and_allowed(tmp_path, body, needle):
    path = _write(tmp_path, f'[scenario]\nname = "bad"\nextends = "baseline"\n{body}\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert needle in msg and "s.toml" in msg and "\n" not in msg


def test_cycle_in_inheritance(tmp_path):
    _write(tmp_path, '[scenario]\nname = "a"\nextends = "b.toml"\n', "a.toml")
    _write(tmp_path, '[scenario]\nname = "b"\nextends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_incomplete_file_without_extends(tmp_path):
    path = _write(tmp_path, '[scenario]\nname = "thin"\n')
    with pytest.raises(ScenarioError, match="extend 'baseline'"):
        load_scenario(path)


def test_not_toml_and_unknown_name(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "[[[", "x.toml"))
    with pytest.raises(ScenarioError, match=r"allowed: .*baseline"):
        load_scenario("nonexistent_future")


def test_override_checked():
    with pytest.raises(ScenarioError, match="out of range"):
        load_scenario("baseline", contagion_strength=-2.0)
    with pytest.raises(ScenarioError, match="not a known parameter"):
        load_scenario("baseline", initial_vacancy_rate=0.1)
    with pytest.raises(ScenarioError, match="min = 20 > max = 12"):
        load_scenario("baseline", popup_lease_months={"min": 20})
    assert load_scenario("baseline", housing_rent=100.0).params["housing_rent"] == {
        "core": 100.0, "aanloop": 100.0, "fringe": 100.0}  # one number for every key


def test_deep_extends_chain_is_refused_in_one_line(tmp_path):
    _write(tmp_path, '[scenario]\nname = "s0"\nextends = "baseline"\n', "s0.toml")
    for i in range(1, 40):
        _write(tmp_path, f'[scenario]\nname = "s{i}"\nextends = "s{i - 1}.toml"\n', f"s{i}.toml")
    with pytest.raises(ScenarioError, match="longer than 32 files"):
        load_scenario(tmp_path / "s39.toml")
    assert load_scenario(tmp_path / "s20.toml").name == "s20"


def test_deprecated_names_are_accepted_with_a_warning(tmp_path):
    from sim.scenarios.loader import ScenarioWarning

    path = _write(tmp_path, """
[scenario]
name = "old"
extends = "baseline"
directions = ["vacancy rises"]
[params.rent_reference]
value = { core = 400.0, aanloop = 100.0, fringe = 80.0 }
unit = "EUR/m2/yr"
source = "an old file"
[trajectories.chain_periphery_drift]
unit = "per year"
source = "an old file"
points = { 2013 = 0.02 }
""")
    with pytest.warns(ScenarioWarning, match="rent_reference is deprecated"):
        sc = load_scenario(path)
    assert "rent_reference" not in sc.params and "vacancy rises" in sc.expects
    assert len(sc.notes) == 3


def test_header_years_assumes_and_expects():
    sc = load_scenario("baseline")
    assert (sc.start_year, sc.end_year) == (2013, 2040)
    assert sc.assumes and sc.expects
    p31 = load_scenario("binnenstad_united")
    assert p31.start_year == 2018 and p31.end_year == 2038


def test_one_scenario_object_serves_many_runs():
    from sim.model import CityCentreModel

    sc = load_scenario("baseline")
    a = CityCentreModel("small", sc, rng=1)
    a.run_for(1)
    b = CityCentreModel("small", sc, rng=2)  # Mesa binds a scenario to one running model
    b.run_for(1)
    assert a.scenario is not b.scenario and a.scenario.rng == 1 and b.scenario.rng == 2
