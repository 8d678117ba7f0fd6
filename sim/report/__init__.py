"""Council-ready reports of sweeps (``binnenstad report``) and the one-command comparison of
levers across futures (``binnenstad compare``).

- `write_report(dir)`: ``dir/report/index.html`` (self-contained, printable) and
  ``dir/report/tables.xlsx`` from a sweep's results folder (`sim.report.render`).
- `compare(...)`: build a spec from names, run the sweep, write the report
  (`sim.report.compare`).
"""

from __future__ import annotations

from typing import Any

from .errors import ReportError

__all__ = ["ReportError", "compare", "compare_spec", "write_report"]


def __getattr__(name: str) -> Any:
    # Lazy: the command line imports this package; pandas and matplotlib load only when used.
    if name in ("compare", "compare_spec"):
        from . import compare as _compare

        return getattr(_compare, name)
    if name == "write_report":
        from .render import write_report

        return write_report
    raise AttributeError(name)
