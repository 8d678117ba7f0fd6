"""The declared unit state (`sim.state.COLUMNS`): one writer per column, lifecycle rules as
declared, the ODD state table generated from the declarations."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from sim.state import COLUMN, COLUMNS, KEEP, LEDGER_COLUMNS, TENANT_FIELDS, VACATE_RESETS, Rule

SIM = Path(__file__).resolve().parent.parent / "sim"
#: The set-up (before the first month) may initialise the columns it does not leave to the
#: ledger; the unit table itself is built in `sim.state`.
SETUP = {"sim.initial", "sim.state"}


def _is_unit_table(node: ast.expr) -> bool:
    """``u``, ``units``, ``<anything>.units`` or ``view.u``: an expression naming the unit
    table in the model's code."""
    if isinstance(node, ast.Name):
        return node.id in ("u", "units")
    if isinstance(node, ast.Attribute):
        return node.attr == "units" or (node.attr == "u" and isinstance(node.value, ast.Name)
                                        and node.value.id == "view")
    return False


def _written_columns(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        flat: list[ast.expr] = []
        for t in targets:
            flat += list(t.elts) if isinstance(t, ast.Tuple) else [t]
        for t in flat:
            base = t.value if isinstance(t, ast.Subscript) else t
            if isinstance(base, ast.Attribute) and base.attr in COLUMN and _is_unit_table(
                    base.value):
                out.add(base.attr)
    return out


def _writers() -> dict[str, set[str]]:
    """{column: modules that write it}."""
    writers: dict[str, set[str]] = {c.name: set() for c in COLUMNS}
    for path in SIM.rglob("*.py"):
        module = "sim." + ".".join(path.relative_to(SIM).with_suffix("").parts)
        for col in _written_columns(ast.parse(path.read_text())):
            writers[col].add(module)
    return writers


def test_the_scan_finds_writes():
    """The scan is not blind: it sees the forms of writing a column the code uses."""
    code = ("u.function[k] = 1\nm.units.cash[:] = 0\nu.online_channel |= x\n"
            "model.units.area[a], u.owner[b] = 1, 2\nview.u.best_bid[k] = 3\nx.function = 2\n")
    assert _written_columns(ast.parse(code)) == {"function", "cash", "online_channel", "area",
                                                 "owner", "best_bid"}


def test_no_module_but_the_ledger_writes_a_tenancy_column():
    writers = _writers()
    offenders = {c: sorted(writers[c] - {"sim.ledger", "sim.state"}) for c in LEDGER_COLUMNS}
    assert not {c: w for c, w in offenders.items() if w}, offenders


def test_every_other_column_has_one_writer():
    """A column is written by the submodel that owns it and, on the lifecycle events it
    declares, by the ledger; the set-up initialises it."""
    writers = _writers()
    bad = {}
    for c in COLUMNS:
        if c.owner in ("sim.ledger", "sim.town"):
            continue
        extra = writers[c.name] - {c.owner, "sim.ledger"} - SETUP
        if extra:
            bad[c.name] = sorted(extra)
    assert not bad, bad
    static = [c.name for c in COLUMNS if c.owner == "sim.town"]
    assert all(not (writers[n] - {"sim.state"}) for n in static), {n: writers[n] for n in static}


def test_declarations_are_complete():
    for c in COLUMNS:
        assert c.unit and c.meaning and c.kind in ("float", "int", "bool"), c.name
        assert c.owner.startswith("sim."), c.name
        for event in ("vacate", "convert", "split", "merge"):
            value = getattr(c, event)
            assert value is KEEP or isinstance(value, Rule | bool | int | float | str), c.name


def test_vacating_clears_the_tenant_as_declared():
    from tests.conftest import run_model

    m = run_model("small", years=1, seed=2)
    u = m.units
    shop = next(s for s in m.shop_at.values() if u.anchor[s.unit] == 0)
    k = shop.unit
    before = {c.name: getattr(u, c.name)[k].copy() for c in COLUMNS}
    shop.close("test")
    for name, value in VACATE_RESETS.items():
        assert getattr(u, name)[k] == value, name
    kept = [c.name for c in COLUMNS if c.vacate is KEEP and c.name not in ("visits", "footfall")]
    for name in kept:
        assert getattr(u, name)[k] == before[name], name
    assert u.asking_rent[k] >= before["contract_rent"]


def test_a_relocating_tenant_takes_its_columns_along():
    from tests.conftest import run_model

    m = run_model("small", years=1, seed=2)
    u = m.units
    src = next(s.unit for s in m.shop_at.values() if u.anchor[s.unit] == 0)
    dst = int(np.flatnonzero(u.vacant_eligible)[0])
    tenant = {f: getattr(u, f)[src].copy() for f in TENANT_FIELDS}
    shop = m.shop_at[src]
    shop.move_to(dst, 100.0, 5.0)
    for f in TENANT_FIELDS:
        if f in ("startup_monthly",):
            assert u.startup_monthly[dst] == 5.0
        else:
            assert getattr(u, f)[dst] == tenant[f], f
    assert u.vacant[src] and m.shop_at[dst] is shop and shop.unit == dst
    assert u.contract_rent[dst] == 100.0 and u.months_vacant[dst] == 0


def test_odd_state_table_is_generated_from_the_declarations():
    from sim.docs_tables import ODD, STATE_BEGIN, STATE_END, state_table

    text = ODD.read_text()
    block = text.split(STATE_BEGIN)[1].split(STATE_END)[0].strip()
    assert block == state_table().strip(), "run: python -m sim.docs_tables"
    for c in COLUMNS:
        assert f"`{c.name}`" in block


def test_unit_state_refuses_unknown_or_missing_columns():
    from sim.state import UnitState

    u = UnitState.new(3)
    assert u.n == 3 and u.second_function.tolist() == [-1, -1, -1]
    with pytest.raises(TypeError, match="missing"):
        UnitState(node=np.zeros(3))


def test_odd_monthly_chain_matches_month():
    """docs/ODD.md section 3.2 lists the sub-steps of `CityCentreModel.month` in the order the
    code runs them: the first call named in each row (all of row 19's) appears in ``month``'s
    source in that order; row 20's recorder call is in ``step``."""
    import inspect
    import re

    from sim.docs_tables import ODD
    from sim.model import CityCentreModel

    text = ODD.read_text()
    section = text[text.index("### 3.2 The monthly chain"):]
    section = section[:section.index("\n### ", 10)]
    rows = [ln.split("|") for ln in section.splitlines() if re.match(r"\| \d+ \|", ln)]
    assert [int(r[1]) for r in rows] == list(range(21))
    src = inspect.getsource(CityCentreModel.month)
    src = src[src.index(":\n"):]  # past the signature

    def calls(cell: str) -> list[str]:
        return [name.split(".")[-1] for name in re.findall(r"`([\w.]+)`", cell)]

    pos = 0
    for r in rows[:20]:
        names = calls(r[3])
        for name in (names if int(r[1]) == 19 else names[:1]):
            m = re.compile(rf"\b{name}\(").search(src, pos)
            assert m is not None, f"ODD 3.2 row {r[1]}: {name} not called after row {r[1]}'s " \
                                  f"predecessors in CityCentreModel.month"
            pos = m.end()
    assert "record_month(" in inspect.getsource(CityCentreModel.step) and \
        calls(rows[20][3])[0] == "record_month"
