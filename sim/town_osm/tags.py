"""The OSM tag table (``sim/data/osm_branches.toml``): which objects are premises, their function,
vacancy and anchor role, and the numbers the town builder uses. Checked with pydantic: a bad
table is one line naming the file, the key and what is allowed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..functions import ANCHOR_NAMES, COMMERCIAL, FUNCTION_NAMES
from ..limits import MAX_TEXT_FILE_BYTES
from ..safeio import FileReadError, read_text_limited

#: The table shipped with the package.
DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "data" / "osm_branches.toml"
#: Keys tried in this order for the premise rule.
PREMISE_KEYS = ("shop", "amenity", "office", "craft", "leisure", "tourism")
_FUNCTIONS = tuple(f for f in FUNCTION_NAMES if f != "vacant")
ENTRY_KINDS = ("parking", "station", "bike", "residential")
_COMMERCIAL = tuple(FUNCTION_NAMES[int(f)] for f in COMMERCIAL)


class TagTableError(ValueError):
    """The tag table cannot be read or holds a disallowed value."""


def _function(value: str) -> str:
    if value not in _FUNCTIONS:
        raise ValueError(f"function {value!r} is not allowed; allowed: {', '.join(_FUNCTIONS)}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Premise(_Strict):
    default: str | None = None
    values: dict[str, str] = {}

    @field_validator("default")
    @classmethod
    def _default(cls, v: str | None) -> str | None:
        return None if v is None else _function(v)

    @field_validator("values")
    @classmethod
    def _values(cls, v: dict[str, str]) -> dict[str, str]:
        for f in v.values():
            _function(f)
        return v


class _Vacant(_Strict):
    keys: list[str] = []
    values: dict[str, list[str]] = {}


class _FloorArea(_Strict):
    default_m2: float = Field(gt=0)
    min_m2: float = Field(gt=0)
    max_m2: float = Field(gt=0)
    by_anchor: dict[str, float] = {}
    by_function: dict[str, float] = {}

    @field_validator("by_anchor")
    @classmethod
    def _anchors(cls, v: dict[str, float]) -> dict[str, float]:
        for k in v:
            if k not in ANCHOR_NAMES[1:]:
                raise ValueError(f"anchor {k!r} is not allowed; allowed: "
                                 f"{', '.join(ANCHOR_NAMES[1:])}")
        return v

    @field_validator("by_function")
    @classmethod
    def _functions(cls, v: dict[str, float]) -> dict[str, float]:
        for k in v:
            _function(k)
        return v


class _Building(_Strict):
    default_upper_floors: int = Field(ge=0)
    max_upper_floors: int = Field(ge=0)


class _Streets(_Strict):
    walkable: list[str]
    main_roads: list[str]


class _Entries(_Strict):
    shares: dict[Literal["parking", "station", "bike", "residential"], float]
    default_capacity: dict[Literal["parking", "bike"], float]
    cluster_m: float = Field(ge=0)
    max_per_kind: int = Field(ge=1)
    parking: list[str]
    station: list[str]
    bike: list[str]


class _Build(_Strict):
    max_distance_m: float = Field(gt=0, le=250)
    density_bandwidth_m: float = Field(gt=0)
    core_share: float = Field(gt=0, lt=1)
    aanloop_share: float = Field(ge=0, lt=1)
    persons_per_unit: float = Field(gt=0)


class _Table(_Strict):
    vacant: _Vacant
    premise: dict[str, _Premise]
    anchors: dict[str, str] = {}
    floor_area: _FloorArea
    building: _Building
    streets: _Streets
    entries: _Entries
    build: _Build

    @field_validator("premise")
    @classmethod
    def _keys(cls, v: dict[str, _Premise]) -> dict[str, _Premise]:
        for k in v:
            if k not in PREMISE_KEYS:
                raise ValueError(f"premise key {k!r} is not allowed; allowed: "
                                 f"{', '.join(PREMISE_KEYS)}")
        return v

    @field_validator("anchors")
    @classmethod
    def _anchor_roles(cls, v: dict[str, str]) -> dict[str, str]:
        for tag, role in v.items():
            if "=" not in tag:
                raise ValueError(f"anchor tag {tag!r} must look like key=value")
            if role not in ANCHOR_NAMES[1:]:
                raise ValueError(f"anchor {role!r} is not allowed; allowed: "
                                 f"{', '.join(ANCHOR_NAMES[1:])}")
        return v


@dataclass(frozen=True)
class Premise:
    """What the tags say about one object."""

    function: str  # a FUNCTION_NAMES entry, "vacant" included
    anchor: str  # "none" or an anchor role
    chain: bool  # a brand outlet (``brand`` or ``brand:wikidata`` tag)
    tag: str  # the tag that decided, e.g. "shop=bakery"


class TagTable:
    """The checked table with the classification rules."""

    def __init__(self, table: _Table, source: Path) -> None:
        self.t = table
        self.source = source
        self._tags = {k: {tuple(s.split("=", 1)) for s in getattr(table.entries, k)}
                      for k in ("parking", "station", "bike")}

    @classmethod
    def load(cls, path: str | Path | None = None) -> TagTable:
        """Read the table at ``path`` (default: the one shipped with the package)."""
        p = Path(path) if path is not None else DEFAULT_TABLE
        try:  # a regular file within the text-file limit (sim.safeio)
            raw = tomllib.loads(read_text_limited(p, MAX_TEXT_FILE_BYTES))
        except FileReadError as exc:
            raise TagTableError(f"{p}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise TagTableError(f"{p}: not valid TOML ({exc})") from None
        except (ValueError, RecursionError) as exc:  # an integer too long, nesting too deep
            raise TagTableError(f"{p}: not valid TOML ({str(exc).split(':')[0]})") from None
        try:
            return cls(_Table.model_validate(raw), p)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise TagTableError(f"{p}: {loc}: {err['msg']}") from None

    # ------------------------------------------------------------------ classification
    def premise(self, tags: dict[str, str]) -> Premise | None:
        """The premise an object with ``tags`` is, or None (see the table's header)."""
        for key in PREMISE_KEYS:
            rule = self.t.premise.get(key)
            value = tags.get(key)
            if rule is None or value is None or value in self.t.vacant.values.get(key, ()):
                continue
            function = rule.values.get(value, rule.default)
            if function is None:
                continue
            anchor = self.t.anchors.get(f"{key}={value}", "none")
            chain = function in _COMMERCIAL and ("brand" in tags or "brand:wikidata" in tags)
            return Premise(function, anchor, chain or anchor == "department_store",
                           f"{key}={value}")
        for key in self.t.vacant.keys:
            if key in tags:
                return Premise("vacant", "none", False, f"{key}={tags[key]}")
        for key, values in self.t.vacant.values.items():
            if tags.get(key) in values:
                return Premise("vacant", "none", False, f"{key}={tags[key]}")
        return None

    def entry_kind(self, tags: dict[str, str]) -> str | None:
        """``parking``, ``station`` or ``bike`` for an entry object, else None."""
        for kind, pairs in self._tags.items():
            if any(tags.get(k) == v for k, v in pairs):
                return kind
        return None

    def walkable(self, tags: dict[str, str]) -> bool:
        """A way people can walk along (see [streets])."""
        if tags.get("highway") not in self.t.streets.walkable or tags.get("area") == "yes":
            return False
        if tags.get("foot") in ("yes", "designated", "permissive"):
            return True
        return tags.get("foot") != "no" and tags.get("access") not in ("no", "private")

    def main_road(self, tags: dict[str, str]) -> bool:
        return tags.get("highway") in self.t.streets.main_roads

    def floor_area(self, premise: Premise) -> float:
        """Default ground-floor area (m2) of a premise without a footprint."""
        fa = self.t.floor_area
        if premise.anchor in fa.by_anchor:
            return fa.by_anchor[premise.anchor]
        return fa.by_function.get(premise.function, fa.default_m2)

    def upper_floors(self, tags: dict[str, str]) -> int:
        """Floors above the ground floor from ``building:levels`` (default otherwise)."""
        b = self.t.building
        try:
            levels = float(str(tags.get("building:levels", "")).replace(",", "."))
        except ValueError:
            return b.default_upper_floors
        if not levels >= 1:
            return b.default_upper_floors
        return int(min(max(round(levels) - 1, 0), b.max_upper_floors))
