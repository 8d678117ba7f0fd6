"""Build ``example_town.geojson``: "Voorbeeldstad", a small stylised Dutch city centre.

Run from the repository root to regenerate the file (deterministic)::

    .venv/bin/python sim/data/make_example_town.py

Layout (metres; local grid shifted to the RD New origin 155000, 463000, so the file looks like an
EPSG:28992 export): the core shopping street (Hoofdstraat) runs east-west through the market
square (Markt); two aanloopstraten lead in from the station (Stationsstraat, west) and the parking
garage (Kerkstraat, north, with the supermarket); a ring of fringe streets (the walls, Westwal,
Zuidwal, Oostwal, Noordwal) and Oosteinde with the theatre hold housing, offices and services.
Entries: parking garage, railway station, bike park by the market, residential quarter.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sim.town import SETBACK_M
from sim.town_io import dump_feature_collection, load_town

OUT = Path(__file__).with_name("example_town.geojson")
X0, Y0 = 155_000.0, 463_000.0  # RD New origin (Amersfoort), m
SEED = 2024
CATCHMENT = 25_000  # persons: a regional centre of a ~25k town

# name, zone, polyline (local m). Streets meet only at shared vertices (or a vertex on a segment).
STREETS: list[tuple[str, str, list[tuple[float, float]]]] = [
    ("Markt", "core", [(-40, -40), (40, -40), (40, 40), (-40, 40), (-40, -40)]),
    ("Hoofdstraat", "core", [(-160, 0), (-40, 0), (40, 0), (160, 0)]),
    ("Stationsstraat", "aanloop", [(-160, 0), (-200, 0), (-300, 0), (-380, -70)]),
    ("Kerkstraat", "aanloop", [(0, 40), (0, 150), (0, 260)]),
    ("Oosteinde", "fringe", [(160, 0), (200, 0), (280, 0)]),
    ("Westwal", "fringe", [(-200, -130), (-200, 0), (-200, 150)]),
    ("Oostwal", "fringe", [(200, -130), (200, 0), (200, 150)]),
    ("Zuidwal", "fringe", [(-200, -130), (200, -130)]),
    ("Noordwal", "fringe", [(-200, 150), (0, 150), (200, 150)]),
    ("Marktsteeg", "fringe", [(0, -40), (0, -130)]),
]

# kind, local position, weight (share of visitors arriving there: car, train, bike, on foot).
ENTRIES = [
    ("parking", (0, 275), 0.40),  # parking garage Kerkplein
    ("station", (-392, -82), 0.20),
    ("bike", (12, -85), 0.25),  # bike park (fietsenstalling) by the market
    ("residential", (210, -140), 0.15),
]

# Frontages: street, from, to, sides (+1 left / -1 right of the direction), spacing (m), margin
# at both ends (m), zone, function mix key.
FRONTAGES = [
    ("Markt", (-40, 40), (40, 40), (1,), 14.0, 8.0, "core", "markt"),
    ("Markt", (-40, -40), (40, -40), (-1,), 12.0, 10.0, "core", "markt"),
    ("Hoofdstraat", (-160, 0), (-40, 0), (1, -1), 12.0, 6.0, "core", "core"),
    ("Hoofdstraat", (40, 0), (160, 0), (1, -1), 12.0, 6.0, "core", "core"),
    ("Stationsstraat", (-160, 0), (-300, 0), (1, -1), 14.0, 7.0, "aanloop", "aanloop"),
    ("Stationsstraat", (-300, 0), (-380, -70), (1,), 18.0, 12.0, "aanloop", "aanloop"),
    ("Kerkstraat", (0, 40), (0, 260), (1, -1), 15.0, 10.0, "aanloop", "aanloop"),
    ("Oosteinde", (160, 0), (280, 0), (1, -1), 20.0, 10.0, "fringe", "fringe"),
    ("Zuidwal", (-200, -130), (200, -130), (1, -1), 30.0, 15.0, "fringe", "fringe"),
    ("Noordwal", (-200, 150), (200, 150), (1,), 40.0, 20.0, "fringe", "fringe"),
]

# Function counts per mix as shares; vacancy is stated separately (about 10% of retail units,
# mostly in the aanloopstraten, where Dutch centres see most vacancy).
MIXES = {
    "markt": {"horeca": 0.7, "services": 0.1, "leisure_goods": 0.1, "personal_care": 0.1},
    "core": {"fashion": 0.40, "personal_care": 0.12, "leisure_goods": 0.10, "home": 0.08,
             "electronics": 0.08, "daily": 0.05, "horeca": 0.07, "services": 0.10},
    "aanloop": {"fashion": 0.10, "daily": 0.08, "personal_care": 0.14, "horeca": 0.15,
                "services": 0.18, "home": 0.08, "leisure_goods": 0.08, "electronics": 0.03,
                "maker": 0.04, "office": 0.04, "housing": 0.08},
    "fringe": {"housing": 0.42, "office": 0.18, "services": 0.12, "horeca": 0.08,
               "personal_care": 0.06, "maker": 0.05, "culture": 0.03, "daily": 0.03,
               "home": 0.03},
}
VACANT = {"markt": 0, "core": 2, "aanloop": 6, "fringe": 2}
AREA = {"core": (170.0, 0.5), "aanloop": (95.0, 0.45), "fringe": (105.0, 0.5)}  # median m2, sd
P_CHAIN = {"core": 0.55, "aanloop": 0.2, "fringe": 0.1}
COMMERCIAL = {"daily", "fashion", "home", "electronics", "personal_care", "leisure_goods",
              "horeca", "services", "culture", "maker"}
INSTITUTIONAL = ("Winkelfonds Holland", "Retail Vastgoed NV", "Pensioenfonds Bouw Vastgoed")


def _n(v: float) -> float | int:
    """A tidy JSON number: whole values without decimals."""
    v = round(float(v), 1)
    return int(v) if v.is_integer() else v


def _xy(x: float, y: float) -> list[float | int]:
    """File coordinates (RD New, m) of a local position."""
    return [_n(X0 + x), _n(Y0 + y)]


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    d = b - a
    t = float(np.clip(np.dot(p - a, d) / np.dot(d, d), 0.0, 1.0))
    return float(np.hypot(*(a + t * d - p)))


def _allocate(n: int, shares: dict[str, float]) -> list[str]:
    """``n`` function names in proportion to ``shares`` (largest remainder)."""
    names = list(shares)
    w = np.array([shares[k] for k in names]) / sum(shares.values())
    base = np.floor(w * n).astype(int)
    for k in np.argsort(-(w * n - base), kind="stable")[: n - base.sum()]:
        base[k] += 1
    return [name for name, c in zip(names, base, strict=True) for _ in range(c)]


def _candidates() -> list[dict]:
    """Unit positions along the frontages, dropping those within 8 m of another street."""
    segs = [(name, np.array(a, float), np.array(b, float)) for name, _, pts in STREETS
            for a, b in itertools.pairwise(pts)]
    out = []
    numbers: dict[str, list[int]] = {}
    for street, a, b, sides, spacing, margin, zone, mix in FRONTAGES:
        pa, pb = np.array(a, float), np.array(b, float)
        length = float(np.hypot(*(pb - pa)))
        t = (pb - pa) / length
        left = np.array([-t[1], t[0]])
        for side in sides:
            for s in np.arange(margin, length - margin + 1e-9, spacing):
                pos = pa + t * s + side * SETBACK_M * left
                if any(_segment_distance(pos, sa, sb) < 8.0 for _, sa, sb in segs):
                    continue
                nums = numbers.setdefault(street, [1, 2])
                k = 0 if side > 0 else 1
                out.append({"street": street, "number": nums[k], "pos": pos, "zone": zone,
                            "mix": mix})
                nums[k] += 2
    return out


def build() -> dict:
    """The example town as a GeoJSON FeatureCollection (dict)."""
    rng = np.random.default_rng(SEED)
    units = _candidates()
    # The supermarket replaces the Kerkstraat units near the parking garage (east side).
    units = [u for u in units if not (u["street"] == "Kerkstraat" and u["pos"][0] > 0
                                      and u["pos"][1] > 195)]

    for mix in MIXES:
        group = [u for u in units if u["mix"] == mix]
        funcs = ["vacant"] * VACANT[mix] + _allocate(len(group) - VACANT[mix], MIXES[mix])
        rng.shuffle(funcs)
        if mix == "aanloop":  # vacancy sits at the far ends of the approach streets
            order = sorted(range(len(group)), key=lambda i: -np.hypot(*group[i]["pos"]))
            vac = [f for f in funcs if f == "vacant"]
            rest = [f for f in funcs if f != "vacant"]
            far = set(order[: 2 * len(vac)])
            picks = sorted(rng.choice(sorted(far), size=len(vac), replace=False).tolist())
            it = iter(rest)
            funcs = ["vacant" if i in picks else next(it) for i in range(len(group))]
        for u, f in zip(group, funcs, strict=True):
            u["function"] = f

    for u in units:
        median, sd = AREA[u["zone"]]
        u["floor_area"] = float(np.clip(5 * round(median * np.exp(rng.normal(0, sd)) / 5),
                                        35, 650))
        u["upper_floors"] = int(rng.integers(1, 4) if u["zone"] == "core"
                                else rng.integers(1, 3) if u["function"] == "housing"
                                else rng.integers(0, 3))
        u["chain"] = bool(u["function"] in COMMERCIAL - {"culture", "maker"}
                          and rng.random() < P_CHAIN[u["zone"]])
        u["anchor"] = "none"

    # Anchors.
    units.append({"address": "Markt", "pos": np.array([0.0, 14.0]), "zone": "core",
                  "function": "market", "floor_area": 2400.0, "upper_floors": 0, "chain": False,
                  "anchor": "market_square", "owner": "gemeente", "owner_type": "municipality"})
    units.append({"address": "Kerkplein 1", "pos": np.array([14.0, 225.0]),
                  "zone": "aanloop", "function": "daily", "floor_area": 1150.0,
                  "upper_floors": 0, "chain": True, "anchor": "supermarket",
                  "owner": INSTITUTIONAL[1], "owner_type": "institutional"})
    units.append({"address": "Oosteinde 30", "pos": np.array([292.0, 0.0]),
                  "zone": "fringe", "function": "culture", "floor_area": 1800.0,
                  "upper_floors": 1, "chain": False, "anchor": "culture", "owner": "gemeente",
                  "owner_type": "municipality"})

    # Owners: three institutional investors hold much of the core, the municipality its venues
    # (and a fringe culture unit), everything else is small private owners, some with a pair of
    # neighbouring units.
    core = [u for u in units if u["zone"] == "core" and "owner" not in u]
    inst_units = rng.choice(len(core), size=int(0.45 * len(core)), replace=False)
    weights = np.array([0.45, 0.33, 0.22])
    for i in sorted(inst_units.tolist()):
        core[i]["owner"] = INSTITUTIONAL[int(rng.choice(3, p=weights))]
        core[i]["owner_type"] = "institutional"
    aanloop = [u for u in units if u["zone"] == "aanloop" and "owner" not in u]
    for i in sorted(rng.choice(len(aanloop), size=3, replace=False).tolist()):
        aanloop[i]["owner"] = INSTITUTIONAL[2]
        aanloop[i]["owner_type"] = "institutional"
    n_private = 0
    last: dict | None = None
    for u in units:
        if "owner" in u:
            last = None
            continue
        if u["function"] == "culture":
            u["owner"], u["owner_type"] = "gemeente", "municipality"
            last = None
            continue
        if last is not None and last.get("street") == u.get("street") and rng.random() < 0.2:
            u["owner"] = last["owner"]  # the neighbour's owner holds this unit too
            last = None
        else:
            n_private += 1
            u["owner"] = f"P{n_private:03d}"
            last = u
        u["owner_type"] = "private"

    features = []
    for name, zone, pts in STREETS:
        features.append({"type": "Feature", "geometry": {
            "type": "LineString", "coordinates": [_xy(x, y) for x, y in pts]},
            "properties": {"kind": "street", "zone": zone, "name": name}})
    for kind, (x, y), w in ENTRIES:
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": _xy(x, y)},
                         "properties": {"kind": "entry", "entry_kind": kind, "weight": w}})
    for k, u in enumerate(units, start=1):
        props = {"kind": "unit", "unit_id": f"VB-{k:03d}",
                 "address": u.get("address") or f"{u['street']} {u['number']}",
                 "zone": u["zone"],
                 "floor_area": _n(u["floor_area"]), "function": u["function"],
                 "upper_floors": u["upper_floors"], "owner": u["owner"],
                 "owner_type": u["owner_type"], "chain": u["chain"], "anchor": u["anchor"]}
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": _xy(*u["pos"])},
                         "properties": props})
    return {"properties": {"name": "Voorbeeldstad", "catchment_population": CATCHMENT,
                           "format_version": 1},
            "features": features}


def main() -> None:
    doc = build()
    dump_feature_collection(doc["properties"], doc["features"], OUT)
    town = load_town(OUT)
    f = np.bincount(town.function, minlength=14)
    print(f"wrote {OUT}: {town.n_units} units, {town.n_nodes} street nodes, "
          f"{len(town.edge_u)} edges, {len(town.entry_node)} entries, "
          f"{len(town.owner_institutional)} owners, vacancy "
          f"{f[0] / town.retail_allowed.sum():.1%} of retail units")


if __name__ == "__main__":
    main()
