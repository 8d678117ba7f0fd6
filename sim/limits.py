"""Every limit of binnenstad's inputs, in one place (imports nothing from the package).

Each limit is stated here once and imported wherever it is checked or printed; the README
("Errors, limits and results folders") and ``docs/town_format.md`` quote these numbers, and
``tests/test_docs.py`` checks that they match.

Runs: `MAX_YEARS`, `START_YEARS`, `MAX_SEED`. Input files: `MAX_TOWN_FILE_BYTES` (GeoJSON
towns), `MAX_TEXT_FILE_BYTES` (scenarios, specs, tag tables, configs, JSON records),
`MAX_SORT_EXTRACT_BYTES` (an unsorted OpenStreetMap extract, sorted in memory). Sizes:
`MAX_RUNS` (runs of one experiment design), `MAX_UNITS` (units of a town), `MAX_NETWORK_GIB`
(memory of the street network), `MAX_BOOTSTRAP`, `MAX_WORKERS`, `MAX_TIMEOUT_S`. Town fields:
`TOWN_LIMITS`, `OSM_RADIUS`. Names that become paths: `MAX_NAME_CHARS`. Messages:
`MAX_MESSAGE_CHARS`. (Limits of a calibration's budget and design belong to that config alone
and are stated in `sim.calibration.config`.)
"""

from __future__ import annotations

from dataclasses import dataclass

# ------------------------------------------------------------------------------------ runs
#: Longest run in years (12 monthly steps each). A run's tables grow with its length; 200 years
#: is far beyond any scenario's data (the drivers are held flat after their last point).
MAX_YEARS = 200
#: Allowed first simulated years (inclusive): the scenarios' data start in the 1990s-2010s and
#: their projections end by 2100. Lever ``start`` settings and scenario years use the same range.
START_YEARS = (1990, 2100)
#: Years a scenario trajectory's points may name (data may begin before the first start year and
#: run past the last end year).
TRAJECTORY_YEARS = (1900, 2200)
#: Largest root seed (seeds are stored as 64-bit integers in run.json and the tables).
MAX_SEED = 2**63 - 1

# ------------------------------------------------------------------------------ input files
#: Largest town file read (bytes). An ``xl`` town (10,000 units) is about 3.6 MB.
MAX_TOWN_FILE_BYTES = 64 * 2**20
#: Largest text file read (bytes): scenario files, experiment specs, OSM tag tables,
#: calibration configs (the largest shipped one is about 20 kB) and a results folder's JSON
#: records.
MAX_TEXT_FILE_BYTES = 1_000_000
#: Largest OpenStreetMap extract that is sorted in memory when its objects are not in id order
#: (as JOSM saves them); sorted extracts of any size are streamed.
MAX_SORT_EXTRACT_BYTES = 256 * 2**20

# ------------------------------------------------------------------------------------ sizes
#: Most runs in one experiment design (towns x scenarios x policies x points x replicates), checked
#: on the spec before any sample or run is built. At about a second per small one-year run this
#: is a day of one core; larger studies are split into several specs.
MAX_RUNS = 100_000
#: Most units in a town (the ``xl`` preset has 10,000); checked on a town file's unit count
#: before anything is built.
MAX_UNITS = 20_000
#: Default limit of the street network's dense matrices (GiB; environment variable
#: ``BINNENSTAD_MAX_NETWORK_GIB`` changes it).
MAX_NETWORK_GIB = 4.0
#: Most bootstrap resamples of an analysis (``[analysis] bootstrap``).
MAX_BOOTSTRAP = 1_000_000
#: Most local worker processes of a sweep (``--workers``).
MAX_WORKERS = 256
#: Longest wait for a Dask scheduler (``--timeout``, seconds; more than 0).
MAX_TIMEOUT_S = 3600.0

# ------------------------------------------------------------------------- names and messages
#: Longest name that becomes a file or folder name (experiment names, town file stems): with
#: the hidden prefixes and suffixes of temporary folders it stays below 255 bytes.
MAX_NAME_CHARS = 200
#: Longest error or note line printed (longer ones are shortened in the middle, so the start,
#: naming the file and field, and the end, giving the allowed values, stay).
MAX_MESSAGE_CHARS = 2000


# ------------------------------------------------------------------------------ town fields
def _num(x: float) -> str:
    """1e7 -> '10,000,000', 0.5 -> '0.5', 1e-06 -> '1e-06'."""
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


@dataclass(frozen=True)
class Limit:
    """Allowed closed range of a value, with its unit."""

    lo: float
    hi: float
    unit: str

    def allowed(self) -> str:
        return f"{_num(self.lo)} to {_num(self.hi)} {self.unit}"


#: Allowed ranges of town fields, for town files (`sim.town_io`) and hand-built `Town` objects
#: alike (docs/town_format.md, "Limits"). Coordinates: any projected metre grid (RD New x
#: 0-300 km, y 300-620 km; UTM northings stay below 10,000 km). Extent: the span of the street
#: network (a city centre). Floor area: from a kiosk to a large mall. Upper floors: more than
#: any Dutch building. Catchment: more than any metropolis.
TOWN_LIMITS: dict[str, Limit] = {
    "coordinate": Limit(-1e7, 1e7, "m"),
    "extent": Limit(10.0, 20_000.0, "m"),
    "floor_area": Limit(1.0, 100_000.0, "m2"),
    "upper_floors": Limit(0, 100, "floors"),
    "catchment_population": Limit(1.0, 1e8, "persons"),
    "weight": Limit(1e-6, 1e6, "(relative share of visitors)"),
}
#: ``town from-osm --radius`` and ``--core-radius`` (m): the circle must fit the extent limit.
OSM_RADIUS = Limit(1.0, TOWN_LIMITS["extent"].hi / 2, "m")
