"""The notebooks in notebooks/ run from top to bottom, so they cannot rot.

No Jupyter needed: the code cells are joined and executed as one plain Python script. IPython
line magics (``%matplotlib inline``) only matter inside Jupyter and are dropped; figures go to
the non-interactive Agg backend and ``plt.show`` does nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def notebook_script(path: Path) -> str:
    """The code cells of the notebook at ``path`` as one script, without IPython magics."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("outputs"), f"{path.name}: clear the outputs before committing"
        source = cell["source"]
        source = "".join(source) if isinstance(source, list) else source
        lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        lines.append("")
    return "\n".join(lines)


def test_notebooks_found():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_quickstart.ipynb", "05_own_town.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    script = notebook_script(path)
    try:
        exec(compile(script, str(path), "exec"), {"__name__": "__notebook__"})
    finally:
        plt.close("all")
