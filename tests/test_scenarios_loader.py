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
[params.rent_reference]
value = { core = 400.0 }
unit = "EUR/m2/yr"
source = "test"
""")
    sc = load_scenario(path)
    base = load_scenario("baseline")
    assert sc.params["contagion_strength"] == 0.0
    assert sc.params["rent_reference"]["core"] == 400.0
    assert sc.params["rent_reference"]["aanloop"] == base.params["rent_reference"]["aanloop"]
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
    ('[params.rent_reference]\nvalue = { centre = 1.0 }\nunit = "EUR/m2/yr"\nsource = "y"',
     "allowed: core, aanloop, fringe"),
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
        load_scenario("baseline", initial_vacancy_rate=2.0)


def test_one_scenario_object_serves_many_runs():
    from sim.model import CityCentreModel

    sc = load_scenario("baseline")
    a = CityCentreModel("small", sc, rng=1)
    a.run_for(1)
    b = CityCentreModel("small", sc, rng=2)  # Mesa binds a scenario to one running model
    b.run_for(1)
    assert a.scenario is not b.scenario and a.scenario.rng == 1 and b.scenario.rng == 2
