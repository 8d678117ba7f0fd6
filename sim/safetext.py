"""Text cells that a spreadsheet must show as text, never run as a formula (CSV and xlsx).

A scenario description, a label or a lever string comes from the user; written into a CSV file
or a workbook as it is, a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some programs skip before looking) is taken for a formula when the file is opened
(formula or "CSV" injection, OWASP). So:

* CSV (`csv_frame`): such a text cell gets a leading apostrophe ``'``, the convention
  spreadsheets read as "text follows" (OWASP's recommendation). Numbers are untouched, and so is
  text that is a plain number such as ``-0.5`` (a spreadsheet reads it as that number, which
  runs nothing).
* xlsx (`protect_sheet`): the text is kept exactly; the cell is stored as a text cell with the
  "quote prefix" style, so it is neither evaluated when opened nor turned into a formula when
  edited.

Imports nothing from the package (pandas only inside `csv_frame`).
"""

from __future__ import annotations

import re
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def risky(value: Any) -> bool:
    """Is ``value`` text that a spreadsheet could run as a formula?"""
    return (isinstance(value, str) and value.startswith(TRIGGERS)
            and not _PLAIN_NUMBER.fullmatch(value))


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: risky text gets a leading apostrophe."""
    return "'" + value if risky(value) else value


def csv_frame(df: Any) -> Any:
    """A copy of the DataFrame ``df`` safe to write as CSV (text cells and column names through
    `csv_cell`); ``df`` itself when nothing needs changing."""
    import pandas as pd

    out = None
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if any(risky(c) for c in cats):
                out = df.copy() if out is None else out
                out[col] = s.cat.rename_categories([csv_cell(c) for c in cats])
        elif s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            mask = s.map(risky, na_action="ignore").fillna(False).astype(bool)
            if mask.any():
                out = df.copy() if out is None else out
                out[col] = s.where(~mask, "'" + s[mask].astype(str))
    names = [csv_cell(c) for c in df.columns]
    if names != list(df.columns):
        out = (df.copy() if out is None else out)
        out.columns = names
    return df if out is None else out


def protect_sheet(ws: Any) -> int:
    """Make every formula or risky text cell of the openpyxl worksheet ``ws`` a plain text cell
    (quote prefix); return how many were changed. Nothing binnenstad writes is a formula."""
    n = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" or risky(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
                n += 1
    return n
