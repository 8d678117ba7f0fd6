"""``binnenstad compare`` and ``binnenstad report``: a tiny comparison end to end (small town, two
futures with different start years, two policies, 2 replicates, 1 year), its numbers recomputed from
the Parquet files, the Excel tables, the [P31] verdict words, the vacancy decomposition, reports
of a sweep without a 'none' policy and of a single run, and the page in headless Chromium.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import app
from sim.report.stock import decompose_vacancy
from sim.report.tables import months_active, verdict_label
from sim.scenarios.loader import load_scenario

FUTURES = ["baseline", "binnenstad_united"]  # start 2013 and 2018: each runs from its own
ARMS = ["none", "compaction"]


def _cli(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        app(args=argv, prog_name="binnenstad")
    assert exc.value.code in (0, None)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "cmp"
    _cli(["compare", "--town", "small", "--scenarios", ",".join(FUTURES), "--policies",
          ",".join(ARMS), "--replicates", "2", "--years", "1", "--workers", "1", "--quiet",
          "--out", str(out)])
    return out


def _effects_by_hand(root: Path) -> pd.DataFrame:
    """Paired effects recomputed from the Parquet files alone: per run the mean of its last 12
    monthly values (the final value for cumulative columns), policy minus 'none' of the same
    future and replicate, averaged over replicates."""
    man = pd.read_parquet(root / "manifest.parquet")
    ts = pd.read_parquet(root / "timeseries")
    ts = ts.sort_values(["run_id", "step"])
    g = ts.groupby("run_id")
    per = pd.DataFrame({
        "vacancy_rate": g.tail(12).groupby("run_id")["vacancy_rate"].mean() * 100.0,
        "vacant_floor_area": g.tail(12).groupby("run_id")["vacant_floor_area"].mean(),
        "shops": g.tail(12).groupby("run_id")["n_shops"].mean(),
        "footfall": g.tail(12).groupby("run_id")["footfall_total"].mean(),
        "housing_added": g["housing_added"].last(),
        "public_cost": g["public_cost"].last(),
    }).reset_index()
    d = man[["run_id", "scenario", "policy", "replicate"]].merge(per, on="run_id")
    ref = d[d["policy"] == "none"].drop(columns=["run_id", "policy"])
    arm = d[d["policy"] != "none"].drop(columns=["run_id"])
    m = arm.merge(ref, on=["scenario", "replicate"], suffixes=("", "_ref"))
    rows = []
    for (sc, pol), grp in m.groupby(["scenario", "policy"]):
        for o in ("vacancy_rate", "vacant_floor_area", "shops", "footfall", "housing_added",
                  "public_cost"):
            rows.append({"future": sc, "lever": pol, "outcome": o,
                         "mean": float((grp[o] - grp[f"{o}_ref"]).mean()), "n": len(grp)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ end to end
def test_compare_runs_each_future_from_its_own_start_and_writes_the_report(compared: Path):
    for name in ("spec.toml", "manifest.parquet", "report/index.html", "report/tables.xlsx"):
        assert (compared / name).is_file(), name
    assert not [p for p in compared.iterdir() if p.name.startswith(".tmp-")]
    man = pd.read_parquet(compared / "manifest.parquet")
    assert len(man) == len(FUTURES) * len(ARMS) * 2 and (man["status"] == "ok").all()
    starts = man.groupby("scenario")["start"].first().to_dict()
    assert starts == {f: load_scenario(f).start_year for f in FUTURES}
    assert set(man["years"]) == {1}
    spec = (compared / "spec.toml").read_text()
    assert "binnenstad_united" in spec and "binnenstad compare --town small" in spec


def test_effects_equal_the_numbers_recomputed_from_parquet(compared: Path):
    xl = pd.read_excel(compared / "report" / "tables.xlsx", sheet_name=None)
    eff = xl["effects_long"]
    # futures x levers (the reference excluded) x six outcomes
    assert len(eff) == len(FUTURES) * (len(ARMS) - 1) * 6
    assert set(eff["future"]) == set(FUTURES) and set(eff["lever"]) == {"compaction"}
    assert {"mean", "ci_low", "ci_high", "n", "unit", "judgement"} <= set(eff.columns)
    hand = _effects_by_hand(compared).rename(columns={"outcome": "outcome (code)"})
    m = eff.merge(hand, on=["future", "lever", "outcome (code)"], suffixes=("", "_hand"))
    assert len(m) == len(eff)
    np.testing.assert_allclose(m["mean"], m["mean_hand"], rtol=1e-9, atol=1e-9)
    assert (m["n"] == m["n_hand"]).all() and (m["n"] == 2).all()
    ok = m["ci_low"].notna()
    assert ((m.loc[ok, "ci_low"] <= m.loc[ok, "mean"] + 1e-12)
            & (m.loc[ok, "mean"] <= m.loc[ok, "ci_high"] + 1e-12)).all()
    # the wide sheet (as in the page) holds the same numbers
    wide = xl["effects"]
    assert len(wide) == len(FUTURES) * (len(ARMS) - 1)
    col = "vacancy rate (percentage points) mean"
    w = wide.set_index("future")[col]
    v = eff[eff["outcome (code)"] == "vacancy_rate"].set_index("future")["mean"]
    np.testing.assert_allclose(w.loc[v.index], v, rtol=1e-12)
    assert {"set-up", "futures", "verdicts", "lever_settings", "realised",
            "vacancy_stock_change", "levels"} <= set(xl)


def test_page_shows_the_effects_and_the_sections(compared: Path):
    html = (compared / "report" / "index.html").read_text()
    assert "<table class=\"effects\"" in html
    for section in ('id="question"', 'id="verdicts"', 'id="levers"', 'id="realised"',
                    'id="stock"', 'id="limits"', 'id="reproduce"', "@media print"):
        assert section in html, section
    # self-contained: figures embedded, nothing fetched from elsewhere
    assert "data:image/png;base64," in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html
    # the lever's settings in policy terms and the reproduce command
    assert "relocation grant per m2" in html and "EUR/m2" in html
    assert "binnenstad sweep" in html and "binnenstad report" in html
    # a vacancy effect as printed equals the table's (two decimals)
    eff = pd.read_excel(compared / "report" / "tables.xlsx", sheet_name="effects_long")
    x = eff[eff["outcome (code)"] == "vacancy_rate"]["mean"].iloc[0]
    assert f"{x:.2f}" in html


def test_stock_split_adds_up_to_the_vacancy_effect(compared: Path):
    xl = pd.read_excel(compared / "report" / "tables.xlsx", sheet_name=None)
    stock, eff = xl["vacancy_stock_change"], xl["effects_long"]
    assert len(stock) == len(FUTURES) * (len(ARMS) - 1)
    np.testing.assert_allclose(stock["of which more units used (pp)"]
                               + stock["of which fewer units counted (pp)"],
                               stock["vacancy change (pp)"], atol=1e-9)
    v = eff[eff["outcome (code)"] == "vacancy_rate"].set_index(["future", "lever"])["mean"]
    s = stock.set_index(["future", "policy"])["vacancy change (pp)"]
    np.testing.assert_allclose(s.to_numpy(), v.loc[s.index].to_numpy(), atol=1e-9)


def test_realised_quantities_per_policy(compared: Path):
    real = pd.read_excel(compared / "report" / "tables.xlsx", sheet_name="realised")
    assert len(real) == len(FUTURES) * len(ARMS)
    r = real.set_index(["future", "policy"])
    # compaction acts from 2015: all 12 months of a 2018 run, all 12 of a 2013 run from 2015 on
    assert r.loc[("binnenstad_united", "compaction"), "months lever active"] == 12
    assert r.loc[("baseline", "compaction"), "months lever active"] == 0
    assert (r.xs("none", level="policy")["months lever active"] == 0).all()
    # The deprecated column 'arm' duplicates 'policy', last (sim/deprecation.py).
    assert real.columns[-1] == "arm" and (real["arm"] == real["policy"]).all()
    xl = pd.read_excel(compared / "report" / "tables.xlsx", sheet_name=None)
    for sheet in ("vacancy_stock_change", "levels", "cost_effectiveness"):
        if not xl[sheet].empty:
            assert (xl[sheet]["arm"] == xl[sheet]["policy"]).all(), sheet
    lv = xl["lever_settings"]
    assert (lv["arms"] == lv["policies"]).all()
    html = (compared / "report" / "index.html").read_text()
    assert ">arm<" not in html and ">arms<" not in html  # the page shows no deprecated column
    ts = pd.read_parquet(compared / "timeseries")
    man = pd.read_parquet(compared / "manifest.parquet")
    last = ts.sort_values("step").groupby("run_id")["public_cost"].last().rename("c")
    cost = man.merge(last.reset_index(), on="run_id").groupby(["scenario", "policy"])["c"].mean()
    for (sc, pol), c in cost.items():
        assert r.loc[(sc, pol), "public cost (EUR)"] == pytest.approx(c)


def test_compare_again_resumes(compared: Path, capsys: pytest.CaptureFixture):
    _cli(["compare", "--town", "small", "--scenarios", ",".join(FUTURES), "--policies",
          ",".join(ARMS), "--replicates", "2", "--years", "1", "--workers", "1", "--quiet",
          "--no-figures", "--out", str(compared)])
    assert "(0 run now, 8 already done)" in capsys.readouterr().err
    _cli(["report", str(compared)])  # the figures back, for the tests below


def test_report_again_replaces_the_old_one(compared: Path):
    _cli(["report", str(compared), "--no-figures"])
    html = (compared / "report" / "index.html").read_text()
    assert "data:image/png" not in html and "<table class=\"effects\"" in html
    assert not [p for p in compared.iterdir() if p.name.startswith(".tmp-")]
    assert not [p for p in compared.iterdir() if ".binnenstad-" in p.name]  # tmp, old, lock
    _cli(["report", str(compared)])  # leave the figures for the browser test


# ------------------------------------------------------------------------------ other sweeps
@pytest.fixture(scope="module")
def odd_sweeps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A sweep without a 'none' policy (two levers) and a single-run sweep."""
    from sim.batch import run_many

    root = tmp_path_factory.mktemp("odd")
    run_many(towns=["small"], scenarios=["binnenstad_united"],
             policies=["blurring", "compaction"], replicates=1, years=1, out=root / "no_none")
    run_many(towns=["small"], scenarios=["baseline"], policies=["none"], replicates=1,
             years=1, out=root / "single")
    return {"no_none": root / "no_none", "single": root / "single"}


def test_report_without_none_policy_uses_the_first_policy(odd_sweeps: dict[str, Path]):
    _cli(["report", str(odd_sweeps["no_none"]), "--no-figures"])
    html = (odd_sweeps["no_none"] / "report" / "index.html").read_text()
    assert "no &#39;none&#39; policy" in html and "first policy, &#39;blurring&#39;" in html
    eff = pd.read_excel(odd_sweeps["no_none"] / "report" / "tables.xlsx",
                        sheet_name="effects_long")
    assert set(eff["lever"]) == {"compaction"}
    assert "One future only" in html and "1 replicate per future" in html


def test_report_of_a_single_run(odd_sweeps: dict[str, Path]):
    _cli(["report", str(odd_sweeps["single"])])
    html = (odd_sweeps["single"] / "report" / "index.html").read_text()
    assert "single policy" in html and "No effects" in html
    xl = pd.read_excel(odd_sweeps["single"] / "report" / "tables.xlsx", sheet_name=None)
    assert len(xl["levels"]) == 6 and xl["effects_long"].empty


# ------------------------------------------------------------------------------ unit tests
def test_verdict_words_follow_the_p31_rule():
    from sim.batch.analysis import robustness

    def effects(judgements: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"scenario": [f"f{i}" for i in range(len(judgements))],
                             "policy": "lever", "outcome": "vacancy_rate", "judgement":
                             judgements, "town": "t", "point": 0})

    cases = {("good", "good", "good", "neutral"): "robust: helps in 3 of 4 futures",
             ("good", "good", "good", "good"): "robust: helps in 4 of 4 futures",
             ("good", "good", "bad", "neutral"): "conditional: helps in 2 of 4 futures",
             ("good", "neutral", "bad", "bad"): "gamble: helps in 1 of 4 futures",
             ("neutral", "neutral", "bad", "neutral"): "does not help: helps in 0 of 4 futures"}
    for judgements, words in cases.items():
        r = robustness(effects(list(judgements))).iloc[0]
        assert verdict_label(r["verdict"], r["good"], r["n_scenarios"]) == words
    one = robustness(effects(["good"])).iloc[0]
    assert "cannot be judged" in verdict_label(one["verdict"], one["good"], 1)
    assert verdict_label("", 0, 0) == ""


def test_vacancy_split_in_the_two_pure_cases():
    # a vacant unit converted: the same units used, one fewer counted
    used, counted = decompose_vacancy([9], [99], [10], [100])
    assert used[0] == pytest.approx(0.0) and counted[0] == pytest.approx(9 / 99 - 10 / 100)
    # a vacant unit let: the same stock, one more used
    used, counted = decompose_vacancy([9], [100], [10], [100])
    assert counted[0] == pytest.approx(0.0) and used[0] == pytest.approx(-0.01)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500),
                          st.integers(0, 500)), min_size=1, max_size=20))
def test_vacancy_split_adds_up(rows):
    va, ea, vr, er = (np.array(x, dtype=float) for x in zip(*rows, strict=True))
    ea, er = ea + va, er + vr  # vacant units are part of the stock
    used, counted = decompose_vacancy(va, ea, vr, er)
    rate = lambda v, e: np.divide(v, e, out=np.zeros_like(v), where=e > 0)  # noqa: E731
    np.testing.assert_allclose(used + counted, rate(va, ea) - rate(vr, er), atol=1e-12)


def test_policies_with_their_own_settings_split_from_the_list():
    from sim.report.cli import split_policies

    assert split_policies("none,compaction,blurring,compaction+blurring") == [
        "none", "compaction", "blurring", "compaction+blurring"]
    assert split_policies("none, compaction:grant=100,start=2016 ,blurring") == [
        "none", "compaction:grant=100,start=2016", "blurring"]
    assert split_policies("compaction+blurring:start=2016,intensity=2,none") == [
        "compaction+blurring:start=2016,intensity=2", "none"]
    assert split_policies("none,compaction+blurring:start=2016") == [
        "none", "compaction+blurring:start=2016"]


def test_months_active():
    assert months_active(2015, 2018, 20) == 240
    assert months_active(2015, 2013, 12) == 120
    assert months_active(2030, 2013, 12) == 0
    assert months_active(2019.5, 2018, 2) == 6


# ------------------------------------------------------------------------------ browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="Debian's chromium is not installed (apt-get install chromium; "
                           ".ci/run installs it)")
def test_page_in_headless_chromium(compared: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    page_file = compared / "report" / "index.html"
    outside = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()

            def block(route):
                outside.append(route.request.url)
                route.abort()

            page.route(re.compile(r"^(?!file:|data:).*"), block)
            page.goto(page_file.as_uri())
            rows = page.locator("table.effects tbody tr")
            assert rows.count() == len(FUTURES) * (len(ARMS) - 1)
            header = page.locator("table.effects thead th").all_inner_texts()
            assert any("vacancy rate" in h for h in header)
            assert any("public cost" in h for h in header)
            # every embedded figure decoded
            widths = page.eval_on_selector_all("figure img", "els => els.map(e => e.naturalWidth)")
            assert widths and all(w > 0 for w in widths)
            page.pdf(path=str(tmp_path / "report.pdf"))  # printable
        finally:
            browser.close()
    assert outside == []
    assert (tmp_path / "report.pdf").stat().st_size > 10_000

