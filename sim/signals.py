"""Ctrl-C and SIGTERM of the command line, and what they say about the results folder.

The console script installs one `Signals` object (`Signals.install`). Signals then raise
`KeyboardInterrupt` / `Terminated` so that ``finally`` blocks clean up; while the model runs they
are held to the end of the month (see `Signals`). A command that writes a results folder says
which one (`Signals.writing`), so the line printed on a signal says what state it is in; once
the folder is complete (`committed`, called by `sim.outdir.ResultsFolder.commit` while signals
are blocked), a later signal no longer stops the command: it finishes normally (exit 0) and
says that the signal came after the results were complete.

Imports nothing from the package.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks clean up."""


#: The installed `Signals` of the console script (None in the Python API and tests).
_active: Signals | None = None


class Signals:
    """Ctrl-C (SIGINT) and SIGTERM for the console script.

    During start-up they raise `KeyboardInterrupt` / `Terminated` at once. While the model runs
    they are held until the end of the month being simulated (`check`), because an exception
    raised inside numba's dispatcher (a kernel call or the kernel cache loading) can crash the
    interpreter; a second signal while one is held raises at once. After `finish` (the results
    are complete, or the command is done) signals are only recorded (`late`).
    """

    def __init__(self) -> None:
        self.holding = False
        self.pending: BaseException | None = None
        self.folder: Path | None = None  # the results folder being written
        self.finished: Path | bool | None = False  # the complete folder, or True when done
        self.late: str | None = None  # the signal received after `finish`

    def install(self) -> None:
        global _active
        signal.signal(signal.SIGINT, self.handler)
        signal.signal(signal.SIGTERM, self.handler)
        _active = self

    def handler(self, signum: int, frame: Any) -> None:
        if self.finished is not False:
            self.late = self.late or ("Ctrl-C" if signum == signal.SIGINT else "SIGTERM")
            return
        exc = KeyboardInterrupt() if signum == signal.SIGINT else Terminated()
        if self.holding and self.pending is None:
            self.pending = exc
            return
        # Remembered too: an exception raised inside a callback the interpreter ignores (an
        # import lock's weakref callback, a __del__) would otherwise be lost.
        self.pending = exc
        raise exc

    def hold(self, on: bool) -> None:
        """Start or stop holding signals; a signal already received is raised now."""
        self.holding = on
        if not on or self.pending is not None:
            self.check()

    def check(self) -> None:
        """Raise the held signal, if any (called between months)."""
        if self.pending is not None and self.finished is False:
            exc, self.pending, self.holding = self.pending, None, False
            raise exc

    def writing(self, folder: Path | str | None) -> None:
        """The command now writes ``folder`` (None: no folder any more)."""
        self.folder = Path(folder) if folder is not None else None

    def finish(self, folder: Path | None = None) -> None:
        """The results are complete (in ``folder``) or the command is done: from now on a
        signal is only recorded. A signal held but not yet raised counts as late."""
        if self.finished is False:
            self.finished = folder if folder is not None else True
        if self.pending is not None:
            self.late = self.late or ("Ctrl-C" if isinstance(self.pending, KeyboardInterrupt)
                                      else "SIGTERM")
            self.pending = None

    def failed(self) -> None:
        """The command failed and printed its own line (exit 1-3): a signal held meanwhile, or
        received from now on, is dropped (it would add a second line, and there are no
        complete results to speak of)."""
        self.finished = True
        self.pending = None
        self.late = None

    def stop_line(self, word: str) -> str:
        """The line for a signal that stopped the command (``word``: interrupted/terminated)."""
        if self.folder is not None:
            return (f"binnenstad: {word}; {self.folder}/ is unchanged (the run did not finish "
                    "and its temporary files were removed)")
        return f"binnenstad: {word}"

    def late_line(self) -> str | None:
        """The note for a signal received after `finish`, or None."""
        if self.late is None:
            return None
        where = (f" in {self.finished}/" if isinstance(self.finished, Path) else "")
        return (f"binnenstad: note: {self.late} received after the command had finished; the "
                f"results{where} are complete")


def active() -> Signals | None:
    """The console script's `Signals`, if installed."""
    return _active


def committed(folder: Path) -> None:
    """Called by `sim.outdir.ResultsFolder.commit` once ``folder`` holds the new results (with
    signals blocked): a signal from now on does not stop the command."""
    if _active is not None:
        _active.finish(folder)
