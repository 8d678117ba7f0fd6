"""Measured results for the docs: the default run over many seeds and every lever's paired effect.

``python -m sim.results [--seeds 10] [--workers 2]`` runs

- the baseline on the medium town, 2013-2024, for each seed, and
- every policy lever against no policy on the same seeds (common random numbers), 2013-2022,

writes the per-run numbers to ``docs/results/baseline_runs.csv`` and
``docs/results/lever_runs.csv`` (with the code version and settings in
``docs/results/manifest.json``) and renders the tables into `docs/ODD.md` (section 8.2) and
`README.md` between their ``<!-- results:begin -->`` / ``<!-- results:end -->`` markers. Nothing
in those blocks is typed by hand; a test re-runs one stored run and fails when the model no
longer reproduces it (the tables have drifted), and checks that the blocks render from the CSVs.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .docs_tables import replace_block

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
TOWN = "medium"
BASE_YEARS = 12  # 2013-2024
LEVER_YEARS = 10  # 2013-2022; levers start in 2015
LATE = (2020, 2022)
LEVERS = ("biz", "blurring", "car_free", "compaction", "demolition", "deregulation",
          "evening_economy", "herverkaveling", "hide_vacancy", "peripheral_levy",
          "popup_programme", "starter_support", "transformation",
          "transformation:mode=gebiedsgericht", "vacancy_ordinance")
#: outcome -> (label, unit, how it is summarised, "good" direction: +1 higher is better)
OUTCOMES = {
    "vacancy_rate": ("vacancy", "pp", "late mean", -1),
    "vacancy_rate_aanloop": ("aanloop vacancy", "pp", "late mean", -1),
    "vacant_floor_area": ("vacant floor area", "m2", "late mean", -1),
    "footfall_total": ("footfall", "%", "late mean", +1),
    "shop_revenue": ("shop revenue", "%", "late mean", +1),
    "shannon_diversity": ("diversity", "nats", "late mean", +1),
    "n_shops": ("shops", "count", "late mean", +1),
    "housing_added": ("housing added", "dwellings", "final", +1),
    "public_cost": ("public cost", "kEUR", "final", -1),
}


def _baseline_run(seed: int) -> list[dict]:
    from .runner import run

    r = run(town=TOWN, years=BASE_YEARS, seed=seed, figures=False, keep_model=True)
    ts = r.timeseries
    rows = []
    for year, g in ts.groupby("year"):
        opened = int(g.openings.sum())
        closed = int(g.closures.sum())
        rows.append({
            "seed": seed, "year": int(year),
            "vacancy_rate": g.vacancy_rate.mean(),
            "vacancy_rate_core": g.vacancy_rate_core.mean(),
            "vacancy_rate_aanloop": g.vacancy_rate_aanloop.mean(),
            "vacancy_rate_fringe": g.vacancy_rate_fringe.mean(),
            "vacancy_structural_1y": g.vacancy_structural_1y.mean(),
            "n_shops": g.n_shops.mean(), "n_offices": g.n_offices.mean(),
            "n_units_retail_eligible": g.n_units_retail_eligible.mean(),
            "closures_per_shop": closed / max(g.n_shops.mean(), 1.0),
            "openings_per_shop": opened / max(g.n_shops.mean(), 1.0),
            "mean_rent_core": g.mean_rent_core.mean(),
            "mean_rent_aanloop": g.mean_rent_aanloop.mean(),
            "mean_rent_fringe": g.mean_rent_fringe.mean(),
            "footfall_total": g.footfall_total.mean(),
            "vacancy_clustering": g.vacancy_clustering.mean(),
            "shannon_diversity": g.shannon_diversity.mean(),
            "housing_added": int(g.housing_added.iloc[-1]),
            "burn_in_months": r.model.burn_in_report.months,
            "wall_s": r.meta["wall_time_s"]["setup"] + r.meta["wall_time_s"]["simulate"],
        })
    return rows


def _lever_run(args: tuple[str, int]) -> dict:
    from .runner import run

    lever, seed = args
    r = run(town=TOWN, years=LEVER_YEARS, seed=seed, figures=False,
            policies=[] if lever == "none" else [lever])
    ts = r.timeseries
    late = ts[(ts.year >= LATE[0]) & (ts.year <= LATE[1])]
    out = {"lever": lever, "seed": seed}
    for col, (_, _, how, _) in OUTCOMES.items():
        out[col] = float(late[col].mean() if how == "late mean" else ts[col].iloc[-1])
    return out


def measure(seeds: int, workers: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        base = [row for rows in pool.map(_baseline_run, range(seeds)) for row in rows]
        jobs = [(lever, s) for lever in ("none", *LEVERS) for s in range(seeds)]
        levers = list(pool.map(_lever_run, jobs))
    return pd.DataFrame(base), pd.DataFrame(levers)


def _pm(mean: float, sd: float, scale: float = 1.0, digits: int = 1) -> str:
    return f"{mean * scale:.{digits}f} ± {sd * scale:.{digits}f}"


def baseline_table(base: pd.DataFrame) -> str:
    """Yearly mean ± sd over seeds of the default run."""
    g = base.groupby("year")
    m, s = g.mean(numeric_only=True), g.std(numeric_only=True, ddof=1)
    lines = ["| year | vacancy % | core % | aanloop % | fringe % | structural (> 1 yr) % "
             "| shops | offices | closures / shop / yr | rent core | rent aanloop "
             "| Moran's I |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for year in m.index:
        a, b = m.loc[year], s.loc[year]
        lines.append(
            f"| {year} | {_pm(a.vacancy_rate, b.vacancy_rate, 100)} "
            f"| {_pm(a.vacancy_rate_core, b.vacancy_rate_core, 100)} "
            f"| {_pm(a.vacancy_rate_aanloop, b.vacancy_rate_aanloop, 100)} "
            f"| {_pm(a.vacancy_rate_fringe, b.vacancy_rate_fringe, 100)} "
            f"| {_pm(a.vacancy_structural_1y, b.vacancy_structural_1y, 100)} "
            f"| {_pm(a.n_shops, b.n_shops, 1, 0)} | {_pm(a.n_offices, b.n_offices, 1, 0)} "
            f"| {_pm(a.closures_per_shop, b.closures_per_shop, 1, 3)} "
            f"| {_pm(a.mean_rent_core, b.mean_rent_core, 1, 0)} "
            f"| {_pm(a.mean_rent_aanloop, b.mean_rent_aanloop, 1, 0)} "
            f"| {_pm(a.vacancy_clustering, b.vacancy_clustering, 1, 2)} |")
    return "\n".join(lines) + "\n"


def effect_table(levers: pd.DataFrame) -> str:
    """Paired effect (lever minus no policy, same seed) mean with a t-based 95% interval."""
    from scipy import stats

    base = levers[levers.lever == "none"].set_index("seed")
    n = len(base)
    head = "| lever | " + " | ".join(f"{lab} ({unit})" for lab, unit, _, _ in OUTCOMES.values())
    lines = [head + " |", "|---" * (len(OUTCOMES) + 1) + "|"]
    t = stats.t.ppf(0.975, n - 1) if n > 1 else np.nan
    for lever in LEVERS:
        policy = levers[levers.lever == lever].set_index("seed").loc[base.index]
        cells = []
        for col, (_, unit, _, _) in OUTCOMES.items():
            if unit == "%":
                d = 100 * (policy[col] / base[col] - 1)
            elif unit == "pp":
                d = 100 * (policy[col] - base[col])
            elif unit == "kEUR":
                d = (policy[col] - base[col]) / 1000
            else:
                d = policy[col] - base[col]
            half = t * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            digits = 2 if unit in ("nats",) else (0 if unit in ("m2", "kEUR") else 1)
            cells.append(f"{d.mean():+.{digits}f} [{d.mean() - half:+.{digits}f}, "
                         f"{d.mean() + half:+.{digits}f}]")
        lines.append(f"| `{lever}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render(base: pd.DataFrame, levers: pd.DataFrame, manifest: dict) -> str:
    """The markdown block for docs/ODD.md section 8.2."""
    seeds = manifest["seeds"]
    runs = base.groupby("seed").first()
    last = base[base.year == base.year.max()]
    return "\n".join([
        f"Generated by `python -m sim.results --seeds {seeds}` from the runs in "
        f"`docs/results/` (code {manifest['git_commit'][:10]}); do not edit by hand.",
        "",
        f"**The default run** (baseline, {TOWN} town, 2013-{2012 + BASE_YEARS}, seeds "
        f"0-{seeds - 1}; mean ± sd over seeds). Burn-in: {runs.burn_in_months.mean():.0f} "
        f"months on average (range {runs.burn_in_months.min():.0f}-"
        f"{runs.burn_in_months.max():.0f}). Vacancy in {int(last.year.iloc[0])}: "
        f"{100 * last.vacancy_rate.mean():.1f}% (sd {100 * last.vacancy_rate.std(ddof=1):.1f} "
        f"points over {seeds} seeds). One seed is one story; the spread is part of the result.",
        "",
        baseline_table(base),
        f"**Levers** (each against no policy on the same seeds 0-{seeds - 1}, {TOWN} town, "
        f"levers from 2015 at their default settings; outcomes averaged over {LATE[0]}-"
        f"{LATE[1]}, housing added and public cost cumulative to {2012 + LEVER_YEARS}; "
        "paired mean difference [95% interval]). pp: percentage points; %: relative change.",
        "",
        effect_table(levers),
    ])


def readme_block(base: pd.DataFrame, manifest: dict) -> str:
    first = base[base.year == base.year.min()]
    last = base[base.year == base.year.max()]
    seeds = manifest["seeds"]
    return (
        f"Measured over {seeds} seeds (`python -m sim.results`, code "
        f"{manifest['git_commit'][:10]}): in the default run the medium town's vacancy is "
        f"{100 * first.vacancy_rate.mean():.1f}% in {int(first.year.iloc[0])} "
        f"(sd {100 * first.vacancy_rate.std(ddof=1):.1f} points) and "
        f"{100 * last.vacancy_rate.mean():.1f}% in {int(last.year.iloc[0])} "
        f"(sd {100 * last.vacancy_rate.std(ddof=1):.1f}); core "
        f"{100 * last.vacancy_rate_core.mean():.1f}%, aanloop "
        f"{100 * last.vacancy_rate_aanloop.mean():.1f}%, fringe "
        f"{100 * last.vacancy_rate_fringe.mean():.1f}%. One seed is one story: "
        "`binnenstad run` prints a single seed; see docs/ODD.md section 8.2 for the spread "
        "and every lever's effect.\n")


def write_docs(base: pd.DataFrame, levers: pd.DataFrame, manifest: dict) -> None:
    odd = ROOT / "docs" / "ODD.md"
    odd.write_text(replace_block(odd.read_text(), render(base, levers, manifest), BEGIN, END))
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN in text:
        readme.write_text(replace_block(text, readme_block(base, manifest), BEGIN, END))


def load() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    return (pd.read_csv(RESULTS / "baseline_runs.csv"), pd.read_csv(RESULTS / "lever_runs.csv"),
            json.loads((RESULTS / "manifest.json").read_text()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.results", description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--render-only", action="store_true",
                    help="re-render the docs from the stored CSVs without running")
    args = ap.parse_args(argv)
    if args.render_only:
        base, levers, manifest = load()
    else:
        from .provenance import git_commit

        base, levers = measure(args.seeds, args.workers)
        RESULTS.mkdir(parents=True, exist_ok=True)
        base.to_csv(RESULTS / "baseline_runs.csv", index=False)
        levers.to_csv(RESULTS / "lever_runs.csv", index=False)
        manifest = {"seeds": args.seeds, "town": TOWN, "base_years": BASE_YEARS,
                    "lever_years": LEVER_YEARS, "late": list(LATE),
                    "git_commit": git_commit() or "unknown"}
        (RESULTS / "manifest.json").write_text(json.dumps(manifest, indent=2))
    write_docs(base, levers, manifest)
    print(f"results written to {RESULTS} and rendered into docs/ODD.md and README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
