"""Make ``docs/img/default_run.png``, the README's figure of the default run (medium town,
``baseline`` scenario, 2013-2024, seed 0): vacancy by zone over time and the map at the end.

Run from the repository root after the model changes: ``python docs/img/make_readme_figure.py``.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

import sim
from sim.figures import plot_map, plot_vacancy

OUT = Path(__file__).resolve().parent / "default_run.png"


def main() -> None:
    result = sim.run(town="medium", scenario="baseline", years=12, seed=0, figures=False)
    fig = Figure(figsize=(15.5, 6.2))
    left = fig.add_axes((0.05, 0.12, 0.36, 0.76))
    right = fig.add_axes((0.44, 0.09, 0.42, 0.84))
    plot_vacancy(result, ax=left)
    plot_map(result, ax=right)
    left.set_title("Vacancy by zone, default run (medium town, baseline, seed 0)")
    fig.savefig(OUT, dpi=80)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
