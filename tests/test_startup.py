"""The command line's start-up helper (`sim.startup`): collection paused, then restored."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from sim.startup import collector_paused, preload


@pytest.fixture(autouse=True)
def _restore_gc():
    was = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was else gc.disable)()


def test_collection_is_paused_inside_and_back_on_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_collection_comes_back_when_the_block_raises():
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_preload_imports_the_model_and_leaves_collection_on():
    code = ("import gc, sys; from sim.startup import preload; preload(); "
            "assert gc.isenabled(); assert gc.get_freeze_count() > 100_000, gc.get_freeze_count(); "
            "assert 'sim.model' in sys.modules and 'mesa' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_preload_of_an_unknown_module_raises_and_restores():
    gc.enable()
    with pytest.raises(ModuleNotFoundError):
        preload(("sim.no_such_module",))
    assert gc.isenabled()
