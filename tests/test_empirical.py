"""The Dutch record (`sim/data/empirical_targets.toml`) and its measures."""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibration.empirical import (
    FIT_LAST_YEAR,
    MEASURES,
    TargetsFileError,
    load_records,
    measure_all,
    record_table,
)


def test_the_record_file_is_complete_and_its_windows_are_kept():
    records = load_records()
    assert len(records) >= 20
    for r in records:
        assert r.source and r.geography and r.count and r.tolerance_basis
        assert (r.role == "fit") == (r.year <= FIT_LAST_YEAR)
        assert r.measure in MEASURES
    assert {r.role for r in records} == {"fit", "validation"}


@pytest.mark.parametrize(("change", "needle"), [
    ('measure = "vacancy_rate"', 'measure = "__import__"'),
    ("role = \"fit\"\n", "role = \"validation\"\n"),
    ('at = "year"', 'at = "week"'),
])
def test_a_bad_entry_is_one_line_naming_it(tmp_path, change, needle):
    from sim.calibration.empirical import TARGETS_FILE

    f = tmp_path / "t.toml"
    f.write_text(TARGETS_FILE.read_text().replace(change, needle, 1))
    with pytest.raises(TargetsFileError, match=r"t\.toml: target\[\d+\]") as exc:
        load_records(f)
    assert "\n" not in str(exc.value)


def test_measures_on_a_hindcast_run():
    from sim import run

    r = run(town="small", scenario="historical", years=14, seed=2, figures=False)
    values = measure_all(load_records(), r.timeseries, r.units)
    assert 0 <= values["vacancy_2011"] <= 1 and 2007 <= values["vacancy_peak_year"] <= 2019
    assert 0 <= values["closures_2019"] < 1
    assert np.isfinite(values["rent_gradient"]) and np.isfinite(values["footfall_2019_2011"])
    assert np.isnan(values["vacancy_2022_january"])  # the run ends in 2020
    table = record_table(load_records(), [values, values])
    assert set(table.window) == {"fit (to 2019)", "validation (2020 on)"}
    assert set(table.result) <= {"pass", "fail", "not measured"}
    assert (table.set_index("id").loc["vacancy_2022_january", "result"] == "not measured")
