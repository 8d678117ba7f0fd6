"""The package's import graph (issue 17, item 7): the one-line error helpers and the limits live
in leaf modules, and no command module takes part in an import circle.

Every ``import`` statement of every module counts, also those inside functions (they run when
the function is called: a circle through them is still a circle at run time); imports under
``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SIM = Path(__file__).parent.parent / "sim"

#: Modules that may import nothing from the package but `sim.limits`.
LEAVES = ("sim.limits", "sim.errors", "sim.signals", "sim.safeio", "sim.safetext",
          "sim.batch.outcomes", "sim.policies.spec")


def _modules() -> dict[str, Path]:
    mods = {}
    for p in SIM.rglob("*.py"):
        parts = p.relative_to(SIM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    return mods


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (at run time)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_lines(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.split(".")[0] == "sim")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "sim":
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    deps.add(sub if sub in mods else target)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _command_or_io(name: str) -> bool:
    last = name.rpartition(".")[2]
    return (last == "cli" or last.endswith("_cli") or name.startswith(
        ("sim.batch", "sim.calibration", "sim.report", "sim.town_osm", "sim.viz"))
        or name in ("sim.outdir", "sim.runner", "sim.town_io", "sim.validate", *LEAVES))


def test_the_graph_sees_imports_inside_functions() -> None:
    g = import_graph()
    assert "sim.batch.spec" in g["sim.batch.cli"]  # imported inside the command functions
    assert "sim.errors" in g["sim.cli"]


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_only_the_limits(leaf: str) -> None:
    g = import_graph()
    if leaf not in g:
        pytest.skip(f"{leaf} does not exist on this branch")
    assert g[leaf] <= {"sim.limits", "sim"}, (leaf, g[leaf])


def test_no_module_imports_the_console_script_module() -> None:
    g = import_graph()
    importers = sorted(m for m, deps in g.items() if "sim.cli" in deps)
    assert importers == [], importers


def test_no_command_or_io_module_is_in_an_import_circle() -> None:
    bad = [sorted(c) for c in cycles(import_graph()) if any(map(_command_or_io, c))]
    assert bad == [], bad


def test_the_circle_finder_finds_circles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
