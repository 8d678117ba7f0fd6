"""Mesa's conventions work on the model (issue 22, item 8): ``model.datacollector`` with the main
outcomes and the shops' attributes, ``mesa.batch_run``, agent attributes readable on the agent
and comparable with plain strings; and the light base install (item 9)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import CityCentreModel
from sim.agents import Shop
from sim.functions import FUNCTION_NAMES, Function

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model() -> CityCentreModel:
    m = CityCentreModel("small", "baseline", rng=2)
    m.run_for(14)
    return m


def test_datacollector_holds_the_main_outcomes_every_month(model: CityCentreModel):
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 1 + 14  # the start and every month
    for col in ("vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop",
                "vacancy_rate_fringe", "n_shops", "footfall_total", "public_cost",
                "housing_added", "date"):
        assert col in df.columns, col
    # the same numbers as the run's own table
    ts, _, _ = model.recorder.frames()
    np.testing.assert_allclose(df["vacancy_rate"].to_numpy()[1:], ts["vacancy_rate"], rtol=1e-12)
    np.testing.assert_array_equal(df["n_shops"].to_numpy()[1:], ts["n_shops"])
    assert df["date"].iloc[0] == "2013-01" and df["date"].iloc[-1] == "2014-02"
    assert df["vacancy_rate"].iloc[-1] == pytest.approx(model.vacancy_rate())


def test_datacollector_holds_the_shops_at_the_start_and_every_december(model: CityCentreModel):
    shops = model.datacollector.get_agenttype_vars_dataframe(Shop)
    steps = sorted(set(shops.index.get_level_values("Step")))
    assert steps == [0, 12]
    end = shops.xs(12, level="Step")
    assert {"unit", "branch", "is_chain", "cash"} <= set(end.columns)
    assert set(end["branch"]) <= set(FUNCTION_NAMES)


def test_shop_attributes_read_like_plain_values(model: CityCentreModel):
    shops = model.agents_by_type[Shop]
    fashion = shops.select(lambda s: s.branch == "fashion")
    u = model.units
    expected = {int(i) for i in np.flatnonzero(u.occupied_commercial
                                               & (u.function == Function.FASHION))}
    assert len(fashion) > 0 and {s.unit for s in fashion} == expected
    s = next(iter(fashion))
    assert s.branch == "fashion" and str(s.branch) == "fashion" and isinstance(s.branch, str)
    assert s.function == Function.FASHION and s.branch.name.lower() == "fashion"
    attrs = s.attributes()
    assert attrs["branch"] == "fashion" and attrs["zone"] in ("core", "aanloop", "fringe")
    assert attrs["floor_area"] == pytest.approx(float(u.area[s.unit]))
    # grouping by branch with Mesa's AgentSet gives plain-string keys
    counts = shops.groupby("branch").count()
    assert counts["fashion"] == len(expected)


@pytest.mark.skipif(not hasattr(mesa, "batch_run"),
                    reason="this Mesa has no batch_run (4.0.0a0 removed it)")
def test_batch_run_returns_the_main_outcomes():
    rows = mesa.batch_run(CityCentreModel, parameters={
        "town": "small", "scenario": "baseline",
        "policies": [None, ["compaction:start=2013"]]}, rng=[1], max_steps=12,
        data_collection_period=-1, display_progress=False)
    df = pd.DataFrame(rows)
    assert {"vacancy_rate", "n_shops", "public_cost", "housing_added", "branch"} <= set(df)
    assert set(df["Step"]) == {12}  # a December: the shops are in the rows too
    per_run = df.groupby("RunId")[["vacancy_rate", "n_shops"]].first()
    assert len(per_run) == 2 and per_run["n_shops"].gt(0).all()
    fashion = df[df["branch"] == "fashion"]
    assert len(fashion) > 0


def test_base_install_leaves_out_calibration_cluster_and_notebook_stacks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"]).lower()
    for heavy in ("pyabc", "distributed", "esda", "libpysal", "jupyterlab", "nbclient",
                  "redis", "sqlalchemy", "gitpython"):
        assert heavy not in base, heavy
    extras = project["optional-dependencies"]
    assert {"calibrate", "dask", "notebooks", "all", "dev"} <= set(extras)
    assert any("pyabc" in x for x in extras["calibrate"])
    assert any("nbclient" in x for x in extras["dev"])



def test_base_install_does_not_pull_the_heavy_stacks_indirectly():
    """The base requirements and everything they require in turn (read from the installed
    packages' metadata, with only the extras they ask for) hold no calibration, cluster or
    Jupyter stack."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    todo = [Requirement(r) for r in metadata.distribution("binnenstad").requires or []]
    todo = [r for r in todo if r.marker is None]  # the base: no extra
    seen: dict[str, set[str]] = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen and set(req.extras) <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | set(req.extras)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for text in dist.requires or []:
            r = Requirement(text)
            if r.marker is None or any(r.marker.evaluate({"extra": e})
                                       for e in seen[name] | {""}):
                todo.append(r)
    assert {"mesa", "solara", "numba", "openpyxl"} <= set(seen)  # the closure was walked
    heavy = {"pyabc", "distributed", "dask", "redis", "sqlalchemy", "gitpython", "jupyterlab",
             "notebook", "jupyter-server", "esda", "libpysal"}
    assert heavy.isdisjoint(seen), sorted(heavy & set(seen))


def test_calibrate_without_its_extra_says_which_extra(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture):
    import importlib.util

    from sim.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyabc" else real(name, *a))
    with pytest.raises(SystemExit) as exc:
        app(args=["calibrate", str(ROOT / "experiments/calibration/historical.toml")],
            prog_name="binnenstad")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "binnenstad calibrate needs pyabc" in err and "binnenstad[calibrate]" in err
    assert len(err.strip().splitlines()) == 1
