"""Read an OpenStreetMap extract (.osm XML, .osm.pbf, compressed XML) with pyosmium into plain
records in longitude/latitude: walkable streets, premise and entry candidates (nodes and areas)
and building footprints. What counts as which comes from the tag table (`sim.town_osm.tags`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
    areas whose first vertex is outside (the caller adds a margin)."""
    import osmium
    import shapely

    p = Path(path)
    if not p.is_file():
        raise OsmError(f"{p}: no such file (give an OpenStreetMap extract, .osm or .osm.pbf)")
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
                    if loc.valid() and _inside(box, loc.lon, loc.lat):
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
                except (RuntimeError, shapely.errors.GEOSException):
                    continue  # a broken multipolygon: skip it, as renderers do
                if geom.is_empty:
                    continue
                pt = geom.representative_point()
                rec = Tagged(_area_ref(obj), pt.x, pt.y, tags, geom)
                if building:
                    data.buildings.append(rec)
                if candidate:
                    data.tagged.append(rec)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OsmError(f"{p}: not an OpenStreetMap file (.osm XML or .osm.pbf): {reason}"
                       ) from None
    return data
