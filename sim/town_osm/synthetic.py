"""A made-up OpenStreetMap extract of a small Dutch-style centre, for examples, tests and the
speed benchmark (no download needed; real extracts: docs/town_format.md).

`write_example_extract` writes a street grid (pedestrian core, residential streets, a main road
through the middle and a ring road, both leaving the area), premises as nodes with OSM shop,
amenity, office and craft tags (more fashion and horeca in the core), some of them inside
building footprints, some drawn as tagged buildings, vacant units (``shop=vacant``,
``disused:shop``), brand outlets, a marketplace, parking garages, a station and bicycle
parking, plus objects that are not premises (benches, untagged buildings). XML for ``.osm``
paths, PBF for ``.osm.pbf``, written with pyosmium.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: Deventer's Brink, the default centre (lat, lon).
DEFAULT_CENTRE = (52.2511, 6.1605)
#: Street grid spacing (m) and premise spacing along a street (m).
BLOCK_M = 80.0
FRONT_M = 9.0
#: OSM tags by branch, drawn at random (branch shares differ between core and edge).
_TAGS = {
    "daily": [("shop", "bakery"), ("shop", "butcher"), ("shop", "greengrocer"),
              ("shop", "convenience"), ("shop", "cheese")],
    "fashion": [("shop", "clothes"), ("shop", "shoes"), ("shop", "jewelry"), ("shop", "bag")],
    "home": [("shop", "furniture"), ("shop", "interior_decoration"), ("shop", "florist")],
    "electronics": [("shop", "electronics"), ("shop", "mobile_phone"), ("shop", "computer")],
    "personal_care": [("shop", "hairdresser"), ("shop", "chemist"), ("shop", "beauty"),
                      ("amenity", "pharmacy")],
    "leisure_goods": [("shop", "books"), ("shop", "toys"), ("shop", "sports"),
                      ("shop", "second_hand")],
    "horeca": [("amenity", "cafe"), ("amenity", "restaurant"), ("amenity", "bar"),
               ("amenity", "fast_food")],
    "services": [("amenity", "bank"), ("shop", "optician"), ("shop", "travel_agency"),
                 ("office", "estate_agent")],
    "culture": [("amenity", "library"), ("tourism", "gallery")],
    "maker": [("craft", "jeweller"), ("craft", "carpenter")],
    "office": [("office", "company"), ("office", "it")],
}
_MIX = {  # core, edge shares of premises by branch (illustrative)
    "daily": (0.06, 0.08), "fashion": (0.26, 0.10), "home": (0.07, 0.08),
    "electronics": (0.06, 0.04), "personal_care": (0.10, 0.13), "leisure_goods": (0.09, 0.08),
    "horeca": (0.18, 0.14), "services": (0.10, 0.15), "culture": (0.02, 0.02),
    "maker": (0.01, 0.04), "office": (0.05, 0.14),
}
_BRANDS = ("HEMA", "Zeeman", "Blokker", "Kruidvat", "Etos", "Bruna", "H&M", "Rituals")


def write_example_extract(path: str | Path, n_premises: int = 300, seed: int = 0,
                          centre: tuple[float, float] = DEFAULT_CENTRE,
                          vacancy: float = 0.1, building_share: float = 0.5,
                          houses: int = 0) -> Path:
    """Write a made-up extract with about ``n_premises`` premises to ``path`` and return it.

    Args:
        path: ``.osm`` (XML) or ``.osm.pbf`` file to write (overwritten).
        n_premises: number of premise nodes and tagged buildings (about).
        seed: random seed.
        centre: (lat, lon) of the middle of the grid.
        vacancy: share of premises tagged vacant.
        building_share: share of premises standing in a building footprint.
        houses: untagged houses (``building=house``) in a ring around the centre, as a real
            extract has them (they are read as buildings, but hold no premise).
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    lat0, lon0 = centre
    m_per_deg_lat = 111_320.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(lat0))

    def lonlat(x: float, y: float) -> tuple[float, float]:
        return lon0 + x / m_per_deg_lon, lat0 + y / m_per_deg_lat

    # Grid: k x k blocks; premises on both sides of every street segment.
    per_segment = 2 * int(BLOCK_M // FRONT_M - 1)
    k = max(2, math.ceil(math.sqrt(n_premises / (2.0 * per_segment))))
    half = k * BLOCK_M / 2
    nodes: list[Node] = []
    ways: list[Way] = []
    next_id = [1]

    def node(x: float, y: float, tags: dict | None = None) -> int:
        nid = next_id[0]
        next_id[0] += 1
        nodes.append(Node(id=nid, location=lonlat(x, y), tags=tags or {}))
        return nid

    def way(ids: list[int], tags: dict) -> None:
        ways.append(Way(id=len(ways) + 1, nodes=ids, tags=tags))

    grid = {(i, j): node(-half + i * BLOCK_M, -half + j * BLOCK_M)
            for i in range(k + 1) for j in range(k + 1)}
    core_r = 0.35 * half

    def street_tags(x: float, y: float, horizontal: bool, j: int) -> dict:
        middle = j == k // 2
        if middle:
            return {"highway": "secondary", "name": "Hoofdstraat" if horizontal else "Kerkstraat"}
        if math.hypot(x, y) <= core_r * 1.2:
            return {"highway": "pedestrian", "name": f"Winkelstraat {j}"}
        return {"highway": "residential", "name": f"Straat {j}"}

    for j in range(k + 1):
        for i in range(k):
            mx, my = -half + (i + 0.5) * BLOCK_M, -half + j * BLOCK_M
            way([grid[i, j], grid[i + 1, j]], street_tags(mx, my, True, j))
            way([grid[j, i], grid[j, i + 1]], street_tags(my, mx, False, j))
    # Main roads leave the area: the middle streets continue 300 m outwards.
    mid = k // 2
    # A ring road 60 m outside the grid, crossing the main roads (shared nodes).
    ring = half + 60.0
    cross = {}
    for (a, b), (dx, dy) in (((0, mid), (-1, 0)), ((k, mid), (1, 0)), ((mid, 0), (0, -1)),
                             ((mid, k), (0, 1))):
        x0, y0 = -half + a * BLOCK_M, -half + b * BLOCK_M
        cross[dx, dy] = node(x0 + 60 * dx, y0 + 60 * dy)
        way([grid[a, b], cross[dx, dy], node(x0 + 300 * dx, y0 + 300 * dy)],
            {"highway": "primary", "name": "Singel"})
    loop = [node(-ring, -ring), cross[0, -1], node(ring, -ring), cross[1, 0], node(ring, ring),
            cross[0, 1], node(-ring, ring), cross[-1, 0]]
    way([*loop, loop[0]], {"highway": "tertiary", "name": "Ring"})

    # Premises along the streets.
    spots = []
    for j in range(k + 1):
        for i in range(k):
            for t in np.arange(FRONT_M, BLOCK_M - FRONT_M / 2, FRONT_M):
                for side in (-1.0, 1.0):
                    spots.append((-half + i * BLOCK_M + t, -half + j * BLOCK_M + side * 8.0,
                                  True, side))
                    spots.append((-half + j * BLOCK_M + side * 8.0, -half + i * BLOCK_M + t,
                                  False, side))
    spots = [spots[i] for i in rng.permutation(len(spots))[:n_premises]]
    names = list(_TAGS)
    for x, y, horizontal, side in spots:
        core = math.hypot(x, y) <= core_r
        p = np.array([_MIX[b][0 if core else 1] for b in names])
        branch = names[rng.choice(len(names), p=p / p.sum())]
        key, value = _TAGS[branch][rng.integers(len(_TAGS[branch]))]
        tags = {key: value, "name": f"{value.replace('_', ' ').title()} {next_id[0]}"}
        if rng.random() < vacancy:
            tags = ({"shop": "vacant"} if rng.random() < 0.5 or key not in ("shop", "amenity")
                    else {f"disused:{key}": value})
        elif key == "shop" and rng.random() < (0.35 if core else 0.1):
            tags["brand"] = _BRANDS[rng.integers(len(_BRANDS))]
        r = rng.random()
        if r < building_share:
            # A building 7 m along the street and 14 m deep, from 5 m off the street centre line
            # (the premise node stands 8 m off it, inside).
            a, b = side * -3.0, side * 11.0
            if horizontal:
                ring_xy = [(x - 3.5, y + a), (x + 3.5, y + a), (x + 3.5, y + b), (x - 3.5, y + b)]
            else:
                ring_xy = [(x + a, y - 3.5), (x + b, y - 3.5), (x + b, y + 3.5), (x + a, y + 3.5)]
            levels = str(int(rng.integers(2, 5)))
            ids = [node(px, py) for px, py in ring_xy]
            if rng.random() < 0.3:  # the building itself carries the shop tags
                way([*ids, ids[0]], {"building": "retail", "building:levels": levels, **tags})
                continue
            way([*ids, ids[0]], {"building": "yes", "building:levels": levels})
        node(x, y, tags)

    # Anchors, entries and things that are not premises.
    node(4.0, 4.0, {"amenity": "marketplace", "name": "Brink"})
    node(-12.0, 8.0, {"shop": "supermarket", "brand": "Albert Heijn", "name": "AH"})
    node(20.0, -8.0, {"shop": "department_store", "brand": "HEMA", "name": "HEMA"})
    node(-half - 40.0, 0.0, {"amenity": "parking", "parking": "multi-storey", "capacity": "450"})
    node(half + 40.0, 0.0, {"amenity": "parking", "capacity": "200"})
    node(0.0, -half - 50.0, {"railway": "station", "name": "Station"})
    for _ in range(6):
        x, y = rng.uniform(-core_r, core_r, 2)
        node(float(x), float(y), {"amenity": "bicycle_parking", "capacity": "60"})
    for _ in range(max(3, n_premises // 20)):
        x, y = rng.uniform(-half, half, 2)
        node(float(x), float(y), {"amenity": "bench"})
    for _ in range(houses):
        r, a = rng.uniform(ring + 20, ring + 600), rng.uniform(0, 2 * math.pi)
        x, y = r * math.cos(a), r * math.sin(a)
        ids = [node(x, y), node(x + 6, y), node(x + 6, y + 9), node(x, y + 9)]
        way([*ids, ids[0]], {"building": "house"})

    path = Path(path)
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for n in nodes:
            writer.add_node(n)
        for w in ways:
            writer.add_way(w)
    return path
