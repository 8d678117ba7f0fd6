"""The notebooks in notebooks/ run from top to bottom, so they cannot rot.

No Jupyter needed: the code cells are joined and executed as one plain Python script. IPython
line magics (``%matplotlib inline``) only matter inside Jupyter and are dropped; figures go to
the non-interactive Agg backend and ``plt.show`` does nothing.

Notebooks whose study takes minutes have a size switch: they read the environment variable
``BINNENSTAD_NOTEBOOK_SIZE`` (`SIZE_ENV`) and run a small town, one or two years and two
replicates when it is ``small``. The tests set it, so each notebook runs within seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Environment variable the notebooks' size switch reads; ``small`` = test size.
SIZE_ENV = "BINNENSTAD_NOTEBOOK_SIZE"
#: Notebooks that run a study (minutes at full size) and must honour the size switch.
SIZED = {"02_scenarios.ipynb", "03_policy.ipynb", "04_experiments.ipynb"}


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
    assert {"01_quickstart.ipynb", "05_own_town.ipynb", *SIZED} <= names


@pytest.mark.parametrize("name", sorted(SIZED))
def test_study_notebooks_have_the_size_switch_and_explain_themselves(name: str):
    path = NOTEBOOK_DIR / name
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["cells"][0]["cell_type"] == "markdown", "start with the question, in words"
    assert f'os.environ.get("{SIZE_ENV}"' in notebook_script(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    monkeypatch.setenv(SIZE_ENV, "small")
    script = notebook_script(path)
    try:
        exec(compile(script, str(path), "exec"), {"__name__": "__notebook__"})
    finally:
        plt.close("all")
