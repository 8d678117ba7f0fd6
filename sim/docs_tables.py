"""Tables in the docs that are generated from the code, so that they cannot drift from it.

`parameter_table()` renders every parameter and driver of the schema with its baseline value,
unit, allowed range, meaning and source, grouped by submodel; `state_table()` every column of the
unit table as `sim.state.COLUMNS` declares it. `docs/ODD.md` holds them between the markers
``<!-- parameters:begin/end -->`` and ``<!-- state:begin/end -->``; ``python -m sim.docs_tables``
rewrites both blocks in place and a test fails when one is out of date.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import Any

from .scenarios.loader import CentreScenario, load_scenario
from .scenarios.schema import PARAMS, TRAJECTORIES, Spec

BEGIN = "<!-- parameters:begin -->"
END = "<!-- parameters:end -->"
STATE_BEGIN = "<!-- state:begin -->"
STATE_END = "<!-- state:end -->"
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


def _lifecycle(value: Any) -> str:
    from .state import COPY, KEEP, Rule

    if value is KEEP:
        return ""
    if value is COPY:
        return "the whole's"
    if isinstance(value, Rule):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, IntEnum):
        return value.name.lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def state_table() -> str:
    """The markdown table of the unit table's columns (`sim.state.COLUMNS`)."""
    from .state import COLUMNS

    lines = ["| column | meaning | unit | written by | tenant's | vacated | converted | split "
             "(woken parts) | merged (the absorbed unit) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {_cell(c.meaning)} | {_cell(c.unit)} | `{c.owner}` | "
            f"{'yes' if c.tenant else ''} | {_cell(_lifecycle(c.vacate))} | "
            f"{_cell(_lifecycle(c.convert))} | {_cell(_lifecycle(c.split))} | "
            f"{_cell(_lifecycle(c.merge))} |")
    return "\n".join(lines) + "\n"


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
    text = replace_block(path.read_text(), parameter_table())
    text = replace_block(text, state_table(), STATE_BEGIN, STATE_END)
    path.write_text(text)
    print(f"updated the parameter and state tables in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
