"""Global sensitivity analysis of a sweep with SALib: Morris screening or Sobol indices over the
spec's ``[sample.ranges]``, on replicate-averaged outcomes, with the stochastic (seed) share of
the variance.

The sample comes from `sim.batch.design.sample_matrix` (SALib's Morris or Saltelli/Sobol
sampler), each sample row is run ``replicates`` times with the common replicate seeds, and the
analysis uses the mean over replicates per row (one model evaluation = one replicate mean).

Stochastic share (law of total variance): ``seed_share = E_x[Var_seed(Y | x)] / Var(Y)`` is the
part of the outcome's variance over all runs that is due to the seed rather than the factors;
``seed_share_of_mean = (E_x[Var_seed(Y | x)] / R) / Var(mean_R Y)`` is what remains of it in the
replicate means the indices are computed from. A large ``seed_share_of_mean`` means the indices
are noisy: add replicates.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import Outcome, _save, available_outcomes, run_outcomes
from .design import Design, salib_problem

INDEX_COLUMNS = ["town", "scenario", "policy", "outcome", "factor", "method", "mu_star",
                 "mu_star_conf", "mu", "sigma", "S1", "S1_conf", "ST", "ST_conf"]
STOCHASTIC_COLUMNS = ["town", "scenario", "policy", "outcome", "points", "replicates",
                      "seed_share", "seed_share_of_mean"]


def _per_row(design: Design, manifest: pd.DataFrame, ts: pd.DataFrame,
             outcomes: list[Outcome], window_months: int) -> pd.DataFrame:
    """Long table: design cell (town, scenario, policy, row, replicate) x outcome -> value."""
    ok = set(manifest.loc[manifest["status"] == "ok", "run_id"])
    vals = run_outcomes(ts[ts["run_id"].isin(ok)], outcomes, window_months)
    cells = design.cells.merge(vals, on="run_id", how="left")
    return cells.melt(id_vars=["town", "scenario", "policy", "row", "replicate", "run_id"],
                      value_vars=[o.name for o in outcomes], var_name="outcome",
                      value_name="value")


def stochastic_share(y: np.ndarray) -> tuple[float, float]:
    """``(seed_share, seed_share_of_mean)`` of a points x replicates matrix (NaN for R < 2).

    ``seed_share`` splits the sample variance of all runs exactly (population variances, equal
    replicates per point), so it lies in [0, 1]; ``seed_share_of_mean`` compares the unbiased
    noise variance of a replicate mean with the variance of the replicate means (capped at 1).
    """
    n, r = y.shape
    if r < 2 or n < 2:
        return math.nan, math.nan
    total = float(np.var(y))
    share = float(np.var(y, axis=1).mean()) / total if total > 0 else math.nan
    noise_of_mean = float(np.var(y, axis=1, ddof=1).mean()) / r
    var_mean = float(np.var(y.mean(axis=1), ddof=1))
    share_mean = min(noise_of_mean / var_mean, 1.0) if var_mean > 0 else math.nan
    return share, share_mean


def analyse_sensitivity(design: Design, manifest: pd.DataFrame, ts: pd.DataFrame,
                        outcomes: list[str] | None = None, window_months: int = 12,
                        confidence: float = 0.95, seed: int = 0
                        ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Sensitivity indices and stochastic shares per town x scenario x policy x outcome.

    Returns ``(indices, stochastic, notes)``; groups with failed or missing runs are skipped
    (SALib needs the whole design) and named in ``notes``.
    """
    s = design.spec.sample
    if s is None or s.method not in ("morris", "sobol"):
        raise ValueError("sensitivity needs [sample] with method morris or sobol")
    problem = salib_problem(design.spec)
    chosen = available_outcomes(ts.columns, outcomes)
    long = _per_row(design, manifest, ts, chosen, window_months)
    n_rows = len(design.points)
    reps = design.spec.experiment.replicates
    idx_rows: list[dict[str, Any]] = []
    sto_rows = []
    notes = []
    for (town, scen, pol, outcome), g in long.groupby(["town", "scenario", "policy", "outcome"],
                                                      sort=False):
        y = g.pivot_table(index="row", columns="replicate", values="value", aggfunc="first",
                          dropna=False).reindex(index=range(n_rows), columns=range(reps))
        if y.isna().to_numpy().any():
            notes.append(f"{town}/{scen}/{pol}/{outcome}: {int(y.isna().to_numpy().sum())} "
                         "runs missing or failed; skipped")
            continue
        ymat = y.to_numpy(dtype=float)
        ybar = ymat.mean(axis=1)
        share, share_mean = stochastic_share(ymat)
        sto_rows.append((town, scen, pol, outcome, n_rows, reps, share, share_mean))
        base = {"town": town, "scenario": scen, "policy": pol, "outcome": outcome,
                "method": s.method}
        if s.method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, design.sample, ybar, num_levels=s.levels,
                                 conf_level=confidence, seed=np.random.default_rng(seed))
            for i, name in enumerate(problem["names"]):
                idx_rows.append({**base, "factor": name, "mu_star": res["mu_star"][i],
                                 "mu_star_conf": res["mu_star_conf"][i], "mu": res["mu"][i],
                                 "sigma": res["sigma"][i]})
        else:
            from SALib.analyze import sobol

            # A Generator, not the int: SALib's sobol.analyze treats seed 0 as "no seed"
            # (``if seed:``) and would draw its bootstrap from the global NumPy state.
            res = sobol.analyze(problem, ybar, calc_second_order=s.second_order,
                                conf_level=confidence, seed=np.random.default_rng(seed))
            for i, name in enumerate(problem["names"]):
                idx_rows.append({**base, "factor": name, "S1": res["S1"][i],
                                 "S1_conf": res["S1_conf"][i], "ST": res["ST"][i],
                                 "ST_conf": res["ST_conf"][i]})
    indices = pd.DataFrame(idx_rows, columns=INDEX_COLUMNS)
    stochastic = pd.DataFrame(sto_rows, columns=STOCHASTIC_COLUMNS)
    return indices, stochastic, notes


def plot_indices(indices: pd.DataFrame, stochastic: pd.DataFrame, title: str = "") -> Any:
    """One panel per outcome: Morris mu* (bars, with interval) and sigma (dots), or Sobol S1 and
    ST (bars, with intervals); the seed share of the replicate means in the panel title."""
    from matplotlib.figure import Figure

    from ..figures import OKABE_ITO

    outs = list(dict.fromkeys(indices["outcome"]))
    ncols = min(3, len(outs))
    nrows = math.ceil(len(outs) / ncols)
    fig = Figure(figsize=(4.4 * ncols, nrows * (0.35 * indices["factor"].nunique() + 1.8)))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(outs):]:
        ax.set_visible(False)
    for ax, outcome in zip(axes, outs, strict=False):
        d = indices[indices["outcome"] == outcome]
        y = np.arange(len(d))
        if d["method"].iloc[0] == "morris":
            scale = float(d["mu_star"].max()) or 1.0
            ax.barh(y, d["mu_star"] / scale, xerr=d["mu_star_conf"] / scale,
                    color=OKABE_ITO["blue"], alpha=0.8, label="mu*")
            ax.plot(d["sigma"] / scale, y, "o", color=OKABE_ITO["vermillion"], ms=4, label="sigma")
            ax.set_xlabel("relative to largest mu*", fontsize=8)
        else:
            ax.barh(y - 0.2, d["S1"], height=0.4, xerr=d["S1_conf"], color=OKABE_ITO["blue"],
                    label="S1")
            ax.barh(y + 0.2, d["ST"], height=0.4, xerr=d["ST_conf"], color=OKABE_ITO["orange"],
                    label="ST")
            ax.set_xlabel("Sobol index", fontsize=8)
        ax.set_yticks(y, d["factor"], fontsize=7)
        ax.invert_yaxis()
        st = stochastic[stochastic["outcome"] == outcome]
        share = float(st["seed_share_of_mean"].iloc[0]) if len(st) else math.nan
        ax.set_title(f"{outcome}\nseed share of means: {share:.0%}" if np.isfinite(share)
                     else outcome, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"Sensitivity{title}", fontsize=9)
    fig.tight_layout()
    return fig


def write_sensitivity(root: Path, indices: pd.DataFrame, stochastic: pd.DataFrame,
                      figures: bool = True, max_figures: int = 4) -> list[Path]:
    """Write ``indices.csv``, ``stochastic.csv`` and one figure per town x scenario x policy (up to
    ``max_figures``) into ``root/sensitivity``, replaced as a whole (`sim.outdir.ResultsFolder`);
    text a spreadsheet would run as a formula is written as text (`sim.safetext`)."""
    from ..outdir import ResultsFolder

    folder = ResultsFolder(Path(root) / "sensitivity", replaceable=None).open()
    names: list[str] = []
    try:
        folder.write(lambda tmp: names.extend(_write_files(tmp, indices, stochastic, figures,
                                                           max_figures)))
        folder.commit()
    except BaseException:
        folder.abort()
        raise
    return [folder.path / n for n in names]


def _write_files(folder: Path, indices: pd.DataFrame, stochastic: pd.DataFrame, figures: bool,
                 max_figures: int) -> list[str]:
    from ..safeio import file_part
    from ..safetext import csv_frame

    written = []
    for name, df in (("indices", indices), ("stochastic", stochastic)):
        csv_frame(df).to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")
        written.append(f"{name}.csv")
    if not figures or indices.empty:
        return written
    groups = indices[["town", "scenario", "policy"]].drop_duplicates()
    for town, scen, pol in groups.head(max_figures).itertuples(index=False):
        sel = (indices["town"] == town) & (indices["scenario"] == scen) & (
            indices["policy"] == pol)
        ssel = (stochastic["town"] == town) & (stochastic["scenario"] == scen) & (
            stochastic["policy"] == pol)
        name = f"indices_{file_part(f'{town}_{scen}_{pol}', 120)}.png"
        _save(plot_indices(indices[sel], stochastic[ssel], f" - {town}, {scen}, {pol}"),
              folder / name)
        written.append(name)
    return written
