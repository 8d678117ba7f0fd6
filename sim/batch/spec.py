"""Experiment specs: read a TOML file, validate it, resolve its towns, scenarios and policies.

The minimal spec::

    [experiment]
    name = "demo"
    towns = ["small"]                              # presets or town files
    scenarios = ["baseline", "ontspannen_stad"]    # presets or scenario files
    policies = ["none", "compaction", "blurring:intensity=2", "compaction+blurring"]
    replicates = 3
    start = 2013     # optional: default is each scenario's own start year
    years = 3

Optional tables: ``[grid]`` (factor -> list of values, full factorial), ``[sample]`` (``method``
lhs, sobol or morris; ``n``; ``seed``; ``[sample.ranges]`` factor -> [low, high]), ``[outputs]``
(which tables and columns to keep) and ``[analysis]`` (outcomes, window, bootstrap); see
``experiments/README.md``. Factor keys are explained in `sim.batch.factors`.

A policy is a combination of levers (``none``, ``compaction+blurring``). Deprecated key:
``experiment.arms`` (deprecated) is still read as ``experiment.policies``, with a one-line note
on stderr.

Every problem raises `SpecError` with one line naming the file, the field and what is allowed,
before anything is run or written.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from ..limits import (
    MAX_BOOTSTRAP,
    MAX_RUNS,
    MAX_SEED,
    MAX_TEXT_FILE_BYTES,
    MAX_TOWN_FILE_BYTES,
    MAX_YEARS,
    START_YEARS,
)
from ..safeio import FileReadError, PathNameError, path_name, read_limited, read_text_limited
from .factors import Factor, FactorError, apply_levers, parse_factor, scale_drivers, split_policy

#: Policy name for "no lever" (the reference of paired effects).
NONE = "none"
#: Start year of a scenario that does not declare one (`CentreScenario.start_year`).
DEFAULT_START = 2013
#: Run length (years) when neither the spec nor the scenario gives one.
DEFAULT_YEARS = 12
#: Columns every kept timeseries table has, whatever ``outputs.timeseries_columns`` says.
TIME_COLUMNS = ("date", "step", "year", "month")
TABLES = ("timeseries", "units", "events")


class SpecError(ValueError):
    """A spec file is missing, malformed or names something that does not exist (one line)."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ExperimentTable(_Table):
    """``[experiment]``: what to run."""

    name: str = Field(min_length=1)
    description: str = ""
    towns: list[str] = Field(default=["medium"], min_length=1)
    scenarios: list[str] = Field(default=["baseline"], min_length=1)
    policies: list[str] = Field(default=[NONE], min_length=1)
    replicates: int = Field(default=1, ge=1, le=MAX_RUNS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    start: int | None = Field(default=None, ge=START_YEARS[0], le=START_YEARS[1])
    years: int | None = Field(default=None, ge=1, le=MAX_YEARS)
    town_seed: int = Field(default=0, ge=0, le=MAX_SEED)
    backend: Literal["numba", "reference"] = "numba"

    @field_validator("name")
    @classmethod
    def _one_path_component(cls, v: str) -> str:
        # The name becomes the default results folder outputs/<name>.
        try:
            return path_name(v)
        except PathNameError as exc:
            raise ValueError(f"the name becomes the folder outputs/<name>: {exc}") from None


class SampleTable(_Table):
    """``[sample]``: points drawn from ranges (SALib samplers)."""

    method: Literal["lhs", "sobol", "morris"]
    n: int = Field(ge=1, le=MAX_RUNS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    levels: int = Field(default=4, ge=2, le=100)
    second_order: bool = False
    ranges: dict[str, list[float]] = Field(min_length=1)


class OutputsTable(_Table):
    """``[outputs]``: which tables (and timeseries columns, unit snapshot years) to keep."""

    tables: list[Literal["timeseries", "units", "events"]] = Field(
        default=["timeseries", "units"], min_length=1)
    timeseries_columns: list[str] | None = None
    units_years: Literal["all", "last"] = "all"


class AnalysisTable(_Table):
    """``[analysis]``: settings of ``binnenstad analyse`` and ``binnenstad sensitivity``."""

    outcomes: list[str] | None = None
    window_months: int = Field(default=12, ge=1, le=12 * MAX_YEARS)
    bootstrap: int = Field(default=2000, ge=100, le=MAX_BOOTSTRAP)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    reference: str = NONE
    robustness_scenarios: list[str] | None = None


class ExperimentSpec(_Table):
    """A validated experiment spec (see the module docstring)."""

    experiment: ExperimentTable
    grid: dict[str, list[bool | int | float | str]] = {}
    sample: SampleTable | None = None
    outputs: OutputsTable = OutputsTable()
    analysis: AnalysisTable = AnalysisTable()

    _source: str = PrivateAttr(default="<spec>")
    _text: str = PrivateAttr(default="")
    _towns: dict[str, str] = PrivateAttr(default_factory=dict)
    _scenarios: dict[str, str] = PrivateAttr(default_factory=dict)
    _starts: dict[str, int] = PrivateAttr(default_factory=dict)
    _years: dict[str, int] = PrivateAttr(default_factory=dict)
    _files: dict[str, str] = PrivateAttr(default_factory=dict)
    _factors: list[Factor] = PrivateAttr(default_factory=list)

    # ------------------------------------------------------------------ resolved inputs
    @property
    def source(self) -> str:
        """Where the spec came from (file path or ``<run_many>``)."""
        return self._source

    @property
    def text(self) -> str:
        """The spec as TOML text (the file's own text when read from a file)."""
        return self._text

    @property
    def factors(self) -> list[Factor]:
        """Grid factors then sample factors, in spec order."""
        return list(self._factors)

    def town_path(self, town: str) -> str:
        """The preset name or absolute file path of a town label."""
        return self._towns[town]

    def scenario_path(self, scenario: str) -> str:
        """The preset name or absolute file path of a scenario label."""
        return self._scenarios[scenario]

    def start_of(self, scenario: str) -> int:
        """First simulated year of runs under ``scenario``."""
        return self._starts[scenario]

    def years_of(self, scenario: str) -> int:
        """Simulated years of runs under ``scenario``."""
        return self._years[scenario]

    def run_hash(self) -> str:
        """Hash of everything that decides which runs exist and what they write (not the name,
        description or analysis settings); a results folder belongs to one such hash."""
        exp = self.experiment.model_dump(exclude={"name", "description"})
        payload = {
            "experiment": exp,
            "grid": self.grid,
            "sample": self.sample.model_dump() if self.sample else None,
            "outputs": self.outputs.model_dump(),
            "starts": self._starts,
            "years": self._years,
            "files": self._files,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------- errors
def _allowed_keys(model: type[BaseModel], loc: tuple) -> str | None:
    """Field names of the (nested) table at ``loc``, for 'unknown key' messages."""
    cls: Any = model
    for part in loc:
        field = cls.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        cls = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
                   None)
        if cls is None:
            return None
    return ", ".join(cls.model_fields)


def _pydantic_error(source: str, exc: ValidationError) -> SpecError:
    errors = exc.errors()
    # An unknown key explains a "missing" one (a typo in a table name), so report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    where = ".".join(str(x) for x in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(ExperimentSpec, loc[:-1])
        table = ".".join(str(x) for x in loc[:-1])
        what = f"[{table}]" if table else "the spec"
        hint = f"; allowed: {allowed}" if allowed else ""
        return SpecError(f"{source}: {where}: not a known key of {what}{hint}")
    if kind == "missing":
        if len(loc) == 1 and loc[0] == "experiment":
            return SpecError(f"{source}: [experiment] table is missing; it needs at least name")
        return SpecError(f"{source}: {where}: required field is missing")
    msg = err["msg"].replace("\n", " ")
    return SpecError(f"{source}: {where}: {msg} (got {_show(err.get('input'))})")


def _show(v: Any) -> str:
    """A value for a message, shortened (a 200,000-element list is not printed)."""
    if isinstance(v, list | tuple | dict) and len(v) > 8:
        return f"a {type(v).__name__} of {len(v):,} items"
    try:
        r = repr(v)
    except (ValueError, RecursionError):
        return f"a {type(v).__name__}"
    return r if len(r) <= 60 else r[:57] + "..."


# ---------------------------------------------------------------------------------- parsing
def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """TOML dotted keys (``spend_per_capita.fashion = ...`` unquoted) make nested tables; a
    factor name is the dotted path."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _resolve_file(name: str, base: Path | None) -> Path | None:
    p = Path(name)
    for cand in ([base / p] if base is not None and not p.is_absolute() else []) + [p]:
        if cand.is_file():
            return cand.resolve()
    return None


def _file_hash(path: Path) -> str:
    """Hash of a town or scenario file (read within the town-file limit; both were loaded,
    so checked, before)."""
    return hashlib.sha256(read_limited(path, MAX_TOWN_FILE_BYTES)).hexdigest()[:16]


def _check_unique(source: str, field: str, items: list[str]) -> None:
    seen = set()
    for x in items:
        if x in seen:
            raise SpecError(f"{source}: {field}: {x!r} is listed twice")
        seen.add(x)


def _resolve_towns(spec: ExperimentSpec, base: Path | None) -> None:
    from ..town import PRESETS
    from ..town_io import TownFileError, resolve_town

    src = spec._source
    _check_unique(src, "experiment.towns", spec.experiment.towns)
    for town in spec.experiment.towns:
        if town.strip().lower() in PRESETS:
            spec._towns[town] = town.strip().lower()
            continue
        path = _resolve_file(town, base)
        if path is None:
            raise SpecError(f"{src}: experiment.towns: unknown town {town!r}; allowed: "
                            f"{', '.join(PRESETS)} or a .geojson file")
        try:
            resolve_town(str(path))
        except (TownFileError, OSError, ValueError) as exc:
            raise SpecError(f"{src}: experiment.towns: {exc}") from None
        spec._towns[town] = str(path)
        spec._files[f"town:{town}"] = _file_hash(path)


def _resolve_scenarios(spec: ExperimentSpec, base: Path | None) -> dict[str, Any]:
    from ..scenarios.loader import ScenarioError, available_scenarios, load_scenario

    src = spec._source
    _check_unique(src, "experiment.scenarios", spec.experiment.scenarios)
    loaded = {}
    for name in spec.experiment.scenarios:
        path = None if name in available_scenarios() else _resolve_file(name, base)
        target = str(path) if path is not None else name
        try:
            sc = load_scenario(target)
        except ScenarioError as exc:
            raise SpecError(f"{src}: experiment.scenarios: {exc}") from None
        if path is not None:
            spec._files[f"scenario:{name}"] = _file_hash(path)
        spec._scenarios[name] = target
        start = spec.experiment.start
        if start is None:
            start = int(getattr(sc, "start_year", DEFAULT_START))
        years = spec.experiment.years
        if years is None:
            end = getattr(sc, "end_year", None)
            years = int(end) - start if end is not None else DEFAULT_YEARS
            if years <= 0:
                raise SpecError(f"{src}: experiment.years: scenario {name} ends in {end}, before "
                                f"the start {start}; give years explicitly")
        spec._starts[name], spec._years[name] = start, years
        loaded[name] = sc
    return loaded


def _check_policies(spec: ExperimentSpec) -> None:
    from ..policies import PolicyError, parse_policy
    from ..policies.spec import LeverSpec

    src = spec._source
    policies = spec.experiment.policies
    _check_unique(src, "experiment.policies", policies)
    for policy in policies:
        if policy.strip() == NONE:
            continue
        parts = [p.strip() for p in policy.split("+")]
        if NONE in parts:
            raise SpecError(f"{src}: experiment.policies: {policy!r}: 'none' cannot be combined "
                            "with levers")
        names = []
        for part in parts:
            if not part:
                raise SpecError(f"{src}: experiment.policies: {policy!r} has an empty part; write "
                                "lever+lever")
            try:
                parse_policy(part)
            except PolicyError as exc:
                raise SpecError(f"{src}: experiment.policies: {policy!r}: {exc}") from None
            names.append(LeverSpec.name_of(part))
        if len(set(names)) != len(names):
            raise SpecError(f"{src}: experiment.policies: {policy!r} names a lever twice")


def _check_factor_values(spec: ExperimentSpec, f: Factor, where: str, values: list[Any],
                         scenarios: dict[str, Any]) -> None:
    """Check every value a factor can take against every scenario or policy that uses it."""
    from ..policies import PolicyError, parse_policy
    from ..scenarios.loader import ScenarioError, load_scenario
    from .factors import scenario_changes

    src = spec._source
    for v in values:
        try:
            v = f.coerce(v)
        except FactorError as exc:
            raise SpecError(f"{src}: {where}: {exc}") from None
        if f.kind == "lever":
            for policy in spec.experiment.policies:
                if f.target not in [n for n, _ in split_policy(policy)]:
                    continue
                _, parts = apply_levers(policy, {f: v})
                try:
                    for part in parts:
                        parse_policy(part)
                except PolicyError as exc:
                    raise SpecError(f"{src}: {where}: {exc}") from None
            continue
        overrides, scales = scenario_changes({f: v})
        for name in scenarios:
            try:
                sc = load_scenario(spec._scenarios[name], **overrides) if overrides else (
                    scenarios[name])
                scale_drivers(sc, scales)
            except (ScenarioError, FactorError) as exc:
                msg = str(exc).removeprefix("override: ")
                raise SpecError(f"{src}: {where}: {msg} (scenario {name})") from None


def _check_factors(spec: ExperimentSpec, scenarios: dict[str, Any]) -> None:
    from ..record import TIMESERIES_COLUMNS

    src = spec._source
    reserved = {"run_id", "town", "scenario", "policy", "point", "replicate", "seed", "start",
                "years", *TIMESERIES_COLUMNS}
    names: list[tuple[str, str]] = [(k, "grid") for k in spec.grid]
    if spec.sample is not None:
        names += [(k, "sample.ranges") for k in spec.sample.ranges]
    seen: set[str] = set()
    for key, table in names:
        where = f"{table}.{key}"
        if key in seen:
            raise SpecError(f"{src}: {where}: {key!r} is both in [grid] and [sample.ranges]")
        seen.add(key)
        if key in reserved:
            raise SpecError(f"{src}: {where}: {key!r} is a reserved column name")
        try:
            f = parse_factor(key)
        except FactorError as exc:
            raise SpecError(f"{src}: {where}: {exc}") from None
        if f.kind == "lever" and not any(
                f.target in [n for n, _ in split_policy(a)] for a in spec.experiment.policies):
            raise SpecError(f"{src}: {where}: no policy uses lever {f.target}; add it to "
                            "experiment.policies")
        if table == "grid":
            values = spec.grid[key]
            if not values:
                raise SpecError(f"{src}: {where}: give at least one value")
            if len({json.dumps(v) for v in values}) != len(values):
                raise SpecError(f"{src}: {where}: a value is listed twice")
        else:
            rng = spec.sample.ranges[key]
            if f.dtype in ("bool", "str"):
                raise SpecError(f"{src}: {where}: {key} takes {f.dtype} values; sample numeric "
                                "factors only (put it in [grid])")
            if len(rng) != 2 or not rng[0] < rng[1]:
                raise SpecError(f"{src}: {where}: give [low, high] with low < high (got {rng})")
            values = list(rng)
            if f.dtype == "int":
                values = [float(round(x)) for x in rng]
        _check_factor_values(spec, f, where, values, scenarios)
        spec._factors.append(f)


def _check_sample(spec: ExperimentSpec) -> None:
    s, src = spec.sample, spec._source
    if s is None:
        return
    if s.method in ("sobol", "morris") and spec.grid:
        raise SpecError(f"{src}: sample.method: {s.method} needs the whole design from its own "
                        "sampler; remove [grid] (allowed with method lhs)")
    if s.method == "sobol" and s.n & (s.n - 1):
        raise SpecError(f"{src}: sample.n: sobol needs a power of 2 (e.g. 64, 128), got {s.n}")
    if s.method == "morris" and len(s.ranges) < 2:
        raise SpecError(f"{src}: sample.ranges: morris needs at least 2 factors")


def _check_outputs(spec: ExperimentSpec) -> None:
    from ..record import TIMESERIES_COLUMNS

    cols = spec.outputs.timeseries_columns
    src = spec._source
    if cols is None:
        return
    for c in cols:
        if c not in TIMESERIES_COLUMNS:
            raise SpecError(f"{src}: outputs.timeseries_columns: unknown column {c!r}; allowed: "
                            f"{', '.join(TIMESERIES_COLUMNS)}")
    if "timeseries" not in spec.outputs.tables:
        raise SpecError(f"{src}: outputs.timeseries_columns: the timeseries table is not kept "
                        "(outputs.tables)")


def _check_analysis(spec: ExperimentSpec) -> None:
    from .outcomes import OUTCOMES

    a, src = spec.analysis, spec._source
    for o in a.outcomes or []:
        if o not in OUTCOMES:
            raise SpecError(f"{src}: analysis.outcomes: unknown outcome {o!r}; allowed: "
                            f"{', '.join(OUTCOMES)}")
    for s in a.robustness_scenarios or []:
        if s not in spec.experiment.scenarios:
            allowed = ", ".join(spec.experiment.scenarios)
            raise SpecError(f"{src}: analysis.robustness_scenarios: {s!r} is not in "
                            f"experiment.scenarios; allowed: {allowed}")
    if "reference" in a.model_fields_set and a.reference not in spec.experiment.policies:
        raise SpecError(f"{src}: analysis.reference: {a.reference!r} is not a policy; allowed: "
                        f"{', '.join(spec.experiment.policies)}")


def sample_points(sample: SampleTable | None) -> int:
    """Points a ``[sample]`` table draws (1 without one): lhs ``n``; Sobol (Saltelli)
    ``n * (D + 2)``, ``n * (2D + 2)`` with second order; Morris ``n * (D + 1)`` trajectories'
    points, for ``D`` sampled factors."""
    if sample is None:
        return 1
    d = len(sample.ranges)
    if sample.method == "sobol":
        return sample.n * ((2 * d + 2) if sample.second_order else (d + 2))
    if sample.method == "morris":
        return sample.n * (d + 1)
    return sample.n


def design_size(spec: ExperimentSpec) -> tuple[int, str]:
    """``(cells, breakdown)``: the runs of the design before identical runs are merged (towns
    x scenarios x policies x points x replicates), from the spec's counts alone (nothing is
    built)."""
    e = spec.experiment
    grid = math.prod(len(v) for v in spec.grid.values()) if spec.grid else 1
    points = grid * sample_points(spec.sample)
    cells = len(e.towns) * len(e.scenarios) * len(e.policies) * points * e.replicates
    return cells, (f"{len(e.towns)} towns x {len(e.scenarios)} scenarios x {len(e.policies)} "
                   f"policies x {points:,} points x {e.replicates:,} replicates")


def _check_size(spec: ExperimentSpec) -> None:
    cells, breakdown = design_size(spec)
    if cells > MAX_RUNS:
        raise SpecError(f"{spec._source}: the design has {cells:,} runs ({breakdown}); allowed: "
                        f"at most {MAX_RUNS:,} runs in one spec; use fewer values, sample "
                        "points or replicates, or split the study into several specs")


#: Deprecated spec keys: (table, old key) -> new key (a policy is what was called an arm).
DEPRECATED_KEYS = {("experiment", "arms"): "policies"}


def _renamed_keys(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """``raw`` with each deprecated key renamed to its new name (one note on stderr each);
    `SpecError` if a table gives both."""
    from ..deprecation import note

    for (table, old), new in DEPRECATED_KEYS.items():
        t = raw.get(table)
        if isinstance(t, dict) and old in t:
            if new in t:
                raise SpecError(f"{source}: {table}.{old}: give {table}.{new} only ({old} is "
                                f"the deprecated name of {new})")
            note(f"{table}.{old}", f"{table}.{new}", what="spec key", where=source)
            raw[table] = {(new if k == old else k): v for k, v in t.items()}
    return raw


def parse_spec(raw: dict[str, Any], source: str = "<spec>", base: Path | None = None,
               text: str = "") -> ExperimentSpec:
    """Validate a spec given as a dict (parsed TOML); resolve names relative to ``base``."""
    raw = _renamed_keys(dict(raw), source)
    if isinstance(raw.get("grid"), dict):
        raw["grid"] = _flatten(raw["grid"])
    if isinstance(raw.get("sample"), dict) and isinstance(raw["sample"].get("ranges"), dict):
        raw["sample"] = {**raw["sample"], "ranges": _flatten(raw["sample"]["ranges"])}
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise _pydantic_error(source, exc) from None
    spec._source = source
    _check_size(spec)  # before any town, scenario or sample is built
    spec._text = text or _to_toml(raw)
    _resolve_towns(spec, base)
    scenarios = _resolve_scenarios(spec, base)
    _check_policies(spec)
    _check_sample(spec)
    _check_factors(spec, scenarios)
    _check_outputs(spec)
    _check_analysis(spec)
    return spec


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """``text`` parsed as TOML, or `SpecError` (one line naming ``source``)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:
        raise SpecError(f"{source}: not valid TOML (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise SpecError(f"{source}: not valid TOML ({str(exc).split(':')[0]})") from None


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file; names of town and scenario files are resolved relative to
    the spec's folder first, then to the working directory."""
    p = Path(path)
    try:
        text = read_text_limited(p, MAX_TEXT_FILE_BYTES)
    except FileReadError as exc:
        raise SpecError(f"{p}: spec file: {exc}") from None
    raw = parse_toml(text, str(p))
    return parse_spec(raw, source=str(p), base=p.parent, text=text)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _to_toml(raw: dict[str, Any], prefix: str = "") -> str:
    """Minimal TOML writer for specs built in Python (tables of scalars and lists)."""
    lines, tables = [], []
    for k, v in raw.items():
        if v is None:
            continue
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append(f"{json.dumps(k)} = {_toml_value(v)}")
    out = "\n".join(lines)
    for k, v in tables:
        name = f"{prefix}{k}"
        out += f"\n\n[{name}]\n" + _to_toml(v, name + ".")
    return out.strip() + "\n"
