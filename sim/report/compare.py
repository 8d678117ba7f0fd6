"""``binnenstad compare``: levers against futures without writing a spec.

`compare_spec` builds an ordinary experiment spec from names (one town, the futures, the policies,
replicates; each future runs from its own start year and over its own horizon unless ``start`` /
``years`` are given) and validates it like a spec file, so every mistake is one line before
anything runs. `compare` runs it with the sweep layer (the spec is stored as ``OUT/spec.toml``,
so the folder can be resumed with ``binnenstad sweep OUT/spec.toml --out OUT``) and writes the
report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ReportError

#: The four Platform31 futures [P31]: the default of ``--scenarios``.
P31_FUTURES = ("binnenstad_united", "autarkische_binnenstad", "binnenstad_als_game",
               "exclusieve_binnenstad")
#: The council's question of issue 10: compact the core, promote mixed use, or both.
DEFAULT_POLICIES = ("none", "compaction", "blurring", "compaction+blurring")

#: Spec fields -> the ``compare`` options they come from (for error messages).
_OPTION_OF = {"experiment.towns": "--town", "experiment.scenarios": "--scenarios",
              "experiment.policies": "--policies", "experiment.replicates": "--replicates",
              "experiment.years": "--years", "experiment.start": "--start",
              "experiment.seed": "--seed"}


def _as_option(message: str) -> str:
    """A spec error phrased for the ``compare`` options."""
    message = message.removeprefix("binnenstad compare: ")
    for field, option in _OPTION_OF.items():
        message = message.replace(field, option)
    return message


def command_line(town: str, scenarios: Sequence[str], policies: Sequence[str], replicates: int,
                 years: int | None, start: int | None, seed: int, out: Path) -> str:
    """The ``binnenstad compare`` command that reproduces a comparison."""
    parts = ["binnenstad compare", f"--town {town}", f"--scenarios {','.join(scenarios)}",
             f"--policies {','.join(policies)}", f"--replicates {replicates}"]
    if years is not None:
        parts.append(f"--years {years}")
    if start is not None:
        parts.append(f"--start {start}")
    if seed:
        parts.append(f"--seed {seed}")
    parts.append(f"--out {out}")
    return " ".join(parts)


#: What ``compare`` keeps of each run.
OUTPUTS = {"tables": ["timeseries", "units"], "units_years": "last"}


def _outputs(out: Path) -> dict[str, Any]:
    """`OUTPUTS`, or the ``[outputs]`` of a comparison already in ``out`` (made before the
    unit snapshots were kept), so that it resumes instead of being refused."""
    import tomllib

    try:
        old = tomllib.loads((out / "spec.toml").read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError):
        return dict(OUTPUTS)
    return old if old == {"tables": ["timeseries"]} else dict(OUTPUTS)


def compare_spec(town: str, scenarios: Sequence[str], policies: Sequence[str],
                 replicates: int, years: int | None = None, start: int | None = None,
                 seed: int = 0, out: str | Path = "outputs/compare") -> Any:
    """A validated `ExperimentSpec` for the comparison (raises `ReportError`, one line)."""
    from ..batch.spec import SpecError, parse_spec

    if not scenarios:
        raise ReportError("--scenarios: give at least one scenario name")
    if not policies:
        raise ReportError("--policies: give at least one policy, e.g. none,compaction")
    if replicates < 1:
        raise ReportError(f"--replicates must be at least 1 (got {replicates})")
    if years is not None and years < 1:
        raise ReportError(f"--years must be at least 1 (got {years})")
    exp: dict[str, Any] = {
        "name": re.sub(r"[^A-Za-z0-9_.-]+", "_", f"compare_{Path(town).stem}"),
        "description": command_line(town, scenarios, policies, replicates, years, start, seed,
                                    Path(out)),
        "towns": [town], "scenarios": list(scenarios), "policies": list(policies),
        "replicates": int(replicates), "seed": int(seed)}
    if years is not None:
        exp["years"] = int(years)
    if start is not None:
        exp["start"] = int(start)
    raw = {"experiment": exp,
           # The report reads the timeseries and the last unit snapshot of each run (the maps of
           # change and the owners' costs); earlier snapshots would cost disk for nothing.
           "outputs": _outputs(Path(out))}
    try:
        return parse_spec(raw, source="binnenstad compare", base=Path.cwd())
    except SpecError as exc:
        raise ReportError(_as_option(str(exc))) from None


def compare(town: str = "medium", scenarios: Sequence[str] = P31_FUTURES,
            policies: Sequence[str] = DEFAULT_POLICIES, replicates: int = 10,
            years: int | None = None, start: int | None = None, seed: int = 0,
            out: str | Path = "outputs/compare", workers: int | None = None,
            progress: bool = False, figures: bool = True) -> tuple[Any, Path]:
    """Run the comparison into ``out`` (resumable) and write ``out/report``; return the sweep
    result and the report folder."""
    from ..batch.sweep import sweep

    spec = compare_spec(town, scenarios, policies, replicates, years, start, seed, out)
    res = sweep(spec, out, workers=workers, progress=progress)
    from .render import write_report

    return res, write_report(out, with_figures=figures)


def __getattr__(name: str) -> Any:
    # Deprecated module attributes (a policy is what was called an arm; sim/deprecation.py).
    if name == "DEFAULT_ARMS":
        from ..deprecation import deprecated_constant

        return deprecated_constant(__name__, name, "DEFAULT_POLICIES", DEFAULT_POLICIES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
