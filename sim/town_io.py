"""Read and write a city centre (`Town`) as a GeoJSON file; see ``docs/town_format.md``.

The file is a GeoJSON ``FeatureCollection`` whose coordinates are metres in a projected system
(RD New / EPSG:28992 or any local metre grid), not longitude/latitude. Every feature has a
``properties.kind``:

* ``street`` (LineString / MultiLineString): walkable street centre lines. Vertices closer than
  `MERGE_M` (1 m) are one junction; a vertex within 1 m of another street's segment splits it
  (T-junction). Segments longer than `CELL_M` (25 m) are cut into equal pieces of at most 25 m, so
  street nodes are about one street cell apart.
* ``entry`` (Point): where visitors arrive (``parking``, ``station``, ``bike``, ``residential``).
* ``unit`` (Point): a ground-floor unit fronting a street, with zone, floor area (m2), function,
  ownership and anchor role.
* ``town`` (any or no geometry, optional): ``name`` and ``catchment_population`` (persons); these
  may instead be given as top-level ``properties`` of the collection.

Errors are raised as `TownFileError` with a one-line message naming the file, the feature index
(0-based position in ``features``) with its kind, the field and the allowed values. All checks of
a file's content go through one reader (`_Reader`) and the field limits in `sim.town.TOWN_LIMITS`;
files larger than `MAX_FILE_BYTES`, nested deeper than the JSON parser allows, or whose street
network would exceed the memory limit of `sim.space.check_network_size` are refused before
anything large is built.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .functions import (
    ANCHOR_NAMES,
    COMMERCIAL,
    FUNCTION_NAMES,
    ZONE_NAMES,
    Function,
)
from .limits import MAX_NAME_CHARS, MAX_UNITS
from .limits import MAX_TOWN_FILE_BYTES as MAX_FILE_BYTES
from .safeio import FileReadError, read_text_limited
from .space import TownTooLargeError, check_network_size
from .town import CELL_M, ENTRY_KINDS, PRESETS, TOWN_LIMITS, Limit, Town, generate_town

#: Street vertices closer than this (m) are merged into one node.
MERGE_M = 1.0
#: A unit or entry farther than this (m) from every street node is an error (likely a wrong CRS).
MAX_SNAP_M = 250.0
#: Format version written by `save_town`; `load_town` accepts files without one.
FORMAT_VERSION = 1
#: The example centre shipped with the package ("Voorbeeldstad", about 120 units).
EXAMPLE_TOWN = Path(__file__).parent / "data" / "example_town.geojson"

FEATURE_KINDS = ("street", "entry", "unit", "town")
OWNER_TYPES = ("private", "institutional", "municipality")
#: Functions whose units may hold retail by default (commercial tenants and vacant units).
_RETAIL_DEFAULT = frozenset({int(f) for f in COMMERCIAL} | {int(Function.VACANT)})
_COMMERCIAL_NAMES = tuple(FUNCTION_NAMES[int(f)] for f in COMMERCIAL)


class TownFileError(ValueError):
    """A town file cannot be read or describes an invalid town. The message is one line."""


# ---------------------------------------------------------------------------------------- parsing
class _Reader:
    """Error context and typed property access for one file."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, msg: str, where: str | None = None) -> TownFileError:
        prefix = f"{self.label}: {where}: " if where else f"{self.label}: "
        return TownFileError((prefix + msg).replace("\n", " "))

    def require(self, props: dict, key: str, where: str, hint: str) -> Any:
        if key not in props or props[key] is None:
            raise self.fail(f"missing required property {key!r} ({hint})", where)
        return props[key]

    def choice(self, value: Any, key: str, names: tuple[str, ...], where: str) -> int:
        allowed = ", ".join(names)
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string, got {_show(value)}; allowed: {allowed}",
                            where)
        k = value.strip().lower()
        if k not in names:
            raise self.fail(f"{key} {value!r} is not allowed; allowed: {allowed}", where)
        return names.index(k)

    def number(self, value: Any, key: str, where: str, limit: Limit) -> float:
        """A finite JSON number within ``limit`` (big integers are compared before any float
        conversion, so 400-digit numbers fail the range check instead of overflowing)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)) or not (
                limit.lo <= value <= limit.hi):
            raise self.fail(f"{key} must be a number from {limit.allowed()}, got "
                            f"{_show(value)}", where)
        return float(value)

    def count(self, value: Any, key: str, where: str, limit: Limit) -> int:
        ok = not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
        if not ok or not limit.lo <= value <= limit.hi:
            raise self.fail(f"{key} must be a whole number from {limit.allowed()}, got "
                            f"{_show(value)}", where)
        return int(value)

    def flag(self, value: Any, key: str, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false, got {_show(value)}", where)
        return value

    def point(self, geom: Any, where: str) -> tuple[float, float]:
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            raise self.fail(f"geometry must be a Point, got {_geom_type(geom)}", where)
        return self.position(geom.get("coordinates"), where)

    def position(self, pos: Any, where: str) -> tuple[float, float]:
        lim = TOWN_LIMITS["coordinate"]
        if (not isinstance(pos, list | tuple) or len(pos) < 2
                or not all(_is_num(c) and lim.lo <= c <= lim.hi for c in pos[:2])):
            raise self.fail(f"coordinates must be [x, y] in metres, each from {lim.allowed()}, "
                            f"got {_show(pos)}", where)
        return float(pos[0]), float(pos[1])

    def lines(self, geom: Any, where: str) -> list[list[tuple[float, float]]]:
        if not isinstance(geom, dict) or geom.get("type") not in ("LineString",
                                                                  "MultiLineString"):
            raise self.fail(f"geometry must be a LineString or MultiLineString, got "
                            f"{_geom_type(geom)}", where)
        coords = geom.get("coordinates")
        parts = [coords] if geom["type"] == "LineString" else coords
        if not isinstance(parts, list) or not parts:
            raise self.fail("street geometry has no coordinates", where)
        out = []
        for part in parts:
            if not isinstance(part, list) or len(part) < 2:
                raise self.fail("a street line needs at least 2 positions", where)
            out.append([self.position(p, where) for p in part])
        return out


def _is_num(v: Any) -> bool:
    """A finite JSON number (ints of any size count; they are range-checked as ints)."""
    return not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float)
                                                               and math.isfinite(v)))


def _show(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**40:
        return f"a {len(str(abs(v)))}-digit integer"
    try:
        s = json.dumps(v) if not isinstance(v, str) else repr(v)
    except (ValueError, RecursionError):  # deeply nested or otherwise unprintable
        s = f"a JSON {type(v).__name__}"
    return s if len(s) <= 40 else s[:37] + "..."


def _geom_type(geom: Any) -> str:
    if geom is None:
        return "no geometry"
    if isinstance(geom, dict):
        return str(geom.get("type", "an object without type"))
    return type(geom).__name__


def _read_json(path: Path, r: _Reader) -> dict:
    try:  # a regular file, its size checked before it is read (sim.safeio)
        text = read_text_limited(path, MAX_FILE_BYTES)
    except FileReadError as e:
        raise r.fail(str(e)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise r.fail(f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    except RecursionError:
        raise r.fail("JSON is nested too deeply for the parser (about 1,000 levels); a town "
                     "file needs at most 6") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts (4,300)
        raise r.fail(f"unreadable JSON: {str(e).split(':')[0]}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise r.fail(f"top level must be a GeoJSON FeatureCollection, got {_show(got)}")
    if not isinstance(doc.get("features"), list):
        raise r.fail("FeatureCollection has no 'features' list")
    return doc


def _union_find_merge(xy: np.ndarray, radius: float) -> np.ndarray:
    """Cluster points closer than ``radius`` (transitively); returns each point's cluster
    representative, the lowest index in its cluster."""
    parent = np.arange(len(xy))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(xy) > 1:
        for i, j in sorted(cKDTree(xy).query_pairs(radius)):
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return np.array([root(i) for i in range(len(xy))], dtype=np.int64)


def _build_streets(
    lines: list[tuple[list[tuple[float, float]], int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Street nodes and edges from polylines ``[(points, zone or -1)]``.

    Returns node x, node y (m), node zone (-1 where no street states one), edge u, edge v.

    Raises:
        TownTooLargeError: the street network would exceed the memory limit (checked on the node
            count before the long segments are cut into street cells).
    """
    vx, vy, seg_a, seg_b, seg_zone = [], [], [], [], []
    for pts, zone in lines:
        start = len(vx)
        for x, y in pts:
            vx.append(x)
            vy.append(y)
        for k in range(len(pts) - 1):
            seg_a.append(start + k)
            seg_b.append(start + k + 1)
            seg_zone.append(zone)
    vxy = np.column_stack([vx, vy])
    rep = _union_find_merge(vxy, MERGE_M)
    reps, node_of = np.unique(rep, return_inverse=True)  # junction nodes, first-appearance order
    nxy = vxy[reps]
    n_junction = len(nxy)

    # Segments between junction nodes, split where another street's vertex lies on them.
    tree = cKDTree(nxy)
    segs: dict[tuple[int, int], tuple[int, int, int]] = {}  # {u, v} -> (u, v) as drawn, zone
    for a0, b0, z in zip(seg_a, seg_b, seg_zone, strict=True):
        a, b = int(node_of[a0]), int(node_of[b0])
        if a == b:
            continue
        pa, pb = nxy[a], nxy[b]
        d = pb - pa
        length = float(np.hypot(*d))
        near = tree.query_ball_point((pa + pb) / 2, length / 2 + MERGE_M)
        stops = []
        for c in near:
            if c in (a, b):
                continue
            t = float(np.dot(nxy[c] - pa, d) / length**2)
            if 0.0 < t < 1.0 and np.hypot(*(pa + t * d - nxy[c])) < MERGE_M:
                stops.append((t, c))
        chain = [a] + [c for _, c in sorted(stops)] + [b]
        for u, v in itertools.pairwise(chain):
            if u == v:
                continue
            key = (min(u, v), max(u, v))
            u0, v0, old = segs.get(key, (u, v, -1))
            segs[key] = (u0, v0, z if old < 0 else (old if z < 0 else min(old, z)))

    # Cut long segments into equal pieces of <= CELL_M (one node per street cell).
    pieces_of = {key: max(1, math.ceil((float(np.hypot(*(nxy[b] - nxy[a]))) - 1e-3) / CELL_M))
                 for key, (a, b, _) in segs.items()}  # 1 mm slack
    check_network_size(n_junction + sum(pieces_of.values()) - len(pieces_of), "town")
    xs, ys = list(nxy[:, 0]), list(nxy[:, 1])
    node_zone = [-1] * n_junction
    eu, ev = [], []
    for key, (a, b, z) in segs.items():
        pa, pb = nxy[a], nxy[b]
        pieces = pieces_of[key]
        chain = [a]
        for k in range(1, pieces):
            p = pa + (pb - pa) * (k / pieces)
            xs.append(float(p[0]))
            ys.append(float(p[1]))
            node_zone.append(z)
            chain.append(len(xs) - 1)
        chain.append(b)
        for u, v in itertools.pairwise(chain):
            eu.append(u)
            ev.append(v)
        for end in (a, b):
            if z >= 0:
                node_zone[end] = z if node_zone[end] < 0 else min(node_zone[end], z)
    return (np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64),
            np.array(node_zone, dtype=np.int64), np.array(eu, dtype=np.int64),
            np.array(ev, dtype=np.int64))


def load_town(path: str | Path) -> Town:
    """Read a town from a GeoJSON file (coordinates in metres; see ``docs/town_format.md``).

    Raises:
        TownFileError: a one-line message naming the file, the feature and the field.
    """
    path = Path(path)
    r = _Reader(str(path))
    doc = _read_json(path, r)

    town_props: dict[str, Any] = {}
    top = doc.get("properties")
    if isinstance(top, dict):
        town_props.update(top)
    elif top is not None:
        raise r.fail("top-level 'properties' must be an object")
    town_feature_seen = False

    lines: list[tuple[list[tuple[float, float]], int]] = []
    entries: list[tuple[float, float, str, float, str]] = []
    units: list[dict[str, Any]] = []
    unit_ids: dict[Any, int] = {}

    n_units = sum(1 for f in doc["features"] if isinstance(f, dict) and isinstance(
        f.get("properties"), dict) and f["properties"].get("kind") == "unit")
    if n_units > MAX_UNITS:  # before anything is built: a town's cost grows with its units
        raise r.fail(f"has {n_units:,} units; allowed: at most {MAX_UNITS:,} (the xl preset has "
                     "10,000)")
    for i, feat in enumerate(doc["features"]):
        where = f"feature {i}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise r.fail("must be a GeoJSON Feature object", where)
        props = feat.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise r.fail("properties must be an object", where)
        if "kind" not in props:
            raise r.fail(f"missing required property 'kind'; allowed: {', '.join(FEATURE_KINDS)}",
                         where)
        kind = FEATURE_KINDS[r.choice(props["kind"], "kind", FEATURE_KINDS, where)]
        where = f"feature {i} ({kind})"
        geom = feat.get("geometry")

        if kind == "town":
            if town_feature_seen:
                raise r.fail("more than one feature of kind 'town'", where)
            town_feature_seen = True
            town_props.update({k: v for k, v in props.items() if k != "kind"})
        elif kind == "street":
            zone = -1
            if props.get("zone") is not None:
                zone = r.choice(props["zone"], "zone", ZONE_NAMES, where)
            for pts in r.lines(geom, where):
                lines.append((pts, zone))
        elif kind == "entry":
            x, y = r.point(geom, where)
            ek = ENTRY_KINDS[r.choice(
                r.require(props, "entry_kind", where, f"one of {', '.join(ENTRY_KINDS)}"),
                "entry_kind", ENTRY_KINDS, where)]
            w = r.number(props.get("weight", 1.0), "weight", where, TOWN_LIMITS["weight"])
            entries.append((x, y, ek, w, where))
        else:
            units.append(_parse_unit(props, geom, where, r, unit_ids, len(units)))

    # Town-wide properties.
    where_t = "town properties"
    name = town_props.get("name", path.stem)
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise r.fail(f"name must be a non-empty string of at most {MAX_NAME_CHARS} characters, "
                     f"got {_show(name)}", where_t)
    catchment = r.number(
        r.require(town_props, "catchment_population", where_t,
                  "persons in the centre's catchment; top-level properties or a 'town' feature"),
        "catchment_population", where_t, TOWN_LIMITS["catchment_population"])
    version = town_props.get("format_version", FORMAT_VERSION)
    if isinstance(version, bool) or version not in range(1, FORMAT_VERSION + 1):
        raise r.fail(f"format_version {_show(version)} is not supported; allowed: "
                     f"{', '.join(map(str, range(1, FORMAT_VERSION + 1)))}", where_t)

    if not lines:
        raise r.fail("no streets: add LineString features with properties.kind 'street'")
    if not entries:
        raise r.fail("no entries: add Point features with properties.kind 'entry' "
                     f"(entry_kind one of {', '.join(ENTRY_KINDS)})")
    if not units:
        raise r.fail("no units: add Point features with properties.kind 'unit'")

    # The extent is checked on the drawn vertices, before streets are cut into 25 m cells (a
    # street running to x = 1e7 would otherwise become 400,000 nodes).
    vx = np.array([x for pts, _ in lines for x, _ in pts])
    vy = np.array([y for pts, _ in lines for _, y in pts])
    extent = float(np.hypot(np.ptp(vx), np.ptp(vy)))
    lim = TOWN_LIMITS["extent"]
    if extent < lim.lo:
        raise r.fail(f"street network spans only {extent:.3g} m; coordinates must be metres in a "
                     "projected system (e.g. EPSG:28992), not degrees")
    if extent > lim.hi:
        raise r.fail(f"street network spans {extent:,.0f} m; allowed: at most {lim.hi:,g} m (a "
                     "city centre); check the coordinates of far-away streets")
    try:
        nx, ny, node_zone, eu, ev = _build_streets(lines)
    except TownTooLargeError as e:
        raise r.fail(str(e)) from None
    n = len(nx)
    if len(eu) == 0:
        raise r.fail("streets have no segment longer than 1 m")
    g = coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(n, n))
    n_comp, labels = connected_components(g, directed=False)
    if n_comp > 1:
        sizes = np.bincount(labels)
        small = int(np.argmin(sizes))
        at = np.flatnonzero(labels == small)[0]
        raise r.fail(
            f"street network is disconnected: {n_comp} components (sizes "
            f"{', '.join(str(s) for s in sorted(sizes.tolist(), reverse=True))}); the smallest is "
            f"near ({nx[at]:.1f}, {ny[at]:.1f}); streets connect only at vertices within "
            f"{MERGE_M:g} m of each other or of a segment")

    tree = cKDTree(np.column_stack([nx, ny]))
    ux = np.array([u["x"] for u in units])
    uy = np.array([u["y"] for u in units])
    d_unit, unit_node = tree.query(np.column_stack([ux, uy]))
    for k in np.flatnonzero(d_unit > MAX_SNAP_M)[:1]:
        raise r.fail(f"unit is {d_unit[k]:.0f} m from the nearest street node (at most "
                     f"{MAX_SNAP_M:g} m); check its coordinates or draw its street",
                     units[k]["where"])
    ex = np.array([e[0] for e in entries])
    ey = np.array([e[1] for e in entries])
    d_entry, entry_node = tree.query(np.column_stack([ex, ey]))
    for k in np.flatnonzero(d_entry > MAX_SNAP_M)[:1]:
        raise r.fail(f"entry is {d_entry[k]:.0f} m from the nearest street node (at most "
                     f"{MAX_SNAP_M:g} m); check its coordinates or draw its street",
                     entries[k][4])
    weight = np.array([e[3] for e in entries])

    unit_zone = np.array([u["zone"] for u in units], dtype=np.int8)
    missing = node_zone < 0
    if np.any(missing):
        _, nearest = cKDTree(np.column_stack([ux, uy])).query(
            np.column_stack([nx[missing], ny[missing]]))
        node_zone[missing] = unit_zone[nearest]

    owner, institutional = _owners(units, r)
    town = Town(
        name=name.strip(),
        catchment_population=catchment,
        node_x=nx,
        node_y=ny,
        node_zone=node_zone.astype(np.int8),
        edge_u=eu,
        edge_v=ev,
        edge_length=np.hypot(nx[eu] - nx[ev], ny[eu] - ny[ev]),
        entry_node=np.asarray(entry_node, dtype=np.int64),
        entry_kind=tuple(e[2] for e in entries),
        entry_weight=weight / weight.sum(),
        unit_x=ux.astype(np.float64),
        unit_y=uy.astype(np.float64),
        unit_node=np.asarray(unit_node, dtype=np.int64),
        unit_zone=unit_zone,
        floor_area=np.array([u["floor_area"] for u in units], dtype=np.float64),
        upper_floors=np.array([u["upper_floors"] for u in units], dtype=np.int16),
        retail_allowed=np.array([u["retail_allowed"] for u in units], dtype=bool),
        owner=owner,
        owner_institutional=institutional,
        function=np.array([u["function"] for u in units], dtype=np.int8),
        chain=np.array([u["chain"] for u in units], dtype=bool),
        anchor=np.array([u["anchor"] for u in units], dtype=np.int8),
        meta={"source": str(path), "format_version": int(version)},
    )
    try:
        town.validate()
    except ValueError as e:
        raise r.fail(str(e)) from e
    return town


def _parse_unit(
    props: dict, geom: Any, where: str, r: _Reader, unit_ids: dict[Any, int], index: int
) -> dict[str, Any]:
    """Typed, defaulted properties of one unit feature."""
    x, y = r.point(geom, where)
    zone = r.choice(r.require(props, "zone", where, f"one of {', '.join(ZONE_NAMES)}"), "zone",
                    ZONE_NAMES, where)
    area = r.number(r.require(props, "floor_area", where, "ground-floor area in m2"),
                    "floor_area", where, TOWN_LIMITS["floor_area"])
    function = r.choice(
        r.require(props, "function", where, f"one of {', '.join(FUNCTION_NAMES)}"), "function",
        FUNCTION_NAMES, where)
    upper = r.count(props.get("upper_floors", 0), "upper_floors", where,
                    TOWN_LIMITS["upper_floors"])
    retail = props.get("retail_allowed")
    retail = function in _RETAIL_DEFAULT if retail is None else r.flag(retail, "retail_allowed",
                                                                        where)
    chain = r.flag(props.get("chain", False), "chain", where)
    if chain and function not in {int(f) for f in COMMERCIAL}:
        raise r.fail(f"chain is true but function {FUNCTION_NAMES[function]!r} has no tenant; "
                     f"chain is allowed for: {', '.join(_COMMERCIAL_NAMES)}", where)
    anchor = r.choice(props.get("anchor", "none"), "anchor", ANCHOR_NAMES, where)
    owner_type = props.get("owner_type")
    if owner_type is not None:
        owner_type = OWNER_TYPES[r.choice(owner_type, "owner_type", OWNER_TYPES, where)]
    owner = props.get("owner")
    if owner is not None and (isinstance(owner, bool) or not isinstance(owner, str | int)
                              or (isinstance(owner, str) and not owner.strip())):
        raise r.fail(f"owner must be a non-empty string id, got {_show(owner)}", where)
    uid = props.get("unit_id")
    if uid is not None:
        if isinstance(uid, bool) or not isinstance(uid, str | int):
            raise r.fail(f"unit_id must be a string or integer, got {_show(uid)}", where)
        if uid in unit_ids:
            raise r.fail(f"unit_id {uid!r} is not unique (also unit {unit_ids[uid]})", where)
        unit_ids[uid] = index
    return {"x": x, "y": y, "zone": zone, "floor_area": area, "function": function,
            "upper_floors": upper, "retail_allowed": retail, "chain": chain, "anchor": anchor,
            "owner": owner, "owner_type": owner_type, "where": where}


def _owners(units: list[dict[str, Any]], r: _Reader) -> tuple[np.ndarray, np.ndarray]:
    """Owner index per unit (0 = the municipality) and the institutional flag per owner.

    Units sharing an ``owner`` id share an owner; an owner's type is the ``owner_type`` stated on
    any of its units (conflicts are errors), else private. Units without an id are each their own
    owner, except municipal ones, which all belong to owner 0.
    """
    stated: dict[str, tuple[str, str]] = {}  # owner id -> (type, where first stated)
    for u in units:
        if u["owner"] is not None and u["owner_type"] is not None:
            key = str(u["owner"]).strip()
            if key in stated and stated[key][0] != u["owner_type"]:
                raise r.fail(f"owner {key!r} has owner_type {u['owner_type']!r} here but "
                             f"{stated[key][0]!r} at {stated[key][1]}; allowed: one type per "
                             "owner", u["where"])
            stated.setdefault(key, (u["owner_type"], u["where"]))
    index: dict[str, int] = {}
    institutional = [False]  # owner 0: the municipality
    owner = np.empty(len(units), dtype=np.int64)
    for k, u in enumerate(units):
        key = None if u["owner"] is None else str(u["owner"]).strip()
        otype = u["owner_type"] or (stated[key][0] if key in stated else "private")
        if otype == "municipality":
            owner[k] = 0
        elif key is None:
            institutional.append(otype == "institutional")
            owner[k] = len(institutional) - 1
        else:
            if key not in index:
                institutional.append(otype == "institutional")
                index[key] = len(institutional) - 1
            owner[k] = index[key]
    return owner, np.array(institutional, dtype=bool)


# ---------------------------------------------------------------------------------------- writing
def _num(v: float) -> float | int:
    """A JSON number rounded to 1 mm (or 0.001 of the unit); whole numbers without decimals."""
    f = round(float(v), 3)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _feature(geom: dict | None, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geom, "properties": props}


def town_features(town: Town) -> list[dict[str, Any]]:
    """The GeoJSON features of ``town`` in file order: streets (one per edge), entries, units."""
    feats: list[dict[str, Any]] = []
    nx, ny, nz = town.node_x, town.node_y, town.node_zone
    for a, b in zip(town.edge_u.tolist(), town.edge_v.tolist(), strict=True):
        props: dict[str, Any] = {"kind": "street"}
        if nz[a] == nz[b]:
            props["zone"] = ZONE_NAMES[int(nz[a])]
        feats.append(_feature({"type": "LineString", "coordinates": [
            [_num(nx[a]), _num(ny[a])], [_num(nx[b]), _num(ny[b])]]}, props))
    for node, kind, w in zip(town.entry_node.tolist(), town.entry_kind,
                             town.entry_weight.tolist(), strict=True):
        feats.append(_feature({"type": "Point", "coordinates": [_num(nx[node]), _num(ny[node])]},
                              {"kind": "entry", "entry_kind": kind, "weight": round(w, 6)}))
    for i in range(town.n_units):
        o = int(town.owner[i])
        if o == 0:
            owner, otype = "municipality", "municipality"
        else:
            owner = f"owner-{o}"
            otype = "institutional" if town.owner_institutional[o] else "private"
        feats.append(_feature(
            {"type": "Point", "coordinates": [_num(town.unit_x[i]), _num(town.unit_y[i])]},
            {"kind": "unit", "unit_id": i, "zone": ZONE_NAMES[int(town.unit_zone[i])],
             "floor_area": _num(town.floor_area[i]),
             "function": FUNCTION_NAMES[int(town.function[i])],
             "upper_floors": int(town.upper_floors[i]),
             "retail_allowed": bool(town.retail_allowed[i]), "owner": owner, "owner_type": otype,
             "chain": bool(town.chain[i]), "anchor": ANCHOR_NAMES[int(town.anchor[i])]}))
    return feats


def dump_feature_collection(properties: dict[str, Any], features: list[dict[str, Any]],
                            path: str | Path) -> None:
    """Write a FeatureCollection with one feature per line (readable, diff-friendly)."""
    head = json.dumps({"type": "FeatureCollection", "properties": properties},
                      ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(", ", ": "))
                      for f in features)
    Path(path).write_text(f'{head}, "features": [\n{body}\n]}}\n', encoding="utf-8")


def save_town(town: Town, path: str | Path) -> None:
    """Write ``town`` as a GeoJSON town file (coordinates in metres, areas in m2).

    Streets are written as one 2-point LineString per edge (edges are <= 25 m, so reading the
    file back gives the same nodes and edges), units with all their properties; owner 0 is written
    as ``municipality``, other owners as ``owner-<index>``. Street nodes without edges and owners
    without units are not written.
    """
    props = {"name": town.name, "catchment_population": _num(town.catchment_population),
             "format_version": FORMAT_VERSION}
    dump_feature_collection(props, town_features(town), path)


# ---------------------------------------------------------------------------------------- resolve
def resolve_town(spec: str | Path, seed: int = 0) -> Town:
    """A preset name (``small``, ``medium``, ``large``, ``xl``) -> `generate_town` with ``seed``;
    a ``.geojson``/``.json`` path or any existing file -> `load_town`.

    Raises:
        TownFileError: ``spec`` is neither, or the file is invalid.
    """
    key = str(spec).strip()
    if key.lower() in PRESETS:
        return generate_town(key.lower(), seed)
    p = Path(key)
    try:
        is_file = p.is_file()
    except OSError:  # a name longer than the file system allows is no file
        is_file = False
    if p.suffix.lower() in (".geojson", ".json") or is_file:
        return load_town(p)
    raise TownFileError(f"unknown town {key!r}; allowed: {', '.join(PRESETS)} or a .geojson file")
