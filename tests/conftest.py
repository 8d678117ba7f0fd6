"""Shared fixtures: small runs computed once per test session.

The model invariants (`sim.invariants`) are checked after every month of every run in the tests:
``BINNENSTAD_CHECK=1`` is set for the whole session (it switches the check on in `sim.run`), and
`run_model` checks the models it builds directly.
"""

from __future__ import annotations

import os

import pytest

from sim.invariants import CHECK_ENV, SKIP_ENV, assert_invariants, check_enabled
from sim.model import CityCentreModel

#: Checks skipped in the tests because of a known model defect being fixed in the core rewrite:
#: a closing pop-up leaves its discounted rent as the asking rent and the next pop-up discounts it
#: again, so occupied rents fall below the floor under pop-up-heavy scenarios (issue 8, class 8).
#: `tests/test_invariant_checker.py::test_known_defect_popup_rent_floor` fails strictly once that
#: is fixed, as a reminder to empty this.
KNOWN_DEFECT_SKIPS = "rent_floor"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(CHECK_ENV, "1")
    os.environ.setdefault(SKIP_ENV, KNOWN_DEFECT_SKIPS)


def run_model(town: str = "small", years: int = 3, seed: int = 1, **kwargs) -> CityCentreModel:
    from sim.scenarios.loader import load_scenario

    overrides = kwargs.pop("overrides", {})
    scenario = load_scenario(kwargs.pop("scenario", "baseline"), **overrides)
    m = CityCentreModel(town, scenario, rng=seed, **kwargs)
    m.run_months(12 * years, progress=(lambda: assert_invariants(m)) if check_enabled() else None)
    return m


@pytest.fixture(scope="session")
def small_run() -> CityCentreModel:
    return run_model("small", years=6, seed=3)


@pytest.fixture(scope="session")
def medium_run() -> CityCentreModel:
    return run_model("medium", years=12, seed=1)
