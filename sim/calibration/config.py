"""The calibration config file (TOML), validated strictly.

```toml
[calibration]
name = "historical"        # names the output folder and the overlay's provenance
scenario = "historical"    # the run the targets are measured on
town = "medium"
years = 7                  # recorded years from the scenario's start (2007-2013)
replicates = 4             # runs per particle, seeds shared by every particle (CRN)
seed = 2026                # root seed: replicate seeds and the sampler's draws
targets = "fit"            # "fit" (every fit target) or a list of target names

[budget]
population_size = 60       # particles per ABC-SMC generation
max_generations = 6
max_simulations = 4000     # particles simulated in total (each = `replicates` runs)
max_hours = 2.0            # wall-clock limit
min_epsilon = 1.0          # stop when the acceptance threshold falls below this distance

[screening]                # optional: Morris screening of candidates (--screen)
trajectories = 8
replicates = 2
[screening.parameters]
exit_patience_months = { low = 6, high = 24 }

[parameters]               # uniform priors; NAME, MAP.KEY or MAP (keys with one default)
"fixed_cost_per_m2.independent" = { low = 20, high = 80 }
entrant_optimism = { low = 0.8, high = 1.5 }
```

Only free parameters may be calibrated: those whose source in `_defaults.toml` is a
calibration or a neutral value (a value a source document gives, or a reasoned structural
assumption, is never refitted). Every mistake is one line
naming the file, the field and what is allowed (`CalibrationConfigError`).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..limits import MAX_SEED, MAX_TEXT_FILE_BYTES
from ..safeio import FileReadError, read_text_limited
from ..scenarios.schema import PARAMS
from .targets import TARGETS


class CalibrationConfigError(ValueError):
    """A bad calibration config (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Run(_Strict):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    scenario: str = "historical"
    town: str = "medium"
    town_seed: int = Field(0, ge=0, le=MAX_SEED)
    years: int = Field(7, ge=1, le=40)
    replicates: int = Field(4, ge=1, le=100)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    targets: Literal["fit"] | list[str] = "fit"


class Budget(_Strict):
    population_size: int = Field(60, ge=4, le=100_000)
    max_generations: int = Field(6, ge=1, le=100)
    max_simulations: int = Field(4000, ge=1)
    max_hours: float = Field(2.0, gt=0, le=24 * 30)
    min_epsilon: float = Field(1.0, ge=0)


class Prior(_Strict):
    low: float
    high: float


class _Screening(_Strict):
    trajectories: int = Field(8, ge=2, le=1000)
    levels: int = Field(4, ge=2, le=20)
    replicates: int = Field(2, ge=1, le=100)
    parameters: dict[str, Prior]


class Screening(BaseModel):
    """The Morris screening's design and its candidate parameters (name -> (low, high))."""

    model_config = ConfigDict(frozen=True)
    trajectories: int
    levels: int
    replicates: int
    priors: dict[str, tuple[float, float]]


class _File(_Strict):
    calibration: Run
    budget: Budget = Budget()
    parameters: dict[str, Prior]
    screening: _Screening | None = None


class CalibrationConfig(BaseModel):
    """A validated config: the run, the budget and the priors (name -> (low, high))."""

    model_config = ConfigDict(frozen=True)
    path: str
    run: Run
    budget: Budget
    priors: dict[str, tuple[float, float]]
    target_names: tuple[str, ...]
    screening: Screening | None = None

    def override(self, values: dict[str, float]) -> dict[str, Any]:
        """Parameter overrides for `sim.run` from ``{prior name: value}`` (map keys nested)."""
        out: dict[str, Any] = {}
        for name, v in values.items():
            base, _, key = name.partition(".")
            value = round(v) if PARAMS[base].kind == "int" else float(v)
            if key:
                out.setdefault(base, {})[key] = value
            else:
                out[base] = value
        return out


def _default(name: str) -> Any:
    from ..scenarios.loader import load_scenario

    return load_scenario("_defaults").params[name]


def _free(name: str) -> bool:
    """Whether ``name`` is free: its source in `_defaults.toml` is a calibration, or a neutral
    value awaiting one (a value without a source stays neutral until calibrated)."""
    from ..scenarios.loader import load_scenario

    source = load_scenario("_defaults").sources.get(name, "").lower()
    return "calibration" in source or source.startswith("neutral")


def _check_prior(path: Path, name: str, prior: Prior, table: str = "parameters"
                 ) -> tuple[float, float]:
    base, dot, key = name.partition(".")
    spec = PARAMS.get(base)
    where = f"{path}: {table}.{name}"
    if spec is None:
        raise CalibrationConfigError(f"{where} is not a known parameter; see `binnenstad "
                                     f"params` for the {len(PARAMS)} allowed names")
    if spec.kind in ("bool", "matrix") or spec.unit == "bool":
        raise CalibrationConfigError(f"{where}: a {spec.kind} parameter cannot be calibrated; "
                                     "allowed: numbers and keys of numeric maps")
    if spec.kind == "map" and not dot and len(set(_default(base).values())) > 1:
        # One value for the whole map only where its keys share one default (it then moves
        # them together); otherwise name a key.
        raise CalibrationConfigError(f"{where} is a map whose keys differ; name one key: "
                                     f"{', '.join(f'{base}.{k}' for k in spec.keys)}")
    if dot and (spec.kind != "map" or key not in spec.keys):
        allowed = ", ".join(spec.keys) if spec.kind == "map" else "none (a single value)"
        raise CalibrationConfigError(f"{where}: {key!r} is not a key of {base}; allowed: "
                                     f"{allowed}")
    lo, hi = prior.low, prior.high
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise CalibrationConfigError(f"{where}: low = {lo:g} and high = {hi:g}; allowed: finite "
                                     "numbers with low < high")
    if (spec.lo is not None and lo < spec.lo) or (spec.hi is not None and hi > spec.hi):
        raise CalibrationConfigError(f"{where}: prior [{lo:g}, {hi:g}] leaves the schema range "
                                     f"[{spec.lo:g}, {spec.hi:g}] of {base}")
    if not _free(base):
        raise CalibrationConfigError(f"{where}: {base} has a source document value, not a "
                                     "calibration one; allowed: free parameters (source "
                                     "'calibration' or 'neutral' in _defaults.toml)")
    return float(lo), float(hi)


def load_config(path: str | Path) -> CalibrationConfig:
    """Read and validate a calibration config (raises `CalibrationConfigError`)."""
    p = Path(path)
    try:  # a regular file within the text-file limit (sim.safeio)
        raw = tomllib.loads(read_text_limited(p, MAX_TEXT_FILE_BYTES))
    except FileReadError as exc:
        raise CalibrationConfigError(f"{p}: {exc}") from None
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        raise CalibrationConfigError(f"{p}: not valid TOML ({' '.join(str(exc).split())})"
                                     ) from None
    try:
        f = _File.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise CalibrationConfigError(f"{p}: {loc}: {err['msg']}") from None
    if not f.parameters:
        raise CalibrationConfigError(f"{p}: [parameters] is empty; allowed: at least one free "
                                     "parameter with a prior")
    priors = {name: _check_prior(p, name, prior) for name, prior in f.parameters.items()}
    if f.calibration.targets == "fit":
        names = tuple(t.name for t in TARGETS.values() if t.role == "fit")
    else:
        unknown = [t for t in f.calibration.targets if t not in TARGETS]
        if unknown:
            raise CalibrationConfigError(f"{p}: calibration.targets: {unknown[0]!r} is not a "
                                         f"target; allowed: fit, or any of "
                                         f"{', '.join(TARGETS)}")
        if not f.calibration.targets:
            raise CalibrationConfigError(f"{p}: calibration.targets is empty")
        names = tuple(f.calibration.targets)
    from ..scenarios.loader import ScenarioError, load_scenario

    try:
        sc = load_scenario(f.calibration.scenario)
    except ScenarioError as exc:
        raise CalibrationConfigError(f"{p}: calibration.scenario: {exc}") from None
    last = sc.start_year + f.calibration.years - 1
    for name in names:
        if TARGETS[name].needs_year > last:
            raise CalibrationConfigError(
                f"{p}: calibration.years = {f.calibration.years} ends in {last}, but target "
                f"{name} reads {TARGETS[name].needs_year}; allowed: years >= "
                f"{TARGETS[name].needs_year - sc.start_year + 1}")
    screening = None
    if f.screening is not None:
        if f.screening.replicates > f.calibration.replicates:
            raise CalibrationConfigError(
                f"{p}: screening.replicates = {f.screening.replicates}; allowed: at most "
                f"calibration.replicates = {f.calibration.replicates}")
        screening = Screening(
            trajectories=f.screening.trajectories, levels=f.screening.levels,
            replicates=f.screening.replicates,
            priors={n: _check_prior(p, n, pr, "screening.parameters")
                    for n, pr in f.screening.parameters.items()})
    return CalibrationConfig(path=str(p), run=f.calibration, budget=f.budget, priors=priors,
                             target_names=names, screening=screening)
