"""The golden file: every column of every output table of a handful of small runs.

A refactor that claims "no result changes" must leave these tables as they are; a change that
alters results says so in its commit and regenerates the file in the same commit:

    python -m tests.golden_runs            # compare the current code with the stored file
    python -m tests.golden_runs --write    # regenerate it (prints what changed first)

The runs cover the baseline, two lever combinations (one of them with levers that pay and draw
random numbers), a scenario with mechanisms and a start year other than the scenario's own (so
the spin-up is covered), and one month of a medium town. The tables are stored as one zstd
Parquet file per table (`tests/data/golden/`), with a ``case`` column naming the run.

Integers, booleans, text and dates are compared exactly; floating-point columns to a relative
tolerance of 1e-10 (a summation in another order is not a change of results; a changed decision
moves far more than that).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN_DIR = Path(__file__).parent / "data" / "golden"
TABLES = ("timeseries", "units", "events")
RTOL = 1e-10
ATOL = 1e-12


@dataclass(frozen=True)
class Case:
    name: str
    town: str
    scenario: str
    seed: int
    years: int
    policies: tuple[str, ...] = ()
    start: int | None = None
    kwargs: dict = field(default_factory=dict)


CASES = (
    Case("baseline", "small", "baseline", seed=1, years=3),
    Case("compaction_blurring", "small", "baseline", seed=2, years=3,
         policies=("compaction", "blurring:intensity=2")),
    Case("paying_levers", "small", "baseline", seed=3, years=3,
         policies=("popup_programme", "vacancy_ordinance:months=6", "starter_support",
                   "transformation", "herverkaveling")),
    Case("mechanisms", "small", "autarkische_binnenstad", seed=4, years=3),
    Case("late_start", "small", "corona", seed=5, years=2, start=2019),
    Case("medium", "medium", "baseline", seed=0, years=2),
)


def compute(cases: tuple[Case, ...] = CASES) -> dict[str, pd.DataFrame]:
    """Run every case and return ``{table: frame}`` with a leading ``case`` column."""
    from sim import run

    out: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for c in cases:
        res = run(town=c.town, scenario=c.scenario, policies=list(c.policies), start=c.start,
                  years=c.years, seed=c.seed, figures=False, check=True, **c.kwargs)
        for t in TABLES:
            frame = getattr(res, t).copy()
            frame.insert(0, "case", c.name)
            out[t].append(frame)
    return {t: pd.concat(frames, ignore_index=True) for t, frames in out.items()}


def load() -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(GOLDEN_DIR / f"{t}.parquet") for t in TABLES}


def write(frames: dict[str, pd.DataFrame]) -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for t, frame in frames.items():
        frame.to_parquet(GOLDEN_DIR / f"{t}.parquet", index=False, compression="zstd")


def _column_diff(a: pd.Series, b: pd.Series) -> str | None:
    """None if equal; otherwise a short description of the difference."""
    if len(a) != len(b):
        return f"{len(a)} rows -> {len(b)} rows"
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        x, y = a.to_numpy(float), b.to_numpy(float)
        same = np.isclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True)
        if same.all():
            return None
        k = int(np.flatnonzero(~same)[0])
        dev = np.abs(x - y)[~same]
        return (f"{int((~same).sum())} of {len(x)} values differ (max |diff| "
                f"{np.nanmax(dev):.3g}; first at row {k}: {x[k]!r} -> {y[k]!r})")
    xa, xb = a.astype(str).to_numpy(), b.astype(str).to_numpy()
    if str(a.dtype) != str(b.dtype) and not (xa == xb).all():
        return f"dtype {a.dtype} -> {b.dtype}"
    neq = xa != xb
    if not neq.any():
        return None
    k = int(np.flatnonzero(neq)[0])
    return f"{int(neq.sum())} of {len(xa)} values differ (first at row {k}: {xa[k]} -> {xb[k]})"


def differences(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> list[str]:
    """One line per table, case and column that differs (empty: the results are unchanged)."""
    lines: list[str] = []
    for t in TABLES:
        a, b = old[t], new[t]
        gone = [c for c in a.columns if c not in b.columns]
        added = [c for c in b.columns if c not in a.columns]
        if gone:
            lines.append(f"{t}: columns removed: {', '.join(gone)}")
        if added:
            lines.append(f"{t}: columns added: {', '.join(added)}")
        for case in dict.fromkeys([*a["case"], *b["case"]]):
            ca = a[a["case"] == case].reset_index(drop=True)
            cb = b[b["case"] == case].reset_index(drop=True)
            if len(ca) != len(cb):
                lines.append(f"{t} [{case}]: {len(ca)} rows -> {len(cb)} rows")
                continue
            for col in [c for c in a.columns if c in b.columns and c != "case"]:
                d = _column_diff(ca[col], cb[col])
                if d:
                    lines.append(f"{t} [{case}] {col}: {d}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="regenerate the golden file")
    args = ap.parse_args(argv)
    new = compute()
    if not (GOLDEN_DIR / "timeseries.parquet").exists():
        print("no golden file yet")
        lines = ["(new)"]
    else:
        lines = differences(load(), new)
        print("\n".join(lines) if lines else "unchanged: every column of every case matches")
    if args.write:
        write(new)
        print(f"written: {GOLDEN_DIR}")
        return 0
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
