"""Shared fixtures: small runs computed once per test session.

The model invariants (`sim.invariants`) are checked after every month of every run in the tests:
``BINNENSTAD_CHECK=1`` is set for the whole session (it switches the check on in `sim.run`), and
`run_model` checks the models it builds directly.
"""

from __future__ import annotations

import os

import pytest

from sim.invariants import CHECK_ENV, assert_invariants, check_enabled
from sim.model import CityCentreModel


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(CHECK_ENV, "1")


def run_model(town: str = "small", years: int = 3, seed: int = 1, **kwargs) -> CityCentreModel:
    from sim.scenarios.loader import load_scenario

    overrides = kwargs.pop("overrides", {})
    scenario = load_scenario(kwargs.pop("scenario", "baseline"), **overrides)
    m = CityCentreModel(town, scenario, rng=seed, **kwargs)
    if years:
        m.run_months(12 * years,
                     progress=(lambda: assert_invariants(m)) if check_enabled() else None)
    return m


@pytest.fixture(scope="session")
def small_run() -> CityCentreModel:
    return run_model("small", years=6, seed=3)


@pytest.fixture(scope="session")
def medium_run() -> CityCentreModel:
    return run_model("medium", years=12, seed=1)
