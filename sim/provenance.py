"""What produced a result: package versions and the git commit (for run.json, sweeps and the
calibration's records)."""

from __future__ import annotations

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
    """The commit of the source tree the package runs from, or None outside a git checkout."""
    args = ["git", "rev-parse", *([f"--short={short}"] if short else []), "HEAD"]
    try:
        res = subprocess.run(args, cwd=Path(__file__).parent, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None
