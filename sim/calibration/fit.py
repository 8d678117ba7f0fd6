"""`binnenstad calibrate`: ABC-SMC (pyabc) over the free parameters, through the sweep layer.

The procedure (docs/calibration.md):

1. Priors: uniform over each parameter's range in the config (inside the schema range).
2. A particle is run over the replicate seeds shared by all particles (common random numbers);
   the fit targets are measured on each run and averaged (`sim.calibration.model`).
3. Distance: the Euclidean norm of the targets' standardised shortfalls.
4. ABC-SMC (Del Moral et al. 2012; pyabc, Klinger et al. 2018): the acceptance threshold is the
   median distance of the previous generation, proposals are a multivariate normal kernel
   around the previous particles; stop at ``min_epsilon``, ``max_generations``,
   ``max_simulations`` or ``max_hours``.
5. The chosen values are the posterior's weighted medians; the overlay carries them with their
   provenance (config, date, commit, distance, 95% interval).

The pyabc history is a SQLite database in the output folder: an interrupted calibration
resumes from its last complete generation when started again with the same config.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..limits import MAX_TEXT_FILE_BYTES
from ..provenance import git_commit as commit_of_tree
from ..safeio import FileReadError, read_text_limited
from .config import CalibrationConfig
from .model import RAW, ParticleModel, distance, replicate_seeds
from .sampler import ExecutorSampler
from .targets import TARGETS

#: Root of the seeds of the fit table (independent of the calibration's own replicate seeds, so
#: the fit is judged on runs the calibration did not see).
FIT_SEED_ROOT = 90210

#: A posterior is said to identify a parameter when its 95% interval is narrower than this
#: share of the prior's width.
IDENTIFIED_WIDTH = 0.5


def abc_name(name: str) -> str:
    """pyabc parameter name for a config name (``a.b`` -> ``a__b``)."""
    return name.replace(".", "__")


def particle_model(cfg: CalibrationConfig) -> ParticleModel:
    return ParticleModel(
        town=cfg.run.town, town_seed=cfg.run.town_seed, scenario=cfg.run.scenario,
        years=cfg.run.years, seeds=tuple(replicate_seeds(cfg.run.seed, cfg.run.replicates)),
        targets=cfg.target_names,
        params_map=tuple((abc_name(n), n) for n in cfg.priors))


def config_hash(cfg: CalibrationConfig) -> str:
    """What decides the calibration's results (not the budget, which may be raised to resume)."""
    key = {"run": cfg.run.model_dump(), "priors": cfg.priors,
           "population_size": cfg.budget.population_size, "targets": list(cfg.target_names)}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def git_commit() -> str:
    return commit_of_tree(short=10) or "unknown"


class ResumeError(ValueError):
    """The output folder holds a different calibration."""


@dataclass
class CalibrationResult:
    """A finished calibration: posterior particles, per-generation diagnostics and summaries."""

    posterior: pd.DataFrame      # parameter columns (config names), weight, distance
    generations: pd.DataFrame    # t, epsilon, particles, evaluations, acceptance_rate
    summary: pd.DataFrame        # per parameter: prior, posterior quantiles, width ratio
    chosen: dict[str, float]     # weighted posterior medians
    runs_per_second: float       # every run / the generations' sampling time (resume-safe)
    wall_seconds: float          # this invocation (a resume starts a new clock)
    runs_this_call: int = 0      # runs simulated by this invocation (0: nothing left to do)
    effective_sample_size: float = float("nan")  # of the last generation's weights (Kish)


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    cw = cw / cw[-1]
    return float(np.interp(q, cw - w[order] / (2 * w.sum()), x[order]))


def summarise(posterior: pd.DataFrame, priors: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = []
    w = posterior["weight"].to_numpy()
    for name, (lo, hi) in priors.items():
        x = posterior[name].to_numpy()
        q025, q50, q975 = (_weighted_quantile(x, w, q) for q in (0.025, 0.5, 0.975))
        ratio = (q975 - q025) / (hi - lo)
        a025, a50, a975 = np.quantile(x, [0.025, 0.5, 0.975])
        rows.append({"parameter": name, "prior_low": lo, "prior_high": hi,
                     "posterior_median": q50, "posterior_q025": q025, "posterior_q975": q975,
                     "width_ratio": ratio, "identified": bool(ratio < IDENTIFIED_WIDTH),
                     "accepted_median": float(a50), "accepted_q025": float(a025),
                     "accepted_q975": float(a975),
                     "accepted_width_ratio": float((a975 - a025) / (hi - lo))})
    return pd.DataFrame(rows)


def run_abc(cfg: CalibrationConfig, out: Path, executor: Any, progress: Any = None,
            log: Any = print) -> CalibrationResult:
    """Run (or resume) the ABC-SMC calibration into folder ``out``."""
    import logging
    import time

    import pyabc

    for name in ("ABC", "Epsilon", "Distance", "Acceptor", "Sampler", "History", "ABC.History"):
        logging.getLogger(name).setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / "calibration.json"
    h = config_hash(cfg)
    db = out / "abc.db"
    if meta_path.exists() or meta_path.is_symlink():
        try:
            old = json.loads(read_text_limited(meta_path, MAX_TEXT_FILE_BYTES))
        except (FileReadError, ValueError, RecursionError) as exc:
            raise ResumeError(f"{out}: unreadable calibration.json ({exc}); use another --out "
                              "or remove the folder") from None
        if not isinstance(old, dict):
            raise ResumeError(f"{out}: unreadable calibration.json (not a JSON object); use "
                              "another --out or remove the folder")
        if old.get("config_hash") != h:
            raise ResumeError(f"{out}: holds a calibration of another config "
                              f"({old.get('config')}); use another --out or remove it")
    prior = pyabc.Distribution(**{abc_name(n): pyabc.RV("uniform", lo, hi - lo)
                                  for n, (lo, hi) in cfg.priors.items()})
    sampler = ExecutorSampler(executor, cfg.run.seed, progress)
    abc = pyabc.ABCSMC(particle_model(cfg), prior, distance,
                       population_size=cfg.budget.population_size, sampler=sampler)
    t0 = time.perf_counter()
    if db.exists() and meta_path.exists():
        history = pyabc.History(f"sqlite:///{db}")
        abc.load(f"sqlite:///{db}", history.id)
        done = history.max_t + 1
        before = int(history.total_nr_simulations)
        log(f"resuming {cfg.run.name}: {done} generation(s) done")
    else:
        if db.exists():
            db.unlink()  # a database without its record is a start that never completed
        abc.new(f"sqlite:///{db}", {})
        meta_path.write_text(json.dumps({"config": cfg.path, "config_hash": h,
                                         "started": dt.datetime.now(dt.UTC).isoformat(),
                                         "commit": git_commit()}, indent=2))
        done = 0
        before = 0
    remaining = max(cfg.budget.max_generations - done, 0)
    if remaining:
        history = abc.run(minimum_epsilon=cfg.budget.min_epsilon,
                          max_nr_populations=remaining,
                          max_total_nr_simulations=cfg.budget.max_simulations,
                          max_walltime=dt.timedelta(hours=cfg.budget.max_hours))
    else:
        history = abc.history
    wall = time.perf_counter() - t0
    return collect(cfg, history, wall, before)


def collect(cfg: CalibrationConfig, history: Any, wall: float, sims_before: int = 0
            ) -> CalibrationResult:
    """The posterior and diagnostics from a pyabc history; ``sims_before``: particles the
    history held when this invocation started (a resume), so the speed is this call's own."""
    frame, w = history.get_distribution()
    posterior = pd.DataFrame({n: frame[abc_name(n)].to_numpy() for n in cfg.priors})
    posterior["weight"] = w
    pop = history.get_population()
    posterior["distance"] = [p.distance for p in pop.particles]
    pops = history.get_all_populations()
    sampling_s = float(pops.wall_time.sum())  # every generation, the calibration sample too
    pops = pops[pops.t >= 0]
    gens = pd.DataFrame({"t": pops.t.to_numpy(), "epsilon": pops.epsilon.to_numpy(),
                         "particles": pops.particles.to_numpy(),
                         "evaluations": pops.samples.to_numpy(),
                         "end_time": pd.to_datetime(pops.population_end_time).to_numpy(),
                         "wall_s": pops.wall_time.to_numpy(dtype=float)})
    gens["acceptance_rate"] = gens.particles / gens.evaluations
    runs = (int(history.total_nr_simulations) - sims_before) * cfg.run.replicates
    total_runs = int(history.total_nr_simulations) * cfg.run.replicates
    summary = summarise(posterior, cfg.priors)
    chosen = dict(zip(summary.parameter, summary.posterior_median, strict=True))
    w = posterior["weight"].to_numpy(dtype=float)
    ess = float(w.sum() ** 2 / np.sum(w**2)) if w.sum() > 0 else float("nan")
    return CalibrationResult(posterior, gens, summary, chosen,
                             runs_per_second=total_runs / sampling_s if sampling_s > 0
                             else float("nan"),
                             wall_seconds=wall, runs_this_call=runs,
                             effective_sample_size=ess)


def fit_table(cfg: CalibrationConfig, values: dict[str, float], seeds: list[int],
              executor: Any) -> pd.DataFrame:
    """Each target's value at ``values`` over ``seeds`` (one run each, through the executor),
    with its mean, 95% interval and verdict."""
    from ..scenarios.loader import load_scenario

    model = particle_model(cfg)
    last = load_scenario(cfg.run.scenario).start_year + cfg.run.years - 1
    # fit and check targets alike, as far as the run reaches (`validate` covers the rest)
    names = tuple(n for n, t in TARGETS.items() if t.needs_year <= last)
    per_seed = ParticleModel(**{**model.__dict__, "targets": names})
    tasks = [(per_seed, {abc_name(k): v for k, v in values.items()}, s) for s in seeds]
    rows = []
    for _task, res in executor.map_unordered(_one_seed, tasks):
        if isinstance(res, BaseException):
            raise res
        rows.append(res)
    return target_rows(pd.DataFrame(rows), cfg.target_names)


def _one_seed(task: tuple[ParticleModel, dict[str, float], int]) -> dict[str, float]:
    model, values, seed = task
    one = ParticleModel(**{**model.__dict__, "seeds": (seed,)})
    return {**{k[len(RAW):]: v for k, v in one(values).items() if k.startswith(RAW)},
            "seed": seed}


def target_rows(values: pd.DataFrame, fitted: tuple[str, ...]) -> pd.DataFrame:
    """Per target: source, observed, model mean and 95% interval over the runs, verdict."""
    rows = []
    for name, t in TARGETS.items():
        if name not in values:
            continue
        x = values[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        lo, hi = (np.quantile(x, [0.025, 0.975]) if len(x) else (np.nan, np.nan))
        mean = float(x.mean()) if len(x) else np.nan
        se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.inf
        verdict = t.passes(mean, se)
        rows.append({"target": name, "statement": t.statement, "source": t.source,
                     "role": "fit" if name in fitted else "check", "kind": t.kind,
                     "observed": t.observed, "tolerance_sd": t.sd,
                     "model_mean": mean,
                     "model_q025": float(lo), "model_q975": float(hi), "runs": len(x),
                     "result": {True: "pass", False: "fail", None: "reported"}[verdict]})
    return pd.DataFrame(rows)


def overlay_text(cfg: CalibrationConfig, result: CalibrationResult, fit: pd.DataFrame) -> str:
    """The `_calibrated.toml` overlay: the chosen values with their provenance."""
    from ..scenarios.schema import PARAMS

    date = dt.date.today().isoformat()
    commit = git_commit()
    fitted = fit[fit.role == "fit"]
    n_pass = int((fitted.result == "pass").sum())
    dist = float(np.average(result.posterior.distance, weights=result.posterior.weight))
    lines = [
        "# _calibrated: the values `binnenstad calibrate` fitted, with their provenance, over",
        "# `_defaults`. Written by `binnenstad calibrate CONFIG --install` (docs/calibration.md);",
        "# do not edit by hand.",
        f"# Calibration {cfg.run.name}: config {cfg.path}, {date}, commit {commit};",
        f"# {cfg.run.scenario} on the {cfg.run.town} town, {cfg.run.replicates} replicates per "
        f"particle; fit targets passed: {n_pass} of {len(fitted)}; mean posterior distance "
        f"{dist:.2f}.",
        "",
        "[scenario]",
        'name = "_calibrated"',
        'extends = "_defaults"',
        f'description = "Calibrated values over the defaults ({cfg.run.name}, {date})."',
        'source = "binnenstad calibrate (docs/calibration.md)"',
        "",
    ]
    by_base: dict[str, dict[str, float]] = {}
    scalars: dict[str, float] = {}
    for name, v in result.chosen.items():
        base, _, key = name.partition(".")
        v = round(v) if PARAMS[base].kind == "int" else round(float(v), 6)
        if key:
            by_base.setdefault(base, {})[key] = v
        else:
            scalars[base] = v
    summ = result.summary.set_index("parameter")

    def provenance(names: list[str]) -> str:
        parts = [f"{n} 95% [{summ.posterior_q025[n]:.4g}, {summ.posterior_q975[n]:.4g}] of "
                 f"prior [{summ.prior_low[n]:.4g}, {summ.prior_high[n]:.4g}]" for n in names]
        return (f"calibrated: {cfg.path}, {date}, commit {commit}, ABC-SMC posterior median "
                f"(mean distance {dist:.2f}); " + "; ".join(parts))

    for base, v in scalars.items():
        lines += [f"[params.{base}]", f"value = {v!r}", f'unit = "{PARAMS[base].unit}"',
                  f'source = "{provenance([base])}"', ""]
    for base, keys in by_base.items():
        table = ", ".join(f"{k} = {val!r}" for k, val in keys.items())
        lines += [f"[params.{base}]", f"value = {{ {table} }}", f'unit = "{PARAMS[base].unit}"',
                  f'source = "{provenance([f"{base}.{k}" for k in keys])}"', ""]
    return "\n".join(lines)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)
