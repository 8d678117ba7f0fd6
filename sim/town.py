"""Stylised Dutch city centres on a street grid: the `Town` description and its generator.

A `Town` is pure data (NumPy arrays): street nodes (25 m street cells) joined by edges, entry
points, and ground-floor units fronting the streets with floor area, upper floors, zoning, owner
and initial function. The model never changes a `Town`; it copies what it needs into its state.

Presets (`small`, `medium`, `large`, `xl`) have about 150, 600, 2,500 and 10,000 units
[BRIEF section 2]. Generation is deterministic for a seed (stream ``"town"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .functions import COMMERCIAL, Anchor, Function, Zone
from .limits import MAX_UNITS, TOWN_LIMITS, Limit  # noqa: F401 - Limit re-exported
from .rng import stream

#: Street cell length in metres: one street node per cell.
CELL_M = 25.0
#: Block side in street cells (100 m blocks, typical of a historic Dutch centre).
BLOCK_CELLS = 4
#: Distance of a unit's front from the street centre line (m).
SETBACK_M = 9.0

ENTRY_KINDS = ("parking", "station", "bike", "residential")


@dataclass(frozen=True)
class TownPreset:
    """Size parameters of a generated town."""

    n_units: int
    catchment_population: float  # persons in the centre's catchment in the start year
    n_department_stores: int
    n_supermarkets: int
    n_market_squares: int
    n_culture: int


#: Catchment sizes: calibration (a ~600-unit centre serves a ~100k town such as Deventer [BRIEF 2]).
PRESETS: dict[str, TownPreset] = {
    "small": TownPreset(150, 30_000, 0, 2, 1, 1),
    "medium": TownPreset(600, 100_000, 1, 3, 1, 2),
    "large": TownPreset(2_500, 330_000, 3, 8, 2, 6),
    "xl": TownPreset(10_000, 1_100_000, 10, 30, 6, 20),
}

# Initial function mix of ordinary units by zone (shares of units; calibration to typical Dutch
# centre outlet mixes: fashion-heavy core, services and personal care in aanloopstraten, housing
# and offices at the fringe [BRIEF section 4]).
_MIX_FUNCTIONS = (
    Function.FASHION,
    Function.DAILY,
    Function.HOME,
    Function.ELECTRONICS,
    Function.PERSONAL_CARE,
    Function.LEISURE_GOODS,
    Function.HORECA,
    Function.SERVICES,
    Function.CULTURE,
    Function.MAKER,
    Function.OFFICE,
    Function.HOUSING,
)
_MIX = {
    Zone.CORE: (0.30, 0.05, 0.07, 0.07, 0.11, 0.10, 0.16, 0.10, 0.01, 0.00, 0.01, 0.02),
    Zone.AANLOOP: (0.11, 0.07, 0.08, 0.05, 0.13, 0.09, 0.14, 0.14, 0.01, 0.02, 0.05, 0.11),
    Zone.FRINGE: (0.03, 0.04, 0.05, 0.02, 0.06, 0.03, 0.09, 0.12, 0.02, 0.03, 0.16, 0.35),
}
# Median floor area (m2) and log-sd by zone: core units are larger [BRIEF section 2].
_AREA = {Zone.CORE: (170.0, 0.6), Zone.AANLOOP: (95.0, 0.5), Zone.FRINGE: (105.0, 0.55)}
# Probability that a unit is owned by an institutional investor, by zone (calibration).
_P_INSTITUTIONAL = {Zone.CORE: 0.5, Zone.AANLOOP: 0.25, Zone.FRINGE: 0.1}
# Probability that a chain runs a commercial unit, by zone (calibration; chains favour the core).
_P_CHAIN = {Zone.CORE: 0.55, Zone.AANLOOP: 0.2, Zone.FRINGE: 0.1}


@dataclass(frozen=True)
class Town:
    """A city centre: street network, entry points and units. Coordinates in metres."""

    name: str
    catchment_population: float
    node_x: np.ndarray
    node_y: np.ndarray
    node_zone: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    entry_node: np.ndarray
    entry_kind: tuple[str, ...]
    entry_weight: np.ndarray
    unit_x: np.ndarray
    unit_y: np.ndarray
    unit_node: np.ndarray
    unit_zone: np.ndarray
    floor_area: np.ndarray
    upper_floors: np.ndarray
    retail_allowed: np.ndarray
    owner: np.ndarray
    owner_institutional: np.ndarray
    function: np.ndarray
    chain: np.ndarray
    anchor: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.node_x)

    @property
    def n_units(self) -> int:
        return len(self.unit_x)

    def validate(self) -> None:
        """Raise ValueError with a one-line message if the town is inconsistent."""
        n, u = self.n_nodes, self.n_units
        if n < 2:
            raise ValueError("town needs at least 2 street nodes")
        if u < 1:
            raise ValueError("town needs at least 1 unit")
        if len(self.entry_node) < 1:
            raise ValueError("town needs at least 1 entry point")
        for name in ("unit_y", "unit_node", "unit_zone", "floor_area", "upper_floors",
                     "retail_allowed", "owner", "function", "chain", "anchor"):
            if len(getattr(self, name)) != u:
                raise ValueError(f"unit field {name!r} has length {len(getattr(self, name))}, "
                                 f"expected {u}")
        if np.any((self.unit_node < 0) | (self.unit_node >= n)):
            raise ValueError("unit_node refers to a street node that does not exist")
        if np.any((self.entry_node < 0) | (self.entry_node >= n)):
            raise ValueError("entry_node refers to a street node that does not exist")
        if np.any(self.floor_area <= 0):
            raise ValueError("floor_area must be > 0 m2 for every unit")
        if np.any(self.edge_length <= 0):
            raise ValueError("street edge lengths must be > 0 m")
        if np.any((self.owner < 0) | (self.owner >= len(self.owner_institutional))):
            raise ValueError("owner refers to an owner that does not exist")
        self._validate_ranges()

    def _validate_ranges(self) -> None:
        """At most `MAX_UNITS` units; finite values within `TOWN_LIMITS` (the same limits as
        town files)."""
        if self.n_units > MAX_UNITS:
            raise ValueError(f"has {self.n_units:,} units; allowed: at most {MAX_UNITS:,} (the xl "
                             "preset has 10,000)")
        lim = TOWN_LIMITS
        c = lim["catchment_population"]
        if not (np.isfinite(self.catchment_population)
                and c.lo <= self.catchment_population <= c.hi):
            raise ValueError(f"catchment_population is {float(self.catchment_population)}; "
                             f"allowed: {c.allowed()}")
        checks = (("node_x", self.node_x, "coordinate"), ("node_y", self.node_y, "coordinate"),
                  ("unit_x", self.unit_x, "coordinate"), ("unit_y", self.unit_y, "coordinate"),
                  ("floor_area", self.floor_area, "floor_area"),
                  ("upper_floors", self.upper_floors, "upper_floors"))
        for name, arr, key in checks:
            a = np.asarray(arr, dtype=np.float64)
            bad = ~(np.isfinite(a) & (a >= lim[key].lo) & (a <= lim[key].hi))
            if np.any(bad):
                k = int(np.argmax(bad))
                raise ValueError(f"{name}[{k}] is {float(a[k])}; allowed: {lim[key].allowed()}")
        w = np.asarray(self.entry_weight, dtype=np.float64)
        if not (np.all(np.isfinite(w)) and np.all(w > 0)):
            raise ValueError("entry_weight must be finite and > 0 for every entry")
        if not np.all(np.isfinite(self.edge_length)):
            raise ValueError("street edge lengths must be finite")
        ext = float(np.hypot(np.ptp(self.node_x), np.ptp(self.node_y)))
        if ext > lim["extent"].hi:
            raise ValueError(f"street network spans {ext:,.0f} m; allowed: at most "
                             f"{lim['extent'].hi:,g} m (a city centre)")


def _lattice(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Street nodes and edges of a k x k block lattice (streets every BLOCK_CELLS cells)."""
    side = k * BLOCK_CELLS + 1
    index = -np.ones((side, side), dtype=np.int64)
    xs, ys = [], []
    for i in range(side):
        for j in range(side):
            if i % BLOCK_CELLS == 0 or j % BLOCK_CELLS == 0:
                index[i, j] = len(xs)
                xs.append(i * CELL_M)
                ys.append(j * CELL_M)
    eu, ev = [], []
    for i in range(side):
        for j in range(side):
            a = index[i, j]
            if a < 0:
                continue
            if i + 1 < side and index[i + 1, j] >= 0 and j % BLOCK_CELLS == 0:
                eu.append(a)
                ev.append(index[i + 1, j])
            if j + 1 < side and index[i, j + 1] >= 0 and i % BLOCK_CELLS == 0:
                eu.append(a)
                ev.append(index[i, j + 1])
    return np.array(xs), np.array(ys), np.array(eu, dtype=np.int64), np.array(ev, dtype=np.int64)


def _zone_of(
    x: np.ndarray, y: np.ndarray, cx: float, cy: float, r_core: float, r_aanloop: float
) -> np.ndarray:
    """Core inside an ellipse around the centre (main shopping axis along x), aanloop in a ring and
    along the two main axes (the approach streets), fringe elsewhere."""
    rho = np.hypot((x - cx) / 1.3, y - cy)
    on_axis = (np.abs(y - cy) < CELL_M * 0.6) | (np.abs(x - cx) < CELL_M * 0.6)
    zone = np.full(len(x), Zone.FRINGE, dtype=np.int8)
    zone[(rho <= r_aanloop) | on_axis] = Zone.AANLOOP
    zone[rho <= r_core] = Zone.CORE
    return zone


def _units_along_edges(
    rng: np.random.Generator, nx: np.ndarray, ny: np.ndarray, eu: np.ndarray, ev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate unit positions on both sides of every edge, 2 per side."""
    ux, uy, unode = [], [], []
    for a, b in zip(eu, ev, strict=True):
        horizontal = ny[a] == ny[b]
        for side in (-1.0, 1.0):
            for frac in (0.3, 0.75):
                px = nx[a] + frac * (nx[b] - nx[a])
                py = ny[a] + frac * (ny[b] - ny[a])
                if horizontal:
                    py += side * SETBACK_M
                else:
                    px += side * SETBACK_M
                ux.append(px)
                uy.append(py)
                unode.append(a if frac < 0.5 else b)
    return np.array(ux), np.array(uy), np.array(unode, dtype=np.int64)


def generate_town(preset: str | TownPreset, seed: int = 0, name: str | None = None) -> Town:
    """Generate a stylised centre. ``preset`` is a name in `PRESETS` or a `TownPreset`."""
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"unknown town {preset!r}; allowed: {', '.join(PRESETS)} or a file")
        name = name or preset
        spec = PRESETS[preset]
    else:
        spec = preset
        name = name or "custom"
    rng = stream(seed, "town")

    k = 1
    while 16 * k * (k + 1) * 2 < spec.n_units * 1.02:
        k += 1
    nx, ny, eu, ev = _lattice(k)
    cx = cy = k * BLOCK_CELLS * CELL_M / 2
    ux, uy, unode = _units_along_edges(rng, nx, ny, eu, ev)
    # Keep the n_units candidates nearest the centre: the town's extent follows its size.
    d = np.hypot((ux - cx) / 1.3, uy - cy) + rng.uniform(0, 1e-3, len(ux))
    keep = np.sort(np.argsort(d, kind="stable")[: spec.n_units])
    ux, uy, unode = ux[keep], uy[keep], unode[keep]
    n = len(ux)
    # Drop street nodes that are far beyond the last unit (empty streets add cost, not meaning).
    reach = d[keep].max() + 2 * CELL_M
    node_keep = np.hypot((nx - cx) / 1.3, ny - cy) <= reach
    node_keep[unode] = True
    new_index = -np.ones(len(nx), dtype=np.int64)
    new_index[node_keep] = np.arange(node_keep.sum())
    edge_keep = node_keep[eu] & node_keep[ev]
    eu, ev = new_index[eu[edge_keep]], new_index[ev[edge_keep]]
    nx, ny = nx[node_keep], ny[node_keep]
    unode = new_index[unode]
    # Zones by node distance: about 30% of units in the core, 40% in aanloopstraten
    # (calibration to Dutch centres where the kernwinkelgebied holds roughly a third of outlets).
    du = np.hypot((nx[unode] - cx) / 1.3, ny[unode] - cy)
    node_zone = _zone_of(nx, ny, cx, cy, np.quantile(du, 0.3), np.quantile(du, 0.62))
    radius = float(reach)
    eu, ev, nx, ny, node_zone, unode = _largest_component(eu, ev, nx, ny, node_zone, unode)

    unit_zone = node_zone[unode].astype(np.int8)
    area = np.empty(n)
    for z, (median, sd) in _AREA.items():
        m = unit_zone == z
        area[m] = np.round(median * np.exp(rng.normal(0.0, sd, m.sum())), 0).clip(25, 2500)
    upper = np.where(
        unit_zone == Zone.CORE, rng.integers(1, 4, n), rng.integers(0, 3, n)
    ).astype(np.int16)

    function = np.empty(n, dtype=np.int8)
    for z, probs in _MIX.items():
        m = unit_zone == z
        p = np.array(probs) / np.sum(probs)
        function[m] = np.array(_MIX_FUNCTIONS)[rng.choice(len(p), size=m.sum(), p=p)]
    anchor = np.zeros(n, dtype=np.int8)
    chain = np.zeros(n, dtype=bool)

    dist_c = np.hypot((ux - cx) / 1.3, uy - cy)
    taken = np.zeros(n, dtype=bool)

    def place(kind: Anchor, count: int, score: np.ndarray, func: Function, fa: float) -> None:
        order = np.argsort(score, kind="stable")
        placed = 0
        for u in order:
            if placed >= count:
                break
            if taken[u]:
                continue
            # Anchors of one kind keep some distance from each other.
            same = np.flatnonzero(anchor == kind)
            if len(same) and np.min(np.hypot(ux[same] - ux[u], uy[same] - uy[u])) < 120:
                continue
            taken[u] = True
            anchor[u] = kind
            function[u] = func
            area[u] = fa
            placed += 1

    place(Anchor.MARKET_SQUARE, spec.n_market_squares, dist_c, Function.MARKET, 2000.0)
    place(Anchor.DEPARTMENT_STORE, spec.n_department_stores,
          np.abs(dist_c - 0.12 * radius), Function.FASHION, 4500.0)
    place(Anchor.SUPERMARKET, spec.n_supermarkets,
          np.abs(dist_c - 0.55 * radius) + rng.uniform(0, 30, n), Function.DAILY, 1200.0)
    place(Anchor.CULTURE, spec.n_culture,
          np.abs(dist_c - 0.7 * radius) + rng.uniform(0, 60, n), Function.CULTURE, 1500.0)

    commercial = np.isin(function, [int(f) for f in COMMERCIAL])
    p_chain = np.array([_P_CHAIN[Zone(z)] for z in unit_zone])
    chain = commercial & (rng.random(n) < p_chain * np.clip(area / 150.0, 0.4, 1.6))
    chain[(anchor == Anchor.DEPARTMENT_STORE) | (anchor == Anchor.SUPERMARKET)] = True
    chain[(anchor == Anchor.CULTURE) | (function == Function.MAKER)] = False

    retail_allowed = commercial.copy()

    # Owners: 0 is the municipality; then institutional investors; then small private owners who
    # often hold a neighbouring unit too.
    n_inst = max(3, n // 60)
    p_inst = np.array([_P_INSTITUTIONAL[Zone(z)] for z in unit_zone])
    owner = np.empty(n, dtype=np.int64)
    institutional = [False] + [True] * n_inst
    zipf = 1.0 / np.arange(1, n_inst + 1)
    zipf /= zipf.sum()
    last_private = -1
    for u in np.argsort(ux * 10_000 + uy, kind="stable"):
        if anchor[u] in (Anchor.MARKET_SQUARE, Anchor.CULTURE):
            owner[u] = 0
        elif rng.random() < p_inst[u] or anchor[u] != Anchor.NONE:
            owner[u] = 1 + rng.choice(n_inst, p=zipf)
        elif last_private > 0 and rng.random() < 0.3:
            owner[u] = last_private
        else:
            institutional.append(False)
            last_private = len(institutional) - 1
            owner[u] = last_private

    entry_node, entry_kind, entry_weight = _entries(nx, ny, cx, cy, k)
    town = Town(
        name=name,
        catchment_population=float(spec.catchment_population),
        node_x=nx.astype(np.float64),
        node_y=ny.astype(np.float64),
        node_zone=node_zone.astype(np.int8),
        edge_u=eu,
        edge_v=ev,
        edge_length=np.hypot(nx[eu] - nx[ev], ny[eu] - ny[ev]),
        entry_node=entry_node,
        entry_kind=entry_kind,
        entry_weight=entry_weight,
        unit_x=ux.astype(np.float64),
        unit_y=uy.astype(np.float64),
        unit_node=unode,
        unit_zone=unit_zone,
        floor_area=area,
        upper_floors=upper,
        retail_allowed=retail_allowed,
        owner=owner,
        owner_institutional=np.array(institutional, dtype=bool),
        function=function,
        chain=chain,
        anchor=anchor,
        meta={"preset": name, "seed": int(seed), "blocks": k},
    )
    town.validate()
    return town


def _largest_component(eu, ev, nx, ny, zone, unode):
    """Keep the largest connected street component so every unit is reachable on foot."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(nx)
    g = coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    main = np.bincount(labels[unode]).argmax()
    keep = labels == main
    if keep.all():
        return eu, ev, nx, ny, zone, unode
    # Units on a detached fragment are re-attached to the nearest kept node.
    idx = -np.ones(n, dtype=np.int64)
    idx[keep] = np.arange(keep.sum())
    kept = np.flatnonzero(keep)
    for i, node in enumerate(unode):
        if not keep[node]:
            j = kept[np.argmin(np.hypot(nx[kept] - nx[node], ny[kept] - ny[node]))]
            unode[i] = j
    ek = keep[eu] & keep[ev]
    return idx[eu[ek]], idx[ev[ek]], nx[keep], ny[keep], zone[keep], idx[unode]


def _entries(
    nx: np.ndarray, ny: np.ndarray, cx: float, cy: float, k: int
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Entry points: parking garages on the main axes, a station, bike parks near the core and
    residential edges at the corners. Weights are the share of catchment visitors arriving there
    (calibration: car ~45%, train ~15%, bike ~25%, on foot from adjacent neighbourhoods ~15%)."""
    radius = max(np.max(np.abs(nx - cx)), np.max(np.abs(ny - cy)))
    spots: list[tuple[str, float, float, float]] = [
        ("parking", cx - 0.85 * radius, cy, 0.17),
        ("parking", cx + 0.85 * radius, cy, 0.14),
        ("parking", cx, cy + 0.85 * radius, 0.14),
        ("station", cx, cy - 0.9 * radius, 0.15),
        ("bike", cx - 0.4 * radius, cy - 0.4 * radius, 0.07),
        ("bike", cx + 0.4 * radius, cy + 0.4 * radius, 0.07),
        ("bike", cx + 0.4 * radius, cy - 0.4 * radius, 0.06),
        ("bike", cx - 0.4 * radius, cy + 0.4 * radius, 0.05),
        ("residential", cx - 0.8 * radius, cy - 0.8 * radius, 0.04),
        ("residential", cx + 0.8 * radius, cy - 0.8 * radius, 0.04),
        ("residential", cx - 0.8 * radius, cy + 0.8 * radius, 0.04),
        ("residential", cx + 0.8 * radius, cy + 0.8 * radius, 0.03),
    ]
    nodes, kinds, weights = [], [], []
    for kind, x, y, w in spots:
        j = int(np.argmin(np.hypot(nx - x, ny - y)))
        if j in nodes:
            weights[nodes.index(j)] += w
            continue
        nodes.append(j)
        kinds.append(kind)
        weights.append(w)
    wt = np.array(weights)
    return np.array(nodes, dtype=np.int64), tuple(kinds), wt / wt.sum()
