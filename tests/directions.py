"""Judging a direction over paired seeds (common random numbers): the paired mean difference
and its t-based 95% interval; "clearly" means the whole interval lies on the stated side."""

from __future__ import annotations

import numpy as np
from scipy import stats


def interval(diffs: np.ndarray) -> tuple[float, float, float]:
    """``(mean, low, high)`` of the paired differences: mean and t-based 95% interval."""
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    mean = float(d.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def clearly(diffs: np.ndarray, higher: bool, what: str = "") -> None:
    """Assert that the paired differences point the stated way, clearly."""
    mean, lo, hi = interval(diffs)
    ok = lo > 0 if higher else hi < 0
    assert ok, (f"{what + ': ' if what else ''}paired mean {mean:+.4g}, 95% interval "
                f"[{lo:+.4g}, {hi:+.4g}] over {len(diffs)} seeds; wanted "
                f"{'above' if higher else 'below'} zero")
