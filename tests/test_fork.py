"""The burn-in once per centre (issue 20, item 4): a policy started from a copy of the settled
state (`sim.fork`) has exactly the results of the same run with its own set-up and burn-in."""

from __future__ import annotations

import enum
import gc
import types
import weakref

import numpy as np
import pandas as pd
import pytest

import sim
from sim.fork import Settled, StateCache, acts_in_spin_up, snapshot, state_key
from sim.model import CityCentreModel
from sim.scenarios.loader import load_scenario
from sim.town import generate_town

TABLES = ("timeseries", "units", "events")


def assert_same_run(a, b) -> None:
    """Every table equal, bit for bit (values, dtypes, order)."""
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


# Arms of one (town, scenario, seed, start): paying and drawing levers, levers that change
# permits and rules, a lever with a setting; all act from 2015 (the default start).
ARMS = ([], ["compaction", "blurring:intensity=2"],
        ["popup_programme", "vacancy_ordinance:months=6", "starter_support", "transformation",
         "herverkaveling"],
        ["biz", "car_free", "evening_economy", "hide_vacancy", "deregulation", "demolition",
         "peripheral_levy"])


@pytest.mark.parametrize(("scenario", "start", "years", "seed"), [
    ("baseline", None, 3, 2),
    ("autarkische_binnenstad", None, 2, 4),  # mechanisms
    ("corona", 2019, 2, 5),  # a spin-up from 2013 to 2019 in which the levers act
])
def test_forked_runs_equal_their_own_burn_in(scenario, start, years, seed):
    cache = StateCache()
    for arms in ARMS:
        own = sim.run(town="small", scenario=scenario, policies=arms, start=start, years=years,
                      seed=seed, figures=False, check=True)
        shared = sim.run(town="small", scenario=scenario, policies=arms, start=start,
                         years=years, seed=seed, figures=False, check=True, states=cache)
        assert_same_run(own, shared)
        assert own.meta["settled_state"] is None
        assert shared.meta["settled_state"]["key"] == next(reversed(cache._mem))
        assert own.meta["burn_in"] == shared.meta["burn_in"]
    assert cache.counts == {"computed": 1, "memory": len(ARMS) - 1, "disk": 0}


def test_a_shared_spin_up_where_no_lever_acts_in_it():
    """Starting 2019 after a burn-in at 2013: arms whose levers start in 2019 or later (or are
    switched off) share the spin-up too; one that starts in 2017 runs its own."""
    state = Settled(CityCentreModel.settled("small", "baseline", start_year=2019, rng=7))
    arms = (["compaction:start=2019"], ["popup_programme:start=2020", "biz:intensity=0"],
            ["compaction:start=2017"], [])
    for arms_ in arms:
        forked = state.fork(arms_)
        own = CityCentreModel("small", "baseline", arms_, start_year=2019, rng=7)
        assert forked.clock == own.clock and forked.year == own.year == 2018  # December
        forked.run_months(18)
        own.run_months(18)
        for x, y in zip(forked.recorder.frames(), own.recorder.frames(), strict=True):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert state._spun is not None


def test_acts_in_spin_up():
    from sim.calendar import Calendar
    from sim.policies import parse_policy

    cal = Calendar(start_year=2019, origin_year=2013)
    assert not acts_in_spin_up(parse_policy("compaction:start=2019"), cal)
    assert acts_in_spin_up(parse_policy("compaction:start=2018.9"), cal)  # December 2018
    assert not acts_in_spin_up(parse_policy("compaction:start=2018.95"), cal)
    assert not acts_in_spin_up(parse_policy("compaction:start=2015,intensity=0"), cal)
    assert not acts_in_spin_up(parse_policy("compaction"), Calendar(2013, 2013))


def test_forking_leaves_the_settled_model_as_it_was():
    """Forks of one settled model, in any order, each as if it were the first."""
    settled = CityCentreModel.settled("small", rng=3)
    before = snapshot(settled)
    a = settled.fork(["compaction"])
    a.run_months(36)
    b = settled.fork(["popup_programme"])
    b.run_months(36)
    b2 = CityCentreModel("small", policies=["popup_programme"], rng=3)
    b2.run_months(36)
    for x, y in zip(b.recorder.frames(), b2.recorder.frames(), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert snapshot(settled) == before  # the whole state, pickled
    assert settled.is_settled and settled.clock == a.burn_in_months
    assert settled.steps == 0 and not settled.municipality.policies


def _reachable(root, stop) -> dict[int, object]:
    """Objects reachable from ``root`` (through gc referents), not entering classes, modules,
    functions or the objects in ``stop``."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.CodeType, enum.Enum)
    seen: dict[int, object] = {}
    todo = [root]
    while todo:
        o = todo.pop()
        if id(o) in seen or id(o) in stop or isinstance(o, skip):
            continue
        seen[id(o)] = o
        todo.extend(gc.get_referents(o))
    return seen


def test_a_fork_shares_no_state_with_its_original():
    """Nothing mutable of a fork is an object of the settled model (only the stateless kernels
    and the BLAS controller are shared), and no weak reference of the fork points into it (a
    copied Mesa schedule would step the original)."""
    settled = CityCentreModel.settled("small", rng=1)
    fork = settled.fork(["compaction"])
    fork.run_months(2)
    stop = {id(settled.kernels), id(settled._blas)}
    orig = _reachable(settled, stop)
    mine = _reachable(fork, stop)
    mutable = (np.ndarray, list, dict, set, bytearray, np.random.Generator,
               np.random.BitGenerator)
    shared = [o for i, o in mine.items() if i in orig and (
        isinstance(o, mutable) or hasattr(o, "__dict__") or hasattr(type(o), "__slots__"))]
    assert id(fork.units.cash) in mine and id(fork.households) in mine  # the walk went deep
    assert shared == []
    for o in mine.values():
        if isinstance(o, weakref.ref):
            assert id(o()) not in orig
    assert fork.steps == 2 and settled.steps == 0
    assert fork.kernels is settled.kernels


def test_only_a_settled_model_forks():
    m = CityCentreModel("small", rng=0)
    with pytest.raises(ValueError, match="settled"):
        m.fork(["compaction"])
    s = CityCentreModel.settled("small", rng=0)
    s.fork([]).run_months(1)
    assert s.is_settled  # forks run, the settled model waits


def test_state_keys_follow_the_content():
    town = generate_town("small", seed=0)
    sc = load_scenario("baseline")
    key = state_key(town, sc, None, 1)
    assert key == state_key(generate_town("small", seed=0), load_scenario("baseline"), 2013, 1)
    assert key != state_key(town, sc, None, 2)
    assert key != state_key(town, sc, 2015, 1)
    assert key != state_key(town, sc, None, 1, backend="reference")
    assert key != state_key(generate_town("small", seed=1), sc, None, 1)
    share = sc.params["upper_floor_dwelling_share"]
    params = {**sc.params, "upper_floor_dwelling_share": {**share, "core": 0.31}}
    other = type(sc)(**{**sc.fields(), "params": params})
    assert key != state_key(town, other, None, 1)


def test_disk_cache(tmp_path):
    """A second cache (another process, a later sweep) reads the state from disk; a damaged
    file is recomputed; the size limit holds."""
    first = StateCache(tmp_path, limit_mib=100)
    a = sim.run(town="small", years=2, seed=9, figures=False, policies=["biz"], states=first)
    files = list(tmp_path.glob("*.settled"))
    assert len(files) == 1
    second = StateCache(tmp_path, limit_mib=100)
    b = sim.run(town="small", years=2, seed=9, figures=False, policies=["biz"], states=second)
    assert second.counts["disk"] == 1 and b.meta["settled_state"]["source"] == "disk"
    assert_same_run(a, b)
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    third = StateCache(tmp_path, limit_mib=100)
    c = sim.run(town="small", years=2, seed=9, figures=False, policies=["biz"], states=third)
    assert third.counts["computed"] == 1
    assert_same_run(a, c)
    size = files[0].stat().st_size
    small = StateCache(tmp_path, limit_mib=1.5 * size / 2**20)
    for seed in (10, 11):
        small.get(generate_town("small", seed=0), load_scenario("baseline"), None, seed)
    assert len(list(tmp_path.glob("*.settled"))) == 1  # the oldest ones went out


def test_sweep_with_shared_states_equals_without(tmp_path, monkeypatch):
    """`binnenstad sweep` / `run_many` batch the runs of one settled state; its tables are the
    ones of a sweep in which every run has its own burn-in."""
    from sim.batch.design import expand
    from sim.batch.sweep import batches, run_many, tasks_for

    kw = dict(towns=["small"], scenarios=["baseline", "corona"],
              policies=["none", "compaction", "popup_programme"], replicates=2, years=2)
    shared = run_many(**kw)
    monkeypatch.setenv("BINNENSTAD_SHARE_BURN_IN", "0")
    own = run_many(**kw)
    cols = ["run_id", "month"]
    a = shared.timeseries().sort_values(cols).reset_index(drop=True)
    b = own.timeseries().sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    monkeypatch.delenv("BINNENSTAD_SHARE_BURN_IN")
    design = expand(shared.spec)
    work = batches(tasks_for(design, tmp_path), workers=1)
    assert len(work) == 4 and all(len(b.tasks) == 3 for b in work)  # 2 scenarios x 2 seeds
    assert len(batches(tasks_for(design, tmp_path), workers=2)) == 4
    assert len(batches(tasks_for(design, tmp_path), workers=4)) == 8  # split to keep 4 busy
