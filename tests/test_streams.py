"""Random streams keyed by name and month (`sim.rng`): common random numbers that hold per
mechanism and per month, and no two mechanisms share a stream."""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.rng import STREAM_NAMES, Streams, stream

names = st.sampled_from([*sorted(STREAM_NAMES), "policy:biz", "shocks:tourism"])


@given(seed=st.integers(0, 2**63 - 1), a=names, b=names, month=st.integers(0, 5000),
       extra=st.integers(1, 500))
@settings(max_examples=60, deadline=None)
def test_extra_draws_shift_no_other_stream_and_no_later_month(seed, a, b, month, extra):
    """Extra draws from stream ``a`` in month t change neither another stream's draws in month
    t nor any stream's draws in month t + 1."""
    def run(extra_draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        clock = [month]
        s = Streams(seed, lambda: clock[0])
        s.get(a).random(extra_draws)
        other = s.get(b).random(8) if b != a else np.zeros(8)
        clock[0] += 1
        return other, s.get(a).random(8), s.get(b).random(8)

    for x, y in zip(run(0), run(extra), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_stream_is_one_generator_within_a_month_and_new_each_month():
    clock = [3]
    s = Streams(7, lambda: clock[0])
    g = s.get("closures")
    assert s.get("closures") is g
    first = g.random(4)
    clock[0] = 4
    assert s.get("closures") is not g
    np.testing.assert_array_equal(stream(7, "closures", 3).random(4), first)
    assert not np.array_equal(stream(7, "closures", 4).random(4), first)
    assert not np.array_equal(stream(7, "search", 3).random(4), first)


def test_no_two_mechanisms_share_a_stream(monkeypatch):
    """Over a run with every lever and a scenario with mechanisms, each stream is requested
    from one place in the code only (the mechanism that owns it), and every stream of the core
    model is listed in `sim.rng.STREAM_NAMES`."""
    from sim.model import CityCentreModel
    from sim.policies import POLICIES

    sites: dict[str, set[str]] = defaultdict(set)
    original = CityCentreModel.stream

    def traced(self, name):
        f = sys._getframe(1)
        while f.f_code.co_name in ("rng", "_popup_lease_months") and f.f_back is not None:
            f = f.f_back  # helpers that only name a stream: the site is their caller
        sites[name].add(f"{f.f_globals['__name__']}.{f.f_code.co_name}")
        return original(self, name)

    monkeypatch.setattr(CityCentreModel, "stream", traced)
    levers = [n for n in POLICIES if n != "transformation"] + ["transformation:mode=gebiedsgericht"]
    m = CityCentreModel("small", "autarkische_binnenstad", levers, rng=3, start_year=2018)
    m.run_months(24)
    m2 = CityCentreModel("small", "zelforganiserende_stad", rng=3)
    m2.run_months(13)
    shared = {n: s for n, s in sites.items() if len(s) > 1}
    assert not shared, shared
    core = {n for n in sites if ":" not in n}
    assert core <= set(STREAM_NAMES), core - set(STREAM_NAMES)
    assert {n.split(":")[1] for n in sites if n.startswith("policy:")} <= set(POLICIES)
