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
import re
import tempfile
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
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    monkeypatch.setenv(SIZE_ENV, "small")
    script = notebook_script(path)
    # A private temporary folder (other processes on the machine use /tmp too).
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    repo_outputs = NOTEBOOK_DIR / "outputs"
    had_outputs = repo_outputs.exists()
    try:
        exec(compile(script, str(path), "exec"), {"__name__": "__notebook__"})
    finally:
        plt.close("all")
    # Notebooks clean up after themselves: nothing left in the temporary folder, nothing
    # written next to them in the repository.
    left = sorted(p.name for p in tmp.iterdir())
    assert left == [], f"{path.name} left temporary files: {left}"
    assert repo_outputs.exists() == had_outputs, f"{path.name} wrote into notebooks/outputs/"


def test_rendered_copies_exist_for_every_notebook():
    """docs/notebooks/NAME.md with its figures, made by docs/notebooks/render.py."""
    docs = NOTEBOOK_DIR.parent / "docs" / "notebooks"
    for path in NOTEBOOKS:
        md = docs / f"{path.stem}.md"
        assert md.is_file(), f"render it: python docs/notebooks/render.py {path.stem}"
        text = md.read_text(encoding="utf-8")
        assert "Rendered from notebooks/" in text
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        assert images, f"{md.name} shows no figure"
        assert all((docs / i).is_file() for i in images), f"{md.name}: a figure is missing"


@pytest.mark.slow
def test_render_script_executes_a_notebook_with_nbclient(tmp_path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "render", NOTEBOOK_DIR.parent / "docs" / "notebooks" / "render.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    md = mod.render(NOTEBOOK_DIR / "05_own_town.ipynb", out=tmp_path, small=True)
    text = md.read_text(encoding="utf-8")
    assert "![png](05_own_town_files/" in text and "Voorbeeldstad" in text
    assert list((tmp_path / "05_own_town_files").glob("*.png"))
