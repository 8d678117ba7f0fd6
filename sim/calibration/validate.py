"""`binnenstad validate`: the model against what is known, over replicated runs.

0. **The Dutch record** (`sim.calibration.empirical`, `sim/data/empirical_targets.toml`): every
   figure of what real centres did, measured on the ``historical`` hindcast, fit window (to
   2019) and validation window (2020 on) reported apart.
1. **Targets**: every target (`sim.calibration.targets`), fitted or not, on the ``historical``
   hindcast (2007-2024): the source's value, the model's mean with a 95% interval over the
   replicates, pass or fail. From 2013 on the run is an out-of-sample prediction.
2. **The hindcast's path** 2007-2024 by zone, with 95% bands.
3. **Small towns swing more** ([OV]): the spread over seeds of the 2007-2013 vacancy change,
   small against large town.
4. **Emergent spatial patterns** (`sim.calibration.spatial`) in early 2013 and at the end, with
   intervals: whatever they are.
5. **Global sensitivity**: Sobol indices (SALib through the sweep layer) of the main outcomes over
   the calibrated parameters' prior ranges, with the stochastic (seed) share.

Everything is written to ``OUT/report.md`` with its figures and tables (CSV).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .empirical import load_records, measure_all, record_table
from .model import replicate_seeds
from .spatial import patterns
from .targets import TARGETS, Tables

#: Root of the validation's replicate seeds (independent of the calibration's).
VALIDATION_SEED_ROOT = 4242
#: Main outcomes of the sensitivity analysis.
SOBOL_OUTCOMES = ("vacancy_rate", "structural_vacancy", "footfall", "shop_revenue")


@dataclass(frozen=True)
class HindcastRun:
    """One replicate of the hindcast (sent to a worker)."""

    town: str
    scenario: str
    years: int
    seed: int
    spatial: bool = True


def hindcast_run(task: HindcastRun) -> dict[str, Any]:
    """Worker side: one run, reduced to target values, the monthly zone path and patterns."""
    import warnings

    from ..runner import run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run(task.town, task.scenario, years=task.years, seed=task.seed, figures=False)
    ts, units = r.timeseries, r.units
    tables = Tables(ts, units)
    last = int(ts.year.max())
    values = {}
    for name, t in TARGETS.items():
        values[name] = float(t.measure(tables)) if t.needs_year <= last else float("nan")
    path = ts[["date", "vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop",
               "vacancy_rate_fringe"]].copy()
    path["seed"] = task.seed
    out: dict[str, Any] = {"seed": task.seed, "targets": values, "path": path,
                           "record": measure_all(load_records(), ts, units)}
    if task.spatial:
        early = 2012 if 2012 in set(units.year) else int(units.year.min())
        out["spatial"] = {"early 2013": patterns(units, early, seed=task.seed),
                          f"end of {last}": patterns(units, last, seed=task.seed)}
    return out


def _map(executor: Any, fn: Any, tasks: list[Any], progress: Any = None) -> list[Any]:
    done: list[Any] = []
    for _task, res in executor.map_unordered(fn, tasks):
        if isinstance(res, BaseException):
            raise res
        done.append(res)
        if progress is not None:
            progress(len(done), len(tasks))
    return sorted(done, key=lambda r: r["seed"])


def interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and the 2.5% and 97.5% quantiles over runs (NaN where none is finite)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return (np.nan, np.nan, np.nan)
    lo, hi = np.quantile(x, [0.025, 0.975])
    return float(x.mean()), float(lo), float(hi)


def standard_error(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("inf")


def target_table(runs: list[dict[str, Any]], fitted: set[str]) -> pd.DataFrame:
    rows = []
    for name, t in TARGETS.items():
        x = np.array([r["targets"][name] for r in runs])
        mean, lo, hi = interval(x)
        verdict = t.passes(mean, standard_error(x))
        rows.append({"target": name, "statement": t.statement, "source": t.source,
                     "window": ("fit (calibration window)" if name in fitted
                                else "out of sample" if t.needs_year > 2013 else "not fitted"),
                     "observed": t.observed, "tolerance_sd": t.sd, "model_mean": mean,
                     "model_q025": lo, "model_q975": hi,
                     "result": {True: "pass", False: "fail", None: "reported"}[verdict]})
    return pd.DataFrame(rows)


def spatial_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for when in runs[0]["spatial"]:
        for key in runs[0]["spatial"][when]:
            if key == "moran_p":
                continue
            mean, lo, hi = interval(np.array([r["spatial"][when][key] for r in runs]))
            if not np.isfinite(mean):  # a distance band the town does not reach
                continue
            rows.append({"when": when, "measure": key, "mean": mean, "q025": lo, "q975": hi})
    p = np.array([r["spatial"][w]["moran_p"] for r in runs for w in r["spatial"]])
    rows.append({"when": "all", "measure": "share of runs with Moran's I p < 0.05",
                 "mean": float(np.mean(p < 0.05)), "q025": np.nan, "q975": np.nan})
    return pd.DataFrame(rows)


def swing_table(by_town: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    rows = []
    for town, runs in by_town.items():
        rise = np.array([r["targets"]["vacancy_rise_2007_2013"] for r in runs])
        level = np.array([r["targets"]["vacancy_early_2013"] for r in runs])
        yearly = []
        for r in runs:
            y = r["path"].groupby(r["path"].date.dt.year).vacancy_rate.mean().to_numpy()
            yearly.append(np.abs(np.diff(y)).mean() if len(y) > 1 else np.nan)
        rows.append({"town": town, "runs": len(runs),
                     "sd_over_seeds_of_the_2007_2013_change": float(np.std(rise, ddof=1)),
                     "sd_over_seeds_of_early_2013_vacancy": float(np.std(level, ddof=1)),
                     "mean_absolute_yearly_change": float(np.nanmean(yearly))})
    return pd.DataFrame(rows)


def path_figure(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = pd.concat([r["path"] for r in runs])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    colours = {"vacancy_rate": ("all", "#000000"), "vacancy_rate_core": ("core", "#0072B2"),
               "vacancy_rate_aanloop": ("aanloop", "#D55E00"),
               "vacancy_rate_fringe": ("fringe", "#009E73")}
    for col, (label, colour) in colours.items():
        g = frame.groupby("date")[col]
        mean, lo, hi = g.mean(), g.quantile(0.025), g.quantile(0.975)
        ax.fill_between(mean.index, 100 * lo, 100 * hi, color=colour, alpha=0.15, lw=0)
        ax.plot(mean.index, 100 * mean, color=colour, lw=1.6, label=label)
    for t, colour in (("vacancy_2007", "#555555"), ("vacancy_early_2013", "#555555"),
                      ("vacancy_2016", "#CC79A7")):
        target = TARGETS[t]
        year = pd.Timestamp(f"{target.needs_year}-06-01" if t != "vacancy_early_2013"
                            else "2013-01-15")
        ax.errorbar([year], [100 * target.observed], yerr=[200 * target.sd], fmt="D",
                    color=colour, capsize=4)
    ax.axvline(pd.Timestamp("2013-03-31"), color="0.4", ls="--", lw=1)
    ax.text(pd.Timestamp("2013-06-01"), ax.get_ylim()[1] * 0.95, "out of sample ->", fontsize=8,
            va="top")
    ax.set_ylabel("vacancy (% of retail-eligible units)")
    ax.set_title("Hindcast 2007-2024 by zone: mean and 95% band over replicates; diamonds: "
                 "sources +- 2 sd", fontsize=9)
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sobol_spec(priors: dict[str, tuple[float, float]], town: str, n: int, replicates: int,
               seed: int, years: int) -> str:
    """A sweep spec (TOML) of a Sobol design over ``priors`` on the baseline."""
    ranges = "\n".join(f'"{k}" = [{lo!r}, {hi!r}]' for k, (lo, hi) in priors.items())
    outcomes = ", ".join(f'"{o}"' for o in SOBOL_OUTCOMES)
    return f"""[experiment]
name = "validation_sobol"
description = "Sobol indices of the main outcomes over the calibrated parameters' prior ranges."
towns = ["{town}"]
scenarios = ["baseline"]
policies = ["none"]
replicates = {replicates}
seed = {seed}
years = {years}

[sample]
method = "sobol"
n = {n}
seed = {seed}

[sample.ranges]
{ranges}

[outputs]
tables = ["timeseries"]

[analysis]
outcomes = [{outcomes}]
window_months = 12
"""


def md_table(df: pd.DataFrame) -> str:
    from .report import _md_table

    return _md_table(df)


def validate(out: Path, executor: Any, replicates: int = 10, town: str = "medium",
             swing_towns: tuple[str, str] = ("small", "large"), sobol_n: int = 16,
             sobol_replicates: int = 2, sobol_years: int = 12,
             priors: dict[str, tuple[float, float]] | None = None, fitted: set[str] | None = None,
             workers: int | None = None, scheduler: str | None = None,
             progress: Any = None) -> Path:
    """Run the validation suite into ``out`` and return the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    seeds = replicate_seeds(VALIDATION_SEED_ROOT, replicates)
    fitted = fitted or {t.name for t in TARGETS.values() if t.role == "fit"}
    step = (lambda label: (lambda d, n: progress(label, d, n))) if progress else (lambda _: None)
    hind = _map(executor, hindcast_run, [HindcastRun(town, "historical", 18, s) for s in seeds],
                step("hindcast 2007-2024"))
    swing_runs = {t: _map(executor, hindcast_run,
                          [HindcastRun(t, "historical", 7, s, spatial=False) for s in seeds],
                          step(f"{t} town 2007-2013")) for t in swing_towns}
    targets = target_table(hind, fitted)
    record = record_table(load_records(), [r["record"] for r in hind])
    record.to_csv(out / "record.csv", index=False)
    spatial = spatial_table(hind)
    swing = swing_table({**{t: swing_runs[t] for t in swing_towns}})
    targets.to_csv(out / "targets.csv", index=False)
    spatial.to_csv(out / "spatial.csv", index=False)
    swing.to_csv(out / "town_size_swing.csv", index=False)
    pd.concat([r["path"] for r in hind]).to_parquet(out / "hindcast_paths.parquet", index=False)
    path_figure(hind, out / "hindcast.png")
    small, large = swing.set_index("town").loc[list(swing_towns)].itertuples()
    swing_pass = (small.sd_over_seeds_of_the_2007_2013_change
                  > large.sd_over_seeds_of_the_2007_2013_change)
    sobol_lines: list[str] = []
    if priors and sobol_n > 0:
        sobol_lines = _sobol(out, priors, town, sobol_n, sobol_replicates, sobol_years,
                             workers, scheduler, progress)
    return _report(out, targets, spatial, swing, swing_pass, swing_towns, sobol_lines,
                   replicates, town, record)


def _sobol(out: Path, priors: dict[str, tuple[float, float]], town: str, n: int,
           replicates: int, years: int, workers: int | None, scheduler: str | None,
           progress: Any) -> list[str]:
    from ..batch.design import expand
    from ..batch.sensitivity import analyse_sensitivity, write_sensitivity
    from ..batch.spec import load_spec
    from ..batch.store import Store
    from ..batch.sweep import sweep

    spec_path = out / "sobol_spec.toml"
    spec_path.write_text(sobol_spec(priors, town, n, replicates, VALIDATION_SEED_ROOT, years))
    spec = load_spec(spec_path)
    folder = out / "sobol"
    res = sweep(spec, folder, workers=workers, scheduler=scheduler, progress=False)
    ts = Store(folder).read("timeseries")
    a = spec.analysis
    indices, stochastic, notes = analyse_sensitivity(
        expand(spec), res.manifest, ts, outcomes=a.outcomes, window_months=a.window_months,
        confidence=a.confidence, seed=a.seed)
    write_sensitivity(folder, indices, stochastic, figures=True)
    cols = ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    table = indices[cols].sort_values(["outcome", "ST"], ascending=[True, False])
    lines = [
        "## Global sensitivity (Sobol)",
        "",
        f"Saltelli design, n = {n} ({len(res.manifest)} runs: {len(expand(spec).points)} "
        f"points x {replicates} replicates), baseline on the {town} town over {years} years, "
        "outcomes averaged over the last 12 months and over replicates; ranges: the calibrated "
        "parameters' priors. S1: first-order index, ST: total index (with 95% confidence "
        "half-widths). The seed share is the part of the outcome's variance over all runs "
        "due to the seed rather than the parameters (of replicate means: what noise is left in "
        "the indices).",
        "",
        md_table(table),
        "",
        md_table(stochastic[["outcome", "points", "replicates", "seed_share",
                             "seed_share_of_mean"]]),
        "",
    ]
    lines += [f"Note: {n_}" for n_ in notes]
    figs = sorted((folder / "sensitivity").glob("*.png"))
    lines += [f"![{f.stem}](sobol/sensitivity/{f.name})" for f in figs]
    return lines


def _record_lines(record: pd.DataFrame | None) -> list[str]:
    if record is None or not len(record):
        return []
    lines = ["## The Dutch record", "",
             "What real Dutch centres did (`sim/data/empirical_targets.toml`), against the "
             "hindcast. A level passes when the model's mean lies within the figure's tolerance "
             "(the spread between centres a single centre may differ by); a bound or direction "
             "when the mean lies on its side. Figures up to 2019 may be fitted; those from 2020 "
             "on validate and are never fitted.", ""]
    cols = ["id", "statement", "year", "figure", "tolerance", "model mean", "model 2.5%",
            "model 97.5%", "result"]
    for window, part in record.groupby("window", sort=False):
        judged = part[part.result != "not measured"]
        lines += [f"**{window}: {int((judged.result == 'pass').sum())} of {len(judged)} pass**",
                  "", md_table(part[cols]), ""]
    return lines


def _report(out: Path, targets: pd.DataFrame, spatial: pd.DataFrame, swing: pd.DataFrame,
            swing_pass: bool, towns: tuple[str, str], sobol_lines: list[str], replicates: int,
            town: str, record: pd.DataFrame | None = None) -> Path:
    from .fit import git_commit

    judged = targets[targets.result != "reported"]
    n_pass = int((judged.result == "pass").sum())
    lines = [
        "# Validation report",
        "",
        f"Commit {git_commit()}. `historical` scenario (2007-2024) on the {town} town, "
        f"{replicates} replicates; parameters as installed (`_calibrated.toml` over "
        "`_defaults.toml`). The calibration used data up to early 2013 only: every value after "
        "that is a prediction, reported as it comes out.",
        "",
        f"**Targets: {n_pass} of {len(judged)} pass** (a level passes when the model's mean over "
        "the replicates lies within the source's value +- 2 sd, the tolerance; a direction when "
        "the 95% confidence interval of the mean lies wholly on its side). The interval shown "
        "is the spread of single runs (2.5% to 97.5%): one seed is one story.",
        "",
        md_table(targets),
        "",
        *_record_lines(record),
        "## The hindcast by zone",
        "",
        "![hindcast](hindcast.png)",
        "",
        "## Small towns swing more [OV]",
        "",
        f"Spread over seeds of the 2007-2013 vacancy change: {towns[0]} town "
        f"{swing.iloc[0].sd_over_seeds_of_the_2007_2013_change:.4f}, {towns[1]} town "
        f"{swing.iloc[1].sd_over_seeds_of_the_2007_2013_change:.4f}: "
        f"**{'pass' if swing_pass else 'fail'}**.",
        "",
        md_table(swing),
        "",
        "Not mapped: the [OV] cross-section of Overijssel centres (Almelo to Deventer) is not "
        "compared with town presets, because the presets are stylised centres of three sizes, "
        "not samples of actual Dutch centres (the national mean of 2012 is a check target of "
        "the medium town above).",
        "",
        "## Emergent spatial patterns",
        "",
        "Measured on the year-end unit snapshots: vacancy by zone and by straight-line distance "
        "from the 100% location (the unit with the most passers-by), the rent gradient "
        "(log-linear, % per 100 m), the rent-footfall elasticity and Moran's I of vacancy "
        "(esda, 6 nearest neighbours). Nothing in the model sets these; they are reported "
        "as they emerge.",
        "",
        md_table(spatial),
        "",
        *sobol_lines,
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
