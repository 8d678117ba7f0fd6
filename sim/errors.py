"""One-line errors and notes of the command line, and its exit codes.

Every command reports a user mistake with `fail`: ONE line ``binnenstad: error: <message>`` on
stderr and exit code 2. Messages go through `one_line`: whitespace (newlines included) collapses
to single spaces, control characters (terminal escapes, bidirectional overrides) are shown as
``\\xNN`` escapes instead of being sent to the terminal, and a message longer than
`sim.limits.MAX_MESSAGE_CHARS` is shortened in the middle, keeping its start (the file, option
or field) and its end (the allowed values).

This module imports only `sim.limits` (which imports nothing), so the command modules
(`sim.cli`, `sim.batch.cli`, `sim.report.cli`, ...) share it without importing one another.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NoReturn

from .limits import MAX_MESSAGE_CHARS

#: Exit codes: finished with failed runs, usage or input error, violated invariant (a model
#: defect), Ctrl-C, SIGTERM.
EXIT_FAILED_RUNS, EXIT_USAGE, EXIT_INVARIANT = 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

# C0 and C1 control characters other than whitespace, DEL, and the Unicode controls that
# reorder or hide text on a terminal (bidirectional embeddings, overrides and isolates).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[\s\u2028\u2029]+")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def one_line(message: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``message`` as one clean line of at most ``limit`` characters (see the module
    docstring)."""
    text = str(message)
    if len(text) > 4 * limit:  # do not clean a million characters only to cut them
        text = text[: 3 * limit] + " " + text[-limit:]
    text = _SPACE.sub(" ", _CONTROL.sub(_escape, text)).strip()
    if len(text) <= limit:
        return text
    tail = limit // 4
    cut = " [...] "
    return text[: limit - tail - len(cut)].rstrip() + cut + text[-tail:].lstrip()


def error_line(message: object) -> str:
    """The line a command prints for a user mistake."""
    return f"binnenstad: error: {one_line(message)}"


def fail(message: object, code: int = EXIT_USAGE) -> NoReturn:
    """Print `error_line` to stderr and end the command with ``code`` (default 2)."""
    import typer

    print(error_line(message), file=sys.stderr)
    raise typer.Exit(code)


def note(message: object) -> None:
    """A one-line note on stderr (``note: ...``)."""
    print(f"note: {one_line(message)}", file=sys.stderr)


def stopped(what: str, folder: Path | str | None, code: int = EXIT_INTERRUPTED) -> NoReturn:
    """Ctrl-C (130) or SIGTERM (143) in a resumable command: one line saying what is kept in
    ``folder``, then end with ``code`` (as `SystemExit`, which the command group passes on
    without adding a line of its own)."""
    word = "terminated" if code == EXIT_TERMINATED else "interrupted"
    kept = (f"; finished {what} are kept in {folder}/; run the same command again to resume"
            if folder else "")
    print(one_line(f"binnenstad: {word}{kept}"), file=sys.stderr)
    raise SystemExit(code) from None
