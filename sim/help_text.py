"""Help texts for ``binnenstad policies NAME`` and ``binnenstad scenarios NAME``: what a lever
does and what each of its settings means, and what a scenario tells, assumes and expects.

Everything shown comes from where it is defined (the lever's docstring and typed settings, the
scenario file's header and comments), so the help cannot drift from the model.
"""

from __future__ import annotations

import inspect
import textwrap
import tomllib
from pathlib import Path

from .sources import legend

WIDTH = 96


#: The zoning plan's parameters and what each permits at street level.
ZONING = (("retail, horeca, services, culture", None),
          ("offices and workspaces", "office_allowed"),
          ("a second function in a shop (mixed use)", "mixed_use_allowed"),
          ("conversion to housing", "conversion_allowed"))


def zoning_table(sc) -> str:
    """The scenario's zoning plan by zone, one line per use, with its source."""
    from .functions import ZONE_NAMES

    width = max(len(label) for label, _ in ZONING)
    lines = ["  " + " " * width + "  " + "  ".join(f"{z:>8}" for z in ZONE_NAMES)]
    for label, key in ZONING:
        allowed = {z: True for z in ZONE_NAMES} if key is None else sc.params[key]
        cells = "  ".join(f"{'yes' if allowed[z] else 'no':>8}" for z in ZONE_NAMES)
        lines.append(f"  {label:<{width}}  {cells}")
    for _, key in ZONING[1:]:
        lines.append(_wrap(f"{key}: {sc.sources[key]}"))
    return "\n".join(lines)


def _wrap(text: str, indent: str = "  ") -> str:
    paras = [p for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(textwrap.fill(" ".join(p.split()), WIDTH, initial_indent=indent,
                                     subsequent_indent=indent) for p in paras)


def _bullets(items: list[str] | tuple[str, ...]) -> str:
    return "\n".join(textwrap.fill(" ".join(str(x).split()), WIDTH, initial_indent="  - ",
                                   subsequent_indent="    ") for x in items)


def _value(x: object) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def lever_help(name: str) -> str:
    """The full help of lever ``name`` (raises `PolicyError` for an unknown name)."""
    from .policies import POLICIES, PolicyError

    if name not in POLICIES:
        raise PolicyError(f"unknown policy {name!r}; allowed: {', '.join(sorted(POLICIES))}")
    cls = POLICIES[name]
    doc = inspect.cleandoc(cls.__doc__ or "")
    summary, _, body = doc.partition("\n")
    body = body.strip().replace("``", "'").replace("`", "'")
    out = [f"{name}: {summary.strip()}", "", "How it works:", _wrap(body), "",
           "Settings (name [unit]: default; allowed values):"]
    for key, s in cls.spec().items():
        unit = f" [{s.unit}]" if s.unit else ""
        out.append(f"  {key}{unit}: {_value(s.default)}; allowed: {s.allowed()}")
        out.append(_wrap(s.doc, "      "))
    example = next((k for k in cls.settings), "intensity")
    out += ["", "Use: binnenstad run --policy " + name,
            f"     binnenstad run --policy {name}:{example}="
            f"{_value(cls.spec()[example].default)},start=2016",
            _wrap("Every setting is optional; 'intensity' scales the lever's effects (0 switches "
                  "it off), 'start' is the first year it acts, 'area' where.", "")]
    refs = legend(doc)
    if refs:
        out += ["", "Sources:", _bullets(refs)]
    return "\n".join(out)


def _leading_comment(path: Path) -> str:
    """The comment block a scenario file opens with (its story and sources)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return " ".join(lines)


def scenario_help(name_or_path: str) -> str:
    """The full help of a scenario preset or file (raises `ScenarioError` if it does not load)."""
    from .scenarios.loader import load_scenario
    from .scenarios.schema import PARAMS, TRAJECTORIES

    sc = load_scenario(name_or_path)
    path = Path(sc.chain[-1])
    own = tomllib.loads(path.read_text(encoding="utf-8"))
    out = [f"{sc.name}: {sc.description}", ""]
    out += [f"  Years: {sc.start_year}-{sc.end_year} (a run starts in {sc.start_year} unless "
            f"--start is given; --start must lie within these years)"]
    if sc.source:
        out += [f"  Source: {sc.source}"]
    if len(sc.chain) > 1:
        out += ["  Extends: " + " <- ".join(Path(p).stem for p in sc.chain)]
    story = _leading_comment(path)
    if story:
        out += ["", "Story and sources (from the scenario file):", _wrap(story)]
    if sc.assumes:
        out += ["", "Assumes (inputs the scenario sets):", _bullets(sc.assumes)]
    if sc.expects:
        out += ["", "Expects (consequences the source expects; emergent, checked by the tests):",
                _bullets(sc.expects)]
    out += ["", "Zoning plan (ground floors; levers change it):", zoning_table(sc)]
    params = [p for p in own.get("params", {}) if p in PARAMS]
    drivers = [t for t in own.get("trajectories", {}) if t in TRAJECTORIES]
    if len(sc.chain) > 1 and (params or drivers):
        out += ["", f"Changes against {Path(sc.chain[-2]).stem} "
                f"({len(params)} parameters, {len(drivers)} drivers):"]
        if drivers:
            out += [_wrap("drivers: " + ", ".join(drivers))]
        if params:
            out += [_wrap("parameters: " + ", ".join(params))]
    out += ["", f"Use: binnenstad run --scenario {sc.name}",
            "     binnenstad params   (what every parameter and driver means)"]
    refs = legend(" ".join([sc.source, sc.description, story, *sc.assumes, *sc.expects]))
    if refs:
        out += ["", "Sources:", _bullets(refs)]
    return "\n".join(out)
