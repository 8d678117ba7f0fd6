"""The report's first screen: one plain sentence per policy, how sure it is, and what the model
is calibrated on.

The headline sentence of a policy gives, across the futures, the range of its effect on
vacancy, shops, housing and public cost against no policy, and the verdict on vacancy. "How
sure" says how many replicates carry it and which uncertainty the intervals hold: today the
seeds only (the spread of single stories). The calibration statement is read from
``sim/scenarios/_calibrated.toml`` (what was fitted, when) and ``_defaults.toml`` (how many free
parameters kept their start values), with the findings of ``docs/calibration.md``; a table of
sources of uncertainty leaves room for the parameter uncertainty of the calibration's
posterior draws once they exist.
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any

import pandas as pd

from .evidence import MIN_PAIRS, TOO_FEW

#: What the effects' intervals hold today (the "source of uncertainty" column).
SOURCE_SEEDS = "seeds"


def money(x: float) -> str:
    """EUR in words a council reads: ``EUR 1.2 million``, ``EUR 340,000``."""
    if x is None or not math.isfinite(x):
        return "-"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        return f"{sign}EUR {a / 1e6:,.1f} million"
    if a >= 1e4:
        return f"{sign}EUR {round(a, -3):,.0f}"
    return f"{sign}EUR {a:,.0f}"


def _signed(x: float, digits: int) -> str:
    v = round(float(x), digits)
    if v == 0:
        return "0"
    return f"{v:+,.{digits}f}"


def span(values: list[float], digits: int = 1, unit: str = "") -> str:
    """``-1.2 to +0.4 unit`` (one value if all agree)."""
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return "-"
    lo, hi = _signed(min(vals), digits), _signed(max(vals), digits)
    text = lo if lo == hi else f"{lo} to {hi}"
    return f"{text} {unit}".strip()


def money_span(values: list[float]) -> str:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    return money(lo) if money(lo) == money(hi) else f"{money(lo)} to {money(hi)}"


def headline(effects: pd.DataFrame, verdicts: pd.DataFrame, cost: pd.DataFrame,
             policies: list[str], reference: str, n_replicates: int, n_futures: int,
             labels: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per policy (other than the reference): its sentence and how sure it is, as
    ``{policy, policy label, sentence, how sure, verdict}`` (and the deprecated duplicates
    ``arm``, ``arm label`` of the first two: deprecated keys)."""
    out = []
    for policy in policies:
        if policy == reference:
            continue
        e = effects[effects["lever"] == policy]
        if e.empty:
            continue

        def of(outcome: str, e: pd.DataFrame = e) -> list[float]:
            return e.loc[e["outcome"] == outcome, "mean"].astype(float).tolist()

        parts = []
        if of("vacancy_rate"):
            parts.append(f"vacancy {span(of('vacancy_rate'), 1, 'percentage points')}")
        if of("shops"):
            parts.append(f"shops {span(of('shops'), 0)}")
        if of("housing_added"):
            parts.append(f"housing {span(of('housing_added'), 0, 'dwellings')}")
        if of("public_cost"):
            costs = of("public_cost")
            parts.append("no public cost" if all(abs(c) < 0.5 for c in costs) else
                         f"public cost {money_span(costs)}")
        where = ("in the one future" if n_futures == 1 else
                 f"across the {n_futures} futures")
        sentence = (f"Against {labels.get(reference, reference)}, {labels.get(policy, policy)} "
                    f"changes {', '.join(parts)} {where}.")
        c = cost[cost["policy"] == policy] if not cost.empty else cost
        if not c.empty:
            per = c["public cost per extra dwelling (EUR)"].astype(float).dropna()
            if len(per) and (per.abs() >= 0.5).any():
                sentence += (f" Each extra dwelling costs the municipality "
                             f"{money_span(per.tolist())}.")
        v = verdicts[(verdicts["lever"] == policy) & (verdicts["outcome"] == "vacancy_rate")] \
            if not verdicts.empty else verdicts
        verdict = str(v["verdict"].iloc[0]) if len(v) else ""
        words = str(v["verdict in words"].iloc[0]) if len(v) else ""
        undecided = (e["status"] == TOO_FEW).any() if "status" in e else False
        if verdict:
            sentence += f" On vacancy: {words}."
        if n_replicates < MIN_PAIRS or undecided:
            sure = (f"Not sure: {n_replicates} replicate{'s' if n_replicates != 1 else ''} per "
                    f"future is too few to judge (a verdict needs at least {MIN_PAIRS}); the "
                    "numbers are what these runs did, not what to expect.")
        else:
            edge = bool(v["borderline"].iloc[0]) if len(v) and "borderline" in v else False
            sure = (f"{n_replicates} replicates per future; intervals hold the seeds' "
                    "uncertainty only, not that of the calibrated parameters"
                    + ("; borderline: a few more replicates may change the verdict." if edge
                       else "."))
        label = labels.get(policy, policy)
        out.append({"policy": policy, "policy label": label, "sentence": sentence,
                    "how sure": sure, "verdict": verdict,
                    "arm": policy, "arm label": label})  # deprecated keys: arm, arm label

    return out


def _scenario_file(name: str) -> dict[str, Any]:
    from ..scenarios.loader import SCENARIO_DIR

    try:
        return tomllib.loads((SCENARIO_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def calibration_statement() -> dict[str, Any]:
    """What is calibrated and what is not, in plain words (see the module docstring)."""
    cal = _scenario_file("_calibrated")
    fitted = sorted(cal.get("params", {}))
    head = cal.get("scenario", {}).get("description", "")
    when = re.search(r"\d{4}-\d{2}-\d{2}", head)
    defaults = _scenario_file("_defaults").get("params", {})
    # Free: the same rule as the calibration's configuration (sim/calibration/config.py).
    free = [k for k, v in defaults.items() if isinstance(v, dict)
            and ("calibration" in str(v.get("source", "")).lower()
                 or str(v.get("source", "")).lower().startswith("neutral"))]
    rest = len(set(free) - set(fitted))
    if not fitted:
        summary = ("The model is not calibrated: every free parameter keeps its start value "
                   "(sim/scenarios/_calibrated.toml is empty). Read levels and effects as "
                   "what-ifs of the mechanisms, not as estimates.")
        rows = [("free parameters", "no", f"{len(free)} keep their start values")]
    else:
        summary = (f"Calibrated {when.group(0) if when else ''} on the sources' vacancy "
                   "figures for 2007 to early 2013 (historical scenario, medium town): "
                   f"{len(fitted)} parameters were fitted, three of them pinned down by the "
                   f"targets; {rest} other free parameters keep their start values. No target "
                   "measures what a policy does, so the size of an effect is not calibrated: "
                   "judge a lever by its direction and by how it holds across futures and "
                   "seeds (docs/calibration.md).").replace("Calibrated  on", "Calibrated on")
        rows = [
            ("vacancy level 2007 and early 2013, and the rise between", "yes (fitted)",
             "within one to two points of the Overijssel figures [OV]"),
            ("vacancy after 2013", "no (predicted)",
             "over-predicts 2016: 13.5% against about 10% [G32]"),
            ("the 2020-2021 lockdowns", "no (predicted)",
             "the model over-reacts: far more closures than real centres had"),
            ("zone pattern (approach streets above the core)", "partly",
             "the level difference is met; its faster rise is not significant"),
            ("fitted parameters", f"{len(fitted)} fitted, 3 identified",
             ", ".join(p.replace("_", " ") for p in fitted)),
            ("other free parameters", "no", f"{rest} keep their start values"),
            ("size of a policy's effect", "no",
             "no source measures it; effects follow from the mechanisms"),
            ("uncertainty in this report's intervals", SOURCE_SEEDS,
             "the calibrated parameters' uncertainty is not yet included"),
        ]
    return {"summary": summary, "rows": [dict(zip(("what", "calibrated?", "detail"), r,
                                                  strict=True)) for r in rows],
            "fitted": fitted}


def uncertainty_sources(effects: pd.DataFrame) -> pd.DataFrame:
    """Per source of uncertainty: what it covers and how many draws carry it (today: the
    replicate seeds; a row for the parameters once the calibration's draws exist)."""
    n = int(effects["n"].max()) if not effects.empty else 0
    return pd.DataFrame([
        {"source of uncertainty": SOURCE_SEEDS,
         "what it covers": "chance: which shop closes, who enters, which owner converts",
         "draws": f"{n} replicate pairs per future and policy",
         "in the intervals": "yes"},
        {"source of uncertainty": "parameters",
         "what it covers": "the calibrated values (posterior draws of the calibration)",
         "draws": "not available yet", "in the intervals": "no"},
    ])
