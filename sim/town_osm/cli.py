"""``binnenstad town from-osm``: the ``town`` command group (registered in `sim.cli`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from ..limits import MAX_NAME_CHARS, OSM_RADIUS, TOWN_LIMITS, Limit

town_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                       help="Town files: build your own centre from OpenStreetMap.")


def _numbers(text: str, n: int, option: str, form: str) -> list[float]:
    from ..errors import fail as _fail

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != n or not all(math.isfinite(v) for v in values):
        _fail(f"{option} {text!r} must be {n} numbers {form}")
    return values


def _in_range(value: float | None, option: str, limit: Limit) -> None:
    """A finite number within ``limit`` (typer reads nan, inf and 400-digit numbers too)."""
    from ..errors import fail as _fail

    if value is not None and not (math.isfinite(value) and limit.lo <= value <= limit.hi):
        shown = f"{value:g}" if math.isfinite(value) or math.isnan(value) else "infinite"
        _fail(f"{option} must be a number from {limit.allowed()} (got {shown})")


@town_app.command("from-osm")
def from_osm(
    extract: Annotated[Path, typer.Argument(help="OpenStreetMap extract (.osm or .osm.pbf).")],
    out: Annotated[Path, typer.Option(help="Town file to write (.geojson).")],
    bbox: Annotated[str | None, typer.Option(
        help="Area to take: W,S,E,N in degrees (longitude, latitude).")] = None,
    centre: Annotated[str | None, typer.Option(
        help="Centre of the town: LAT,LON in degrees; the area is a circle of --radius around "
             "it unless --bbox is given.")] = None,
    radius: Annotated[float | None, typer.Option(
        help="Radius (m) of the area around --centre [default: 600].")] = None,
    core_radius: Annotated[float | None, typer.Option(
        help="Core = premises within this distance (m) of --centre (or of the densest "
             "premises), aanloop within twice it [default: zones from premise density].")]
    = None,
    population: Annotated[float | None, typer.Option(
        help="Catchment population (persons) [default: estimated from the number of units].")]
    = None,
    name: Annotated[str | None, typer.Option(help="Town name [default: the file name].")] = None,
    branches: Annotated[Path | None, typer.Option(
        help="Tag table mapping OSM tags to branches [default: sim/data/osm_branches.toml].")]
    = None,
) -> None:
    """Build a town file from an OpenStreetMap extract (see docs/town_format.md)."""
    from ..errors import fail as _fail
    from ..errors import note

    try:
        from .build import write_town
        from .read import OsmError
    except ImportError as exc:
        _fail(f"town from-osm needs the osm extra ({exc.name} is missing): "
              "pip install 'binnenstad[osm]'")
    if out.suffix.lower() not in (".geojson", ".json"):
        _fail(f"--out {out}: must end in .geojson (a town file)")
    if not out.parent.is_dir():
        _fail(f"--out {out}: folder {out.parent} does not exist")
    box = ctr = None
    if bbox is not None:
        box = _numbers(bbox, 4, "--bbox", "W,S,E,N (degrees)")
        w, s, e, n = box
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            _fail(f"--bbox {bbox!r}: need -180 <= W < E <= 180 and -90 <= S < N <= 90 "
                  "(W,S,E,N: longitude, latitude, longitude, latitude)")
    if centre is not None:
        ctr = _numbers(centre, 2, "--centre", "LAT,LON (degrees)")
        if not (-90 <= ctr[0] <= 90 and -180 <= ctr[1] <= 180):
            _fail(f"--centre {centre!r}: LAT must be -90..90 and LON -180..180 (LAT first)")
    if radius is not None and centre is None:
        _fail("--radius needs --centre LAT,LON (the circle's centre)")
    _in_range(radius, "--radius", OSM_RADIUS)
    _in_range(core_radius, "--core-radius", OSM_RADIUS)
    _in_range(population, "--population", TOWN_LIMITS["catchment_population"])
    if name is not None:
        bad = next((c for c in name if not c.isprintable()), None)
        if not name.strip() or len(name) > MAX_NAME_CHARS or bad is not None:
            _fail(f"--name must be a non-empty name of at most {MAX_NAME_CHARS} printable "
                  "characters" + (f" (it holds {bad!r})" if bad is not None else ""))
    if out.exists() and not out.is_file():
        _fail(f"--out {out}: exists and is not a file; allowed: a new path or a town file "
              "to replace")
    try:
        report = write_town(extract, out, bbox=box, centre=ctr, radius=radius,
                            core_radius=core_radius, population=population, name=name,
                            branches=branches)
    except OsmError as exc:
        _fail(str(exc))
    for line in report.notes:
        note(line)  # on stderr, like every note
    print(f"wrote {out}: {report.summary()}")
