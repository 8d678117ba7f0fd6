"""Make ``docs/img/default_run.png``, the README's figure of the default run (medium town,
``baseline`` scenario, 2013-2024, seed 0): vacancy by zone over time and the map at the end,
and ``docs/img/default_run.json``, a fingerprint of the data the figure draws.

Run from the repository root whenever the model's results change (one command):

    python docs/img/make_readme_figure.py

``tests/test_docs.py`` runs the default run again and fails when its fingerprint no longer
matches the stored one, i.e. when the figure no longer shows what ``binnenstad run`` gives.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "default_run.png"
FINGERPRINT = HERE / "default_run.json"
#: The default run, as ``binnenstad run`` makes it.
RUN = {"town": "medium", "scenario": "baseline", "years": 12, "seed": 0}
ZONES = ("vacancy_rate", "vacancy_rate_core", "vacancy_rate_aanloop", "vacancy_rate_fringe")


def default_run() -> Any:
    import sim

    return sim.run(**RUN, figures=False)


def fingerprint(result: Any) -> dict[str, Any]:
    """What the figure shows, reduced to a hash and a few readable numbers: the monthly
    vacancy by zone (left panel) and the end-of-run units by function and vacancy (map)."""
    ts = result.timeseries
    units = result.units
    last = units[units["year"] == units["year"].max()].sort_values("unit_id")
    data = {"vacancy": {c: [round(float(v), 6) for v in ts[c]] for c in ZONES},
            "map": [[int(i), str(f), bool(v)] for i, f, v in
                    zip(last["unit_id"], last["function"], last["is_vacant"], strict=True)]}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    first, end = ts.iloc[0], ts.iloc[-1]
    return {"run": RUN, "sha256": digest,
            "vacancy_first_month_percent": {c: round(100 * float(first[c]), 1) for c in ZONES},
            "vacancy_last_month_percent": {c: round(100 * float(end[c]), 1) for c in ZONES},
            "units_at_end": len(last), "vacant_at_end": int(last["is_vacant"].sum())}


def main() -> None:
    from matplotlib.figure import Figure

    from sim.figures import plot_map, plot_vacancy

    result = default_run()
    fig = Figure(figsize=(15.5, 6.2))
    left = fig.add_axes((0.05, 0.12, 0.36, 0.74))
    right = fig.add_axes((0.44, 0.09, 0.42, 0.82))
    plot_vacancy(result, ax=left)
    plot_map(result, ax=right)
    left.set_title("Vacancy by zone, default run (medium town, baseline, seed 0)\n"
                   "(one run: one possible story, not an average)")
    fig.savefig(OUT, dpi=80)
    FINGERPRINT.write_text(json.dumps(fingerprint(result), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT} and {FINGERPRINT}")


if __name__ == "__main__":
    main()
