"""Reading input files and naming output paths safely (imports only `sim.limits`).

* `read_limited`: every loader reads its file through it. Only regular files are read (a FIFO,
  ``/dev/zero``, a socket or a folder is refused before anything is read, without blocking), the
  size is checked before reading and at most the limit is read (a file growing meanwhile cannot
  exhaust memory).
* `path_name`: a name that becomes a file or folder name (an experiment name, a label) must be
  one path component: no separators, not ``.`` or ``..``, no control characters, not empty, at
  most `sim.limits.MAX_NAME_CHARS` characters.
* `file_part`: a label (a town file path, a policy such as ``compaction:intensity=2``) as a safe
  part of a file name, for figures named after it.
* `no_dangling_link`: an output path that is a symbolic link pointing nowhere is refused
  instead of being followed (which would create its target somewhere else).

Errors are `FileReadError` / `PathNameError` (both `ValueError`) with a short reason; the caller
puts the file or field in front.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .limits import MAX_NAME_CHARS


class FileReadError(ValueError):
    """An input file that cannot be read (reason only; the caller names the file)."""


class PathNameError(ValueError):
    """A name that cannot become a file or folder name (reason only)."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def size_text(n: int) -> str:
    """1234 -> '1,234 bytes'; 5 MiB -> '5.0 MiB'."""
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular(path: str | os.PathLike[str]) -> int:
    """The size of ``path`` if it is a regular file (symbolic links followed); raise
    `FileReadError` otherwise. Does not open the file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileReadError("cannot read (no such file)") from None
    except OSError as exc:
        raise FileReadError(f"cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileReadError(f"is {_kind(st.st_mode)}; allowed: a regular file")
    return st.st_size


def read_limited(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them (see the module
    docstring); raise `FileReadError` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO without a writer returns at once
    except FileNotFoundError:
        raise FileReadError("cannot read (no such file)") from None
    except IsADirectoryError:
        raise FileReadError("is a folder; allowed: a regular file") from None
    except OSError as exc:
        raise FileReadError(f"cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileReadError(f"is {_kind(st.st_mode)}; allowed: a regular file")
        if st.st_size > max_bytes:
            raise FileReadError(f"file is {size_text(st.st_size)}; allowed: at most "
                                f"{size_text(max_bytes)}")
        chunks, n = [], 0
        while n <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - n))
            if not chunk:
                break
            chunks.append(chunk)
            n += len(chunk)
        if n > max_bytes:
            raise FileReadError(f"file is larger than {size_text(max_bytes)} (it grew while "
                                f"being read); allowed: at most {size_text(max_bytes)}")
        return b"".join(chunks)
    except OSError as exc:
        raise FileReadError(f"cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_text_limited(path: str | os.PathLike[str], max_bytes: int) -> str:
    """`read_limited` decoded as UTF-8 (a byte-order mark is dropped)."""
    raw = read_limited(path, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileReadError(f"not UTF-8 text (byte {exc.start})") from None


_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")


def path_name(name: object) -> str:
    """``name`` if it can be one file or folder name (see the module docstring); raise
    `PathNameError` with the reason otherwise."""
    if not isinstance(name, str):
        raise PathNameError(f"must be text, got {type(name).__name__}")
    if not name.strip():
        raise PathNameError("is empty")
    if name in (".", ".."):
        raise PathNameError(f"{name!r} names a folder itself; allowed: a plain name such as "
                            "'my_study'")
    bad = _BAD_CHARS.search(name)
    if bad:
        what = "a path separator" if bad.group() in "/\\" else "a control character"
        raise PathNameError(f"{_short(name)} contains {what} ({bad.group()!r}); allowed: one "
                            "name without / or \\ or control characters, e.g. 'my_study'")
    if name != name.strip():
        raise PathNameError(f"{_short(name)} starts or ends with a space")
    if len(name) > MAX_NAME_CHARS:
        raise PathNameError(f"is {len(name):,} characters long; allowed: at most "
                            f"{MAX_NAME_CHARS}")
    return name


def _short(s: str) -> str:
    r = repr(s)
    return r if len(r) <= 60 else r[:57] + "..."


def no_dangling_link(path: str | os.PathLike[str]) -> None:
    """Raise `PathNameError` if ``path`` or one of its parents is a symbolic link to nothing."""
    p = Path(os.path.abspath(path))
    for q in (p, *p.parents):
        if q.is_symlink() and not q.exists():
            raise PathNameError(f"{q} is a symbolic link to {os.readlink(q)}, which does not "
                                "exist; allowed: an existing folder, a new path or a link to an "
                                "existing folder")



_UNSAFE_PART = re.compile(r"[^A-Za-z0-9._=+-]+")


def file_part(label: object, max_chars: int = 60) -> str:
    """``label`` (a town, scenario or policy label, which may be a file path or hold any
    character) as a safe part of one file name: runs of other characters than letters, digits
    and ``. _ = + -`` become ``_``, no leading dot; when anything was changed or cut, 8 hex
    digits of the label's hash are added, so different labels never share a file."""
    import hashlib

    text = str(label)
    part = _UNSAFE_PART.sub("_", text).lstrip(".") or "_"
    if part == text and len(part) <= max_chars:
        return part
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{part[:max_chars]}-{digest}"
