"""Which free parameters move the calibration targets? Morris screening (SALib).

Before fitting, ``binnenstad calibrate CONFIG --screen`` runs a Morris elementary-effects design
(Morris 1991; Campolongo et al. 2007's mu*) over the candidate parameters of the config's
``[screening]`` table, each point over the replicate seeds shared by all points, through the
sweep layer's executor. The indices of the calibration distance and of every target tell which
parameters the targets can identify; the config's ``[parameters]`` are the ones chosen from it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..safetext import csv_frame
from .config import CalibrationConfig
from .fit import abc_name, particle_model
from .model import RAW, ParticleModel, Z, distance


def _evaluate(task: tuple[int, ParticleModel, dict[str, float]]) -> tuple[int, dict[str, float]]:
    index, model, values = task
    return index, model(values)


def screen(cfg: CalibrationConfig, out: Path, executor: Any, progress: Any = None
           ) -> pd.DataFrame:
    """Run the Morris design and write ``out/screening/{design,indices}.csv`` and a figure;
    return the indices (one row per parameter and output, ranked by mu* of the distance)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    s = cfg.screening
    if s is None:
        raise ValueError(f"{cfg.path}: has no [screening] table")
    names = list(s.priors)
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(s.priors[n]) for n in names]}
    x = morris_sample.sample(problem, N=s.trajectories, num_levels=s.levels, seed=cfg.run.seed)
    model = particle_model(cfg)
    model = replace(model, seeds=model.seeds[: s.replicates],
                    params_map=tuple((abc_name(n), n) for n in names))
    tasks = [(i, model, {abc_name(n): float(v) for n, v in zip(names, row, strict=True)})
             for i, row in enumerate(x)]
    results: dict[int, dict[str, float]] = {}
    for _task, res in executor.map_unordered(_evaluate, tasks):
        if isinstance(res, BaseException):
            raise res
        results[res[0]] = res[1]
        if progress is not None:
            progress(len(results), len(tasks))
    rows = [results[i] for i in range(len(tasks))]
    design = pd.DataFrame(x, columns=names)
    design["distance"] = [distance(r) for r in rows]
    for t in cfg.target_names:
        design[t] = [r[f"{RAW}{t}"] for r in rows]
        design[f"z_{t}"] = [r[f"{Z}{t}"] for r in rows]
    folder = out / "screening"
    folder.mkdir(parents=True, exist_ok=True)
    csv_frame(design).to_csv(folder / "design.csv", index=False)
    indices = []
    for output in ["distance", *cfg.target_names]:
        y = design[output].to_numpy(dtype=float)
        finite = np.isfinite(y)
        if not finite.all():  # Morris needs every point; a failed point is replaced by the worst
            y = np.where(finite, y, np.nanmax(np.where(finite, y, np.nan)))
        si = morris_analyze.analyze(problem, x, y, num_levels=s.levels, seed=cfg.run.seed)
        for j, n in enumerate(names):
            indices.append({"output": output, "parameter": n, "mu_star": si["mu_star"][j],
                            "mu_star_conf": si["mu_star_conf"][j], "sigma": si["sigma"][j],
                            "mu": si["mu"][j]})
    idx = pd.DataFrame(indices)
    order = (idx[idx.output == "distance"].sort_values("mu_star", ascending=False)
             .parameter.tolist())
    idx["rank"] = idx.parameter.map({n: i + 1 for i, n in enumerate(order)})
    idx = idx.sort_values(["output", "rank"]).reset_index(drop=True)
    csv_frame(idx).to_csv(folder / "indices.csv", index=False)
    _figure(idx[idx.output == "distance"], folder / "morris_distance.png")
    return idx


def _figure(idx: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = idx.sort_values("mu_star")
    fig, ax = plt.subplots(figsize=(7, max(3, 0.28 * len(idx))))
    ax.barh(idx.parameter, idx.mu_star, xerr=idx.mu_star_conf, color="#0072B2")
    ax.set_xlabel("Morris mu* of the calibration distance (standardised units)")
    ax.set_title("Which free parameters move the fit to the targets")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
