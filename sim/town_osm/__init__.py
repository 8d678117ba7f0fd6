"""Town files from OpenStreetMap: ``binnenstad town from-osm EXTRACT --out TOWN.geojson``.

- `sim.town_osm.tags`: the tag table (``sim/data/osm_branches.toml``): premises, branches,
  vacancy, anchors and the builder's numbers;
- `sim.town_osm.read`: reading an extract with pyosmium;
- `sim.town_osm.build`: projection, selection, street network, floor areas, zones, entries;
- `sim.town_osm.synthetic`: a made-up extract for examples, tests and benchmarks.

Needs the ``osm`` extra (``pip install 'binnenstad[osm]'``: osmium, shapely, pyproj).
"""

from typing import Any

__all__ = ["OsmError"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `binnenstad` starts without pyosmium and the tag table.
    if name == "OsmError":
        from .read import OsmError

        return OsmError
    raise AttributeError(name)
