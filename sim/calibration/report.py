"""The calibration's own report: ``report.md`` with its figures, next to the tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .targets import TARGETS


def _md_table(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append("" if np.isnan(v) else format(float(v), floatfmt))
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _figures(cfg: Any, result: Any, fit: pd.DataFrame, prior_fit: pd.DataFrame,
             folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(cfg.priors)
    ncol = 3
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 2.4 * nrow), squeeze=False)
    w = result.posterior.weight.to_numpy()
    for ax, name in zip(axes.flat, names, strict=False):
        lo, hi = cfg.priors[name]
        ax.hist(result.posterior[name], bins=15, range=(lo, hi), weights=w, density=True,
                color="#0072B2", alpha=0.8, label="posterior")
        ax.axhline(1.0 / (hi - lo), color="#E69F00", lw=2, label="prior")
        ax.set_title(name, fontsize=9)
        ax.set_xlim(lo, hi)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Posterior (weighted particles of the last generation) against the prior")
    fig.tight_layout()
    fig.savefig(folder / "posterior.png", dpi=110)
    plt.close(fig)

    g = result.generations
    fig, ax = plt.subplots(1, 2, figsize=(9, 3))
    ax[0].plot(g.t, g.epsilon, "o-", color="#0072B2")
    ax[0].set_xlabel("generation")
    ax[0].set_ylabel("acceptance threshold (distance)")
    ax[1].plot(g.t, g.acceptance_rate, "o-", color="#D55E00")
    ax[1].set_xlabel("generation")
    ax[1].set_ylabel("acceptance rate")
    fig.tight_layout()
    fig.savefig(folder / "generations.png", dpi=110)
    plt.close(fig)

    fitted = fit[fit.role == "fit"].set_index("target")
    before = prior_fit.set_index("target")
    z_after = [TARGETS[t].standardised(fitted.model_mean[t]) for t in fitted.index]
    z_before = [TARGETS[t].standardised(before.model_mean[t]) for t in fitted.index]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(fitted) + 1.2))
    y = np.arange(len(fitted))
    ax.axvspan(-2, 2, color="0.9", label="within 2 sd")
    ax.plot(z_before, y, "o", color="#E69F00", label="defaults")
    ax.plot(z_after, y, "s", color="#0072B2", label="calibrated")
    ax.set_yticks(y, fitted.index, fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("standardised shortfall (model - source) / sd; 0 for a direction met")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(folder / "fit.png", dpi=110)
    plt.close(fig)
    return ["posterior.png", "generations.png", "fit.png"]


def calibration_report(cfg: Any, result: Any, fit: pd.DataFrame, prior_fit: pd.DataFrame,
                       folder: Path) -> Path:
    """Write ``folder/report.md`` (and its figures); return its path."""
    from .fit import git_commit

    _figures(cfg, result, fit, prior_fit, folder)
    fitted = fit[fit.role == "fit"]
    g = result.generations
    summ = result.summary.copy()
    summ["identified"] = np.where(summ.identified, "yes", "no")
    both = fit.merge(prior_fit[["target", "model_mean", "result"]], on="target",
                     suffixes=("", "_defaults"))
    rows = both[["target", "role", "statement", "source", "observed", "model_mean_defaults",
                 "result_defaults", "model_mean", "model_q025", "model_q975", "result"]]
    lines = [
        f"# Calibration `{cfg.run.name}`",
        "",
        f"Config `{cfg.path}`, commit {git_commit()}. Scenario `{cfg.run.scenario}` on the "
        f"`{cfg.run.town}` town, {cfg.run.years} recorded years, {cfg.run.replicates} replicate "
        "runs per particle with seeds shared by every particle (common random numbers). "
        "ABC-SMC (pyabc) with uniform priors, the median distance of a generation as the next "
        f"threshold, {cfg.budget.population_size} particles a generation.",
        "",
        f"**Run.** {len(g)} generations, {int(g.evaluations.sum())} particles simulated "
        f"({int(g.evaluations.sum()) * cfg.run.replicates} runs) in "
        f"{g.wall_s.sum() / 60:.1f} min of sampling (`generations.csv`): "
        f"{result.runs_per_second:.2f} runs per second. "
        + f"Final threshold {g.epsilon.iloc[-1]:.3g}; mean posterior distance "
        f"{np.average(result.posterior.distance, weights=result.posterior.weight):.3g}. "
        f"Effective sample size of the last generation's weights: "
        f"{result.effective_sample_size:.1f} of {len(result.posterior)}"
        + (" - **the weights are degenerate**: the weighted quantiles rest on a few particles; "
           "read the unweighted spread of the accepted particles (`accepted_*` columns) as the "
           "set of values that fit within the final threshold."
           if result.effective_sample_size < 0.2 * len(result.posterior) else "."),
        "",
        "## Parameters",
        "",
        "Chosen value: the weighted posterior median. A parameter counts as identified by the "
        "targets when its 95% posterior interval is narrower than half its prior range.",
        "",
        _md_table(summ),
        "",
        "![posterior](posterior.png)",
        "",
        "![generations](generations.png)",
        "",
        "## Fit",
        "",
        f"Every target over {int(fit.runs.iloc[0])} runs with fresh seeds, at the defaults and "
        "at the chosen values (the interval is the spread of single runs, 2.5% to 97.5%; a "
        "level passes when the mean over the runs lies within the source's value +- 2 sd, a "
        "direction when the mean's 95% confidence interval lies wholly on its side). Fit "
        f"targets passed: {int((fitted.result == 'pass').sum())} of {len(fitted)} "
        f"(defaults: {int(((both.role == 'fit') & (both.result_defaults == 'pass')).sum())}).",
        "",
        _md_table(rows),
        "",
        "![fit](fit.png)",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path
