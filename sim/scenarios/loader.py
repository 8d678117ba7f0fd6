"""Read, validate and merge scenario TOML files into a typed `CentreScenario`.

A scenario file has a ``[scenario]`` header (name, description, optional ``extends``, the years
the scenario covers, what it ``assumes`` and what it ``expects``), a ``[params.<name>]`` table per
parameter (``value``, ``unit``, ``source``) and a ``[trajectories.<name>]`` table per
time-varying driver (``unit``, ``source``, ``points`` = ``{year = value}``, where a key is a year,
``2020`` = 1 January, or a year-month, ``2020-03``). A file that extends another overrides only
what it names. A single number given for a map parameter applies to every key.

Every problem raises `ScenarioError` with one line naming the file, the key and what is allowed:
NaN and infinity, out-of-range values, reversed ``{min, max}`` ranges, an all-zero entrant mix,
two trajectory points for the same month, unknown names, wrong units, cycles and overlong
``extends`` chains.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import tomllib
import warnings
from pathlib import Path
from typing import Any

from mesa.experimental.scenarios import Scenario
from pydantic import BaseModel, ConfigDict, ValidationError

from ..limits import MAX_TEXT_FILE_BYTES, START_YEARS, TRAJECTORY_YEARS
from ..safeio import FileReadError, check_regular, read_text_limited
from .schema import (
    DEPRECATED_PARAMS,
    DEPRECATED_TRAJECTORIES,
    PARAMS,
    RANGE_KEYS,
    TRAJECTORIES,
    Spec,
)

SCENARIO_DIR = Path(__file__).parent
#: Longest ``extends`` chain (a preset is 2 deep); deeper chains are refused, not recursed.
MAX_EXTENDS_DEPTH = 32


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or holds a disallowed value."""


class ScenarioWarning(UserWarning):
    """A scenario file uses a deprecated name (accepted, ignored)."""


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    extends: str | None = None
    source: str = ""
    start_year: int | None = None
    end_year: int | None = None
    assumes: list[str] = []
    expects: list[str] = []
    #: deprecated: read as ``expects``
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
        source: the document the scenario comes from.
        start_year, end_year: the years the scenario covers (a run starts at ``start_year``
            unless told otherwise; drivers are flat outside their points).
        assumes: the inputs the source states (what the scenario file sets).
        expects: the consequences the source expects (emergent; checked by the tests).
        chain: names of the files merged, base first.
        params: parameter name -> value (float, int, bool or nested dict), see `schema.PARAMS`.
        units: parameter or trajectory name -> unit string.
        sources: parameter or trajectory name -> source (document and section, or calibration).
        trajectories: driver name -> ``(years, values)`` tuples, see `schema.TRAJECTORIES`.
        notes: warnings raised while loading (deprecated names).
    """

    name: str = "baseline"
    description: str = ""
    source: str = ""
    start_year: int = 2013
    end_year: int = 2040
    assumes: tuple = ()
    expects: tuple = ()
    chain: tuple = ()
    params: dict = {}  # noqa: RUF012 - Mesa Scenario declares defaults as class attributes
    units: dict = {}  # noqa: RUF012
    sources: dict = {}  # noqa: RUF012
    trajectories: dict = {}  # noqa: RUF012
    notes: tuple = ()

    def for_run(self, seed: int) -> CentreScenario:
        """A copy bound to no model, with ``rng`` = ``seed`` (one scenario, many runs)."""
        return CentreScenario(rng=seed, **self.fields())

    def fields(self) -> dict[str, Any]:
        """The scenario's content as keyword arguments (for copies)."""
        return {k: getattr(self, k) for k in (
            "name", "description", "source", "start_year", "end_year", "assumes", "expects",
            "chain", "params", "units", "sources", "trajectories", "notes")}


def available_scenarios() -> dict[str, str]:
    """Return ``{name: description}`` of the presets shipped in `sim/scenarios/` (files whose
    name starts with ``_`` are layers under ``baseline``, not presets)."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("[!_]*.toml")):
        with path.open("rb") as fh:
            head = tomllib.load(fh).get("scenario", {})
        out[path.stem] = str(head.get("description", "")).strip()
    return out


def resolve_path(name_or_path: str | Path) -> Path:
    """Map a preset name or a file path to an existing file, or raise `ScenarioError`."""
    if not isinstance(name_or_path, str | Path):
        raise ScenarioError(f"scenario must be a preset name or a path, got "
                            f"{type(name_or_path).__name__}")
    if str(name_or_path).strip() == "":
        raise ScenarioError(f"scenario name is empty; allowed: {', '.join(available_scenarios())}"
                            " or a path to a .toml file")
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise ScenarioError(f"{p}: scenario file not found")
        try:
            check_regular(p)
        except FileReadError as exc:
            raise ScenarioError(f"{p}: {exc}") from None
        return p
    # A preset is a plain name: "../x" must not reach files outside the preset folder.
    name = str(name_or_path)
    preset = SCENARIO_DIR / f"{name}.toml"
    if not any(c in name for c in "/\\\0") and not name.startswith(".") and preset.is_file():
        return preset
    raise ScenarioError(
        f"unknown scenario {str(name_or_path)!r}; allowed: {', '.join(available_scenarios())} "
        "or a path to a .toml file"
    )


#: Parsed TOML of recently read scenario files, by the SHA-256 of their text: a sweep checks
#: every value of a factor by loading the scenario once per value, which would otherwise parse
#: the same chain of files again each time. A changed file has another key; each use gets a
#: fresh copy (callers may change what they get).
_PARSED: dict[bytes, bytes] = {}
_PARSED_MAX = 64


def _parse_cached(text: str) -> dict[str, Any]:
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    if key not in _PARSED:
        raw = tomllib.loads(text)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = pickle.dumps(raw)
    return pickle.loads(_PARSED[key])


def _read(path: Path) -> _File:
    try:
        text = read_text_limited(path, MAX_TEXT_FILE_BYTES)
    except FileReadError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    try:
        raw = _parse_cached(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ScenarioError(f"{path}: not valid TOML ({str(exc).split(':')[0]})") from None
    try:
        return _File.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        allowed = {
            "": "scenario, params, trajectories",
            "scenario": "name, description, extends, source, start_year, end_year, assumes, "
                        "expects",
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


def _show(v: Any) -> str:
    """A value for a message: its repr, shortened (a 200,000-element list is not printed)."""
    if isinstance(v, list | tuple | dict) and len(v) > 8:
        return f"a {type(v).__name__} of {len(v):,} items"
    try:
        r = repr(v)
    except (ValueError, RecursionError):  # an int too long to print, a deeply nested list
        return f"a {type(v).__name__}"
    return r if len(r) <= 60 else r[:57] + "..."


def _range_text(spec: Spec) -> str:
    return f"[{spec.lo:g}, {spec.hi:g}]" if spec.lo is not None else "any finite number"


def _check_number(path: Path, key: str, spec: Spec, v: Any, kind: str) -> Any:
    if kind == "bool":
        if not isinstance(v, bool):
            raise ScenarioError(f"{path}: {key} must be true or false, got {_show(v)}")
        return v
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(f"{path}: {key} must be a number, got {_show(v)}")
    try:
        x = float(v)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ScenarioError(f"{path}: {key} = {_show(v)} is not a finite number; allowed: "
                            f"{_range_text(spec)}")
    if kind == "int" and not x.is_integer():
        raise ScenarioError(f"{path}: {key} must be a whole number, got {_show(v)}")
    if (spec.lo is not None and x < spec.lo) or (spec.hi is not None and x > spec.hi):
        raise ScenarioError(f"{path}: {key} = {_show(v)} is out of range; allowed: "
                            f"{_range_text(spec)}")
    return int(x) if kind == "int" else x


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


def _element_kind(spec: Spec) -> str:
    return "bool" if spec.unit == "bool" else ("int" if spec.unit in ("stops",) else "float")


def _check_value(path: Path, name: str, spec: Spec, v: Any, partial: bool) -> Any:
    key = f"params.{name}.value"
    if spec.kind in ("float", "int", "bool"):
        return _check_number(path, key, spec, v, spec.kind)
    elem = _element_kind(spec)
    if spec.kind == "map":
        if not isinstance(v, dict):
            # One number for every key of the map.
            x = _check_number(path, key, spec, v, elem)
            return dict.fromkeys(spec.keys, x)
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


def _check_consistency(path: Path, params: dict[str, Any]) -> None:
    """Rules across keys: ``{min, max}`` ranges in order, a non-empty entrant mix, burn-in
    bounds in order, split sizes that split."""
    for name, spec in PARAMS.items():
        if spec.kind == "map" and spec.keys == RANGE_KEYS and name in params:
            lo, hi = params[name]["min"], params[name]["max"]
            if lo > hi:
                raise ScenarioError(f"{path}: params.{name}.value has min = {lo:g} > max = "
                                    f"{hi:g}; allowed: min <= max")
    mix = params.get("entrant_mix")
    if mix is not None and sum(mix.values()) <= 0:
        raise ScenarioError(f"{path}: params.entrant_mix.value is zero for every type; allowed: "
                            "at least one share > 0")
    lo, hi = params.get("burn_in_min_months"), params.get("burn_in_max_months")
    if lo is not None and hi is not None and lo > hi:
        raise ScenarioError(f"{path}: params.burn_in_min_months = {lo} > burn_in_max_months = "
                            f"{hi}; allowed: min <= max")
    lo, hi = params.get("subdivide_target_area"), params.get("subdivide_min_area")
    if lo is not None and hi is not None and 2 * lo > hi:
        raise ScenarioError(f"{path}: params.subdivide_min_area = {hi:g} is less than twice "
                            f"subdivide_target_area = {lo:g}; allowed: min_area >= 2 x target")


def _point_year(key: str) -> float | None:
    """Time of a trajectory point: ``"2020"`` is 1 January 2020 (2020.0); ``"2020-03"`` is the
    start of March 2020 (2020 + 2/12), the time the model gives that month. None if invalid."""
    year, dash, month = key.partition("-")
    if not (year.isdigit() and len(year) == 4
            and TRAJECTORY_YEARS[0] <= int(year) <= TRAJECTORY_YEARS[1]):
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


def _collect(path: Path) -> list[tuple[Path, _File]]:
    """The files of an ``extends`` chain, base first (iterative: no recursion limit)."""
    chain: list[tuple[Path, _File]] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        if current.resolve() in seen:
            cycle = " -> ".join(p.name for p in (*seen, current.resolve()))
            raise ScenarioError(f"{path}: scenario.extends forms a cycle ({cycle})")
        if len(seen) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(f"{path}: scenario.extends chain is longer than "
                                f"{MAX_EXTENDS_DEPTH} files; allowed: at most "
                                f"{MAX_EXTENDS_DEPTH}")
        seen.append(current.resolve())
        f = _read(current)
        chain.append((current, f))
        parent = f.scenario.extends
        if not parent:
            break
        candidate = (current.parent / parent) if parent.endswith(".toml") else None
        try:
            current = (candidate if candidate and candidate.is_file()
                       else resolve_path(parent))
        except ScenarioError as exc:
            raise ScenarioError(f"{current}: scenario.extends: {exc}") from None
    return chain[::-1]


def _trajectory_points(fpath: Path, name: str, spec: Spec, t: _Trajectory
                       ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    pts: dict[float, str] = {}
    values = []
    for y, v in t.points.items():
        year = _point_year(y)
        if year is None:
            raise ScenarioError(
                f"{fpath}: trajectories.{name}.points key {_show(y)} must be a year "
                f"{TRAJECTORY_YEARS[0]}-{TRAJECTORY_YEARS[1]}"
                " or a year-month such as 2020-03"
            )
        if year in pts:
            raise ScenarioError(f"{fpath}: trajectories.{name}.points has {_show(pts[year])} and "
                                f"{_show(y)} for the same month; allowed: one point per month")
        pts[year] = y
        x = _check_number(fpath, f"trajectories.{name}.points.{y}", spec, v, "float")
        values.append((year, x))
    if not values:
        raise ScenarioError(
            f"{fpath}: trajectories.{name}.points is empty; give at least one year"
        )
    values.sort()
    return tuple(p[0] for p in values), tuple(p[1] for p in values)


#: How a parameter's source begins when the user (an option, a sweep factor, a draw) set it.
USER_OVERRIDE = "user override"


def _apply_overrides(params: dict[str, Any], sources: dict[str, str], overrides: dict[str, Any],
                     label: str) -> None:
    for name, value in overrides.items():
        spec = PARAMS.get(name)
        if spec is None:
            raise ScenarioError(f"{label}: {name} is not a known parameter; see "
                                f"`binnenstad params` for the {len(PARAMS)} allowed names")
        value = _check_value(Path(label), name, spec, value, name in params)
        params[name] = _merge(params[name], value) if name in params else value
        sources[name] = f"{USER_OVERRIDE} ({label})"
    if overrides:
        _check_consistency(Path(label), params)


def override_params(scenario: CentreScenario, overrides: dict[str, Any],
                    label: str = "override") -> CentreScenario:
    """A copy of ``scenario`` with parameter values replaced, each checked as in a scenario file
    (a map may be given in part); errors name ``label`` (the option or argument)."""
    params = {k: dict(v) if isinstance(v, dict) else v for k, v in scenario.params.items()}
    sources = dict(scenario.sources)
    _apply_overrides(params, sources, dict(overrides), label)
    return CentreScenario(**{**scenario.fields(), "params": params, "sources": sources})


def load_scenario(name_or_path: str | Path = "baseline", **overrides: Any) -> CentreScenario:
    """Load a preset by name or a user's TOML file, following ``extends``; return a validated,
    complete `CentreScenario`. ``overrides`` replace parameter values (checked like file values;
    a map may be given in part)."""
    path = resolve_path(name_or_path)
    chain = _collect(path)
    params: dict[str, Any] = {}
    units: dict[str, str] = {}
    sources: dict[str, str] = {}
    trajs: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
    notes: list[str] = []
    for fpath, f in chain:
        for name, entry in f.params.items():
            spec = PARAMS.get(name)
            if spec is None:
                if name in DEPRECATED_PARAMS:
                    notes.append(f"{fpath}: params.{name} is deprecated and ignored: "
                                 f"{DEPRECATED_PARAMS[name]}")
                    continue
                raise ScenarioError(
                    f"{fpath}: params.{name} is not a known parameter; "
                    f"see `binnenstad params` for the {len(PARAMS)} allowed names"
                )
            if entry.unit != spec.unit:
                raise ScenarioError(
                    f"{fpath}: params.{name}.unit is {entry.unit!r}; allowed: {spec.unit!r}"
                )
            value = _check_value(fpath, name, spec, entry.value, name in params)
            params[name] = _merge(params[name], value) if name in params else value
            units[name], sources[name] = entry.unit, entry.source
        for name, t in f.trajectories.items():
            spec = TRAJECTORIES.get(name)
            if spec is None:
                if name in DEPRECATED_TRAJECTORIES:
                    notes.append(f"{fpath}: trajectories.{name} is deprecated and ignored: "
                                 f"{DEPRECATED_TRAJECTORIES[name]}")
                    continue
                raise ScenarioError(
                    f"{fpath}: trajectories.{name} is not a known driver; "
                    f"allowed: {', '.join(TRAJECTORIES)}"
                )
            if t.unit != spec.unit:
                raise ScenarioError(
                    f"{fpath}: trajectories.{name}.unit is {t.unit!r}; allowed: {spec.unit!r}"
                )
            trajs[name] = _trajectory_points(fpath, name, spec, t)
            units[name], sources[name] = t.unit, t.source
        _check_consistency(fpath, params)
    _apply_overrides(params, sources, overrides, "override")
    missing = [n for n in PARAMS if n not in params] + [n for n in TRAJECTORIES if n not in trajs]
    if missing:
        raise ScenarioError(
            f"{path}: lacks {missing[0]!r} (and {len(missing) - 1} more); "
            "extend 'baseline' to inherit defaults"
        )
    heads = [f.scenario for _, f in chain]
    head = heads[-1]
    start = next((h.start_year for h in reversed(heads) if h.start_year is not None), 2013)
    end = next((h.end_year for h in reversed(heads) if h.end_year is not None), start + 12)
    for label, y in (("start_year", start), ("end_year", end)):
        if not START_YEARS[0] <= y <= START_YEARS[1]:
            raise ScenarioError(f"{path}: scenario.{label} = {y} is out of range; allowed: "
                                f"{START_YEARS[0]}-{START_YEARS[1]}")
    if end <= start:
        raise ScenarioError(f"{path}: scenario.end_year = {end} is not after start_year = "
                            f"{start}; allowed: end_year > start_year")
    expects = list(head.expects)
    if head.directions:
        notes.append(f"{chain[-1][0]}: scenario.directions is deprecated: read as "
                     "scenario.expects")
        expects += head.directions
    for note in notes:
        warnings.warn(note, ScenarioWarning, stacklevel=2)
    return CentreScenario(
        name=head.name,
        description=head.description,
        source=head.source,
        start_year=int(start),
        end_year=int(end),
        assumes=tuple(head.assumes),
        expects=tuple(expects),
        chain=tuple(str(p) for p, _ in chain),
        params=params,
        units=units,
        sources=sources,
        trajectories=trajs,
        notes=tuple(notes),
    )
