"""Numbers and tables in the docs come from the code and cannot drift from it."""

from __future__ import annotations

import numpy as np
import pytest

from sim import docs_tables, results
from sim.runner import run


def test_odd_parameter_table_is_generated_from_the_schema():
    text = docs_tables.ODD.read_text()
    assert docs_tables.block_of(text) == docs_tables.parameter_table(), (
        "docs/ODD.md's parameter table is out of date: run `python -m sim.docs_tables`")


def test_result_blocks_render_from_the_stored_runs():
    base, levers, manifest = results.load()
    odd = (results.ROOT / "docs" / "ODD.md").read_text()
    assert docs_tables.block_of(odd, results.BEGIN, results.END) == results.render(
        base, levers, manifest) + "\n" or docs_tables.block_of(
        odd, results.BEGIN, results.END) == results.render(base, levers, manifest), (
        "docs/ODD.md section 8.2 is out of date: run `python -m sim.results --render-only`")
    readme = (results.ROOT / "README.md").read_text()
    assert docs_tables.block_of(readme, results.BEGIN, results.END) == results.readme_block(
        base, manifest)
    assert set(levers.lever) == {"none", *results.LEVERS}
    assert base.seed.nunique() == manifest["seeds"] >= 10


def test_stored_results_are_reproduced_by_the_model():
    """Re-run one stored run: if the model no longer gives the same numbers, the tables in the
    docs have drifted and must be regenerated (`python -m sim.results`)."""
    base, _, _ = results.load()
    ts = run(town=results.TOWN, years=results.BASE_YEARS, seed=0, figures=False).timeseries
    stored = base[base.seed == 0].set_index("year")
    now = ts.groupby("year").vacancy_rate.mean()
    np.testing.assert_allclose(now.to_numpy(), stored.vacancy_rate.to_numpy(), rtol=1e-9,
                               err_msg="the model changed: run `python -m sim.results`")
    assert now.index.tolist() == stored.index.tolist()


@pytest.mark.parametrize("name", ["ODD.md"])
def test_docs_have_their_marker_blocks(name):
    text = (results.ROOT / "docs" / name).read_text()
    for begin, end in ((docs_tables.BEGIN, docs_tables.END), (results.BEGIN, results.END)):
        assert text.count(begin) == 1 and text.count(end) == 1


def test_readme_states_the_limits_of_sim_limits():
    """README, "Errors, limits and results folders", quotes every limit of `sim.limits` (a
    changed limit must be changed there too); docs/town_format.md the town file's."""
    from sim import limits as L

    readme = (results.ROOT / "README.md").read_text()
    section = readme[readme.index("### Errors, limits and results folders"):]
    section = " ".join(section[: section.index("\n## ")].split())
    quoted = {
        "MAX_YEARS": f"1-{L.MAX_YEARS} years", "START_YEARS": "{}-{}".format(*L.START_YEARS),
        "MAX_SEED": "0 to 2^63-1", "MAX_RUNS": f"at most {L.MAX_RUNS:,} runs",
        "MAX_UNITS": f"at most {L.MAX_UNITS:,} units",
        "MAX_TOWN_FILE_BYTES": f"at most {L.MAX_TOWN_FILE_BYTES // 2**20} MiB",
        "MAX_NETWORK_GIB": f"{L.MAX_NETWORK_GIB:g} GiB",
        "MAX_TEXT_FILE_BYTES": f"at most {L.MAX_TEXT_FILE_BYTES:,} bytes",
        "MAX_SORT_EXTRACT_BYTES": f"up to {L.MAX_SORT_EXTRACT_BYTES // 2**20} MiB",
        "OSM_RADIUS": f"{L.OSM_RADIUS.lo:,.0f} to {L.OSM_RADIUS.hi:,.0f} m",
        "catchment_population": L.TOWN_LIMITS["catchment_population"].allowed(),
        "MAX_WORKERS": f"1 to {L.MAX_WORKERS}",
        "MAX_TIMEOUT_S": f"at most {L.MAX_TIMEOUT_S:,.0f} s",
        "MAX_BOOTSTRAP": f"100 to {L.MAX_BOOTSTRAP:,} resamples",
        "MAX_NAME_CHARS": f"at most {L.MAX_NAME_CHARS} characters",
        "MAX_MESSAGE_CHARS": f"longer than {L.MAX_MESSAGE_CHARS:,} characters",
    }
    missing = {k: v for k, v in quoted.items() if v not in section}
    assert not missing, missing
    town = (results.ROOT / "docs" / "town_format.md").read_text()
    assert f"at most {L.MAX_UNITS:,} (`sim.limits.MAX_UNITS`)" in town
    mib = L.MAX_TOWN_FILE_BYTES // 2**20
    assert f"at most {mib} MiB (`sim.limits.MAX_TOWN_FILE_BYTES`)" in town


def test_readme_figure_matches_the_default_run():
    """docs/img/default_run.png shows the default run: the fingerprint of its data, stored
    beside it, equals that of the default run now. When the model's results change, remake
    both with ``python docs/img/make_readme_figure.py``."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = root / "docs" / "img" / "make_readme_figure.py"
    spec = importlib.util.spec_from_file_location("make_readme_figure", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    stored = json.loads(mod.FINGERPRINT.read_text(encoding="utf-8"))
    assert mod.OUT.is_file()
    now = mod.fingerprint(mod.default_run())
    assert now["sha256"] == stored["sha256"], (
        "docs/img/default_run.png no longer shows the default run (last month now "
        f"{now['vacancy_last_month_percent']}, in the figure "
        f"{stored['vacancy_last_month_percent']}): run python docs/img/make_readme_figure.py")
