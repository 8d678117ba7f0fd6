"""Read, validate and merge scenario TOML files into a typed `CentreScenario`.

A scenario file has a ``[scenario]`` header (name, description, optional ``extends``), a
``[params.<name>]`` table per parameter (``value``, ``unit``, ``source``) and a
``[trajectories.<name>]`` table per time-varying driver (``unit``, ``source``, ``points`` =
``{year = value}``, where a key is a year, ``2020`` = 1 January, or a year-month, ``2020-03``).
A file that extends another overrides only what it names.

Every problem raises `ScenarioError` with one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mesa.experimental.scenarios import Scenario
from pydantic import BaseModel, ConfigDict, ValidationError

from .schema import PARAMS, TRAJECTORIES, Spec

SCENARIO_DIR = Path(__file__).parent


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or holds a disallowed value."""


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    extends: str | None = None
    source: str = ""
    directions: list[str] = []


class _Param(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any
    unit: str
    source: str


class _Trajectory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str
    source: str
    points: dict[str, float]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: _Header
    params: dict[str, _Param] = {}
    trajectories: dict[str, _Trajectory] = {}


class CentreScenario(Scenario):
    """The parameters of one binnenstad experiment (a Mesa `Scenario`).

    Attributes:
        name: scenario name (file stem of the preset or the user's file).
        description: one-line description from the file header.
        chain: names of the files merged, base first.
        params: parameter name -> value (float, int, bool or nested dict), see `schema.PARAMS`.
        units: parameter or trajectory name -> unit string.
        sources: parameter or trajectory name -> source (document and section, or calibration).
        trajectories: driver name -> ``(years, values)`` tuples, see `schema.TRAJECTORIES`.
    """

    name: str = "baseline"
    description: str = ""
    chain: tuple = ()
    params: dict = {}  # noqa: RUF012 - Mesa Scenario declares defaults as class attributes
    units: dict = {}  # noqa: RUF012
    sources: dict = {}  # noqa: RUF012
    trajectories: dict = {}  # noqa: RUF012

    def for_run(self, seed: int) -> CentreScenario:
        """A copy bound to no model, with ``rng`` = ``seed`` (one scenario, many runs)."""
        return CentreScenario(
            rng=seed,
            name=self.name,
            description=self.description,
            chain=self.chain,
            params=self.params,
            units=self.units,
            sources=self.sources,
            trajectories=self.trajectories,
        )


def available_scenarios() -> dict[str, str]:
    """Return ``{name: description}`` of the presets shipped in `sim/scenarios/`."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            head = tomllib.load(fh).get("scenario", {})
        out[path.stem] = str(head.get("description", "")).strip()
    return out


def resolve_path(name_or_path: str | Path) -> Path:
    """Map a preset name or a file path to an existing file, or raise `ScenarioError`."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise ScenarioError(f"{p}: scenario file not found")
        return p
    preset = SCENARIO_DIR / f"{name_or_path}.toml"
    if preset.is_file():
        return preset
    raise ScenarioError(
        f"unknown scenario {str(name_or_path)!r}; allowed: {', '.join(available_scenarios())} "
        "or a path to a .toml file"
    )


def _read(path: Path) -> _File:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return _File.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        allowed = {
            "": "scenario, params, trajectories",
            "scenario": "name, description, extends, source, directions",
        }
        hint = ""
        if err["type"] == "extra_forbidden":
            parent = ".".join(str(x) for x in err["loc"][:-1])
            if parent in allowed:
                hint = f"; allowed: {allowed[parent]}"
            elif parent.startswith("params."):
                hint = "; allowed: value, unit, source"
            elif parent.startswith("trajectories."):
                hint = "; allowed: unit, source, points"
        raise ScenarioError(f"{path}: key {loc!r}: {err['msg']}{hint}") from None


def _check_number(path: Path, key: str, spec: Spec, v: Any, kind: str) -> Any:
    if kind == "bool":
        if not isinstance(v, bool):
            raise ScenarioError(f"{path}: {key} must be true or false, got {v!r}")
        return v
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(f"{path}: {key} must be a number, got {v!r}")
    if kind == "int" and not float(v).is_integer():
        raise ScenarioError(f"{path}: {key} must be an integer, got {v!r}")
    if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
        raise ScenarioError(f"{path}: {key} = {v} is out of range; allowed: [{spec.lo}, {spec.hi}]")
    return int(v) if kind == "int" else float(v)


def _check_map(
    path: Path, key: str, spec: Spec, v: Any, keys: tuple[str, ...], kind: str, partial: bool
) -> dict:
    if not isinstance(v, dict):
        raise ScenarioError(f"{path}: {key} must be a table with keys {', '.join(keys)}")
    unknown = [k for k in v if k not in keys]
    if unknown:
        raise ScenarioError(
            f"{path}: {key}.{unknown[0]} is not a known key; allowed: {', '.join(keys)}"
        )
    missing = [k for k in keys if k not in v]
    if missing and not partial:
        raise ScenarioError(f"{path}: {key} lacks key {missing[0]!r}; required: {', '.join(keys)}")
    return {k: _check_number(path, f"{key}.{k}", spec, x, kind) for k, x in v.items()}


def _check_value(path: Path, name: str, spec: Spec, v: Any, partial: bool) -> Any:
    key = f"params.{name}.value"
    if spec.kind in ("float", "int", "bool"):
        return _check_number(path, key, spec, v, spec.kind)
    elem = "bool" if spec.unit == "bool" else ("int" if spec.unit in ("stops",) else "float")
    if spec.kind == "map":
        return _check_map(path, key, spec, v, spec.keys, elem, partial)
    if not isinstance(v, dict):
        raise ScenarioError(f"{path}: {key} must be a table with keys {', '.join(spec.keys)}")
    unknown = [k for k in v if k not in spec.keys]
    if unknown:
        raise ScenarioError(
            f"{path}: {key}.{unknown[0]} is not a known key; allowed: {', '.join(spec.keys)}"
        )
    if not partial and len(v) != len(spec.keys):
        missing = next(k for k in spec.keys if k not in v)
        raise ScenarioError(
            f"{path}: {key} lacks key {missing!r}; required: {', '.join(spec.keys)}"
        )
    return {
        r: _check_map(path, f"{key}.{r}", spec, row, spec.cols, elem, partial)
        for r, row in v.items()
    }


def _point_year(key: str) -> float | None:
    """Time of a trajectory point: ``"2020"`` is 1 January 2020 (2020.0); ``"2020-03"`` is the
    start of March 2020 (2020 + 2/12), the time the model gives that month. None if invalid."""
    year, dash, month = key.partition("-")
    if not (year.isdigit() and len(year) == 4 and 1900 <= int(year) <= 2200):
        return None
    if not dash:
        return int(year)
    if not (month.isdigit() and len(month) == 2 and 1 <= int(month) <= 12):
        return None
    return int(year) + (int(month) - 1) / 12.0


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def _collect(path: Path, seen: tuple[Path, ...]) -> list[tuple[Path, _File]]:
    if path.resolve() in seen:
        cycle = " -> ".join(p.name for p in (*seen, path.resolve()))
        raise ScenarioError(f"{path}: scenario.extends forms a cycle ({cycle})")
    f = _read(path)
    chain: list[tuple[Path, _File]] = []
    if f.scenario.extends:
        parent = f.scenario.extends
        candidate = (path.parent / parent) if parent.endswith(".toml") else None
        try:
            ppath = candidate if candidate and candidate.is_file() else resolve_path(parent)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: scenario.extends: {exc}") from None
        chain = _collect(ppath, (*seen, path.resolve()))
    return [*chain, (path, f)]


def load_scenario(name_or_path: str | Path = "baseline", **overrides: Any) -> CentreScenario:
    """Load a preset by name or a user's TOML file, following ``extends``; return a validated,
    complete `CentreScenario`. ``overrides`` replace parameter values (checked like file values)."""
    path = resolve_path(name_or_path)
    chain = _collect(path, ())
    params: dict[str, Any] = {}
    units: dict[str, str] = {}
    sources: dict[str, str] = {}
    trajs: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
    for fpath, f in chain:
        partial = bool(f.scenario.extends)
        for name, entry in f.params.items():
            spec = PARAMS.get(name)
            if spec is None:
                raise ScenarioError(
                    f"{fpath}: params.{name} is not a known parameter; "
                    f"see `binnenstad params` for the {len(PARAMS)} allowed names"
                )
            if entry.unit != spec.unit:
                raise ScenarioError(
                    f"{fpath}: params.{name}.unit is {entry.unit!r}; allowed: {spec.unit!r}"
                )
            value = _check_value(fpath, name, spec, entry.value, partial and name in params)
            params[name] = _merge(params[name], value) if name in params else value
            units[name], sources[name] = entry.unit, entry.source
        for name, t in f.trajectories.items():
            spec = TRAJECTORIES.get(name)
            if spec is None:
                raise ScenarioError(
                    f"{fpath}: trajectories.{name} is not a known driver; "
                    f"allowed: {', '.join(TRAJECTORIES)}"
                )
            if t.unit != spec.unit:
                raise ScenarioError(
                    f"{fpath}: trajectories.{name}.unit is {t.unit!r}; allowed: {spec.unit!r}"
                )
            pts = []
            for y, v in t.points.items():
                year = _point_year(y)
                if year is None:
                    raise ScenarioError(
                        f"{fpath}: trajectories.{name}.points key {y!r} must be a year 1900-2200"
                        " or a year-month such as 2020-03"
                    )
                if not spec.lo <= v <= spec.hi:
                    raise ScenarioError(
                        f"{fpath}: trajectories.{name}.points.{y} = {v} is out of range; "
                        f"allowed: [{spec.lo}, {spec.hi}]"
                    )
                pts.append((year, float(v)))
            if not pts:
                raise ScenarioError(
                    f"{fpath}: trajectories.{name}.points is empty; give at least one year"
                )
            pts.sort()
            trajs[name] = (tuple(p[0] for p in pts), tuple(p[1] for p in pts))
            units[name], sources[name] = t.unit, t.source
    for name, value in overrides.items():
        spec = PARAMS.get(name)
        if spec is None:
            raise ScenarioError(f"override: {name} is not a known parameter")
        value = _check_value(Path("override"), name, spec, value, name in params)
        params[name] = _merge(params[name], value) if name in params else value
        sources[name] = "user override"
    missing = [n for n in PARAMS if n not in params] + [n for n in TRAJECTORIES if n not in trajs]
    if missing:
        raise ScenarioError(
            f"{path}: lacks {missing[0]!r} (and {len(missing) - 1} more); "
            "extend 'baseline' to inherit defaults"
        )
    head = chain[-1][1].scenario
    return CentreScenario(
        name=head.name,
        description=head.description,
        chain=tuple(str(p) for p, _ in chain),
        params=params,
        units=units,
        sources=sources,
        trajectories=trajs,
    )
