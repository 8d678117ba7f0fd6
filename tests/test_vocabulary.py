"""One vocabulary (issue 17, item 8): a *policy* is a combination of levers, what earlier
versions called an *arm*. The new names exist, the deprecated ones still work and warn, and no
docstring or doc page uses the old word outside the deprecation notes."""

from __future__ import annotations

import ast
import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ Python names
@pytest.mark.parametrize(("module", "new", "old", "arg"), [
    ("sim.report.tables", "policy_label", "arm_label", "compaction+blurring:intensity=2"),
    ("sim.batch.factors", "split_policy", "split_arm", "compaction+blurring:intensity=2"),
    ("sim.report.cli", "split_policies", "split_arms", "none,compaction:grant=100,start=2016"),
])
def test_deprecated_function_is_a_warning_alias_of_the_new_one(module, new, old, arg):
    import importlib

    mod = importlib.import_module(module)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = getattr(mod, new)(arg)  # the new name does not warn
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated; use {new}"):
        got = getattr(mod, old)(arg)
    assert got == expected
    assert getattr(mod, old).__name__ == old


def test_policy_label_in_words():
    from sim.report.tables import policy_label

    assert policy_label("none") == "no policy"
    assert policy_label("compaction+blurring:intensity=2") == \
        "compaction + blurring (intensity 2)"


def test_default_policies_and_the_deprecated_constant():
    from sim.report import compare

    assert compare.DEFAULT_POLICIES == ("none", "compaction", "blurring", "compaction+blurring")
    with pytest.warns(DeprecationWarning, match="DEFAULT_ARMS is deprecated"):
        assert compare.DEFAULT_ARMS == compare.DEFAULT_POLICIES
    with pytest.raises(AttributeError):
        compare.NO_SUCH_NAME  # noqa: B018


# ------------------------------------------------------------------------------ columns
def test_deprecated_columns_duplicate_the_new_ones_at_the_end():
    from sim.deprecation import with_deprecated_columns, without_deprecated_columns

    df = pd.DataFrame({"policy": ["none", "compaction"], "policies": ["a", "b"], "x": [1, 2]})
    out = with_deprecated_columns(df)
    assert list(out.columns) == ["policy", "policies", "x", "arm", "arms"]
    assert (out["arm"] == out["policy"]).all() and (out["arms"] == out["policies"]).all()
    assert list(without_deprecated_columns(out).columns) == ["policy", "policies", "x"]
    assert "arm" not in df.columns  # the input is not changed


def test_design_cells_have_policy_and_the_deprecated_arm():
    from sim.batch.design import expand
    from sim.batch.spec import parse_spec

    spec = parse_spec({"experiment": {"name": "v", "towns": ["small"],
                                      "policies": ["none", "compaction"], "replicates": 2,
                                      "years": 1}})
    cells = expand(spec).cells
    assert {"policy", "arm"} <= set(cells.columns)
    assert (cells["policy"] == cells["arm"]).all()
    assert list(dict.fromkeys(cells["policy"])) == ["none", "compaction"]


def test_headline_entries_have_policy_keys_and_the_deprecated_ones():
    from sim.report.headline import headline

    eff = pd.DataFrame({"lever": ["compaction"], "outcome": ["vacancy_rate"], "mean": [-0.01],
                        "status": ["helps"]})
    out = headline(eff, pd.DataFrame(), pd.DataFrame(), ["none", "compaction"], "none", 10, 1,
                   {"none": "no policy", "compaction": "compaction"})
    assert len(out) == 1
    h = out[0]
    assert h["policy"] == h["arm"] == "compaction"
    assert h["policy label"] == h["arm label"] == "compaction"


# ------------------------------------------------------------------------------ spec keys
def test_spec_key_arms_is_read_as_policies_with_a_note(capsys):
    from sim.batch.spec import parse_spec

    new = parse_spec({"experiment": {"name": "v", "towns": ["small"],
                                     "policies": ["none", "compaction"], "years": 1}})
    capsys.readouterr()
    old = parse_spec({"experiment": {"name": "v", "towns": ["small"],
                                     "arms": ["none", "compaction"], "years": 1}},
                     source="old.toml")
    err = capsys.readouterr().err
    assert old.experiment.policies == ["none", "compaction"]
    assert old.run_hash() == new.run_hash()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "experiment.arms is deprecated" in lines[0]
    assert "experiment.policies" in lines[0] and lines[0].startswith("old.toml")


def test_spec_with_both_arms_and_policies_is_refused():
    from sim.batch.spec import SpecError, parse_spec

    with pytest.raises(SpecError, match=r"give experiment\.policies only"):
        parse_spec({"experiment": {"name": "v", "arms": ["none"], "policies": ["none"]}})


def test_spec_key_policies_gives_no_note(capsys):
    from sim.batch.spec import parse_spec

    parse_spec({"experiment": {"name": "v", "towns": ["small"], "years": 1}})
    assert "deprecated" not in capsys.readouterr().err


# ------------------------------------------------------------------------------ the word
WORD = re.compile(r"\barms?\b", re.IGNORECASE)
#: Lines that may use the old word: the deprecation notes themselves.
ALLOWED_LINE = re.compile(r"deprecat|(what was|earlier versions) called (it )?an \*?arm",
                          re.IGNORECASE)
#: (file, text on the line) pairs allowed besides: the EMA lever keeps the name ``arm`` because
#: EMA reserves ``policy`` (sim/batch/ema.py).
ALLOWED = {
    ("sim/batch/ema.py", "the policy, as the lever ``arm``"),
    ("sim/batch/ema.py", "its sample ids, so this one EMA parameter keeps the old word"),
    ("sim/batch/ema.py", "more than one adds the EMA lever ``arm``"),
    ("sim/batch/ema.py", "keep the lever columns (the policy as ``arm``"),
    ("docs/ODD.md", "names its policy lever `arm` because"),
}
#: Whole files that are the deprecation notes.
ALLOWED_FILES = {"sim/deprecation.py"}


def _docstrings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                first = node.body[0].lineno if node.body else 1
                out += [(first + i, line) for i, line in enumerate(doc.splitlines())]
    return out


def _md_lines(path: Path) -> list[tuple[int, str]]:
    """Lines of a doc page, without the sections whose heading says 'Deprecated'."""
    out, skip_level = [], 0
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = re.match(r"(#+)\s", line)
        if m:
            level = len(m.group(1))
            if skip_level and level <= skip_level:
                skip_level = 0
            if "deprecated" in line.lower():
                skip_level = level
        if not skip_level:
            out.append((i, line))
    return out


def _notebook_lines(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(n, line) for n, c in enumerate(cells)
            for line in "".join(c["source"]).splitlines()]


def _texts() -> list[tuple[str, int, str]]:
    rows = []
    for p in sorted((ROOT / "sim").rglob("*.py")):
        rel = p.relative_to(ROOT).as_posix()
        if rel not in ALLOWED_FILES:
            rows += [(rel, n, line) for n, line in _docstrings(p)]
    pages = [*sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "notebooks").glob(
        "*.md")), ROOT / "README.md", ROOT / "experiments" / "README.md",
        ROOT / "notebooks" / "README.md", *sorted((ROOT / "sim").rglob("*.j2"))]
    for p in pages:
        rows += [(p.relative_to(ROOT).as_posix(), n, line) for n, line in _md_lines(p)]
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        rows += [(p.relative_to(ROOT).as_posix(), n, line) for n, line in _notebook_lines(p)]
    return rows


def test_no_docstring_or_doc_page_calls_a_policy_an_arm():
    texts = _texts()
    assert len(texts) > 1000 and any(f == "docs/ODD.md" for f, _, _ in texts)
    bad = [f"{f}:{n}: {line.strip()}" for f, n, line in texts
           if WORD.search(line) and not ALLOWED_LINE.search(line)
           and not any(f == af and text in line for af, text in ALLOWED)]
    assert not bad, "say 'policy' for a combination of levers:\n" + "\n".join(bad)


def test_the_word_check_finds_the_old_word():
    """The check above can fail: a line with the old word outside the allowlist is found."""
    assert WORD.search("Per town x future x arm") and WORD.search("Arms, comma-separated")
    assert not WORD.search("harms in, warm, arm_label, alarms")
    assert not ALLOWED_LINE.search("the reference arm")


def test_odd_glossary_defines_the_vocabulary():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    glossary = odd[odd.index("## 9. Glossary"):]
    for term in ("lever", "policy", "driver", "parameter", "uncertainty"):
        assert re.search(rf"^\| {term} \| ", glossary, re.MULTILINE), term


def test_sweep_command_reads_a_spec_with_the_deprecated_key(tmp_path):
    """``binnenstad sweep --dry-run`` on a spec with ``experiment.arms``: it works, and stderr
    has one deprecation line naming the new key."""
    from typer.testing import CliRunner

    from sim.cli import app

    spec = tmp_path / "old.toml"
    spec.write_text("[experiment]\nname = 'old'\ntowns = ['small']\n"
                    "arms = ['none', 'compaction']\nyears = 1\n")
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "out"),
                                   "--dry-run"])
    assert res.exit_code == 0, res.output
    notes = [x for x in res.stderr.splitlines() if "deprecated" in x]
    assert len(notes) == 1 and "experiment.arms" in notes[0] and "experiment.policies" in notes[0]
    assert not (tmp_path / "out").exists()
