"""Tables in the docs that are generated from the code, so that they cannot drift from it.

`parameter_table()` renders every parameter and driver of the schema with its baseline value,
unit, allowed range, meaning and source, grouped by submodel. `docs/ODD.md` holds it between the
markers ``<!-- parameters:begin -->`` and ``<!-- parameters:end -->``; ``python -m
sim.docs_tables`` rewrites that block in place and a test fails when it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .scenarios.loader import CentreScenario, load_scenario
from .scenarios.schema import PARAMS, TRAJECTORIES, Spec

BEGIN = "<!-- parameters:begin -->"
END = "<!-- parameters:end -->"
ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    return str(v)


def _range(spec: Spec) -> str:
    if spec.unit == "bool":
        return "true/false"
    if spec.lo is None:
        return ""
    return f"{spec.lo:g} to {spec.hi:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _traj(points: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    years, values = points
    out = []
    for y, v in zip(years, values, strict=True):
        year = int(y)
        month = round((y - year) * 12) + 1
        key = f"{year}" if month == 1 else f"{year}-{month:02d}"
        out.append(f"{key}: {v:g}")
    return ", ".join(out)


def parameter_table(scenario: CentreScenario | None = None) -> str:
    """The markdown parameter table of ``scenario`` (default: the baseline)."""
    sc = scenario or load_scenario("baseline")
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    for name, spec in PARAMS.items():
        groups.setdefault(spec.group, []).append(name)
    for group, names in groups.items():
        lines += [f"**Parameters: {group}**", "",
                  "| parameter | baseline value | unit | allowed | meaning | source |",
                  "|---|---|---|---|---|---|"]
        for name in names:
            spec = PARAMS[name]
            lines.append(f"| `{name}` | {_cell(_fmt(sc.params[name]))} | {_cell(spec.unit)} | "
                         f"{_range(spec)} | {_cell(spec.doc)} | {_cell(sc.sources[name])} |")
        lines.append("")
    tgroups: dict[str, list[str]] = {}
    for name, spec in TRAJECTORIES.items():
        tgroups.setdefault(spec.group, []).append(name)
    for group, names in tgroups.items():
        lines += [f"**Drivers: {group}** (year: value, linear in between, flat outside)", "",
                  "| driver | baseline points | unit | allowed | meaning | source |",
                  "|---|---|---|---|---|---|"]
        for name in names:
            spec = TRAJECTORIES[name]
            shock = " (a shock: neutral during the burn-in)" if spec.shock else ""
            lines.append(f"| `{name}` | {_traj(sc.trajectories[name])} | {_cell(spec.unit)} | "
                         f"{_range(spec)} | {_cell(spec.doc + shock)} | "
                         f"{_cell(sc.sources[name])} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def replace_block(text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers {begin} ... {end} not found")
    return text[: i + len(begin)] + "\n" + block + text[j:]


def block_of(text: str, begin: str = BEGIN, end: str = END) -> str:
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers {begin} ... {end} not found")
    return text[i + len(begin) + 1: j]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated blocks of `docs/ODD.md`."""
    path = Path(argv[0]) if argv else ODD
    text = path.read_text()
    path.write_text(replace_block(text, parameter_table()))
    print(f"updated the parameter table in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
