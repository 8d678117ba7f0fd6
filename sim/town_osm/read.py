"""Read an OpenStreetMap extract (.osm XML, .osm.pbf, compressed XML) with pyosmium into plain
records in longitude/latitude: walkable streets, premise and entry candidates (nodes and areas)
and building footprints. What counts as which comes from the tag table (`sim.town_osm.tags`).

Only a regular file is read (a FIFO or a device is refused before reading). An extract whose
objects are not in id order, as JOSM saves them (new objects with negative ids, edited ones in
editing order), is sorted in memory (at most `sim.limits.MAX_SORT_EXTRACT_BYTES`): negative ids
get unused positive ones, and a note says so. Nodes with coordinates outside -180..180 /
-90..90 are left out with a note; a coordinate that is not a number is one error line."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..limits import MAX_SORT_EXTRACT_BYTES
from ..safeio import FileReadError, check_regular, size_text
from .tags import PREMISE_KEYS, TagTable

#: Keys an object needs for the reader to look at it (everything else is skipped in C++), in
#: addition to the vacancy keys of the tag table.
_KEYS = ("highway", "building", *PREMISE_KEYS, "railway", "public_transport")


class OsmError(ValueError):
    """An extract or option that cannot give a town; the message is one line."""


@dataclass
class Tagged:
    """A premise or entry candidate: a point, or an area with its polygon (lon/lat)."""

    ref: str  # "n123" (node), "w45" (closed way), "r6" (multipolygon relation)
    lon: float
    lat: float
    tags: dict[str, str]
    polygon: object = None  # shapely (Multi)Polygon in lon/lat for areas


@dataclass
class OsmData:
    """The parts of an extract the town builder uses (lon/lat)."""

    streets: list[tuple[str, np.ndarray, bool]] = field(default_factory=list)  # ref, coords, main
    tagged: list[Tagged] = field(default_factory=list)
    buildings: list[Tagged] = field(default_factory=list)
    objects_read: int = 0
    #: every walkable street and premise node of the extract, also those outside the box:
    #: how many, and the streets' extent (west, south, east, north), for messages
    streets_seen: int = 0
    street_extent: tuple[float, float, float, float] | None = None
    premise_nodes_seen: int = 0
    #: one-line notes for the user (sorted extract, nodes left out)
    notes: list[str] = field(default_factory=list)
    #: premise or entry nodes whose coordinates are out of range
    invalid_locations: int = 0

    def _extend(self, coords: np.ndarray) -> None:
        w, s = coords.min(axis=0)
        e, n = coords.max(axis=0)
        if self.street_extent is not None:
            w0, s0, e0, n0 = self.street_extent
            w, s, e, n = min(w, w0), min(s, s0), max(e, e0), max(n, n0)
        self.street_extent = (float(w), float(s), float(e), float(n))


def _area_ref(area) -> str:
    return ("w" if area.from_way() else "r") + str(area.orig_id())


def _inside(box: tuple[float, float, float, float] | None, lon: float, lat: float) -> bool:
    return box is None or (box[0] <= lon <= box[2] and box[1] <= lat <= box[3])


def read_extract(path: str | Path, table: TagTable,
                 box: tuple[float, float, float, float] | None = None) -> OsmData:
    """Read ``path``; raises `OsmError` (one line) if it is missing or not an OSM file.

    ``box`` (west, south, east, north in degrees) skips what lies wholly outside it early, so a
    province-sized extract can be given as it is: nodes outside, streets without a vertex in it,
    areas whose first vertex is outside (the caller adds a margin). An extract that is not
    sorted by id is sorted first (see the module docstring)."""
    p = Path(path)
    try:
        size = check_regular(p)
    except FileReadError as exc:
        raise OsmError(f"{p}: {exc} (give an OpenStreetMap extract, .osm or .osm.pbf)") from None
    try:
        data = _read(p, p, table, box)
    except _Unsorted as exc:
        if size > MAX_SORT_EXTRACT_BYTES:
            raise OsmError(
                f"{p}: its objects are not in id order ({exc}) and the file is "
                f"{size_text(size)}, more than the {size_text(MAX_SORT_EXTRACT_BYTES)} sorted in "
                f"memory; sort it first (osmium sort {p.name} -o sorted.osm.pbf)") from None
        with tempfile.TemporaryDirectory(prefix="binnenstad-osm-") as tmp:
            sorted_path = Path(tmp) / "sorted.osm.pbf"
            renumbered = _sorted_copy(p, sorted_path)
            data = _read(sorted_path, p, table, box)
        note = (f"{p.name}: its objects were not in id order (as JOSM saves them); read them "
                "sorted by id")
        if renumbered:
            note += (f", and gave the {renumbered:,} new objects with negative ids (not in "
                     "OpenStreetMap yet) unused positive ids")
        data.notes.insert(0, note)
    if data.invalid_locations:
        data.notes.append(f"{p.name}: left out {data.invalid_locations:,} nodes with coordinates "
                          "outside longitude -180..180, latitude -90..90")
    return data


class _Unsorted(Exception):
    """libosmium found the extract's objects out of id order."""


def _read(p: Path, label: Path, table: TagTable,
          box: tuple[float, float, float, float] | None) -> OsmData:
    import osmium
    import shapely

    wkb = osmium.geom.WKBFactory()
    data = OsmData()
    keys = dict.fromkeys([*_KEYS, *table.t.vacant.keys, *table.t.vacant.values])
    processor = (osmium.FileProcessor(str(p)).with_areas()
                 .with_filter(osmium.filter.KeyFilter(*keys)))
    try:
        for obj in processor:
            data.objects_read += 1
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node():
                if table.premise(tags) is not None:
                    data.premise_nodes_seen += 1
                if table.premise(tags) or table.entry_kind(tags):
                    loc = obj.location
                    if not loc.valid():
                        data.invalid_locations += 1
                    elif _inside(box, loc.lon, loc.lat):
                        data.tagged.append(Tagged(f"n{obj.id}", loc.lon, loc.lat, tags))
            elif obj.is_way():
                if table.walkable(tags):
                    coords = np.array([(n.lon, n.lat) for n in obj.nodes if n.location.valid()])
                    if len(coords) >= 2:
                        data.streets_seen += 1
                        data._extend(coords)
                    if len(coords) >= 2 and (box is None or np.any(
                            (coords[:, 0] >= box[0]) & (coords[:, 0] <= box[2])
                            & (coords[:, 1] >= box[1]) & (coords[:, 1] <= box[3]))):
                        data.streets.append((f"w{obj.id}", coords, table.main_road(tags)))
            elif obj.is_area():
                building = tags.get("building", "no") != "no"
                candidate = table.premise(tags) is not None or table.entry_kind(tags) is not None
                if not (building or candidate):
                    continue
                if box is not None:
                    first = next((n for ring in obj.outer_rings() for n in ring), None)
                    if first is None or not _inside(box, first.lon, first.lat):
                        continue
                try:
                    geom = shapely.from_wkb(wkb.create_multipolygon(obj))
                except (RuntimeError, shapely.errors.GEOSException, osmium.InvalidLocationError):
                    continue  # a broken multipolygon: skip it, as renderers do
                if geom.is_empty:
                    continue
                pt = geom.representative_point()
                rec = Tagged(_area_ref(obj), pt.x, pt.y, tags, geom)
                if building:
                    data.buildings.append(rec)
                if candidate:
                    data.tagged.append(rec)
    except osmium.InvalidLocationError as exc:
        raise OsmError(f"{label}: a node's coordinates are not numbers ({_first_line(exc)}); "
                       "allowed: lon -180 to 180, lat -90 to 90 in decimal degrees") from None
    except RuntimeError as exc:
        reason = _first_line(exc)
        if "out of order" in reason:
            raise _Unsorted(reason) from None
        raise OsmError(f"{label}: not an OpenStreetMap file (.osm XML or .osm.pbf): {reason}"
                       ) from None
    return data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split())[:200] if text else type(exc).__name__


def _sorted_copy(src: Path, dst: Path) -> int:
    """Write ``src`` sorted by type and id to ``dst`` (PBF); new objects (negative ids) get
    unused positive ids, references following. Returns how many were renumbered."""
    import osmium
    from osmium.osm import mutable

    objs: dict[str, dict[int, Any]] = {"n": {}, "w": {}, "r": {}}
    try:
        for o in osmium.FileProcessor(str(src)):
            tags = {t.k: t.v for t in o.tags}
            if o.is_node():
                loc = o.location
                objs["n"][o.id] = ((loc.lon, loc.lat) if loc.valid() else None, tags)
            elif o.is_way():
                objs["w"][o.id] = ([n.ref for n in o.nodes], tags)
            elif o.is_relation():
                objs["r"][o.id] = ([(m.type, m.ref, m.role) for m in o.members], tags)
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        raise OsmError(f"{src}: not an OpenStreetMap file (.osm XML or .osm.pbf): "
                       f"{_first_line(exc)}") from None
    new_id: dict[str, dict[int, int]] = {}
    renumbered = 0
    for kind, table in objs.items():
        top = max((i for i in table if i > 0), default=0)
        negatives = sorted((i for i in table if i <= 0), key=abs)
        new_id[kind] = {i: top + k for k, i in enumerate(negatives, start=1)}
        renumbered += len(negatives)

    def ref(kind: str, i: int) -> int:
        return new_id[kind].get(i, i)

    writer = osmium.SimpleWriter(str(dst))
    try:
        for i, (loc, tags) in sorted(objs["n"].items(), key=lambda kv: ref("n", kv[0])):
            node = mutable.Node(id=ref("n", i), tags=tags, version=1)
            if loc is not None:
                node.location = osmium.osm.Location(*loc)
            writer.add_node(node)
        for i, (nodes, tags) in sorted(objs["w"].items(), key=lambda kv: ref("w", kv[0])):
            writer.add_way(mutable.Way(id=ref("w", i), nodes=[ref("n", n) for n in nodes],
                                       tags=tags, version=1))
        for i, (members, tags) in sorted(objs["r"].items(), key=lambda kv: ref("r", kv[0])):
            writer.add_relation(mutable.Relation(
                id=ref("r", i), members=[(t, ref(t, r), role) for t, r, role in members],
                tags=tags, version=1))
    finally:
        writer.close()
    return renumbered
