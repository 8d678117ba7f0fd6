"""Read-only installs: the numba cache falls back (or is switched off) with a one-line warning.

Two levels:

* `decide` (the fallback decision) with simulated unwritable places: every branch.
* A real read-only install: the package is copied to a temporary folder that is bind-mounted
  read-only in a private mount namespace (``unshare -m``), with HOME inside it, and
  ``import sim`` and ``binnenstad run --backend reference`` run as subprocesses. Tests run as
  root, for whom ``chmod`` does not stop writes; a read-only mount does (EROFS). Where
  ``unshare -m`` is not allowed (no CAP_SYS_ADMIN) the test is skipped. What it cannot show: an
  install that is unwritable only by permissions for a non-root user (the same code path: numba
  and this package test writability by creating a file, as the mount test does), and a numba
  compile from a cold cache in the fallback folder (the reference backend does not compile).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.kernels._cache import CacheDecision, decide, private_dir, writable_dir

KERNELS = Path("/pkg/sim/kernels")


def _decide(writable: set[str], private_ok: bool = True, env: dict | None = None):
    return decide(env or {}, KERNELS, lambda: "/home/u/.cache/numba", "/tmp",
                  writable=lambda p: p in writable, private=lambda p: private_ok)


def test_writable_package_folder_changes_nothing():
    assert _decide({str(KERNELS / "__pycache__")}) == CacheDecision(True, None, None)


def test_writable_user_cache_changes_nothing():
    assert _decide({"/home/u/.cache/numba"}) == CacheDecision(True, None, None)


def test_users_own_cache_dir_is_respected():
    d = _decide({"/scratch/nb"}, env={"NUMBA_CACHE_DIR": "/scratch/nb"})
    assert d == CacheDecision(True, None, None)


def test_read_only_install_falls_back_to_private_temp_folder():
    d = _decide(set())
    assert d.cache and d.cache_dir == f"/tmp/binnenstad-numba-{os.getuid()}"
    assert d.warning.count("\n") == 0 and d.warning.startswith("binnenstad: warning: ")
    assert str(KERNELS / "__pycache__") in d.warning and "/home/u/.cache/numba" in d.warning


def test_nothing_writable_compiles_without_cache():
    d = _decide(set(), private_ok=False, env={"NUMBA_CACHE_DIR": "/ro/nb"})
    assert not d.cache and d.cache_dir is None
    assert "/ro/nb" in d.warning and "NUMBA_CACHE_DIR" in d.warning and "\n" not in d.warning


def test_private_dir_refuses_a_folder_others_can_write(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert not private_dir(shared)
    own = tmp_path / "own"
    assert private_dir(own) and (own.stat().st_mode & 0o777) == 0o700
    assert writable_dir(tmp_path / "new" / "deeper")
    assert not writable_dir("/proc/binnenstad-cache")


def _unshare_ok() -> bool:
    if not shutil.which("unshare") or sys.platform != "linux":
        return False
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _read_only_run(root: Path, args: list[str], tmpdir: Path, also_read_only: tuple = (),
                   tmpfs: Path | None = None) -> subprocess.CompletedProcess:
    """Run Python in a mount namespace where ``root`` (package copy and HOME) and
    ``also_read_only`` are read-only; ``tmpfs`` (inside root) gets a fresh writable tmpfs."""
    env = {"PATH": os.environ["PATH"], "HOME": str(root / "home"), "PYTHONPATH": str(root),
           "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(tmpdir), "MPLBACKEND": "Agg"}
    mounts = [f'mount --bind "{p}" "{p}" && mount -o remount,ro,bind "{p}"'
              for p in (root, *also_read_only)]
    if tmpfs is not None:
        mounts.append(f'mount -t tmpfs tmpfs "{tmpfs}"')
    script = " && ".join(mounts) + ' && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", sys.executable, *args],
                          env=env, cwd=str(tmpdir), capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not _unshare_ok(), reason="needs unshare -m (a private mount namespace)")
def test_read_only_install_imports_and_runs(tmp_path):
    root = tmp_path / "ro"
    (root / "home").mkdir(parents=True)
    (root / "mnt").mkdir()
    shutil.copytree(Path(sim.__file__).parent, root / "sim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()

    res = _read_only_run(root, ["-c", "import sim; print(sim.__file__); "
                                "import sim.kernels as k; print(k.Kernels('reference').backend)"],
                         work)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [str(root / "sim" / "__init__.py"), "reference"]
    warning = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(warning) == 1 and "numba cannot cache" in warning[0], res.stderr
    assert (work / f"binnenstad-numba-{os.getuid()}").is_dir()

    out = work / "out"
    res = _read_only_run(root, ["-m", "sim.cli", "run", "--backend", "reference", "--town",
                                "small", "--years", "1", "--no-figures", "--quiet", "--out",
                                str(out)], work)
    assert res.returncode == 0, res.stderr
    assert (out / "timeseries.parquet").is_file()
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    # the warning, the summary and the one-seed note
    assert "binnenstad: warning: numba cannot cache" in lines[0] and len(lines) == 3

    # Output into the read-only folder: one line, exit 2, before the simulation.
    res = _read_only_run(root, ["-m", "sim.cli", "run", "--backend", "reference", "--town",
                                "small", "--years", "1", "--quiet", "--out",
                                str(root / "res")], work)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, res.stderr
    assert lines[-1].startswith(f"binnenstad: error: output folder {root / 'res'}: cannot write")
    assert "Read-only file system" in lines[-1]

    # Nothing writable for numba (temporary folders read-only too): no cache, still runs. The
    # results go to a tmpfs that exists only inside the namespace.
    res = _read_only_run(root, ["-m", "sim.cli", "run", "--backend", "reference", "--town",
                                "small", "--years", "1", "--no-figures", "--quiet", "--out",
                                str(root / "mnt" / "out")], root / "home",
                         also_read_only=("/tmp", "/var/tmp"), tmpfs=root / "mnt")
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert "kernels are compiled in every process" in lines[0] and len(lines) == 3, res.stderr
    assert f"results in {root / 'mnt' / 'out'}" in lines[1]


def test_no_temporary_folder_at_all_compiles_without_cache():
    d = decide({}, KERNELS, lambda: "/home/u/.cache/numba", None,
               writable=lambda p: False, private=lambda p: True)
    assert not d.cache and "no temporary folder" in d.warning
