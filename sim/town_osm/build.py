"""Build a town file (docs/town_format.md) from an OpenStreetMap extract.

The recipe (numbers and tag rules in ``sim/data/osm_branches.toml``):

1. read walkable streets, premises, entry points and buildings (`sim.town_osm.read`);
2. project to metres: RD New (EPSG:28992) in the Netherlands, the local UTM zone elsewhere;
3. select the area (``bbox`` or a circle around ``centre``) and clip the streets to it; keep the
   largest connected street network;
4. premises: floor area from the building footprint they stand in (shared by the premises in
   it) or their own area, else a default by function; upper floors from ``building:levels``;
   premises farther than ``max_distance_m`` from the streets are left out;
5. zones from footfall potential (premise density; densest 30% core, next 32% aanloop) or from
   a given core radius;
6. entry points from parking, stations and bicycle parking (weighted by capacity), and where
   main roads leave the area; entries of one kind close together are merged.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .read import OsmData, OsmError, Tagged, read_extract
from .tags import TagTable

#: RD New's area of use (lon, lat), roughly the Netherlands.
_RD_BOUNDS = (3.2, 50.7, 7.3, 53.7)
#: Radius (m) of the area around --centre when no --radius is given.
DEFAULT_RADIUS_M = 600.0
#: Metres per degree of latitude (mean), for the reader's coarse box.
M_PER_DEG_LAT = 111_320.0
#: Margin (m) around the selection within which objects are read (street segments that cross
#: the selection without a vertex inside it are rare below this length).
READ_MARGIN_M = 500.0
#: Drawn street vertices that bend a street by less than this (m) are left out of the town file
#: (`simplify_streets`).
SIMPLIFY_TOLERANCE_M = 1.0


@dataclass
class TownReport:
    """What was built and what was left out."""

    name: str
    crs: str
    n_units: int = 0
    n_vacant: int = 0
    street_km: float = 0.0
    entries: dict[str, int] = field(default_factory=dict)
    zones: dict[str, int] = field(default_factory=dict)
    catchment_population: int = 0
    #: street nodes the town file's streets make (25 m street cells), as read and simplified
    street_nodes_before: int = 0
    street_nodes: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        zones = ", ".join(f"{k} {v}" for k, v in self.zones.items())
        entries = ", ".join(f"{v} {k}" for k, v in self.entries.items())
        nodes = (f" ({self.street_nodes_before:,} street nodes as read, {self.street_nodes:,} "
                 "simplified)" if self.street_nodes else "")
        return (f"{self.n_units} units ({self.n_vacant} vacant; {zones}) on {self.street_km:.1f} "
                f"km of streets{nodes}, entries: {entries}; {self.crs}, catchment "
                f"{self.catchment_population:,} persons")


def choose_crs(lon: float, lat: float) -> str:
    """RD New inside the Netherlands, else the UTM zone of (lon, lat)."""
    w, s, e, n = _RD_BOUNDS
    if w <= lon <= e and s <= lat <= n:
        return "EPSG:28992"
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _selection(transform, bbox, centre, radius):
    """The selected area in metres (shapely Polygon), or None for the whole extract."""
    import shapely

    if bbox is not None:
        w, s, e, n = bbox
        t = np.linspace(0.0, 1.0, 21)
        ring = np.concatenate([np.c_[w + (e - w) * t, np.full_like(t, s)],
                               np.c_[np.full_like(t, e), s + (n - s) * t],
                               np.c_[e - (e - w) * t, np.full_like(t, n)],
                               np.c_[np.full_like(t, w), n - (n - s) * t]])
        x, y = transform(ring[:, 0], ring[:, 1])
        return shapely.Polygon(np.c_[x, y])
    if centre is not None:
        lat, lon = centre
        x, y = transform(lon, lat)
        return shapely.Point(x, y).buffer(radius or DEFAULT_RADIUS_M, quad_segs=32)
    return None


def _reading_box(bbox, centre, radius, margin_m: float = READ_MARGIN_M
                 ) -> tuple[float, float, float, float] | None:
    """The selection's bounding box in degrees, widened by ``margin_m``: what the reader needs."""
    if bbox is not None:
        w, s, e, n = bbox
    elif centre is not None:
        r = radius or DEFAULT_RADIUS_M
        w, e = centre[1] - r / _m_per_deg_lon(centre[0]), centre[1] + r / _m_per_deg_lon(centre[0])
        s, n = centre[0] - r / M_PER_DEG_LAT, centre[0] + r / M_PER_DEG_LAT
    else:
        return None
    dlat = margin_m / M_PER_DEG_LAT
    dlon = margin_m / _m_per_deg_lon(max(abs(s), abs(n)))
    return w - dlon, s - dlat, e + dlon, n + dlat


def _m_per_deg_lon(lat: float) -> float:
    return M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 1e-6)


def _largest_network(parts: list[tuple[np.ndarray, bool]]) -> tuple[list[int], np.ndarray, dict]:
    """Indices of the parts in the largest connected network (by length), the degree of each
    vertex key, and the vertex keys. Streets connect where they share a vertex (to 1 cm)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index: dict[tuple[float, float], int] = {}
    eu, ev, part_of_edge, lengths = [], [], [], []
    for k, (coords, _) in enumerate(parts):
        keys = [index.setdefault((round(float(x), 2), round(float(y), 2)), len(index))
                for x, y in coords]
        seg = np.hypot(*np.diff(coords, axis=0).T)
        for a, b, ln in zip(keys[:-1], keys[1:], seg, strict=True):
            if a != b:
                eu.append(a)
                ev.append(b)
                part_of_edge.append(k)
                lengths.append(ln)
    n = len(index)
    g = coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    length_by = np.bincount(label[np.asarray(eu, dtype=np.int64)], weights=lengths, minlength=n)
    main = int(np.argmax(length_by))
    keep = sorted({part_of_edge[i] for i in range(len(eu)) if label[eu[i]] == main})
    degree = np.bincount(np.r_[eu, ev].astype(np.int64), minlength=n)
    return keep, degree, index


@dataclass
class Simplified:
    """A simplified street network: polylines between junctions, and what was dropped."""

    lines: list[np.ndarray]
    dropped_m: float  # length of the dead ends dropped
    length_before_m: float
    length_after_m: float


def simplify_streets(parts: list[np.ndarray], anchors: np.ndarray,
                     tolerance_m: float = SIMPLIFY_TOLERANCE_M, snap_step: float = 5.0
                     ) -> Simplified:
    """Simplify a connected street network for the model, keeping walking distances.

    1. Streets join where they share a vertex (to 1 cm), as OpenStreetMap ways do.
    2. Dead ends that carry nothing are dropped, repeatedly: a chain of street from a vertex
       of degree 1 to the next junction whose every segment is nobody's nearest street (no
       premise or entry point in ``anchors`` lies closest to it) connects nothing the model uses.
    3. Chains of degree-2 vertices between junctions (and dead ends) become one polyline, and
       of its drawn vertices only those that bend it by more than ``tolerance_m`` stay
       (Douglas-Peucker): the town file's loader puts a street node on every vertex and cuts
       longer segments into 25 m street cells, so a street drawn with a vertex every few metres
       gets one node per street cell (or per bend) instead of one per vertex.

    Shortest walking distances between the remaining junctions change only by the bends left
    out (Helsinki 500 m: street length -0.06%); pruning removes no shortest path (a dead end is
    on none).
    """
    from scipy.spatial import cKDTree

    index: dict[tuple[float, float], int] = {}
    xy: list[tuple[float, float]] = []
    edges: dict[tuple[int, int], None] = {}
    for coords in parts:
        keys = []
        for x, y in coords:
            key = (round(float(x), 2), round(float(y), 2))
            if key not in index:
                index[key] = len(xy)
                xy.append((float(x), float(y)))
            keys.append(index[key])
        for a, b in itertools.pairwise(keys):
            if a != b:
                edges[(min(a, b), max(a, b))] = None
    pts = np.array(xy)
    eu = np.array([a for a, _ in edges], dtype=np.int64)
    ev = np.array([b for _, b in edges], dtype=np.int64)
    seg_len = np.hypot(*(pts[eu] - pts[ev]).T)
    before = float(seg_len.sum())
    # which segment is each anchor's nearest street (points every snap_step m along them)
    carried = np.zeros(len(eu), dtype=bool)
    if len(anchors):
        k = np.maximum(1, np.ceil(seg_len / snap_step)).astype(np.int64)
        seg = np.repeat(np.arange(len(eu)), k + 1)
        t = np.concatenate([np.linspace(0.0, 1.0, int(n) + 1) for n in k])
        probe = pts[eu[seg]] + (pts[ev[seg]] - pts[eu[seg]]) * t[:, None]
        _, hit = cKDTree(probe).query(np.asarray(anchors, dtype=float))
        carried[seg[hit]] = True
    adj: dict[int, dict[int, int]] = {}
    for e, (a, b) in enumerate(zip(eu.tolist(), ev.tolist(), strict=True)):
        adj.setdefault(a, {})[b] = e
        adj.setdefault(b, {})[a] = e
    alive = np.ones(len(eu), dtype=bool)
    dropped = 0.0

    def chain_from(v: int, first: int) -> tuple[list[int], list[int]]:
        """Vertices and edges from v through first, on through degree-2 vertices."""
        verts, es = [v], []
        prev, cur = v, first
        while True:
            es.append(adj[prev][cur])
            verts.append(cur)
            if len(adj[cur]) != 2 or cur == v:
                return verts, es
            nxt = next(w for w in adj[cur] if w != prev)
            prev, cur = cur, nxt

    changed = True
    while changed:
        changed = False
        for v in [v for v, nb in adj.items() if len(nb) == 1]:
            if v not in adj or len(adj[v]) != 1:
                continue
            verts, es = chain_from(v, next(iter(adj[v])))
            if carried[es].any() or len(adj[verts[-1]]) == 1:
                continue  # it carries something, or it is the whole network
            for a, b, e in zip(verts[:-1], verts[1:], es, strict=True):
                del adj[a][b]
                del adj[b][a]
                alive[e] = False
                dropped += float(seg_len[e])
            for w in verts:
                if w in adj and not adj[w]:
                    del adj[w]
            changed = True
    # chains between junctions (vertices of degree != 2), then rings without any
    lines: list[np.ndarray] = []
    used = np.zeros(len(eu), dtype=bool)
    starts = [v for v, nb in adj.items() if len(nb) != 2]
    for v in starts:
        for w in list(adj[v]):
            if used[adj[v][w]]:
                continue
            verts, es = chain_from(v, w)
            used[es] = True
            lines.append(_straighten(pts[verts], tolerance_m))
    for e in np.flatnonzero(alive & ~used):
        if used[e]:
            continue
        verts, es = chain_from(int(eu[e]), int(ev[e]))
        used[es] = True
        lines.append(_straighten(pts[verts], tolerance_m))
    after = sum(float(np.hypot(*np.diff(c, axis=0).T).sum()) for c in lines)
    return Simplified(lines=lines, dropped_m=dropped, length_before_m=before,
                      length_after_m=after)


def _street_nodes(lines: list[np.ndarray]) -> int:
    """Street nodes a town file with these street lines has (`sim.town_io`'s rules)."""
    from ..town_io import _build_streets

    rounded = [([(round(float(x), 2), round(float(y), 2)) for x, y in c], -1) for c in lines]
    return len(_build_streets(rounded)[0])


def _straighten(coords: np.ndarray, tolerance_m: float) -> np.ndarray:
    """``coords`` without the vertices that bend the line by less than ``tolerance_m`` (the
    ends kept)."""
    import shapely

    if len(coords) <= 2:
        return coords
    line = shapely.simplify(shapely.LineString(coords), tolerance_m, preserve_topology=False)
    return np.asarray(line.coords)[:, :2]


def _densify(parts: list[np.ndarray], step: float = 10.0) -> np.ndarray:
    """Points along the streets at most ``step`` m apart (for distance queries)."""
    pts = []
    for coords in parts:
        for a, b in itertools.pairwise(coords):
            k = max(1, math.ceil(float(np.hypot(*(b - a))) / step))
            t = np.linspace(0.0, 1.0, k + 1)[:, None]
            pts.append(a + (b - a) * t)
    return np.concatenate(pts)


def _zones(xy: np.ndarray, table: TagTable, core_centre: np.ndarray | None,
           core_radius: float | None) -> np.ndarray:
    """Zone code per premise: by a given core radius, or by premise density (quantiles)."""
    from scipy.spatial import cKDTree

    b = table.t.build
    n = len(xy)
    if core_radius is not None:
        d = np.hypot(*(xy - core_centre).T)
        return np.where(d <= core_radius, 0, np.where(d <= 2 * core_radius, 1, 2)).astype(int)
    h = b.density_bandwidth_m
    tree = cKDTree(xy)
    pairs = tree.query_pairs(3 * h, output_type="ndarray")
    d2 = ((xy[pairs[:, 0]] - xy[pairs[:, 1]]) ** 2).sum(axis=1)
    w = np.exp(-0.5 * d2 / h**2)
    score = 1.0 + np.bincount(pairs[:, 0], weights=w, minlength=n) + np.bincount(
        pairs[:, 1], weights=w, minlength=n)
    order = np.argsort(-score, kind="stable")
    n_core = max(1, round(b.core_share * n))
    n_aanloop = round(b.aanloop_share * n)
    zone = np.full(n, 2, dtype=int)
    zone[order[:n_core]] = 0
    zone[order[n_core:n_core + n_aanloop]] = 1
    return zone


def _capacity(tags: dict[str, str], default: float) -> float:
    try:
        c = float(tags.get("capacity", ""))
    except ValueError:
        return default
    return c if c > 0 else default


def _cluster(points: list[tuple[float, float, float, str]], radius: float, keep: int
             ) -> list[tuple[float, float, float, str]]:
    """Merge entries within ``radius`` m (largest first; weights add up); keep the ``keep``
    largest clusters."""
    clusters: list[list[Any]] = []
    for x, y, w, ref in sorted(points, key=lambda p: -p[2]):
        for c in clusters:
            if math.hypot(c[0] - x, c[1] - y) <= radius:
                c[2] += w
                break
        else:
            clusters.append([x, y, w, ref])
    clusters.sort(key=lambda c: -c[2])
    return [tuple(c) for c in clusters[:keep]]


def _feature(geom: dict, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geom, "properties": props}


def build_town(extract: str | Path, *, bbox: Sequence[float] | None = None,
               centre: Sequence[float] | None = None, radius: float | None = None,
               core_radius: float | None = None, population: float | None = None,
               name: str | None = None, branches: str | Path | None = None
               ) -> tuple[dict[str, Any], list[dict[str, Any]], TownReport]:
    """Build a town from ``extract``: (top-level properties, GeoJSON features, report).

    Args:
        extract: OpenStreetMap file (.osm, .osm.pbf, .osm.bz2, ...).
        bbox: (west, south, east, north) in degrees: the area to take.
        centre: (lat, lon) in degrees: the centre of the town (the area is a circle of
            ``radius`` around it unless ``bbox`` is given).
        radius: radius (m) of the area around ``centre`` (default 600 m).
        core_radius: core = premises within this distance (m) of ``centre`` (or of the densest
            premise), aanloop within twice it; default: zones from premise density.
        population: catchment population (persons); default: estimated from the number of units.
        name: town name (default: the file name).
        branches: tag table (default ``sim/data/osm_branches.toml``).

    Raises:
        OsmError: one line naming the problem (not OSM, no streets, no premises, an area that
            selects nothing, ...).
    """
    import shapely
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    from .tags import TagTableError

    try:
        table = TagTable.load(branches)
    except TagTableError as exc:
        raise OsmError(str(exc)) from None
    src = Path(extract)
    data: OsmData = read_extract(src, table, box=_reading_box(bbox, centre, radius))
    walkable = ", ".join(table.t.streets.walkable[:4])
    what = ("--bbox " + ",".join(f"{v:g}" for v in bbox) if bbox is not None else
            f"--centre {centre[0]:g},{centre[1]:g} --radius {radius or DEFAULT_RADIUS_M:g}"
            if centre is not None else "the extract")
    if data.streets_seen == 0:
        raise OsmError(f"{src}: no walkable streets (ways tagged highway={walkable}, ...); is "
                       "this the extract of a town?")
    w, s, e, n = data.street_extent or (0.0, 0.0, 0.0, 0.0)
    span = f"its streets span lon {w:.4f} to {e:.4f}, lat {s:.4f} to {n:.4f}"
    if not data.streets:
        raise OsmError(f"{src}: {what} selects no streets ({span})")
    premises = [(t, table.premise(t.tags)) for t in data.tagged]
    premises = [(t, p) for t, p in premises if p is not None]
    if not premises and data.premise_nodes_seen == 0:
        raise OsmError(f"{src}: no premises (nodes or buildings tagged shop, amenity, office, "
                       "craft, ... or a vacancy marker such as shop=vacant)")

    # ---------------------------------------------------------------- projection and selection
    if centre is not None:
        ref_lon, ref_lat = centre[1], centre[0]
    elif bbox is not None:
        ref_lon, ref_lat = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    else:
        allc = np.concatenate([c for _, c, _ in data.streets])
        ref_lon, ref_lat = float(np.median(allc[:, 0])), float(np.median(allc[:, 1]))
    crs = choose_crs(ref_lon, ref_lat)
    transform = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform
    area = _selection(transform, bbox, centre, radius)

    parts: list[tuple[np.ndarray, bool]] = []
    for _, coords, main in data.streets:
        x, y = transform(coords[:, 0], coords[:, 1])
        line = shapely.LineString(np.c_[x, y])
        pieces = [line] if area is None else shapely.get_parts(
            shapely.intersection(line, area)).tolist()
        for piece in pieces:
            if isinstance(piece, shapely.LineString) and piece.length > 1.0:
                parts.append((np.asarray(piece.coords)[:, :2], main))
    if not parts:
        raise OsmError(f"{src}: {what} selects no streets ({span})")
    keep, degree, vindex = _largest_network(parts)
    report = TownReport(name=name or src.name.split(".")[0], crs=crs)
    report.notes.extend(data.notes)  # an unsorted extract, nodes left out (read.py)
    if len(keep) < len(parts):
        report.notes.append(f"left out {len(parts) - len(keep)} street pieces not connected to "
                            "the main street network")
    parts = [parts[k] for k in keep]
    near_street = cKDTree(_densify([c for c, _ in parts]))
    report.street_km = sum(float(np.hypot(*np.diff(c, axis=0).T).sum()) for c, _ in parts) / 1e3

    def project(t: Tagged) -> tuple[float, float]:
        x, y = transform(t.lon, t.lat)
        return float(x), float(y)

    def inside(x: float, y: float) -> bool:
        return area is None or area.contains(shapely.Point(x, y))

    # ---------------------------------------------------------------- premises and floor areas
    pts = [(t, p, *project(t)) for t, p in premises]
    pts = [(t, p, x, y) for t, p, x, y in pts if inside(x, y)]
    if not pts:
        raise OsmError(f"{src}: {what} selects no premises")
    buildings = [(b, shapely.transform(b.polygon, lambda c: np.c_[transform(c[:, 0], c[:, 1])]))
                 for b in data.buildings]
    b_geoms = np.array([g for _, g in buildings], dtype=object)
    point_idx = [i for i, (t, *_ ) in enumerate(pts) if t.polygon is None]
    poly_idx = [i for i, (t, *_ ) in enumerate(pts) if t.polygon is not None]
    host = {}  # premise point -> building index
    if len(b_geoms) and point_idx:
        tree = shapely.STRtree(b_geoms)
        geoms = shapely.points([(pts[i][2], pts[i][3]) for i in point_idx])
        pi, bi = tree.query(geoms, predicate="within")
        for a, b in zip(pi.tolist(), bi.tolist(), strict=True):
            host.setdefault(point_idx[a], b)  # the first building found
    in_building = np.bincount(np.array(list(host.values()), dtype=np.int64),
                              minlength=len(b_geoms)) if host else np.zeros(len(b_geoms), int)
    # A premise polygon with premise points inside it is their building, not a premise itself.
    poly_geoms = {i: shapely.transform(pts[i][0].polygon,
                                       lambda c: np.c_[transform(c[:, 0], c[:, 1])])
                  for i in poly_idx}
    covered = set()
    if poly_idx and point_idx:
        tree = shapely.STRtree([poly_geoms[i] for i in poly_idx])
        pi, qi = tree.query(shapely.points([(pts[i][2], pts[i][3]) for i in point_idx]),
                            predicate="within")
        covered = {poly_idx[q] for q in qi.tolist()}
    fa = table.t.floor_area
    units = []
    for i, (t, p, x, y) in enumerate(pts):
        if i in covered:
            continue
        tags = t.tags
        if t.polygon is not None:
            area_m2 = float(poly_geoms[i].area)
            floors_tags = tags
        elif i in host:
            b = host[i]
            area_m2 = float(b_geoms[b].area) / max(int(in_building[b]), 1)
            floors_tags = {**buildings[b][0].tags, **{k: v for k, v in tags.items()
                                                      if k == "building:levels"}}
        else:
            area_m2 = table.floor_area(p)
            floors_tags = tags
        units.append({"x": x, "y": y, "premise": p, "tags": tags, "ref": t.ref,
                      "area": float(np.clip(area_m2, fa.min_m2, fa.max_m2)),
                      "upper": table.upper_floors(floors_tags)})
    dist, _ = near_street.query(np.array([(u["x"], u["y"]) for u in units]))
    far = dist > table.t.build.max_distance_m
    if far.any():
        report.notes.append(f"left out {int(far.sum())} premises farther than "
                            f"{table.t.build.max_distance_m:g} m from the selected streets")
    units = [u for u, f in zip(units, far, strict=True) if not f]
    if not units:
        raise OsmError(f"{src}: no premises within {table.t.build.max_distance_m:g} m of the "
                       f"streets {what} selects")

    # ---------------------------------------------------------------- zones
    xy = np.array([(u["x"], u["y"]) for u in units])
    core_centre = None
    if core_radius is not None:
        if centre is not None:
            core_centre = np.array(transform(centre[1], centre[0]), dtype=float)
        else:
            dens = _zones(xy, table, None, None)
            core_centre = xy[np.flatnonzero(dens == 0)].mean(axis=0)
    zone = _zones(xy, table, core_centre, core_radius)

    # ---------------------------------------------------------------- entries
    ent = table.t.entries
    cands: dict[str, list[tuple[float, float, float, str]]] = {k: [] for k in ent.shares}
    for t in data.tagged:
        kind = table.entry_kind(t.tags)
        if kind is None:
            continue
        x, y = project(t)
        if inside(x, y):
            w = _capacity(t.tags, ent.default_capacity.get(kind, 1.0)) if kind in (
                "parking", "bike") else 1.0
            cands[kind].append((x, y, w, t.ref))
    boundary = area.boundary if area is not None else shapely.MultiPoint(
        [tuple(p) for c, _ in parts for p in c]).convex_hull.boundary
    reach = 2.0 if area is not None else 30.0
    for coords, main in parts:
        if not main:
            continue
        for x, y in (coords[0], coords[-1]):
            key = (round(float(x), 2), round(float(y), 2))
            if degree[vindex[key]] == 1 and boundary.distance(shapely.Point(x, y)) <= reach:
                cands["residential"].append((float(x), float(y), 1.0, "main road"))
    entries = []
    for kind, found in cands.items():
        if not found:
            continue
        d, _ = near_street.query(np.array([(x, y) for x, y, *_ in found]))
        found = [f for f, dd in zip(found, d, strict=True)
                 if dd <= table.t.build.max_distance_m]
        merged = _cluster(found, ent.cluster_m, ent.max_per_kind)
        total = sum(w for _, _, w, _ in merged)
        for x, y, w, _ in merged:
            entries.append((x, y, kind, ent.shares[kind] * w / total))
    if not entries:
        allp = np.concatenate([c for c, _ in parts])
        for i in (np.argmin(allp[:, 0]), np.argmax(allp[:, 0]), np.argmin(allp[:, 1]),
                  np.argmax(allp[:, 1])):
            entries.append((float(allp[i, 0]), float(allp[i, 1]), "residential", 1.0))
        report.notes.append("no parking, station, bicycle parking or main road found: the four "
                            "outermost street ends are residential entries")
    report.entries = {k: sum(1 for e in entries if e[2] == k) for k in ent.shares
                      if any(e[2] == k for e in entries)}

    # ---------------------------------------------------------------- features
    def r2(v: float) -> float:
        return round(float(v), 2)

    anchors = np.array([(u["x"], u["y"]) for u in units] + [(x, y) for x, y, *_ in entries])
    simple = simplify_streets([c for c, _ in parts], anchors)
    report.street_nodes_before = _street_nodes([c for c, _ in parts])
    report.street_nodes = _street_nodes(simple.lines)
    if simple.dropped_m > 0:
        report.notes.append(f"left out {simple.dropped_m / 1e3:.1f} km of dead-end streets that "
                            "carry no premise or entry")
    report.notes.append(
        f"street network simplified: {report.street_nodes_before:,} -> {report.street_nodes:,} "
        f"street nodes; street length {simple.length_after_m / 1e3:.2f} km of "
        f"{(simple.length_before_m - simple.dropped_m) / 1e3:.2f} km kept (bends under "
        f"{SIMPLIFY_TOLERANCE_M:g} m straightened)")
    feats = [_feature({"type": "LineString", "coordinates": [[r2(x), r2(y)] for x, y in c]},
                      {"kind": "street"}) for c in simple.lines]
    total_w = sum(e[3] for e in entries)
    feats += [_feature({"type": "Point", "coordinates": [r2(x), r2(y)]},
                       {"kind": "entry", "entry_kind": k, "weight": round(w / total_w, 6)})
              for x, y, k, w in entries]
    zone_names = ("core", "aanloop", "fringe")
    for u, z in zip(units, zone, strict=True):
        p = u["premise"]
        props = {"kind": "unit", "unit_id": u["ref"], "zone": zone_names[z],
                 "floor_area": round(u["area"], 1), "function": p.function,
                 "upper_floors": u["upper"], "chain": p.chain, "anchor": p.anchor,
                 "osm_tag": p.tag}
        if u["tags"].get("name"):
            props["name"] = u["tags"]["name"]
        feats.append(_feature({"type": "Point", "coordinates": [r2(u["x"]), r2(u["y"])]},
                              props))
    report.n_units = len(units)
    report.n_vacant = sum(1 for u in units if u["premise"].function == "vacant")
    report.zones = {zn: int((zone == k).sum()) for k, zn in enumerate(zone_names)}
    pop = population if population is not None else table.t.build.persons_per_unit * len(units)
    report.catchment_population = round(pop)
    props = {"name": report.name, "catchment_population": report.catchment_population,
             "format_version": 1, "crs": crs,
             "source": f"OpenStreetMap contributors, ODbL 1.0 ({src.name}); built by "
                       "binnenstad town from-osm"}
    return props, feats, report


def write_town(extract: str | Path, out: str | Path, **options: Any) -> TownReport:
    """Build the town and write it to ``out`` (GeoJSON); the file appears only when it is
    complete and loads as a valid town (`sim.town_io.load_town`)."""
    from ..outdir import BusyError, FolderLock
    from ..town_io import TownFileError, dump_feature_collection, load_town

    out = Path(out)
    lock = FolderLock(out)  # beside the file: a second from-osm into it fails at once
    try:
        lock.acquire(f"--out {out}: another process (pid {{pid}}) is writing it; wait for it "
                     "to finish or choose another --out")
    except BusyError as exc:
        raise OsmError(str(exc)) from None
    except OSError as exc:
        raise OsmError(f"--out {out}: cannot write in {out.parent} "
                       f"({exc.strerror or exc})") from None
    try:
        props, feats, report = build_town(extract, **options)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.geojson")
        try:
            dump_feature_collection(props, feats, tmp)
            try:
                load_town(tmp)
            except TownFileError as exc:  # a rule of the format the builder did not meet
                msg = str(exc).replace(str(tmp), str(out))
                raise OsmError(f"{extract}: the town built does not load: {msg}") from None
            os.replace(tmp, out)
        except OSError as exc:  # a full or read-only disk: the old file (if any) stays
            raise OsmError(f"--out {out}: cannot write the town file "
                           f"({exc.strerror or exc}); nothing was changed") from None
        finally:
            tmp.unlink(missing_ok=True)
    finally:
        lock.release()
    return report
