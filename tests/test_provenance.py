"""The git commit is asked of git once per process, not once per run."""

from __future__ import annotations

import subprocess

from sim import provenance


def test_git_commit_runs_git_once_per_process(monkeypatch):
    calls = []
    real = subprocess.run

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    provenance._head.cache_clear()
    provenance._short.cache_clear()
    monkeypatch.setattr(provenance.subprocess, "run", counting)
    first = provenance.git_commit()
    for _ in range(5):
        assert provenance.git_commit() == first
    assert len(calls) == 1
    if first is not None:  # inside a checkout: the short form is a prefix, asked once
        assert first.startswith(provenance.git_commit(short=10))
        provenance.git_commit(short=10)
        assert len(calls) == 2


def test_outside_a_checkout_it_is_none(monkeypatch):
    def no_git(*args, **kwargs):
        raise OSError("no git")

    provenance._head.cache_clear()
    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    try:
        assert provenance.git_commit() is None
        assert provenance.git_commit(short=10) is None
    finally:
        provenance._head.cache_clear()
