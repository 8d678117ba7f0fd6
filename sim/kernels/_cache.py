"""Where numba caches the compiled kernels, with a fallback for read-only installs.

The kernels are compiled with ``cache=True``: numba writes the machine code beside the source
(``sim/kernels/__pycache__``) or, if that is not writable, in the user's cache folder
(``~/.cache/numba``), or in ``$NUMBA_CACHE_DIR`` if set. When none of them is writable (a
read-only install with a read-only HOME), numba refuses to decorate the kernels and ``import
sim.kernels`` would fail. `configure_cache` runs before the kernel modules are imported and
decides:

1. one of numba's own places is writable: nothing changes;
2. else a private folder in the temporary directory (``binnenstad-numba-<uid>``, mode 0700 and
   owned by us, because a cache holds code that is executed) becomes ``NUMBA_CACHE_DIR``;
3. else the kernels are compiled without a cache (every process compiles them again, about 7 s).

Cases 2 and 3 print one warning line to stderr.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CacheDecision:
    """``cache``: compile with ``cache=True``; ``cache_dir``: set it as NUMBA_CACHE_DIR (None:
    leave numba's choice); ``warning``: one line to show, or None."""

    cache: bool
    cache_dir: str | None
    warning: str | None


def writable_dir(path: str | os.PathLike[str]) -> bool:
    """Whether a file can be created in ``path`` (created if missing), as numba tests it."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def private_dir(path: str | os.PathLike[str]) -> bool:
    """Create ``path`` (mode 0700) or accept it if it is ours, not a link, and closed to others."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and writable_dir(path))


def _user_cache_dir() -> str:
    from numba.misc.appdirs import AppDirs

    return AppDirs(appname="numba", appauthor=False).user_cache_dir


def decide(env: Mapping[str, str], kernel_dir: Path, user_cache_dir: Callable[[], str],
           tmp_dir: str | None, writable: Callable[[str], bool] = writable_dir,
           private: Callable[[str], bool] = private_dir) -> CacheDecision:
    """The cache decision for the given environment and places (pure apart from the checks);
    ``tmp_dir`` None: there is no usable temporary folder."""
    own = env.get("NUMBA_CACHE_DIR", "")
    if own and writable(own):
        return CacheDecision(True, None, None)
    if writable(str(kernel_dir / "__pycache__")):
        return CacheDecision(True, None, None)
    user = user_cache_dir()
    if writable(user):
        return CacheDecision(True, None, None)
    tried = f"{own + ', ' if own else ''}{kernel_dir / '__pycache__'}, {user}"
    fallback = os.path.join(tmp_dir or "(no temporary folder)", f"binnenstad-numba-{os.getuid()}")
    if tmp_dir is not None and private(fallback):
        return CacheDecision(True, fallback, f"binnenstad: warning: numba cannot cache compiled "
                             f"kernels in {tried} (not writable); using {fallback}")
    return CacheDecision(False, None, f"binnenstad: warning: no writable folder for numba's cache "
                         f"({tried}, {fallback}); kernels are compiled in every process (slow "
                         "start); set NUMBA_CACHE_DIR to a writable folder")


def configure_cache() -> bool:
    """Apply `decide` to this process (before the kernels are decorated); returns whether to
    compile with ``cache=True``."""
    try:
        tmp_dir: str | None = tempfile.gettempdir()
    except OSError:  # no usable temporary folder at all
        tmp_dir = None
    d = decide(os.environ, KERNEL_DIR, _user_cache_dir, tmp_dir)
    if d.cache_dir is not None:
        os.environ["NUMBA_CACHE_DIR"] = d.cache_dir
        config = sys.modules.get("numba.core.config")
        if config is not None:  # numba already read its configuration
            config.CACHE_DIR = d.cache_dir
    if d.warning:
        print(d.warning, file=sys.stderr)
    return d.cache


#: Whether the kernels are compiled with ``cache=True`` in this process.
CACHE = configure_cache()
