"""Results folders written as a whole, one run at a time.

A run writes its results into a temporary sibling folder and swaps it in at the end, so a results
folder always holds the complete results of exactly one run (or the previous run's, if this one
failed):

1. Before the simulation: the output path is checked (`ResultsFolder.open`): it must be a folder
   or not exist; an existing folder must be empty or hold only result files (`RESULT_FILES`), so a
   typo such as ``--out ~`` cannot wipe a folder of other files; a symbolic link pointing
   nowhere is refused (not followed). A lock (`FolderLock`: ``fcntl.flock`` on
   ``.<name>.binnenstad-lock`` beside the folder) makes a second run into it fail at once; the
   folder is checked again under the lock. The temporary folder
   ``.<name>.binnenstad-tmp-<host>-<pid>-<token>`` is created, and a probe file
   written into it, so an unwritable place (``/proc``, a read-only disk, no permission, a full
   disk) is reported before any work is done.
2. After the simulation: everything is written into the temporary folder (`ResultsFolder.write`:
   a full disk there is one line, not a traceback), then `ResultsFolder.commit` renames the old
   folder away (``...binnenstad-old-...``), renames the new one in, deletes the old one and
   releases the lock, with Ctrl-C and SIGTERM held from the first rename to the end.
3. Any failure, Ctrl-C or SIGTERM (the command line turns it into an exception) removes the
   temporary folder (`ResultsFolder.abort`) and leaves the previous results in place.

A run killed outright (SIGKILL, power loss) cannot clean up: the next run into the same parent
folder removes every temporary folder of ours whose owning process (host and pid in the name) no
longer exists, and puts back an old folder that was renamed away but not replaced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import socket
import threading
import zlib
from pathlib import Path

from .safeio import PathNameError, no_dangling_link
from .signals import committed

#: The files a run writes (the CSV copies with ``--csv``) and the animation ``binnenstad
#: animate`` adds by default; an existing folder holding anything else is not replaced.
CSV_FILES = frozenset({"timeseries.csv", "units.csv", "events.csv"})
RESULT_FILES = frozenset({"timeseries.parquet", "units.parquet", "events.parquet", "run.json",
                          "vacancy_by_zone.png", "map.png", "footfall.png", *CSV_FILES,
                          "animation.gif", "animation.mp4"})
_PROBE_BYTES = 64 * 1024
_LOCK_SUFFIX = ".binnenstad-lock"
_NAME = re.compile(r"^\.(?P<name>.+)\.binnenstad-(?P<role>tmp|old)-(?P<host>[0-9a-f]{8})-"
                   r"(?P<pid>\d+)-(?P<token>[0-9a-f]{8})$")


class ResultsFolderError(ValueError):
    """The output folder cannot be used (one-line message naming it)."""


def _host() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return True
    return True


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def _signals_blocked():
    """Hold Ctrl-C (SIGINT) and SIGTERM for the block; one that arrives meanwhile is delivered
    when it ends. In the main thread the handlers are replaced by one that only records the
    signal (a signal delivered to another thread of the process still runs the main thread's
    Python handler, so masking alone would not hold it); elsewhere the signals are masked."""
    sigs = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        try:
            old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, set(sigs))
        except (AttributeError, OSError, ValueError):  # no pthread_sigmask on this platform
            yield
            return
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        return
    received: list[int] = []
    old = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


def _remove_free_lock(path: Path) -> None:
    """Delete a lock file left by a killed run (nobody holds its lock)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.stat(path)):
            os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)


class FolderLock:
    """An exclusive lock (``fcntl.flock``) on a folder, held on the file
    ``.<name>.binnenstad-lock`` beside it, so the folder itself need not exist. The file holds
    the holder's pid and is removed on release (while still locked); a lock file left by a killed
    process is free and removed by the next clean-up of the parent (`ResultsFolder`). The file
    is created with the umask's permissions (like any other file)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(os.path.abspath(folder))
        self.file = self.folder.parent / f".{self.folder.name}{_LOCK_SUFFIX}"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, busy: str) -> None:
        """Take the lock or raise `BusyError` (message: ``busy`` with ``{pid}`` filled in);
        OSError if the lock file cannot be created."""
        for _ in range(20):
            fd = os.open(self.file, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise BusyError(busy.replace("{pid}", holder)) from None
                raise
            # The previous holder may have unlinked the file between our open() and flock():
            # then we hold a lock on a file nobody else sees; take it again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.file))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._fd = fd
                return
            os.close(fd)
        raise BusyError("cannot take the lock file (it keeps changing)")

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.file)  # while still locked (see acquire)
        os.close(self._fd)
        self._fd = None


class BusyError(ValueError):
    """Another process holds the lock of a folder (one-line message)."""


class ResultsFolder:
    """The output folder of one run (see the module docstring for the protocol).

    Use::

        folder = ResultsFolder(path).open()   # checks, locks, creates the temporary folder
        try:
            write files into folder.tmp
            folder.commit()
        except BaseException:
            folder.abort()
            raise
    """

    def __init__(self, target: str | os.PathLike[str],
                 replaceable: frozenset[str] | None = RESULT_FILES,
                 folders: frozenset[str] = frozenset()) -> None:
        """``replaceable``: the file names an existing folder may hold to be replaced (None: a
        folder the program owns whole, such as a sweep's ``report/``, is replaced whatever it
        holds); ``folders``: the names of subfolders it may hold (``validate``'s ``sobol/``)."""
        text = os.fspath(target)
        if not str(text).strip():
            raise ResultsFolderError(f"output folder must be a path, got {text!r}")
        self.target = Path(text)
        self.replaceable = replaceable
        self.folders = folders
        self.tmp: Path | None = None
        self._lock: FolderLock | None = None
        self._made: list[Path] = []  # parent folders created by open(), deepest last

    # ------------------------------------------------------------------ helpers
    def _fail(self, why: str) -> ResultsFolderError:
        return ResultsFolderError(f"output folder {self.target}: {why}")

    def _entry(self, role: str) -> Path:
        return self.parent / (f".{self.name}.binnenstad-{role}-{_host()}-{os.getpid()}-"
                              f"{secrets.token_hex(4)}")

    # ------------------------------------------------------------------ protocol
    def open(self) -> ResultsFolder:
        """Check the path, take the lock, clean stale temporary folders and create this run's
        temporary folder. Raises `ResultsFolderError` with a one-line message."""
        target = self.target
        try:
            no_dangling_link(target)
        except PathNameError as e:
            raise self._fail(str(e)) from None
        if target.is_symlink():
            target = target.resolve()
        self.path = Path(os.path.abspath(target))
        self.name, self.parent = self.path.name, self.path.parent
        if not self.name or self.name in (".", ".."):
            raise self._fail("must name a folder")
        cwd = Path.cwd()
        if self.path == cwd or self.path in cwd.parents:
            raise self._fail("is the current folder or contains it; allowed: a folder inside it")
        if self.path.exists() and not self.path.is_dir():
            raise self._fail("exists and is not a folder")
        try:
            self._make_parents()
            self._take_lock()
            # Checked again under the lock: another process may have changed it meanwhile.
            if self.path.exists() and not self.path.is_dir():
                raise self._fail("exists and is not a folder")
            self._clean_stale()
            self._check_replaceable()
            self.tmp = self._entry("tmp")
            self.tmp.mkdir()
            probe = self.tmp / ".probe"
            with probe.open("wb") as fh:
                fh.write(b"\0" * _PROBE_BYTES)
                fh.flush()
                os.fsync(fh.fileno())
            probe.unlink()
        except OSError as e:
            self.abort()
            raise self._fail(f"cannot write in {self.parent} ({_why(e)})") from None
        except BaseException:  # ResultsFolderError, Ctrl-C, SIGTERM: leave nothing behind
            self.abort()
            raise
        return self

    def write(self, fill) -> None:
        """Call ``fill(self.tmp)`` to write the results; a failure to write (a full disk, a
        quota, a disk gone read-only) removes the temporary folder and raises
        `ResultsFolderError` with one line (the previous results stay as they were)."""
        if self.tmp is None:
            raise RuntimeError("ResultsFolder.write() before open()")
        try:
            fill(self.tmp)
        except OSError as e:
            self.abort()
            raise self._fail(f"cannot write the results in {self.parent} ({_why(e)}); the "
                             "previous results are unchanged") from None

    def commit(self) -> None:
        """Swap the temporary folder in place of the target, delete the old results, unlock.

        Ctrl-C and SIGTERM are blocked from the first rename until the old results are deleted
        and the lock is released, so the folder is either the old or the new one and nothing is
        left behind; a signal that arrived meanwhile is delivered afterwards, when the results
        are complete (the command line then finishes normally, `sim.signals.committed`)."""
        if self.tmp is None:
            raise RuntimeError("ResultsFolder.commit() before open()")
        old = None
        with _signals_blocked():
            try:
                if self.path.exists():
                    old = self._entry("old")
                    os.rename(self.path, old)
                try:
                    os.rename(self.tmp, self.path)
                except OSError:
                    if old is not None:
                        os.rename(old, self.path)
                        old = None
                    raise
            except OSError as e:
                self.abort()
                raise self._fail(f"cannot move the results into place ({_why(e)})") from None
            self.tmp = None
            committed(self.path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            self._made = []
            self._unlock()

    def abort(self) -> None:
        """Remove the temporary folder and the parents open() created; unlock. Idempotent."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._unlock()
        for p in reversed(self._made):
            with contextlib.suppress(OSError):
                p.rmdir()
        self._made = []

    # ------------------------------------------------------------------ steps
    def _make_parents(self) -> None:
        missing = []
        p = self.parent
        while not p.exists():
            if p.is_symlink():  # a dangling link
                raise self._fail(f"{p} is a broken symbolic link")
            missing.append(p)
            p = p.parent
        if not p.is_dir():
            raise self._fail(f"{p} is not a folder")
        for q in reversed(missing):
            q.mkdir()
            self._made.append(q)

    def _take_lock(self) -> None:
        self._lock = FolderLock(self.path)
        try:
            self._lock.acquire("another run (pid {pid}) is writing to it; wait for it to finish "
                               "or choose another folder")
        except BusyError as e:
            self._lock = None
            raise self._fail(str(e)) from None

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _clean_stale(self) -> None:
        """Remove temporary folders of dead runs in the parent (this host's only); restore an old
        results folder of this target that a killed run renamed away but did not replace."""
        host = _host()
        try:
            entries = list(os.scandir(self.parent))
        except OSError:
            return
        for entry in entries:
            if entry.name.endswith(_LOCK_SUFFIX) and entry.name != self._lock.file.name:
                _remove_free_lock(Path(entry.path))
                continue
            m = _NAME.match(entry.name)
            if not m or m["host"] != host or _alive(int(m["pid"])):
                continue
            path = Path(entry.path)
            if m["role"] == "tmp":
                shutil.rmtree(path, ignore_errors=True)
            elif m["name"] == self.name:  # we hold this target's lock
                if not self.path.exists():
                    with contextlib.suppress(OSError):
                        os.rename(path, self.path)
                        continue
                shutil.rmtree(path, ignore_errors=True)

    def _check_replaceable(self) -> None:
        if not self.path.exists() or self.replaceable is None:
            return
        try:
            names = sorted(os.listdir(self.path))
        except OSError as e:
            raise self._fail(f"cannot read it ({_why(e)})") from None
        def ours(n: str) -> bool:
            p = self.path / n
            if p.is_symlink():
                return False
            return (n in self.replaceable and p.is_file()) or (n in self.folders and p.is_dir())

        foreign = [n for n in names if not ours(n)]
        if foreign:
            subs = f"; folders: {', '.join(sorted(self.folders))}" if self.folders else ""
            raise self._fail(
                f"holds {foreign[0]!r}, which is not a result file; allowed: a new path, an empty "
                "folder or a previous results folder (files: "
                f"{', '.join(sorted(self.replaceable))}{subs})")
