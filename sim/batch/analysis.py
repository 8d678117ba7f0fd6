"""Analyse a sweep: per-run outcomes, summaries with bootstrap intervals, paired effects of each
policy against the reference policy (``none``), robustness across scenarios with the [P31] verdict,
and figures.

Outcomes are defined in one table, `OUTCOMES` (`sim.batch.outcomes`, re-exported here): the
timeseries column each is read from, how a run is reduced to one number (the mean over the last
``window_months`` months, or the last value for cumulative quantities), and which direction is good.
Outcomes whose column the model does not record (older results) are skipped.

Effects are paired per replicate: policy and reference runs of the same town, scenario, point and
replicate share their seed (common random numbers), so ``effect_r = policy_r - reference_r`` has the
seed's noise removed; the effect is the mean over replicates with a percentile bootstrap interval
(fixed seed per group, so a result does not change when other groups are added).

[P31] robustness rule: a measure that helps in three or four of the four futures is safe; one
that helps in only one is a gamble. With M scenarios: ``safe`` when it helps (significantly) in
at least 3/4 of them, ``gamble`` when in exactly one, ``conditional`` in between, ``no_help``
when in none.
"""

from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .design import KEY_COLUMNS
from .outcomes import _OUTCOMES, OUTCOMES, Outcome

VERDICTS = ("safe", "conditional", "gamble", "no_help")


@dataclass
class Analysis:
    """Tables of an analysis (see the module docstring)."""

    values: pd.DataFrame
    summary: pd.DataFrame
    effects: pd.DataFrame
    robustness: pd.DataFrame
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ outcomes
def available_outcomes(columns: Any, names: list[str] | None = None) -> list[Outcome]:
    """The outcomes (all, or ``names``) whose column is among ``columns``."""
    chosen = [OUTCOMES[n] for n in names] if names else list(_OUTCOMES)
    return [o for o in chosen if o.column in set(columns)]


def run_outcomes(ts: pd.DataFrame, outcomes: list[Outcome], window_months: int = 12
                 ) -> pd.DataFrame:
    """One row per ``run_id``, one column per outcome (see `Outcome.reduce`)."""
    ts = ts.sort_values(["run_id", "step"])
    g = ts.groupby("run_id", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(ts["run_id"].unique()), name="run_id"))
    means = [o for o in outcomes if o.reduce == "mean"]
    lasts = [o for o in outcomes if o.reduce == "last"]
    if means:
        tail = g.tail(window_months).groupby("run_id")[[o.column for o in means]].mean()
        for o in means:
            out[o.name] = tail[o.column]
    if lasts:
        last = g[[o.column for o in lasts]].last()
        for o in lasts:
            out[o.name] = last[o.column]
    return out.reset_index()


def outcome_values(manifest: pd.DataFrame, ts: pd.DataFrame, outcomes: list[Outcome],
                   window_months: int = 12) -> pd.DataFrame:
    """Long table: the manifest's keys of every ok run x outcome, with its ``value``."""
    ok = manifest[manifest["status"] == "ok"]
    per_run = run_outcomes(ts, outcomes, window_months)
    keys = [c for c in KEY_COLUMNS if c in ok.columns]
    wide = ok[keys].merge(per_run, on="run_id", how="inner")
    return wide.melt(id_vars=keys, value_vars=[o.name for o in outcomes], var_name="outcome",
                     value_name="value")


# ------------------------------------------------------------------------------ statistics
def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(
        seed, spawn_key=(zlib.crc32(key.encode()),)))


def bootstrap_ci(x: np.ndarray, n_boot: int, confidence: float, rng: np.random.Generator
                 ) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``x`` (NaN for fewer than 2 values)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return math.nan, math.nan
    if np.all(x == x[0]):
        return float(x[0]), float(x[0])
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    means = x[idx].mean(axis=1)
    a = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return float(lo), float(hi)


def _group_stats(df: pd.DataFrame, by: list[str], col: str, n_boot: int, confidence: float,
                 seed: int) -> pd.DataFrame:
    rows = []
    for key, grp in df.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        x = grp[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        lo, hi = bootstrap_ci(x, n_boot, confidence, _rng(seed, repr(key)))
        rows.append((*key, len(x), float(x.mean()) if len(x) else math.nan,
                     float(x.std(ddof=1)) if len(x) > 1 else math.nan, lo, hi))
    return pd.DataFrame(rows, columns=[*by, "n", "mean", "sd", "ci_low", "ci_high"])


def summarise(values: pd.DataFrame, n_boot: int = 2000, confidence: float = 0.95,
              seed: int = 0) -> pd.DataFrame:
    """Per town x scenario x policy x point and outcome: n, mean, sd and bootstrap interval of the
    mean over replicates."""
    by = ["town", "scenario", "policy", "point", "outcome"]
    return _group_stats(values, by, "value", n_boot, confidence, seed)


def judge(mean_lo: float, mean_hi: float, good: str | None) -> str:
    """``good``, ``bad`` or ``neutral`` (interval includes 0); ``""`` for outcomes without a
    direction or without an interval."""
    if good is None or not (np.isfinite(mean_lo) and np.isfinite(mean_hi)):
        return ""
    if mean_lo > 0:
        return "good" if good == "higher" else "bad"
    if mean_hi < 0:
        return "good" if good == "lower" else "bad"
    return "neutral"


def paired_effects(values: pd.DataFrame, reference: str = "none", n_boot: int = 2000,
                   confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Policy minus reference, paired per replicate (same town, scenario, point, seed).

    Columns: ``scenario, policy, outcome, mean, ci_low, ci_high`` (the effect and its bootstrap
    interval), then ``town, point, n`` (pairs), ``reference_mean``, ``significant`` and
    ``judgement`` (good / neutral / bad by the outcome's direction).
    """
    cols = ["scenario", "policy", "outcome", "mean", "ci_low", "ci_high", "town", "point", "n",
            "reference_mean", "significant", "judgement"]
    if values.empty or reference not in set(values["policy"]):
        return pd.DataFrame(columns=cols)
    pair = ["town", "scenario", "point", "replicate", "outcome"]
    ref = values[values["policy"] == reference][[*pair, "value"]].rename(
        columns={"value": "ref"})
    policies = values[values["policy"] != reference]
    d = policies.merge(ref, on=pair, how="inner")
    d["diff"] = d["value"] - d["ref"]
    by = ["town", "scenario", "point", "policy", "outcome"]
    eff = _group_stats(d, by, "diff", n_boot, confidence, seed)
    refmean = d.groupby(by, sort=True)["ref"].mean().rename("reference_mean").reset_index()
    eff = eff.merge(refmean, on=by, how="left")
    eff["judgement"] = [judge(lo, hi, OUTCOMES[o].good if o in OUTCOMES else None)
                        for lo, hi, o in zip(eff["ci_low"], eff["ci_high"], eff["outcome"],
                                             strict=True)]
    eff["significant"] = (eff["ci_low"] > 0) | (eff["ci_high"] < 0)
    return eff[cols]


def verdict(good: int, n_scenarios: int) -> str:
    """[P31] verdict from the number of scenarios in which a lever helps (see module doc)."""
    if n_scenarios == 0:
        return ""
    if good / n_scenarios >= 0.75:
        return "safe"
    if good == 0:
        return "no_help"
    if good == 1:
        return "gamble"
    return "conditional"


def robustness(effects: pd.DataFrame, scenarios: list[str] | None = None) -> pd.DataFrame:
    """Per town x point x policy and outcome (with a direction): in how many scenarios the effect
    is significantly good, neutral or bad, and the [P31] verdict."""
    cols = ["policy", "outcome", "n_scenarios", "good", "neutral", "bad", "verdict",
            "good_in", "bad_in", "town", "point"]
    e = effects[effects["judgement"] != ""]
    if scenarios:
        e = e[e["scenario"].isin(scenarios)]
    if e.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (town, point, policy, outcome), g in e.groupby(["town", "point", "policy", "outcome"],
                                                       sort=True):
        counts = g["judgement"].value_counts()
        good, bad = int(counts.get("good", 0)), int(counts.get("bad", 0))
        rows.append((policy, outcome, len(g), good, int(counts.get("neutral", 0)), bad,
                     verdict(good, len(g)),
                     " ".join(sorted(g.loc[g["judgement"] == "good", "scenario"])),
                     " ".join(sorted(g.loc[g["judgement"] == "bad", "scenario"])), town, point))
    return pd.DataFrame(rows, columns=cols)


def _attach_factors(df: pd.DataFrame, manifest: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Add the uncertainty factor values of each point as columns."""
    if not factors or df.empty:
        return df
    pts = manifest[["point", *factors]].drop_duplicates("point")
    return df.merge(pts, on="point", how="left")


def analyse(manifest: pd.DataFrame, timeseries: pd.DataFrame, settings: Any = None,
            outcomes: list[str] | None = None, factors: list[str] | None = None
            ) -> Analysis:
    """Outcome values, summary, paired effects and robustness of a sweep's results.

    Args:
        manifest: the sweep's manifest (`Store.manifest`).
        timeseries: its timeseries table (at least ``run_id``, ``step`` and outcome columns).
        settings: a spec's ``[analysis]`` table (`AnalysisTable`) or None for the defaults.
        outcomes: outcome names (default: the settings' list, else every recorded outcome).
        factors: uncertainty factor columns to attach to the tables.
    """
    from .spec import AnalysisTable

    s = settings or AnalysisTable()
    names = outcomes or s.outcomes
    chosen = available_outcomes(timeseries.columns, names)
    notes = []
    if names:
        missing = [n for n in names if OUTCOMES[n].column not in set(timeseries.columns)]
        if missing:
            notes.append(f"not recorded by this model version, skipped: {', '.join(missing)}")
    values = outcome_values(manifest, timeseries, chosen, s.window_months)
    summary = summarise(values, s.bootstrap, s.confidence, s.seed)
    effects = paired_effects(values, s.reference, s.bootstrap, s.confidence, s.seed)
    if effects.empty and not values.empty:
        policies = set(values["policy"])
        notes.append(f"no paired effects: no policy other than {s.reference!r}"
                     if policies == {s.reference} else
                     f"no paired effects: the sweep has no {s.reference!r} policy to compare with")
    robust = robustness(effects, s.robustness_scenarios)
    factors = factors or []
    return Analysis(values, _attach_factors(summary, manifest, factors),
                    _attach_factors(effects, manifest, factors), robust, chosen, notes)


# ------------------------------------------------------------------------------ figures
def _save(fig: Any, path: Path) -> None:
    from .store import TMP_PREFIX

    tmp = path.with_name(f"{TMP_PREFIX}{path.name}")
    fig.savefig(tmp, dpi=110, format="png")
    os.replace(tmp, path)


def plot_effects(effects: pd.DataFrame, outcome: Outcome, title: str = "") -> Any:
    """Heat map of one outcome's effects: rows = policies, columns = scenarios; colour = how good
    the effect is (green good, red bad, scaled to the largest); text = mean and interval;
    effects whose interval includes 0 are greyed."""
    from matplotlib.figure import Figure

    e = effects[effects["outcome"] == outcome.name]
    pols = list(dict.fromkeys(e["policy"]))
    scens = list(dict.fromkeys(e["scenario"]))
    sign = {"lower": -1.0, "higher": 1.0}.get(outcome.good or "", 0.0)
    grid = np.full((len(pols), len(scens)), np.nan)
    text = [["" for _ in scens] for _ in pols]
    sig = np.zeros_like(grid, dtype=bool)
    for r in e.itertuples():
        i, j = pols.index(r.policy), scens.index(r.scenario)
        grid[i, j] = sign * r.mean if sign else r.mean
        text[i][j] = f"{r.mean:.3g}\n[{r.ci_low:.3g}, {r.ci_high:.3g}]"
        sig[i, j] = bool(r.significant)
    scale = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
    scale = scale if scale > 0 else 1.0
    fig = Figure(figsize=(1.9 * len(scens) + 3.0, 0.55 * len(pols) + 1.8))
    ax = fig.subplots()
    im = ax.imshow(grid / scale, cmap="RdYlGn" if sign else "coolwarm", vmin=-1, vmax=1,
                   aspect="auto")
    for i in range(len(pols)):
        for j in range(len(scens)):
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=7,
                    color="black" if sig[i, j] else "#888888",
                    fontweight="bold" if sig[i, j] else "normal")
    ax.set_xticks(range(len(scens)), scens, rotation=20, ha="right", fontsize=8)
    ax.set_yticks(range(len(pols)), pols, fontsize=8)
    good = f"; {outcome.good} is better" if outcome.good else ""
    ax.set_title(f"Effect on {outcome.label} ({outcome.unit}{good}){title}", fontsize=9)
    cb = fig.colorbar(im, ax=ax, fraction=0.04)
    cb.set_label("good <-> bad (scaled)" if sign else "scaled effect", fontsize=8)
    if sign:
        cb.set_ticks([-1, 0, 1], labels=["bad", "0", "good"])
    fig.tight_layout()
    return fig


def plot_robustness(robust: pd.DataFrame, title: str = "") -> Any:
    """Matrix of policies x outcomes: scenarios where the effect is good minus bad, with the
    verdict."""
    from matplotlib.figure import Figure

    pols = list(dict.fromkeys(robust["policy"]))
    outs = list(dict.fromkeys(robust["outcome"]))
    grid = np.full((len(pols), len(outs)), np.nan)
    text = [["" for _ in outs] for _ in pols]
    m = max(int(robust["n_scenarios"].max()), 1)
    for r in robust.itertuples():
        i, j = pols.index(r.policy), outs.index(r.outcome)
        grid[i, j] = (r.good - r.bad) / m
        text[i][j] = f"{r.verdict}\n+{r.good} / -{r.bad}"
    fig = Figure(figsize=(1.5 * len(outs) + 3.0, 0.5 * len(pols) + 1.8))
    ax = fig.subplots()
    ax.imshow(grid, cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
    for i in range(len(pols)):
        for j in range(len(outs)):
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(outs)), outs, rotation=20, ha="right", fontsize=8)
    ax.set_yticks(range(len(pols)), pols, fontsize=8)
    ax.set_title(f"Robustness over {m} scenarios (+helps / -harms){title}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_timeseries(ts: pd.DataFrame, manifest: pd.DataFrame, outcome: Outcome,
                    title: str = "") -> Any:
    """Monthly mean over replicates per policy (lines) with the 10-90% replicate band, one panel
    per scenario."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    keys = manifest.loc[manifest["status"] == "ok", ["run_id", "scenario", "policy"]]
    d = ts[["run_id", "date", outcome.column]].merge(keys, on="run_id")
    scens = list(dict.fromkeys(keys["scenario"]))
    pols = list(dict.fromkeys(keys["policy"]))
    fig = Figure(figsize=(4.2 * len(scens), 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(scens), sharey=True, squeeze=False)[0])
    from ..figures import SERIES_COLOURS

    # Colour-blind-safe (Okabe-Ito); past seven policies the line style tells them apart.
    palette = [c for c in SERIES_COLOURS if c != "#000000"]
    colours = ["black" if p == "none" else palette[i % len(palette)] for i, p in enumerate(pols)]
    styles = ["--" if p == "none" else ("-", ":")[(i // len(palette)) % 2]
              for i, p in enumerate(pols)]
    for ax, sc in zip(axes, scens, strict=True):
        sub = d[d["scenario"] == sc]
        for pol, col, ls in zip(pols, colours, styles, strict=True):
            g = sub[sub["policy"] == pol].groupby("date")[outcome.column]
            if not len(g):
                continue
            mean, lo, hi = g.mean(), g.quantile(0.1), g.quantile(0.9)
            ax.plot(mean.index, mean.to_numpy(), color=col, lw=1.4, ls=ls, label=pol)
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=col, alpha=0.15,
                            lw=0)
        ax.set_title(sc, fontsize=9)
        loc = mdates.AutoDateLocator(maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel(f"{outcome.label} ({outcome.unit})", fontsize=8)
    axes[-1].legend(fontsize=6, frameon=False, loc="best")
    fig.suptitle(f"{outcome.label}: mean over replicates, band 10-90% of replicates{title}",
                 fontsize=9)
    fig.tight_layout()
    return fig


#: Most (town x point) combinations drawn; designs with more points get tables only.
MAX_FIGURE_GROUPS = 4


def write_analysis(root: Path, result: Analysis, manifest: pd.DataFrame,
                   timeseries: pd.DataFrame, figures: bool = True) -> list[Path]:
    """Write ``summary.csv``, ``effects.csv``, ``robustness.csv`` and figures into
    ``root/analysis``, replaced as a whole (`sim.outdir.ResultsFolder`: lock, temporary
    sibling, swap; a full disk is one line and leaves the previous analysis); return the paths
    written. Text a spreadsheet would run as a formula is written as text (`sim.safetext`)."""
    from ..outdir import ResultsFolder

    folder = ResultsFolder(Path(root) / "analysis", replaceable=None).open()
    names: list[str] = []
    try:
        folder.write(lambda tmp: names.extend(_write_analysis_files(
            tmp, result, manifest, timeseries, figures)))
        folder.commit()
    except BaseException:
        folder.abort()
        raise
    return [folder.path / n for n in names]


def _write_analysis_files(folder: Path, result: Analysis, manifest: pd.DataFrame,
                          timeseries: pd.DataFrame, figures: bool) -> list[str]:
    from ..safeio import file_part
    from ..safetext import csv_frame

    written = []
    for name, df in (("summary", result.summary), ("effects", result.effects),
                     ("robustness", result.robustness)):
        csv_frame(df).to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")
        written.append(f"{name}.csv")
    if not figures:
        return written
    groups = result.values[["town", "point"]].drop_duplicates().sort_values(["town", "point"])
    if len(groups) > MAX_FIGURE_GROUPS:
        result.notes.append(f"{len(groups)} town x point combinations: figures drawn for the "
                            f"first {MAX_FIGURE_GROUPS}")
    multi = len(groups) > 1
    for town, point in groups.head(MAX_FIGURE_GROUPS).itertuples(index=False):
        # a town label may be a file path: it becomes a safe part of the file name
        tag = f"_{file_part(town)}_p{point}" if multi else ""
        sub = f" - {town}, point {point}" if multi else f" - {town}"
        eff = result.effects[(result.effects["town"] == town) & (result.effects["point"] == point)]
        man = manifest[(manifest["town"] == town) & (manifest["point"] == point)]
        for o in result.outcomes:
            if not eff.empty:
                name = f"effects_{o.name}{tag}.png"
                _save(plot_effects(eff, o, sub), folder / name)
                written.append(name)
            name = f"timeseries_{o.name}{tag}.png"
            _save(plot_timeseries(timeseries, man, o, sub), folder / name)
            written.append(name)
        rob = result.robustness
        rob = rob[(rob["town"] == town) & (rob["point"] == point)] if not rob.empty else rob
        if not rob.empty:
            name = f"robustness{tag}.png"
            _save(plot_robustness(rob, sub), folder / name)
            written.append(name)
    return written
