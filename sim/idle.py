"""Settings that do nothing: warnings for a run, a sweep, a comparison and the app.

A lever that starts after the run ends, one switched off with ``intensity=0``, or one whose
``area`` holds no retail-eligible unit cannot change anything, and its effect would be a row of
0.00 that looks like a finding. `idle_settings` names each such setting in one plain line;
``binnenstad run`` prints them as ``binnenstad: warning: ...`` before it simulates (the run
goes ahead), ``sweep`` and ``compare`` beside their summary after the runs, the report lists
them, and the app shows them above the map.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .functions import ZONE_NAMES

#: The zones of each value of a lever's ``area`` setting.
AREA_ZONES = {**{z: (z,) for z in ZONE_NAMES}, "outside_core": ("aanloop", "fringe"),
              "all": ZONE_NAMES}


def _lever(item: Any) -> Any:
    from .policies import parse_policy

    return parse_policy(item) if isinstance(item, str) else item


def idle_settings(levers: Iterable[Any], start: int, years: int, town: Any = None,
                  future: str | None = None) -> list[str]:
    """One line per lever setting that cannot act in a run from January ``start`` over
    ``years`` years (in ``town``, if given: a `Town` whose eligible units are checked)."""
    end = int(start) + int(years) - 1
    where = f" in {future}" if future else ""
    out = []
    for item in levers:
        lever = _lever(item)
        v = lever.values
        name = lever.name
        if float(v.get("intensity", 1.0)) == 0.0:
            out.append(f"policy {name} has intensity=0: it is switched off and does nothing")
            continue
        first = float(v.get("start", start))
        if first > end + 11 / 12:
            out.append(f"policy {name} starts in {first:g}, after the run{where} ends "
                       f"(December {end}): it does nothing (give start={start} or more years)")
        area = str(v.get("area", "all"))
        if town is not None and area in AREA_ZONES and area != "all":
            codes = [ZONE_NAMES.index(z) for z in AREA_ZONES[area]]
            eligible = np.asarray(town.retail_allowed, bool) & np.isin(town.unit_zone, codes)
            if not eligible.any():
                out.append(f"policy {name} acts in area={area}, which has no retail-eligible "
                           f"unit in town {town.name!r}: it does nothing")
    return out


def warn(lines: Iterable[str]) -> None:
    """Print each line as ``binnenstad: warning: ...`` on stderr."""
    import sys

    for line in lines:
        print(f"binnenstad: warning: {line}", file=sys.stderr)


def spec_warnings(spec: Any) -> list[str]:
    """`idle_settings` of every distinct town x future x policy of a sweep spec (a validated
    `ExperimentSpec`), each line once, naming the future."""
    from .batch.design import expand
    from .town_io import resolve_town

    towns: dict[tuple[str, int], Any] = {}
    seen: dict[str, None] = {}
    done: set[tuple[str, str, str, int, int]] = set()
    for r in expand(spec).runs:
        key = (r.town_path or r.town, r.scenario, r.policy, r.start, r.years)
        if key in done or not r.levers:
            continue
        done.add(key)
        tkey = (r.town_path or r.town, r.town_seed)
        if tkey not in towns:
            try:
                towns[tkey] = resolve_town(tkey[0], seed=r.town_seed)
            except Exception:  # the run reports an unreadable town itself
                towns[tkey] = None
        for line in idle_settings(r.levers, r.start, r.years, towns[tkey], future=r.scenario):
            seen.setdefault(line, None)
    return list(seen)
