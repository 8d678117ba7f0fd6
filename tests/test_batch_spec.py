"""Batch experiments: spec validation, design expansion and common random numbers (no runs)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.batch.design import expand, replicate_seeds
from sim.batch.factors import parse_factor, scale_drivers
from sim.batch.spec import SpecError, load_spec, parse_spec
from sim.cli import app
from sim.scenarios.loader import load_scenario

ISSUE_SPEC = (  # the minimal spec of issue 7, verbatim
    "[experiment]\n"
    'name = "demo"\n'
    'towns = ["small"]                              # presets or town files\n'
    'scenarios = ["baseline", "ontspannen_stad"]    # presets or scenario files\n'
    'policies = ["none", "compaction", "blurring:intensity=2", "compaction+blurring"]'
    "   # policies; + combines\n"
    "replicates = 3\n"
    "start = 2013\n"
    "years = 3\n"
)


def spec_of(text: str, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return load_spec(path)


def test_minimal_spec_from_the_issue_expands_to_every_combination(tmp_path):
    spec = spec_of(ISSUE_SPEC, tmp_path)
    d = expand(spec)
    assert len(d.runs) == 1 * 2 * 4 * 1 * 3
    table = d.table()
    assert set(table["policy"]) == {"none", "compaction", "blurring:intensity=2",
                                    "compaction+blurring"}
    assert set(table["start"]) == {2013} and set(table["years"]) == {3}
    assert table["run_id"].is_unique
    # Replicate by replicate: a sweep stopped early has whole replicates.
    assert list(table["replicate"]) == sorted(table["replicate"])
    combo = next(r for r in d.runs if r.policy == "compaction+blurring")
    assert combo.levers == ("compaction", "blurring")


def test_common_random_numbers_and_deterministic_run_ids(tmp_path):
    spec = spec_of(ISSUE_SPEC + '\n[grid]\ncontagion_strength = [0.5, 1.5]\n', tmp_path)
    table = expand(spec).table()
    # One seed per replicate, the same under every policy, scenario and point.
    per_rep = table.groupby("replicate")["seed"].nunique()
    assert (per_rep == 1).all()
    seeds = table.groupby("replicate")["seed"].first().tolist()
    assert seeds == replicate_seeds(0, 3) and len(set(seeds)) == 3
    assert all(0 <= s < 2**63 for s in seeds)
    # Extending the replicates keeps the earlier seeds; another root seed changes them.
    assert replicate_seeds(0, 5)[:3] == seeds
    assert not set(replicate_seeds(1, 3)) & set(seeds)
    # Same spec -> same run ids.
    assert expand(spec).table()["run_id"].tolist() == table["run_id"].tolist()


def test_grid_of_lever_settings_changes_only_arms_with_the_lever(tmp_path):
    spec = spec_of("""
[experiment]
name = "g"
towns = ["small"]
policies = ["none", "compaction", "blurring"]
replicates = 2
years = 1
[grid]
"compaction:intensity" = [0.5, 2]
contagion_strength = [1.0, 2.0]
""", tmp_path)
    d = expand(spec)
    t = d.table()
    # none and blurring do not depend on the compaction setting: one run per contagion point.
    assert len(t[t.policy == "none"]) == 2 * 2
    assert len(t[t.policy == "blurring"]) == 2 * 2
    assert set(t.loc[t.policy.str.startswith("compaction"), "policy"]) == {
        "compaction:intensity=0.5", "compaction:intensity=2.0"}
    assert t.loc[t.policy == "none", "compaction:intensity"].isna().all()
    assert len(t) == (2 + 2 + 4) * 2
    # The contagion value defines the point; policies at the same point share it.
    assert (t.groupby("point")["contagion_strength"].nunique() == 1).all()
    assert set(t["point"]) == {0, 1}
    # Every design cell maps to a run.
    assert len(d.cells) == 3 * 4 * 2 and d.cells["run_id"].isin(t["run_id"]).all()


def test_sample_methods_sizes_bounds_and_types(tmp_path):
    base = """
[experiment]
name = "s"
towns = ["small"]
years = 1
[sample]
method = "{m}"
n = {n}
seed = 3
[sample.ranges]
contagion_strength = [0.5, 2.0]
search_months = [1, 12]
spend_per_capita.fashion = [500, 900]
"""
    lhs = expand(spec_of(base.format(m="lhs", n=8), tmp_path))
    assert len(lhs.points) == 8
    cs = np.array([p["contagion_strength"] for p in lhs.points])
    assert ((cs >= 0.5) & (cs <= 2.0)).all()
    assert all(isinstance(p["search_months"], int) for p in lhs.points)
    # Dotted keys written without quotes (TOML nested tables) name map entries.
    assert all(500 <= p["spend_per_capita.fashion"] <= 900 for p in lhs.points)
    assert len(expand(spec_of(base.format(m="morris", n=2), tmp_path)).points) == (3 + 1) * 2
    assert len(expand(spec_of(base.format(m="sobol", n=4), tmp_path)).points) == 4 * (3 + 2)


def test_driver_multiplier_scales_the_trajectory_and_keeps_other_attributes():
    f = parse_factor("trajectories.spending_index")
    assert f.kind == "driver" and f.uncertainty
    sc = load_scenario("baseline")
    sc.start_year = 2018  # an attribute the loader may add later must survive the copy
    scaled = scale_drivers(sc, {"spending_index": 0.9})
    years, values = sc.trajectories["spending_index"]
    assert scaled.trajectories["spending_index"] == (years, tuple(0.9 * v for v in values))
    assert scaled.trajectories["share_65plus"] == sc.trajectories["share_65plus"]
    assert scaled.start_year == 2018 and scaled.params == sc.params


BAD = [
    ("[experiment]\nname='x'\ntowns=['tiny']", "experiment.towns: unknown town 'tiny'; allowed:"),
    ("[experiment]\nname='x'\nscenarios=['nope']", "unknown scenario 'nope'; allowed:"),
    ("[experiment]\nname='x'\npolicies=['compactio']", "unknown policy 'compactio'; allowed:"),
    ("[experiment]\nname='x'\npolicies=['compaction:intensity=99']", "out of range; allowed:"),
    ("[experiment]\nname='x'\npolicies=['none+compaction']", "'none' cannot be combined"),
    ("[experiment]\nname='x'\nreplicate=3", "experiment.replicate: not a known key of "
                                            "[experiment]; allowed: name, description"),
    ("[experiment]\nname='x'\nreplicates=0", "experiment.replicates:"),
    ("[experimen]\nname='x'", "experimen: not a known key of the spec; allowed: experiment"),
    ("[experiment]\nname='x'\n[grid]\ncontagion_strength=[1, 500]", "out of range; allowed:"),
    ("[experiment]\nname='x'\n[grid]\nfoo=[1]", "grid.foo: 'foo' names no scenario parameter"),
    ("[experiment]\nname='x'\n[grid]\n'compaction:intensity'=[1]", "no policy uses lever"),
    ("[experiment]\nname='x'\n[sample]\nmethod='halton'\nn=2\n[sample.ranges]\n"
     "contagion_strength=[1,2]", "sample.method: Input should be 'lhs', 'sobol' or 'morris'"),
    ("[experiment]\nname='x'\n[sample]\nmethod='sobol'\nn=3\n[sample.ranges]\n"
     "contagion_strength=[1,2]\nrent_decay=[0,1]", "power of 2"),
    ("[experiment]\nname='x'\n[sample]\nmethod='lhs'\nn=2\n[sample.ranges]\n"
     "'trajectories.share_65plus'=[0.5, 9]", "allowed: [0, 1]"),
    ("[experiment]\nname='x'\n[outputs]\ntimeseries_columns=['vacancy']",
     "unknown column 'vacancy'; allowed:"),
    ("[experiment]\nname='x'\n[analysis]\noutcomes=['vacancies']",
     "unknown outcome 'vacancies'; allowed:"),
    ("x = = 1", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_spec_is_one_line_exit_2_nothing_written(tmp_path, text, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"binnenstad: error: {spec}: ")
    assert message in lines[0]
    assert not out.exists()


def test_spec_hash_ignores_name_and_comments_but_not_the_design(tmp_path):
    a = parse_spec({"experiment": {"name": "a", "towns": ["small"], "years": 1}})
    b = parse_spec({"experiment": {"name": "b", "towns": ["small"], "years": 1}})
    c = parse_spec({"experiment": {"name": "a", "towns": ["small"], "years": 2}})
    assert a.run_hash() == b.run_hash() != c.run_hash()
    with pytest.raises(SpecError, match="listed twice"):
        parse_spec({"experiment": {"name": "a", "scenarios": ["baseline", "baseline"]}})


@pytest.mark.parametrize("name", ["demo", "policy_robustness", "sensitivity_morris"])
def test_shipped_experiments_load_and_expand(name):
    """Every spec in experiments/ names current parameters, drivers, levers and scenarios."""
    from pathlib import Path

    spec = load_spec(Path(__file__).parent.parent / "experiments" / f"{name}.toml")
    design = expand(spec)
    assert len(design.runs) > 0


def test_interrupted_says_what_is_kept_and_exits_130(capsys, tmp_path):
    from sim.errors import stopped

    for folder, line in ((tmp_path, f"binnenstad: interrupted; finished runs are kept in "
                                    f"{tmp_path}/; run the same command again to resume"),
                         (None, "binnenstad: interrupted")):
        with pytest.raises(SystemExit) as exc:
            stopped("runs", folder)
        assert exc.value.code == 130
        assert capsys.readouterr().err.strip() == line
