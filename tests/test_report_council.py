"""What the council sees (issue 22, items 1-5): verdicts only where the replicates carry them,
the headline first, one verdict vocabulary, no formula cells, a map of change per policy,
cost-effectiveness against no policy, the calibration statement, and warnings for settings that
do nothing."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import app
from sim.idle import idle_settings
from sim.report.cost import ratio_interval
from sim.report.evidence import (
    MIN_PAIRS,
    cell_status,
    lever_verdict,
    replicates_needed,
)
from sim.report.tables import future_label, policy_label

VERDICT_WORDS = {"robust", "conditional", "gamble", "does not help"}


def _cli(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        app(args=argv, prog_name="binnenstad")
    assert exc.value.code in (0, None)


def _compare(out: Path, replicates: int, futures: str, policies: str, years: int) -> Path:
    _cli(["compare", "--town", "small", "--scenarios", futures, "--policies", policies,
          "--replicates", str(replicates), "--years", str(years), "--workers", "2", "--quiet",
          "--out", str(out)])
    return out


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compare(tmp_path_factory.mktemp("two") / "cmp", 2,
                    "baseline,binnenstad_united", "none,compaction,blurring", 1)


def _text(html: str) -> str:
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------------------ done-when
def test_two_replicates_show_too_few_replicates_instead_of_coloured_verdicts(two: Path):
    html = (two / "report" / "index.html").read_text()
    effects = html[html.index('id="effects"'):html.index('id="maps"')]
    assert not re.search(r'<td class="num (good|bad)"', effects), "no coloured cell from noise"
    assert "too few replicates" in effects
    verdicts = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="verdicts")
    assert set(verdicts["verdict"]) == {"too few replicates to judge"}
    assert verdicts["verdict in words"].str.contains(r"about \d+ needed|more than").all()
    eff = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="effects_long")
    judged = eff[~eff["outcome (code)"].isin(["public_cost", "housing_added"])]
    # every judged effect either changed nothing (baseline: the levers start after 2013) or
    # has too few pairs
    assert set(judged["status"]) <= {"too few replicates", "no change"}
    assert (eff["source of uncertainty"] == "seeds").all()


def test_the_first_screen_is_the_headline(two: Path):
    html = (two / "report" / "index.html").read_text()
    body = html[html.index("<body>"):]
    first = re.search(r"<section id=\"(\w+)\"", body).group(1)
    assert first == "headline"
    head = _text(body[:body.index("<nav>")])
    for arm in ("Compaction", "Blurring"):
        assert f"{arm}. Against no policy" in head
    assert "How sure" in head and "too few to judge" in head
    assert "vacancy" in head and "dwellings" in head
    assert "Calibration:" in head and "calibrated" in head.lower()
    # the setting that does nothing in baseline is named on the first screen
    assert "starts in 2015, after the run in baseline ends (December 2013)" in head
    # no internal codes in the page text
    text = _text(html)
    for code in ("no_help", "n_futures", "vacancy_rate", "point 0", "safe"):
        assert code not in text, code


def test_tables_xlsx_holds_no_formula_cells_and_the_html_vocabulary(two: Path):
    from openpyxl import load_workbook

    wb = load_workbook(two / "report" / "tables.xlsx")
    formulas = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    assert {"headline", "cost_effectiveness", "calibration", "seeds"} <= set(wb.sheetnames)
    setup = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="set-up")
    assert not setup["item"].str.contains("seed").any(), "seeds are not in the set-up table"


def test_a_change_map_per_policy(two: Path):
    html = (two / "report" / "index.html").read_text()
    maps = re.findall(r'<figure class="change-map" data-policy="([^"]+)">', html)
    assert maps == ["compaction", "blurring"]
    assert (two / "units").is_dir()  # compare keeps the last unit snapshot


def test_year_ranges_and_lever_starts_relative_to_each_future(two: Path):
    real = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="realised")
    r = real.set_index(["future", "policy"])
    assert r.loc[("binnenstad_united", "compaction"), "years"] == "2018-2018"
    assert r.loc[("binnenstad_united", "compaction"), "lever acts from"] == "January 2018"
    assert "never" in r.loc[("baseline", "compaction"), "lever acts from"]
    assert "EUR per dwelling added" not in real.columns
    levers = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="lever_settings")
    start = levers[(levers["lever"] == "compaction") & (levers["setting"] == "start")]
    assert "2018 in Binnenstad united" in start["value"].iloc[0]
    futures = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="futures")
    assert set(futures["last month"]) == {"December 2013", "December 2018"}


def test_cost_effectiveness_is_per_extra_dwelling_against_no_policy(two: Path):
    cost = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="cost_effectiveness")
    vals = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="effects_long")
    assert len(cost) == 4
    for row in cost.to_dict("records"):
        e = vals[(vals["future"] == row["future"]) & (vals["lever"] == row["policy"])].set_index(
            "outcome (code)")["mean"]
        assert row["extra public cost (EUR)"] == pytest.approx(e["public_cost"])
        assert row["extra dwellings"] == pytest.approx(e["housing_added"])
        if row["extra dwellings"] > 0:  # per extra dwelling, not per dwelling added in all
            assert row["public cost per extra dwelling (EUR)"] == pytest.approx(
                row["extra public cost (EUR)"] / row["extra dwellings"])
    assert {"owners' rent income, change (EUR/yr)",
            "owners' conversion outlay, extra (EUR)"} <= set(cost.columns)


def test_calibration_statement_says_what_is_and_is_not_calibrated(two: Path):
    cal = pd.read_excel(two / "report" / "tables.xlsx", sheet_name="calibration")
    assert "size of a policy's effect" in set(cal["what"])
    assert (cal.loc[cal["what"] == "size of a policy's effect", "calibrated?"] == "no").all()
    assert "seeds" in set(cal["calibrated?"])


@pytest.mark.slow
def test_twenty_replicates_show_verdicts(tmp_path: Path):
    out = _compare(tmp_path / "cmp20", 20, "binnenstad_united,exclusieve_binnenstad",
                   "none,compaction", 2)
    verdicts = pd.read_excel(out / "report" / "tables.xlsx", sheet_name="verdicts")
    assert set(verdicts["verdict"]) <= VERDICT_WORDS and len(verdicts) == 4
    eff = pd.read_excel(out / "report" / "tables.xlsx", sheet_name="effects_long")
    judged = eff[~eff["outcome (code)"].isin(["public_cost", "housing_added"])]
    assert "too few replicates" not in set(judged["status"])
    html = (out / "report" / "index.html").read_text()
    head = _text(html[html.index("<body>"):html.index("<nav>")])
    assert "20 replicates per future" in head and "On vacancy:" in head
    assert any(w in head for w in VERDICT_WORDS)


# ------------------------------------------------------------------------------ unit tests
def test_replicates_needed_from_the_paired_spread():
    # mean 1, sd 3: n with t(n-1) * 3 / sqrt(n) < 1 is 38
    n = replicates_needed(1.0, 3.0)
    from scipy.stats import t

    assert t.ppf(0.975, n - 1) * 3 / math.sqrt(n) < 1 <= t.ppf(0.975, n - 2) * 3 / math.sqrt(
        n - 1)
    assert replicates_needed(1.0, 0.1) == MIN_PAIRS
    assert replicates_needed(0.0, 1.0) is None


def test_cell_status_words():
    assert cell_status(-1.0, 0.5, 2, -1.2, -0.8, "lower")[0] == "too few replicates"
    assert cell_status(-1.0, 0.5, 20, -1.2, -0.8, "lower")[0] == "helps"
    assert cell_status(-1.0, 0.5, 20, -1.2, -0.8, "higher")[0] == "harms"
    assert cell_status(0.1, 0.5, 20, -0.1, 0.3, "lower")[0] == "no clear effect"
    assert cell_status(0.0, 0.0, 2, 0.0, 0.0, "lower")[0] == "no change"
    assert cell_status(5.0, 1.0, 2, 4.0, 6.0, None)[0] == "reported, not judged"
    # |mean| / se = 2.0 next to t(19) = 2.09: borderline
    status, edge, _ = cell_status(2.0 * 0.5 / math.sqrt(20), 0.5, 20, -0.01, 0.5, "lower")
    assert edge and status == "no clear effect"


def test_lever_verdict_follows_p31_and_refuses_with_too_few():
    assert lever_verdict(["helps"] * 3 + ["no clear effect"], [False] * 4, [None] * 4)[0] == \
        "robust"
    assert lever_verdict(["helps", "harms", "no clear effect", "no clear effect"],
                         [False] * 4, [None] * 4)[0] == "gamble"
    assert lever_verdict(["no clear effect"] * 4, [False] * 4, [None] * 4)[0] == "does not help"
    v, words, _ = lever_verdict(["helps", "too few replicates"], [False, False], [None, 14])
    assert v == "too few replicates to judge" and "about 14 needed" in words
    assert "borderline" in lever_verdict(["helps"] * 4, [True] + [False] * 3, [None] * 4)[1]


def test_ratio_interval_is_open_when_the_denominator_can_vanish():
    rng = np.random.default_rng(0)
    est, lo, hi = ratio_interval(np.array([100.0, 120, 80, 90]), np.array([1.0, 2, 1, 2]), 500,
                                 0.95, rng)
    assert est == pytest.approx(390 / 6) and lo < est < hi < math.inf
    _, _, hi = ratio_interval(np.array([100.0, 100]), np.array([1.0, -0.5]), 500, 0.95, rng)
    assert hi == math.inf
    assert math.isnan(ratio_interval(np.array([1.0]), np.array([-1.0]), 10, 0.95, rng)[0])


def test_plain_labels():
    assert policy_label("none") == "no policy"
    assert policy_label("compaction+popup_programme:intensity=2") == \
        "compaction + popup programme (intensity 2)"
    assert future_label("binnenstad_united") == "Binnenstad united"


def test_idle_settings():
    from sim.town import generate_town

    town = generate_town("small")
    lines = idle_settings(["compaction:start=2030", "blurring:intensity=0", "biz"], 2013, 12,
                          town)
    assert len(lines) == 2
    assert "compaction starts in 2030, after the run ends (December 2024)" in lines[0]
    assert "blurring has intensity=0" in lines[1]
    assert idle_settings(["compaction:start=2024"], 2013, 12, town) == []
    # an area without retail-eligible units
    t2 = generate_town("small")
    t2.retail_allowed[t2.unit_zone == 2] = False
    assert any("area=fringe" in x for x in idle_settings(["blurring:area=fringe"], 2013, 2, t2))


def test_run_warns_about_a_lever_that_starts_after_the_run(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture):
    _cli(["run", "--town", "small", "--years", "1", "--policy", "compaction:start=2030",
          "--no-figures", "--quiet", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert ("binnenstad: warning: policy compaction starts in 2030, after the run ends "
            "(December 2013)") in err


def test_sweep_and_compare_warn_beside_their_summary(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture):
    spec = tmp_path / "idle.toml"
    spec.write_text('[experiment]\nname = "idle"\ntowns = ["small"]\nscenarios = ["baseline"]\n'
                    'policies = ["none", "compaction:start=2030"]\nreplicates = 1\n'
                    'start = 2013\nyears = 1\n')
    _cli(["sweep", str(spec), "--out", str(tmp_path / "sw"), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err.splitlines()
    warning = [i for i, ln in enumerate(err) if ln.startswith("binnenstad: warning: ")]
    assert len(warning) == 1 and "compaction starts in 2030" in err[warning[0]], err
    assert "2 runs: 2 ok" in err[warning[0] + 1]  # the summary follows the warning
    _cli(["compare", "--town", "small", "--scenarios", "baseline", "--policies",
          "none,compaction:start=2030", "--replicates", "1", "--years", "1", "--workers", "1",
          "--quiet", "--out", str(tmp_path / "cmp")])
    err = capsys.readouterr().err
    assert ("binnenstad: warning: policy compaction starts in 2030, after the run in baseline "
            "ends (December 2013)") in err


def test_an_unusable_output_folder_is_one_line_without_the_warnings(
        tmp_path: Path, capsys: pytest.CaptureFixture):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(SystemExit) as exc:
        app(args=["compare", "--town", "small", "--scenarios", "baseline", "--policies",
                  "none,compaction:start=2030", "--replicates", "1", "--years", "1",
                  "--quiet", "--out", str(blocker / "cmp")], prog_name="binnenstad")
    assert exc.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("binnenstad: error: "), err
