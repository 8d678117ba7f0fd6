"""The burn-in once per centre: copies of a settled model, and a cache of them keyed by content.

Every policy of one (town, scenario, start year, seed, backend) starts from the same state: the
set-up and the burn-in do not depend on the levers (levers never act during the burn-in, and
random streams are a pure function of the root seed, the stream's name and the month,
`sim.rng`). `CityCentreModel.settled` stops a model there, before its levers are attached and
before the spin-up to the start year (levers act in the spin-up from their ``start``);
`Settled` keeps it as one pickled snapshot and `Settled.fork` starts a policy from a fresh copy
of it, bit-identical to building that policy's model from scratch (tests/test_fork.py).

A snapshot is the model pickled whole (numpy arrays, agents, the calendar, the ledger, the live
random generators), except

- the kernels and the BLAS thread controller, which hold compiled code and library handles: a
  copy shares the original's (they keep no state of a run);
- Mesa's own event schedule, which refers to the model by weak reference (a copy would step
  the original): the copy gets a new one, as `mesa.Model.__init__` makes it (the settled model
  has taken no Mesa step yet, so nothing else is scheduled).

`StateCache` keeps the snapshots of the last few keys in memory and, if given a folder, on disk
up to a size limit (least recently used out first), keyed by a hash of the content of the town
and the scenario, the start year, seed, backend and the model's code (`code_fingerprint`): a
changed source file, parameter or town is a different key, never a stale state.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import types
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .kernels import Kernels
    from .model import CityCentreModel
    from .scenarios.loader import CentreScenario
    from .town import Town

#: Environment variable: the snapshot cache folder of sweeps (unset: in memory only).
CACHE_ENV = "BINNENSTAD_STATE_CACHE"
#: Environment variable: the disk cache's size limit in MiB (default `DEFAULT_CACHE_MIB`).
CACHE_LIMIT_ENV = "BINNENSTAD_STATE_CACHE_MIB"
DEFAULT_CACHE_MIB = 2048
#: Snapshot format; part of every key.
FORMAT = 1


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, model: CityCentreModel) -> None:
        super().__init__(file, protocol=5)
        self._tokens = {id(model.kernels): f"kernels:{model.kernels.backend}",
                        id(model._blas): "blas", id(model._default_schedule): "mesa",
                        id(model._event_list): "mesa"}

    def persistent_id(self, obj: Any) -> str | None:
        return self._tokens.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, kernels: Kernels | None, blas: Any) -> None:
        super().__init__(file)
        self._shared = {"kernels": kernels, "blas": blas, "mesa": None}

    def persistent_load(self, pid: str) -> Any:
        name, _, backend = pid.partition(":")
        if name == "kernels" and self._shared["kernels"] is None:
            from .kernels import Kernels

            self._shared["kernels"] = Kernels(backend)
        return self._shared[name]


def snapshot(model: CityCentreModel) -> bytes:
    """The settled ``model`` pickled (see the module docstring)."""
    if not model.is_settled:
        raise ValueError("only a settled model (CityCentreModel.settled) can be copied")
    if model.municipality.policies:
        raise ValueError("a settled model has no levers attached")
    if model.steps or model.time:
        raise ValueError("a model that has taken Mesa steps cannot be copied")
    buf = io.BytesIO()
    _Pickler(buf, model).dump(model)
    return buf.getvalue()


def restore(blob: bytes, kernels: Kernels | None = None, blas: Any = None) -> CityCentreModel:
    """A new model from ``blob`` (`snapshot`), sharing ``kernels`` and the BLAS controller
    ``blas`` (new ones if not given)."""
    from mesa.time.events import EventGenerator, EventList, Priority, Schedule

    from .threads import blas_controller

    m = _Unpickler(io.BytesIO(blob), kernels, blas).load()
    if m._blas is None:
        m._blas = blas_controller()
    # Mesa's schedule, as `mesa.Model.__init__` makes it (it refers to its model weakly).
    m._event_list = EventList()
    m._event_generators = set()
    m._user_step = types.MethodType(type(m).step, m)
    m._default_schedule = EventGenerator(m, m._do_step, Schedule(interval=1.0, start=1.0),
                                         priority=Priority.HIGH).start()
    m.step = m._wrapped_step
    return m


def copy_model(model: CityCentreModel) -> CityCentreModel:
    """A copy of the settled ``model`` that shares nothing of its state with it."""
    return restore(snapshot(model), model.kernels, model._blas)


class Settled:
    """A settled model as a snapshot, to start many policies from.

    Args:
        model: a `CityCentreModel.settled` model (it is not changed).
        key: its content key (`state_key`), if known.
    """

    def __init__(self, model: CityCentreModel | None = None, *, blob: bytes | None = None,
                 key: str | None = None) -> None:
        if (model is None) == (blob is None):
            raise ValueError("give a settled model or a snapshot, not both")
        self.blob = snapshot(model) if model is not None else blob
        self.key = key
        self._kernels = model.kernels if model is not None else None
        self._blas = model._blas if model is not None else None
        self._spun: bytes | None = None  # the state after a spin-up without levers

    @property
    def nbytes(self) -> int:
        return len(self.blob)

    def model(self) -> CityCentreModel:
        """A fresh copy of the settled model (still settled)."""
        m = restore(self.blob, self._kernels, self._blas)
        self._kernels, self._blas = m.kernels, m._blas
        return m

    def fork(self, policies: list[Any] | None = None) -> CityCentreModel:
        """A model with ``policies`` continuing a copy of the settled state (as
        `CityCentreModel.fork`)."""
        from .model_args import own_levers

        levers = own_levers(policies)
        m = self.model()
        cal = m.calendar
        if cal.spin_up_months and not any(acts_in_spin_up(lever, cal) for lever in levers):
            # No lever acts before the start year: the spin-up is the same for all of them.
            if self._spun is None:
                m._spin_up()
                self._spun = snapshot(m)
            else:
                m = restore(self._spun, self._kernels, self._blas)
        m._begin(levers)
        return m


def acts_in_spin_up(lever: Any, calendar: Any) -> bool:
    """Whether ``lever`` is active in any month of the spin-up (the months from the burn-in
    year to the start year), by the rule of `Lever.active` on each month's ``year_f``."""
    if not lever.intensity > 0:
        return False
    origin = calendar.origin_year
    return any(origin + k / 12.0 >= lever.start for k in range(calendar.spin_up_months))


# ---------------------------------------------------------------------------------- content keys
def _feed(h: Any, obj: Any) -> None:
    """Feed a stable encoding of ``obj`` into hash ``h`` (arrays by dtype, shape and bytes)."""
    if isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"nd{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    elif is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc{type(obj).__qualname__}".encode())
        for f in fields(obj):
            h.update(f.name.encode())
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(f"d{len(obj)}".encode())
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
    elif isinstance(obj, list | tuple):
        h.update(f"l{len(obj)}".encode())
        for x in obj:
            _feed(h, x)
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif obj is None or isinstance(obj, bool | int | float | str | bytes):
        h.update(f"{type(obj).__name__}:{obj!r}".encode())
    else:
        raise TypeError(f"cannot key {type(obj).__name__}")


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """A hash of the model's source and data files (``sim/``) and of the numerical libraries'
    versions: a snapshot made by other code is never used."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from .provenance import package_versions

        root = Path(__file__).parent
        h = hashlib.sha256()
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in (".py", ".toml", ".json", ".csv", ".geojson"):
                h.update(str(p.relative_to(root)).encode())
                h.update(p.read_bytes())
        h.update(json.dumps(package_versions(("numpy", "numba", "scipy", "mesa")),
                            sort_keys=True).encode())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def state_key(town: Town, scenario: CentreScenario, start_year: int | None, seed: int,
              backend: str = "numba", burn_in: bool = True) -> str:
    """The content key of the settled state of a run (hex digest): the town's and the
    scenario's content, the start year (the scenario's own if None), the seed, the backend, the
    burn-in switch, the snapshot format and `code_fingerprint`."""
    h = hashlib.sha256()
    start = scenario.start_year if start_year is None else start_year
    _feed(h, ["binnenstad-settled", FORMAT, code_fingerprint(), town,
              scenario.fields(), int(start), int(seed), backend, bool(burn_in)])
    return h.hexdigest()


# ---------------------------------------------------------------------------------- the cache
class StateCache:
    """Settled states by content key: the last ``memory`` in this process and, with ``folder``,
    on disk up to ``limit_mib`` (least recently used first out; one file per key, written
    atomically, so processes may share a folder).

    Args:
        folder: disk cache folder (None: memory only; default from ``$BINNENSTAD_STATE_CACHE``).
        limit_mib: disk size limit (default ``$BINNENSTAD_STATE_CACHE_MIB`` or 2048).
        memory: how many states to keep in memory.
    """

    def __init__(self, folder: str | Path | None = None, limit_mib: float | None = None,
                 memory: int = 2) -> None:
        folder = folder if folder is not None else os.environ.get(CACHE_ENV) or None
        self.folder = Path(folder) if folder is not None else None
        if limit_mib is None:
            limit_mib = float(os.environ.get(CACHE_LIMIT_ENV, DEFAULT_CACHE_MIB))
        self.limit_bytes = int(limit_mib * 2**20)
        self.memory = int(memory)
        self._mem: OrderedDict[str, Settled] = OrderedDict()
        #: what happened per request: computed, from memory, from disk
        self.counts = {"computed": 0, "memory": 0, "disk": 0}

    def get(self, town: Town, scenario: CentreScenario, start_year: int | None, seed: int,
            backend: str = "numba") -> Settled:
        """The settled state of (town, scenario, start year, seed, backend), computed once."""
        from .model import CityCentreModel

        key = state_key(town, scenario, start_year, seed, backend)
        if key in self._mem:
            self._mem.move_to_end(key)
            self.counts["memory"] += 1
            return self._mem[key]
        state = self._read(key)
        if state is not None:
            self.counts["disk"] += 1
        else:
            model = CityCentreModel.settled(town, scenario, start_year, rng=seed,
                                            backend=backend)
            state = Settled(model, key=key)
            self.counts["computed"] += 1
            self._write(state)
        self._mem[key] = state
        while len(self._mem) > max(self.memory, 0):
            self._mem.popitem(last=False)
        return state

    # -------------------------------------------------------------- disk
    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.settled"

    def _read(self, key: str) -> Settled | None:
        if self.folder is None:
            return None
        p = self._path(key)
        try:
            data = p.read_bytes()
        except OSError:
            return None
        digest, blob = data[:32], data[32:]
        if hashlib.sha256(blob).digest() != digest:  # cut short or damaged: not a state
            with contextlib.suppress(OSError):
                p.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(p)  # recently used
        return Settled(blob=blob, key=key)

    def _write(self, state: Settled) -> None:
        if self.folder is None or state.nbytes + 32 > self.limit_bytes:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            p = self._path(state.key)
            tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
            tmp.write_bytes(hashlib.sha256(state.blob).digest() + state.blob)
            os.replace(tmp, p)
            self._trim()
        except OSError:
            pass  # a cache that cannot be written is no cache; the run goes on

    def _trim(self) -> None:
        files = []
        for p in self.folder.glob("*.settled"):
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(s for _, s, _ in files)
        for _, size, p in sorted(files):
            if total <= self.limit_bytes:
                break
            try:
                p.unlink()
                total -= size
            except OSError:
                pass
