"""Limits on run length, town size (memory estimated before allocating) and town values."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import sim
from sim import validate as v
from sim.kernels import BACKENDS
from sim.space import (
    BYTES_PER_NODE_PAIR,
    LIMIT_ENV,
    MAX_NETWORK_GIB,
    TownTooLargeError,
    build_street_network,
    check_network_size,
    network_memory_bytes,
)
from sim.town import TOWN_LIMITS, generate_town


def test_validate_knows_the_kernel_backends():
    assert v.BACKENDS == BACKENDS


def test_network_estimate_and_limit(monkeypatch):
    assert network_memory_bytes(1000) == BYTES_PER_NODE_PAIR * 10**6
    n_max = int((MAX_NETWORK_GIB * 2**30 / BYTES_PER_NODE_PAIR) ** 0.5)
    check_network_size(n_max)  # at the limit: allowed
    with pytest.raises(TownTooLargeError) as exc:
        check_network_size(n_max + 1, "town 'big'")
    msg = str(exc.value)
    assert msg.startswith(f"town 'big' has {n_max + 1:,} street nodes")
    assert "GiB" in msg and f"limit: {MAX_NETWORK_GIB:.1f} GiB" in msg and LIMIT_ENV in msg
    monkeypatch.setenv(LIMIT_ENV, "64")
    check_network_size(n_max + 1)
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(TownTooLargeError, match=f"{LIMIT_ENV}='lots' is not allowed"):
        check_network_size(10)


def test_network_is_checked_before_allocation(monkeypatch):
    """The model's own entry to the street network refuses before any (nodes x nodes) array."""
    monkeypatch.setenv(LIMIT_ENV, "0.0001")
    town = generate_town("medium", 0)
    with pytest.raises(TownTooLargeError, match="145 street nodes"):
        build_street_network(town, 60.0)
    with pytest.raises(TownTooLargeError, match="145 street nodes"):
        sim.run(town="medium", years=1)


def test_xl_preset_is_far_below_the_limit():
    assert network_memory_bytes(generate_town("xl", 0).n_nodes) < 0.1 * MAX_NETWORK_GIB * 2**30


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("floor_area", 1e300, "floor_area[0] is 1e+300"),
    ("floor_area", math.nan, "floor_area[0] is nan"),
    ("upper_floors", 400, "upper_floors[0] is 400.0"),
    ("unit_x", math.inf, "unit_x[0] is inf"),
    ("node_x", -2e7, "node_x[0] is -20000000.0"),
])
def test_hand_built_town_values_are_checked(field, value, needle):
    t = generate_town("small", 0)
    arr = getattr(t, field).astype(float).copy()
    arr[0] = value
    bad = replace(t, **{field: arr})
    with pytest.raises(ValueError, match=r"allowed: ") as exc:
        bad.validate()
    assert needle in str(exc.value)
    with pytest.raises(v.InputError, match="town 'small'"):
        sim.run(town=bad, years=1)


def test_town_extent_and_catchment_limits():
    t = generate_town("small", 0)
    with pytest.raises(ValueError, match="catchment_population is 1e\\+300"):
        replace(t, catchment_population=1e300).validate()
    far = t.node_x.copy()
    far[-1] = 30_000.0
    with pytest.raises(ValueError, match="spans"):
        replace(t, node_x=far, edge_length=np.abs(t.edge_length)).validate()
    assert TOWN_LIMITS["extent"].hi == 20_000


def test_year_and_seed_limits():
    assert v.check_years(v.MAX_YEARS) == v.MAX_YEARS
    with pytest.raises(v.InputError):
        v.check_years(v.MAX_YEARS + 1)
    assert v.check_seed(np.int64(5)) == 5  # NumPy integers are whole numbers too
    assert v.check_start(np.int32(2013)) == 2013
    with pytest.raises(v.InputTypeError):
        v.check_seed(np.float64(5.0))
    assert v.check_seed(v.MAX_SEED) == v.MAX_SEED
    with pytest.raises(v.InputError):
        v.check_seed(v.MAX_SEED + 1)


def test_huge_seed_runs():
    res = sim.run(town="small", years=1, seed=v.MAX_SEED, figures=False)
    assert res.meta["seed"] == v.MAX_SEED


def test_policy_spec_parsing_for_duplicates():
    assert v.split_policy("blurring: intensity=2 , start=2020") == ("blurring",
                                                                   ["intensity", "start"])
    assert v.check_policies(("compaction", "blurring:intensity=2")) == [
        "compaction", "blurring:intensity=2"]
    assert v.check_policies(None) == []
