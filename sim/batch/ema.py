"""Adapter for the EMA Workbench (optional extra ``ema``: ``pip install 'binnenstad[ema]'``).

`ema_model` returns an ``ema_workbench.ReplicatorModel`` whose

* **uncertainties** are scenario parameters and driver multipliers (the factor keys of a spec:
  ``contagion_strength``, ``spend_per_capita.fashion``, ``trajectories.online_share_fashion``)
  and, when several scenarios are given, the scenario itself (``preset``);
* **levers** are lever settings (``compaction:intensity``) and, when several policies are given,
  the policy, as the lever ``arm`` (EMA itself uses the names ``scenario`` and ``policy`` for
  its sample ids, so this one EMA parameter keeps the old word);
* **outcomes** are the outcomes of `sim.batch.analysis.OUTCOMES` (kind MINIMIZE / MAXIMIZE from
  their good direction), each the mean over replicates;
* **replications** carry the sweep's common replicate seeds, so every experiment sees the same
  seeds (paired comparisons, as in a sweep).

EMA names must be Python identifiers, so ``.`` and ``:`` in factor keys become ``__``
(``compaction__intensity``); `BinnenstadFunction.names` maps them back. Inputs are validated like
a spec (one-line `SpecError`). Example: ``experiments/ema_example.py``.

Scenario discovery (PRIM, CART): give EMA's analyses `discovery_inputs(experiments, model)`
rather than the raw experiments. EMA 3.0 with pandas 2-3 cannot inspect a PRIM box that
restricts a categorical column such as ``preset`` (it writes the set of kept categories into a
float table: "Invalid value ... for dtype 'float64'") and cannot paste on int64 columns
(EMAworkbench issue 448). `discovery_inputs` gives every categorical parameter one 0/1 column
per category (``preset=ontspannen_stad``: a box on it reads "in that future" or "not in it")
and every number as float64, so ``prim.Prim(x, y).find_box().inspect()`` and
``cart.CART(x, y).build_tree()`` work, with the futures among the dimensions::

    x = discovery_inputs(experiments, model)
    box = prim.Prim(x, outcomes["vacancy_rate"] > 0.15).find_box()
    box.inspect()
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .analysis import OUTCOMES, Outcome, run_outcomes
from .design import replicate_seeds
from .factors import apply_levers, parse_factor, scenario_changes
from .spec import NONE, ExperimentSpec, parse_spec


def ema_name(key: str) -> str:
    """A factor key as an EMA (identifier) name: ``compaction:intensity`` ->
    ``compaction__intensity``."""
    return re.sub(r"[.:]", "__", key)


@dataclass
class BinnenstadFunction:
    """The model function EMA calls: experiment values -> outcomes of one replication.

    A plain picklable object, so EMA's multiprocessing evaluator can ship it to workers.
    """

    town: str
    scenarios: dict[str, str]
    starts: dict[str, int]
    years: dict[str, int]
    arm: str = NONE
    names: dict[str, str] = field(default_factory=dict)
    outcomes: tuple[str, ...] = ()
    window_months: int = 12
    town_seed: int = 0
    backend: str = "numba"

    def __call__(self, seed: int, preset: str | None = None, arm: str | None = None,
                 **values: Any) -> dict[str, float]:
        from .worker import _scenario, _town

        scen = preset or next(iter(self.scenarios))
        fvals = {parse_factor(self.names[k]): v for k, v in values.items()}
        fvals = {f: f.coerce(v) for f, v in fvals.items()}
        _, levers = apply_levers(arm or self.arm, fvals)
        overrides, scales = scenario_changes(fvals)
        import json

        from ..runner import run

        sc = _scenario(self.scenarios[scen], json.dumps(overrides, sort_keys=True),
                       tuple(sorted(scales.items())))
        res = run(_town(self.town, self.town_seed), sc, list(levers), start=self.starts[scen],
                  years=self.years[scen], seed=int(seed), out=None, backend=self.backend,
                  town_seed=self.town_seed, figures=False)
        chosen = [OUTCOMES[o] for o in self.outcomes]
        vals = run_outcomes(res.timeseries.assign(run_id="run"), chosen, self.window_months)
        return {o.name: float(vals[o.name].iloc[0]) for o in chosen}


def _validated(town: str, scenarios: Sequence[str], policies: Sequence[str],
               uncertainties: dict[str, Any], levers: dict[str, Any], start: int | None,
               years: int | None, outcomes: Sequence[str]) -> ExperimentSpec:
    ranges = {k: list(v) for k, v in {**uncertainties, **levers}.items()
              if isinstance(v, tuple)}
    grid = {k: list(v) for k, v in {**uncertainties, **levers}.items() if isinstance(v, list)}
    raw: dict[str, Any] = {
        "experiment": {"name": "ema", "towns": [town], "scenarios": list(scenarios),
                       "policies": list(policies), "start": start, "years": years},
        "analysis": {"outcomes": list(outcomes)},
    }
    raw["experiment"] = {k: v for k, v in raw["experiment"].items() if v is not None}
    if grid:
        raw["grid"] = grid
    if ranges:
        raw["sample"] = {"method": "lhs", "n": 1, "ranges": ranges}
    return parse_spec(raw, source="ema_model")


def _parameter(ema: Any, key: str, spec: Any) -> Any:
    f = parse_factor(key)
    name = ema_name(key)
    if isinstance(spec, list):
        return ema.CategoricalParameter(name, spec)
    lo, hi = spec
    if f.dtype == "int":
        return ema.IntegerParameter(name, round(lo), round(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def _outcome(ema: Any, o: Outcome) -> Any:
    import numpy as np

    kind = {"lower": ema.ScalarOutcome.MINIMIZE, "higher": ema.ScalarOutcome.MAXIMIZE}.get(
        o.good or "", ema.ScalarOutcome.INFO)
    return ema.ScalarOutcome(o.name, kind=kind, function=np.mean)


def ema_model(name: str = "binnenstad", *, town: str = "small",
              scenarios: Sequence[str] = ("baseline",), policies: Sequence[str] = (NONE,),
              uncertainties: dict[str, tuple[float, float] | list[Any]] | None = None,
              levers: dict[str, tuple[float, float] | list[Any]] | None = None,
              outcomes: Sequence[str] | None = None, replicates: int = 3, seed: int = 0,
              start: int | None = None, years: int | None = None, window_months: int = 12,
              town_seed: int = 0) -> Any:
    """Build an ``ema_workbench.ReplicatorModel`` of binnenstad (see the module docstring).

    Args:
        town: town preset or file.
        scenarios: scenario presets or files; more than one adds the uncertainty ``preset``.
        policies: policies (combinations of levers); more than one adds the EMA lever ``arm``
            (EMA reserves ``policy``). Lever settings in ``levers`` apply to the policies'
            levers.
        uncertainties: factor key -> ``(low, high)`` (real or integer range) or a list of values
            (categorical).
        levers: lever-setting key (``lever:setting``) -> ``(low, high)`` or a list of values.
        outcomes: outcome names (default: all recorded by the model).
        replicates, seed: replications, with the seeds of `sim.batch.design.replicate_seeds`.
        start, years: as in a spec (default: each scenario's own start year).
        window_months: months at the end of a run averaged into its outcome.
    """
    import ema_workbench as ema

    from ..record import TIMESERIES_COLUMNS

    uncertainties, levers = dict(uncertainties or {}), dict(levers or {})
    outs = list(outcomes) if outcomes else [o.name for o in OUTCOMES.values()
                                            if o.column in TIMESERIES_COLUMNS]
    spec = _validated(town, scenarios, policies, uncertainties, levers, start, years, outs)
    for key in uncertainties:
        if not parse_factor(key).uncertainty:
            raise ValueError(f"ema_model: {key!r} is a lever setting; pass it in levers")
    for key in levers:
        if parse_factor(key).uncertainty:
            raise ValueError(f"ema_model: {key!r} is not a lever setting (lever:setting); pass "
                             "it in uncertainties")
    names = {ema_name(k): k for k in {**uncertainties, **levers}}
    exp = spec.experiment
    fn = BinnenstadFunction(
        town=spec.town_path(town), scenarios={s: spec.scenario_path(s) for s in exp.scenarios},
        starts={s: spec.start_of(s) for s in exp.scenarios},
        years={s: spec.years_of(s) for s in exp.scenarios}, arm=exp.policies[0], names=names,
        outcomes=tuple(outs), window_months=window_months, town_seed=town_seed)
    model = ema.ReplicatorModel(name, function=fn)
    model.uncertainties = [_parameter(ema, k, v) for k, v in uncertainties.items()] + (
        [ema.CategoricalParameter("preset", list(exp.scenarios))]
        if len(exp.scenarios) > 1 else [])
    model.levers = [_parameter(ema, k, v) for k, v in levers.items()] + (
        [ema.CategoricalParameter("arm", list(exp.policies))]
        if len(exp.policies) > 1 else [])
    model.outcomes = [_outcome(ema, OUTCOMES[o]) for o in outs]
    model.replications = [{"seed": s} for s in replicate_seeds(seed, replicates)]
    return model


#: Columns EMA adds to its experiments table for its own bookkeeping.
EMA_COLUMNS = ("scenario", "policy", "model")


def discovery_inputs(experiments: Any, model: Any = None, levers: bool = True) -> Any:
    """The experiments table as input for EMA's PRIM and CART (see the module docstring).

    Args:
        experiments: the first return value of ``perform_experiments``.
        model: the `ema_model` that produced it: its uncertainties (and, with ``levers``, its
            levers) are the columns kept; without it every column but EMA's own
            (`EMA_COLUMNS`) is kept.
        levers: keep the lever columns (the policy as ``arm``, lever settings) too.

    Returns:
        A DataFrame of float64 columns: numeric parameters as they are, one 0/1 column
        ``<name>=<category>`` per category of a categorical parameter, in category order.
    """
    import pandas as pd

    if model is not None:
        params = list(model.uncertainties) + (list(model.levers) if levers else [])
        names = [p.name for p in params]
    else:
        names = [c for c in experiments.columns if c not in EMA_COLUMNS]
    missing = [n for n in names if n not in experiments.columns]
    if missing:
        raise ValueError(f"discovery_inputs: the experiments have no column {missing[0]!r}; "
                         f"give the experiments of this model (columns: "
                         f"{', '.join(map(str, experiments.columns))})")
    cols: dict[str, Any] = {}
    for name in names:
        col = experiments[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            cols[name] = col.astype("float64")
            continue
        cats = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                else sorted(col.dropna().unique(), key=str))
        for cat in cats:
            cols[f"{name}={cat}"] = (col == cat).astype("float64")
    return pd.DataFrame(cols, index=experiments.index)
