"""What produced a result: package versions and the git commit (for run.json, sweeps and the
calibration's records)."""

from __future__ import annotations

import functools
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

#: Packages whose versions every record carries.
CORE_PACKAGES = ("binnenstad", "mesa", "numpy", "numba", "pandas", "pyarrow")


def package_versions(extra: Iterable[str] = (), python: bool = False) -> dict[str, str]:
    """Installed versions of `CORE_PACKAGES` and ``extra`` ("not installed" when missing)."""
    out = {"python": platform.python_version()} if python else {}
    for pkg in (*CORE_PACKAGES, *extra):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit(short: int | None = None) -> str | None:
    """The commit of the source tree the package runs from, or None outside a git checkout.

    Asked of git once per process (`_head`): a run, a sweep's worker or the calibration records
    it for every run without starting a subprocess each time. A commit made while the process
    runs is not seen (the code it runs was imported before it anyway)."""
    full = _head()
    if full is None or not short:
        return full
    return _short(full, short)


@functools.cache
def _head() -> str | None:
    return _git("rev-parse", "HEAD")


@functools.cache
def _short(full: str, short: int) -> str | None:
    # git shortens to at least `short` characters, longer where that would be ambiguous.
    return _git("rev-parse", f"--short={short}", full) or full[:short]


def _git(*args: str) -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None
