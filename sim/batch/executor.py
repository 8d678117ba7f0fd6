"""The executor seam: one interface, three back ends.

An `Executor` takes a function and tasks and yields ``(task, result)`` pairs as tasks finish, in
any order; ``result`` is the function's return value or the exception that escaped it (for
example `WorkerDied`). Back ends:

* `SequentialExecutor`: in this process, one task after another (``workers=1``; notebooks).
* `ProcessExecutor`: a local pool of worker processes (``forkserver`` context where available,
  else ``spawn``; each worker has the model imported and loads its numba kernels once, in the
  pool initializer, then runs many tasks). If a
  worker process dies (killed, out of memory), the pool is rebuilt and the tasks that were in
  flight are retried one at a time, so a task that kills its worker is caught and reported
  without taking innocent tasks with it.
* `DaskExecutor`: a Dask distributed cluster (``--scheduler tcp://HOST:PORT``); the scheduler
  retries tasks of lost workers itself. Workers must share the results folder (a shared file
  system, as on a cluster with a network home or scratch disk).

`make_executor` picks one from ``workers`` / ``scheduler``.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..limits import MAX_TIMEOUT_S, MAX_WORKERS

#: Pool rebuilds before any task finished after which the sweep gives up (workers that die on
#: start-up, e.g. a script without an ``if __name__ == "__main__":`` guard).
MAX_BREAKS_IN_A_ROW = 4


class ExecutorError(ValueError):
    """The executor cannot start (bad address, unreachable scheduler); one-line message."""


class WorkerDied(RuntimeError):
    """The worker process running a task died (killed by a signal, out of memory)."""


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor(ABC):
    """Runs ``fn(task)`` for many tasks; see the module docstring."""

    #: number of tasks it runs at the same time
    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]
                      ) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, result or exception)`` as tasks finish."""

    def close(self) -> None:  # noqa: B027 - optional hook; most back ends hold nothing
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SequentialExecutor(Executor):
    """Runs every task in this process, in order."""

    workers = 1

    def map_unordered(self, fn, tasks):
        for task in tasks:
            try:
                yield task, fn(task)
            except Exception as exc:
                yield task, exc


def _alive(pid: int) -> bool:
    """Is process ``pid`` running (not gone, not a zombie)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: trust kill(pid, 0)


def _exit_with_sweep(sweep_pid: int, period_s: float = 0.5) -> None:
    """Daemon thread body: end this worker process when the sweep's process is gone, so a
    SIGKILLed sweep leaves no workers behind (their runs in flight are lost, never half-written).
    The worker's parent may be a forkserver, which lives as long as its workers, so the sweep's
    own pid is watched."""
    while True:
        time.sleep(period_s)
        if not _alive(sweep_pid):
            os._exit(70)


def _init_worker(sweep_pid: int, initializer: Callable[[], None] | None) -> None:
    threading.Thread(target=_exit_with_sweep, args=(sweep_pid,), daemon=True,
                     name="exit-with-sweep").start()
    if initializer is not None:
        initializer()


class ProcessExecutor(Executor):
    """A local process pool (see the module docstring).

    Args:
        workers: number of worker processes.
        initializer: run once in every worker process (e.g. `sim.batch.worker.warm_up`).
        context: multiprocessing start method. Default: ``forkserver`` where available (a clean
            server process imports ``preload`` once and forks every worker from it, so N
            workers do not each pay the import), else ``spawn``. Never plain ``fork``: the
            sweep's process runs threads (progress bar, numba) that must not be forked.
        preload: modules the forkserver imports before forking workers.
    """

    def __init__(self, workers: int, initializer: Callable[[], None] | None = None,
                 context: str | None = None,
                 preload: tuple[str, ...] = ("sim.batch.worker",)) -> None:
        self.workers = check_workers(workers)
        self._initializer = initializer
        if context is None:
            context = ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                       else "spawn")
        self._ctx = multiprocessing.get_context(context)
        if context == "forkserver":
            self._ctx.set_forkserver_preload(list(preload))
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self._ctx,
                                   initializer=_init_worker,
                                   initargs=(os.getpid(), self._initializer))

    def map_unordered(self, fn, tasks):
        queue = list(tasks)[::-1]  # pop() from the end = original order
        suspects: list[Any] = []   # in flight when a worker died: retried one at a time
        in_flight: dict[Future, Any] = {}
        # A short queue per worker hides the hand-over latency; it also bounds how many
        # tasks a dying worker can take with it.
        window = 2 * self.workers
        breaks = 0  # pool breaks so far
        finished_any = False
        self._pool = self._pool or self._new_pool()
        while queue or suspects or in_flight:
            isolating = bool(suspects)
            broken: list[Any] = []
            submit_failed = False
            while (suspects and not in_flight) or (not isolating and queue
                                                   and len(in_flight) < window):
                task = suspects.pop() if isolating else queue.pop()
                try:
                    in_flight[self._pool.submit(fn, task)] = task
                except BrokenProcessPool:  # a worker died since the last wait
                    (suspects if isolating else queue).append(task)
                    submit_failed = True
                    break
                if isolating:
                    break
            if not submit_failed:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = in_flight.pop(fut)
                    exc = fut.exception()
                    if isinstance(exc, BrokenProcessPool):
                        broken.append(task)
                    elif exc is not None:
                        yield task, exc
                    else:
                        finished_any = True
                        yield task, fut.result()
            if not (broken or submit_failed):
                continue
            breaks += 1
            if not finished_any and breaks > MAX_BREAKS_IN_A_ROW:
                raise ExecutorError(
                    f"worker processes keep dying ({breaks} times without finishing a run); in "
                    "a script, guard the sweep with if __name__ == '__main__':")
            broken += list(in_flight.values())
            in_flight.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            if isolating and broken:  # the lone task killed its worker: it is the culprit
                for task in broken:
                    yield task, WorkerDied("the worker process died while running this run "
                                           "(killed, or out of memory)")
            else:
                suspects.extend(broken)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster.

    Args:
        address: scheduler address, e.g. ``tcp://10.0.0.5:8786``.
        timeout: seconds to wait for the scheduler before giving up.
    """

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        timeout = check_timeout(timeout)
        host, port = parse_address(address)
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError("--scheduler needs Dask distributed: pip install "
                                "'binnenstad[dask]'") from None
        _reach(address, host, port, timeout)  # refused or unresolvable: one line, no Client
        _quiet_client_destructor()
        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise ExecutorError(f"cannot reach the Dask scheduler at {address} ({reason})"
                                ) from None
        info = self._client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))

    def map_unordered(self, fn, tasks):
        from distributed import as_completed

        futures = {}
        for task in tasks:
            fut = self._client.submit(fn, task, pure=False)
            futures[fut] = task
        for fut in as_completed(futures, loop=self._client.loop):
            task = futures.pop(fut)
            try:
                yield task, fut.result()
            except Exception as exc:
                yield task, exc
            finally:
                fut.release()

    def close(self) -> None:
        self._client.close()


#: Schemes of ``--scheduler`` addresses (Dask's TCP, TLS and websocket transports).
SCHEMES = ("tcp", "tls", "ws", "wss")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))$")


def parse_address(address: object) -> tuple[str, int]:
    """``(host, port)`` of a scheduler address ``SCHEME://HOST:PORT``; `ExecutorError` naming
    what is wrong otherwise (checked before any connection is tried)."""
    allowed = (f"allowed: {'|'.join(SCHEMES)}://HOST:PORT with PORT 1-65535, e.g. "
               "tcp://10.0.0.5:8786")
    if not isinstance(address, str):
        raise ExecutorError(f"--scheduler must be an address; {allowed}")
    shown = address if len(address) <= 80 else address[:77] + "..."
    scheme, sep, rest = address.partition("://")
    if not sep:
        raise ExecutorError(f"--scheduler {shown!r} is not an address; {allowed}")
    if scheme not in SCHEMES:
        raise ExecutorError(f"--scheduler {shown!r}: unknown scheme {scheme[:20]!r}; {allowed}")
    host, colon, port = rest.rpartition(":")
    if not colon or not host:
        raise ExecutorError(f"--scheduler {shown!r}: needs HOST:PORT; {allowed}")
    if not _HOST.match(host):
        raise ExecutorError(f"--scheduler {shown!r}: {host[:60]!r} is not a host name or IP "
                            f"address (IPv6 in brackets, [::1]); {allowed}")
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and 1 <= int(port) <= 65535):
        raise ExecutorError(f"--scheduler {shown!r}: port {port[:20]!r} is not a number from 1 "
                            f"to 65535; {allowed}")
    return host.strip("[]"), int(port)


def check_timeout(timeout: object) -> float:
    """``--timeout``: seconds, more than 0 and at most `MAX_TIMEOUT_S`."""
    ok = isinstance(timeout, int | float) and not isinstance(timeout, bool) and (
        math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT_S)
    if not ok:
        raise ExecutorError(f"--timeout must be a number of seconds more than 0 and at most "
                            f"{MAX_TIMEOUT_S:g}, got {str(timeout)[:30]}")
    return float(timeout)


def check_workers(workers: object) -> int:
    """``--workers``: a whole number from 1 to `MAX_WORKERS`."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not (
            1 <= workers <= MAX_WORKERS):
        raise ExecutorError(f"--workers must be a whole number from 1 to {MAX_WORKERS}, got "
                            f"{str(workers)[:30]}")
    return workers


def _reach(address: str, host: str, port: int, timeout: float) -> None:
    """Try a plain connection first, so an unknown host or a closed port is one clear line
    (and no half-made Dask client is left to complain when it is collected)."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        why = exc.strerror or (f"no answer within {timeout:g} s" if isinstance(
            exc, TimeoutError) else type(exc).__name__)
        raise ExecutorError(f"cannot reach the Dask scheduler at {address} ({why}); is it "
                            "running, and is the address right?") from None


def _quiet_client_destructor() -> None:
    """A Dask client that failed to connect complains from its destructor ("Exception ignored
    in Client.__del__", a traceback on stderr) when it is collected; drop those reports."""
    if getattr(sys.unraisablehook, "_binnenstad", False):
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if "Client.__del__" in getattr(unraisable.object, "__qualname__", ""):
            return
        previous(unraisable)

    hook._binnenstad = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  initializer: Callable[[], None] | None = None,
                  timeout: float = 10.0) -> Executor:
    """``scheduler`` -> `DaskExecutor`; ``workers`` 1 -> `SequentialExecutor`; otherwise a
    `ProcessExecutor` with ``workers`` (default: every available core) processes."""
    timeout = check_timeout(timeout)
    if scheduler is not None:
        if workers is not None:
            raise ExecutorError("give --workers or --scheduler, not both")
        return DaskExecutor(scheduler, timeout=timeout)
    n = min(available_cores(), MAX_WORKERS) if workers is None else check_workers(workers)
    if n == 1:
        return SequentialExecutor()
    return ProcessExecutor(n, initializer=initializer)
