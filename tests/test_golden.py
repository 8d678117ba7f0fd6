"""The golden file: a refactor that claims "no result changes" keeps every column of every table
of the golden runs (`tests/golden_runs.py`; regenerate with ``python -m tests.golden_runs
--write`` in the commit that changes results, and say so in its message)."""

from __future__ import annotations

from tests import golden_runs as g


def test_golden_runs_unchanged():
    lines = g.differences(g.load(), g.compute())
    assert not lines, "results changed:\n" + "\n".join(lines[:40])


def test_golden_file_covers_every_output_column():
    from sim.record import EVENT_COLUMNS, TIMESERIES_COLUMNS, UNIT_COLUMNS

    stored = g.load()
    for table, cols in (("timeseries", TIMESERIES_COLUMNS), ("units", UNIT_COLUMNS),
                        ("events", EVENT_COLUMNS)):
        assert list(stored[table].columns) == ["case", *cols], table
    assert set(stored["timeseries"]["case"]) == {c.name for c in g.CASES}


def test_the_comparison_sees_a_change():
    """The comparison is not blind: a changed value, row or column is reported."""
    stored = g.load()
    ts = stored["timeseries"].copy()
    ts.loc[3, "vacancy_rate"] += 1e-6
    ev = stored["events"].iloc[:-1]
    units = stored["units"].assign(extra=0)
    lines = g.differences(stored, {"timeseries": ts, "events": ev, "units": units})
    assert any("vacancy_rate" in ln for ln in lines)
    assert any(ln.startswith("events [") and "rows" in ln for ln in lines)
    assert any("columns added: extra" in ln for ln in lines)
    assert not g.differences(stored, {k: v.copy() for k, v in stored.items()})
