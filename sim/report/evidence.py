"""How much the replicates carry: the report's one verdict vocabulary.

An effect is the mean of ``n`` paired differences (policy minus reference, same seed). The report
judges it only where the evidence carries a judgement:

- fewer than `MIN_PAIRS` pairs: **too few replicates to judge**, with the number a judgement
  would need, estimated from the paired spread: the smallest ``n`` with ``t(n-1) * sd / sqrt(n)
  < |mean|`` (the 95% interval of the mean would then exclude zero if the effect and spread
  stay as measured), and at least `MIN_PAIRS`;
- otherwise by the bootstrap interval: **helps** / **harms** (the interval lies on one side of
  zero, by the outcome's good direction), **no clear effect** (it includes zero);
- every pair exactly zero (the policy changed nothing, e.g. a lever that starts after the run):
  **no change**, at any number of pairs;
- a judgement is **borderline** when the effect is within a quarter of the interval's
  half-width of the threshold (``|mean| / se`` between ``t / 1.25`` and ``t * 1.25``): a few
  more replicates may flip it.

Over the futures, the [P31] rule: **robust** (helps in at least 3/4 of them), **conditional**
(in more than one but fewer than 3/4), **gamble** (in exactly one), **does not help** (in
none); if any future is too few replicates to judge, the lever's verdict is too.
"""

from __future__ import annotations

import math

import pandas as pd

#: Fewest replicate pairs behind any verdict (two pairs make an interval of two numbers).
MIN_PAIRS = 10
#: Largest number of replicates the report suggests (beyond it: "more than").
MAX_SUGGESTED = 1000
#: Cell status words (HTML and spreadsheet alike).
HELPS, HARMS, UNCLEAR, NO_CHANGE, TOO_FEW, NOT_JUDGED = (
    "helps", "harms", "no clear effect", "no change", "too few replicates", "reported, not judged")
#: Lever verdict words.
ROBUST, CONDITIONAL, GAMBLE, NO_HELP, UNDECIDED = (
    "robust", "conditional", "gamble", "does not help", "too few replicates to judge")
#: CSS class / figure colour key of each status.
STATUS_CLASS = {HELPS: "good", HARMS: "bad", UNCLEAR: "neutral", NO_CHANGE: "neutral",
                TOO_FEW: "undecided", NOT_JUDGED: "plain"}


def _t(n: int, confidence: float) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2.0, max(n - 1, 1)))


def replicates_needed(mean: float, sd: float, confidence: float = 0.95) -> int | None:
    """Smallest number of pairs whose interval would exclude zero at this mean and spread
    (at least `MIN_PAIRS`); None if no number would (mean 0) or nothing varies."""
    if not (math.isfinite(mean) and math.isfinite(sd)) or mean == 0.0:
        return None
    if sd == 0.0:
        return MIN_PAIRS
    z = abs(mean) / sd
    n = MIN_PAIRS
    while n <= 100 * MAX_SUGGESTED:
        if _t(n, confidence) / math.sqrt(n) < z:
            return n
        n = n + 1 if n < 200 else int(n * 1.05) + 1
    return 100 * MAX_SUGGESTED + 1


def needed_words(n: int | None) -> str:
    """``"about 14 needed"`` / ``"more than 1,000 needed"``; ``""`` when no number would do."""
    if n is None:
        return "no number of replicates would tell it from zero"
    if n > MAX_SUGGESTED:
        return f"more than {MAX_SUGGESTED:,} needed"
    return f"about {n} needed"


def cell_status(mean: float, sd: float, n: int, lo: float, hi: float, good: str | None,
                confidence: float = 0.95) -> tuple[str, bool, int | None]:
    """``(status, borderline, replicates needed)`` of one effect (see the module doc)."""
    needed = replicates_needed(mean, sd, confidence)
    if good is None:
        return NOT_JUDGED, False, needed
    if n >= 1 and mean == 0.0 and (sd == 0.0 or not math.isfinite(sd)) and lo == hi == 0.0:
        return NO_CHANGE, False, None
    if n < MIN_PAIRS or not (math.isfinite(lo) and math.isfinite(hi)):
        return TOO_FEW, False, needed
    if lo > 0:
        status = HELPS if good == "higher" else HARMS
    elif hi < 0:
        status = HELPS if good == "lower" else HARMS
    else:
        status = UNCLEAR
    borderline = False
    if sd > 0 and math.isfinite(sd):
        ratio = abs(mean) / (sd / math.sqrt(n))
        t = _t(n, confidence)
        borderline = t / 1.25 <= ratio <= t * 1.25
    return status, borderline, needed


def paired_spread(values: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per town x scenario x point x policy x outcome: ``sd`` of the paired differences."""
    pair = ["town", "scenario", "point", "replicate", "outcome"]
    ref = values[values["policy"] == reference][[*pair, "value"]].rename(columns={"value": "ref"})
    d = values[values["policy"] != reference].merge(ref, on=pair, how="inner")
    d["diff"] = d["value"] - d["ref"]
    by = ["town", "scenario", "point", "policy", "outcome"]
    sd = d.groupby(by, sort=False)["diff"].std(ddof=1).rename("sd").reset_index()
    return sd


def lever_verdict(statuses: list[str], borderline: list[bool], needed: list[int | None]
                  ) -> tuple[str, str, bool]:
    """``(verdict, in words, borderline)`` of a lever on one outcome over its futures."""
    m = len(statuses)
    if m == 0:
        return "", "", False
    good = sum(s == HELPS for s in statuses)
    bad = sum(s == HARMS for s in statuses)
    tail = f"helps in {good} of {m} future{'s' if m != 1 else ''}"
    if bad:
        tail += f", harms in {bad}"
    if TOO_FEW in statuses:
        ns = [n for s, n in zip(statuses, needed, strict=True) if s == TOO_FEW]
        known = [n for n in ns if n is not None]
        need = needed_words(max(known)) if known else needed_words(None)
        return UNDECIDED, f"{UNDECIDED} ({need})", False
    if good / m >= 0.75:
        v = ROBUST
    elif good == 0:
        v = NO_HELP
    elif good == 1:
        v = GAMBLE
    else:
        v = CONDITIONAL
    edge = any(borderline)
    words = f"{v}: {tail}" + ("; borderline (a few more replicates may change it)" if edge
                              else "")
    if m == 1:
        words = f"{tail} (one future: robustness cannot be judged)"
    return v, words, edge


def status_array(df: pd.DataFrame, good_of: dict[str, str | None], confidence: float
                 ) -> pd.DataFrame:
    """``df`` (effects with mean, sd, n, ci_low, ci_high, outcome) with ``status``,
    ``borderline`` and ``replicates needed`` columns."""
    rows = [cell_status(float(r.mean), float(r.sd) if r.sd == r.sd else math.nan, int(r.n),
                        float(r.ci_low), float(r.ci_high), good_of.get(r.outcome), confidence)
            for r in df.itertuples(index=False)]
    out = df.copy()
    out["status"] = [r[0] for r in rows]
    out["borderline"] = [r[1] for r in rows]
    out["replicates needed"] = pd.array([r[2] for r in rows], dtype="Int64")
    return out

