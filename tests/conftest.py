"""Shared fixtures: small runs computed once per test session."""

from __future__ import annotations

import pytest

from sim.model import CityCentreModel


def run_model(town: str = "small", years: int = 3, seed: int = 1, **kwargs) -> CityCentreModel:
    from sim.scenarios.loader import load_scenario

    overrides = kwargs.pop("overrides", {})
    scenario = load_scenario(kwargs.pop("scenario", "baseline"), **overrides)
    m = CityCentreModel(town, scenario, rng=seed, **kwargs)
    if years:
        m.run_months(12 * years)
    return m


@pytest.fixture(scope="session")
def small_run() -> CityCentreModel:
    return run_model("small", years=6, seed=3)


@pytest.fixture(scope="session")
def medium_run() -> CityCentreModel:
    return run_model("medium", years=12, seed=1)
