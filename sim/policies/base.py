"""`Lever`: the shared base of every policy lever.

A lever declares its settings in a typed spec (`Setting`), so that ``name:key=value`` strings from
the command line become typed values and every mistake (unknown key, wrong type, out of range, a
value not in a list) is one line naming the lever, the key and what is allowed.

Every lever has three common settings:

- ``intensity`` (float >= 0, default 1): scales the lever's effects; 0 switches it off.
- ``start`` (year, default 2015): the lever acts from January of this year (or from the run start
  if that is later).
- ``area`` (core, aanloop, fringe, outside_core, all): where the lever acts; each lever has its
  own default.

A lever changes the model through one interface, its `apply(model)`, which the `Municipality`
calls at the start of every month: it sets `sim.params.Params` attributes and ``Params.extra``
rule switches (always combining with what is already there, multiplicatively or additively, so
levers compose) and makes the municipality's discrete decisions (conversions, forced lettings).
Parameter changes are remembered on the lever (`_scale`, `_shift`), so applying a lever again in
the next month does not compound its effect.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..functions import ZONE_NAMES, Zone
from ..scenarios.schema import ENTRANT_TYPES
from . import POLICIES, PolicyError

if TYPE_CHECKING:
    from ..model import CityCentreModel

#: Values of the common ``area`` setting.
AREAS = (*ZONE_NAMES, "outside_core", "all")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Setting:
    """One lever setting: its type (``float``, ``int``, ``bool`` or ``choice``), default, allowed
    range or choices, and a one-line meaning."""

    kind: str
    default: Any
    doc: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "bool":
            return "true, false"
        word = "a whole number" if self.kind == "int" else "a number"
        if self.lo is not None and self.hi is not None:
            return f"{word} from {_fmt(self.lo)} to {_fmt(self.hi)}"
        if self.lo is not None:
            return f"{word} >= {_fmt(self.lo)}"
        if self.hi is not None:
            return f"{word} <= {_fmt(self.hi)}"
        return word


def _fmt(x: float) -> str:
    return f"{x:g}"


COMMON_SETTINGS: dict[str, Setting] = {
    "intensity": Setting("float", 1.0, "scales the lever's effects; 0 switches it off", lo=0.0,
                         hi=10.0),
    "start": Setting("float", 2015.0, "first year (January) in which the lever acts",
                     lo=1900.0, hi=2200.0),
    "area": Setting("choice", "all", "where the lever acts", choices=AREAS),
}


class Lever:
    """Base class of the policy levers (see the module docstring)."""

    #: registry name, e.g. ``"compaction"``
    name: ClassVar[str] = ""
    #: default of the common ``area`` setting for this lever
    default_area: ClassVar[str] = "all"
    #: the lever's own settings (in addition to `COMMON_SETTINGS`)
    settings: ClassVar[dict[str, Setting]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            POLICIES[cls.name] = cls

    # ------------------------------------------------------------------ settings
    @classmethod
    def spec(cls) -> dict[str, Setting]:
        """All settings of this lever: the common ones (with its own area default) and its own."""
        common = dict(COMMON_SETTINGS)
        common["area"] = Setting("choice", cls.default_area, COMMON_SETTINGS["area"].doc,
                                 choices=AREAS)
        return {**common, **cls.settings}

    def __init__(self, **values: Any) -> None:
        spec = self.spec()
        for key, value in values.items():
            if key not in spec:
                raise PolicyError(f"policy {self.name!r}: unknown setting {key!r}; allowed: "
                                  f"{', '.join(spec)}")
            values[key] = self._check(key, spec[key], value)
        self.values: dict[str, Any] = {k: values.get(k, s.default) for k, s in spec.items()}
        for key, value in self.values.items():
            setattr(self, key, value)
        self._reset_state()
        self._model_ref: Any = None

    @classmethod
    def from_settings(cls, raw: dict[str, str]) -> Lever:
        """Build the lever from ``{key: string value}`` (parsed from ``name:key=value,...``)."""
        spec = cls.spec()
        typed: dict[str, Any] = {}
        for key, text in raw.items():
            if key not in spec:
                raise PolicyError(f"policy {cls.name!r}: unknown setting {key!r}; allowed: "
                                  f"{', '.join(spec)}")
            typed[key] = cls._check(key, spec[key], cls._convert(key, spec[key], text), text)
        return cls(**typed)

    @classmethod
    def _convert(cls, key: str, s: Setting, text: str) -> Any:
        t = text.strip()
        bad = PolicyError(f"policy {cls.name!r}: {key} {text!r} is not valid; allowed: "
                          f"{s.allowed()}")
        if s.kind == "choice":
            return t.lower()
        if s.kind == "bool":
            if t.lower() in _TRUE:
                return True
            if t.lower() in _FALSE:
                return False
            raise bad
        try:
            v = float(t)
        except ValueError:
            raise bad from None
        if s.kind == "int":
            if not v.is_integer():
                raise bad
            return int(v)
        return v

    @classmethod
    def _check(cls, key: str, s: Setting, value: Any, text: str | None = None) -> Any:
        """Validate a typed value against its setting; return it normalised. ``text`` is the
        value as the user wrote it (for messages)."""
        shown = repr(text) if text is not None else repr(value)
        if s.kind == "choice":
            if not isinstance(value, str) or value.lower() not in s.choices:
                raise PolicyError(f"policy {cls.name!r}: {key} {shown} not allowed; allowed: "
                                  f"{s.allowed()}")
            return value.lower()
        if s.kind == "bool":
            if not isinstance(value, bool | np.bool_):
                raise PolicyError(f"policy {cls.name!r}: {key} {shown} is not valid; "
                                  f"allowed: {s.allowed()}")
            return bool(value)
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer |
                                                      np.floating):
            raise PolicyError(f"policy {cls.name!r}: {key} {shown} is not valid; allowed: "
                              f"{s.allowed()}")
        if not math.isfinite(float(value)) or (s.kind == "int" and not float(value).is_integer()):
            raise PolicyError(f"policy {cls.name!r}: {key} {shown} is not valid; allowed: "
                              f"{s.allowed()}")
        v = int(value) if s.kind == "int" else float(value)
        if (s.lo is not None and v < s.lo) or (s.hi is not None and v > s.hi):
            raise PolicyError(f"policy {cls.name!r}: {key} {shown} out of range; allowed: "
                              f"{s.allowed()}")
        return v

    def __getstate__(self) -> dict[str, Any]:
        # The link to the model is a weak reference (not picklable); a lever restored from a
        # pickle (e.g. with its model) adopts the next model it is applied to.
        state = self.__dict__.copy()
        state["_model_ref"] = None
        return state

    def __repr__(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.name}:{args}"

    # ------------------------------------------------------------------ monthly application
    def apply(self, model: CityCentreModel) -> None:
        """Called by the `Municipality` at the start of every month."""
        if self._model_ref is not None and self._model_ref() is not model:
            # A lever object reused for another run starts afresh.
            self._reset_state()
        self._model_ref = weakref.ref(model)
        if model.year_f < self.start or self.intensity <= 0:
            return
        self.act(model)

    def act(self, model: CityCentreModel) -> None:
        """The lever's monthly action (once it is active)."""
        raise NotImplementedError

    def _reset_state(self) -> None:
        """Forget what the lever did to a model (called for a new model)."""
        self._applied: dict[tuple[str, str], Any] = {}
        self.reset()

    def reset(self) -> None:
        """Subclasses reset their own per-run state here."""

    # ------------------------------------------------------------------ helpers
    def area_mask(self, model: CityCentreModel, area: str | None = None) -> np.ndarray:
        """Units in the lever's area (bool over units)."""
        return zone_mask(model.units.zone, area or self.area)

    def node_area_mask(self, model: CityCentreModel, area: str | None = None) -> np.ndarray:
        """Street nodes in the lever's area (bool over nodes)."""
        return zone_mask(model.town.node_zone, area or self.area)

    def _combine(self, model: CityCentreModel, key: str, value: Any, *, extra: bool,
                 default: Any, additive: bool) -> None:
        container = model.p.extra if extra else model.p.__dict__
        current = self._base(model, key, extra=extra, default=default, additive=additive)
        new = current + value if additive else current * value
        if isinstance(current, np.ndarray) and current.dtype.kind == "f":
            new = np.asarray(new, dtype=current.dtype)
        container[key] = new
        self._applied[("extra" if extra else "attr", key)] = (
            np.array(value, dtype=float) if isinstance(value, np.ndarray) else value)

    def _base(self, model: CityCentreModel, key: str, *, extra: bool = True, default: Any = 1.0,
              additive: bool = False) -> Any:
        """The current value of ``key`` without this lever's own contribution of last month
        (every lever and scenario mechanism takes out its own last contribution before putting
        in the new one, so contributions compose in any order)."""
        container = model.p.extra if extra else model.p.__dict__
        current = container.get(key, default)
        prev = self._applied.get(("extra" if extra else "attr", key))
        if prev is not None:
            current = current - prev if additive else current / prev
        return current

    def _boost_entrants(self, model: CityCentreModel, weights: dict[str, float]) -> None:
        """More arrivals of some entrant types (``{type: factor}``) while the other types keep
        their arrival rate: the type mix is reweighted and the total rate rises to match."""
        w = np.array([weights.get(k, 1.0) for k in ENTRANT_TYPES])
        mix = np.asarray(self._base(model, "entrant_mix", extra=False), dtype=float)
        ratio = float((mix * w).sum() / mix.sum()) if mix.sum() > 0 else 1.0
        self._scale(model, "entrant_mix", w, extra=False)
        self._scale(model, "entrant_factor", ratio)

    def _scale(self, model: CityCentreModel, key: str, factor: Any, *, extra: bool = True,
               default: Any = 1.0) -> None:
        """Multiply ``p.extra[key]`` (or the attribute ``p.key``) by ``factor`` (scalar or array)
        without compounding over months; factors are kept above zero so they can be undone."""
        factor = np.maximum(np.asarray(factor, dtype=float), 1e-6)
        if factor.ndim == 0:
            factor = float(factor)
        self._combine(model, key, factor, extra=extra, default=default, additive=False)

    def _shift(self, model: CityCentreModel, key: str, delta: Any, *, extra: bool = True,
               default: Any = 0.0) -> None:
        """Add ``delta`` to ``p.extra[key]`` (or the attribute ``p.key``) without compounding."""
        self._combine(model, key, delta, extra=extra, default=default, additive=True)


def zone_mask(zone: np.ndarray, area: str) -> np.ndarray:
    """Bool mask of ``zone`` codes in ``area`` (a zone name, ``outside_core`` or ``all``)."""
    if area == "all":
        return np.ones(len(zone), dtype=bool)
    if area == "outside_core":
        return zone != Zone.CORE
    return zone == ZONE_NAMES.index(area)


def tenant_branches(kinds: tuple[str, ...]) -> np.ndarray:
    """Branch codes the given entrant types may open (see `sim.agents.entrepreneur.BRANCHES`)."""
    from ..agents.entrepreneur import BRANCHES

    codes = sorted({int(b) for k in kinds for b in BRANCHES[k]})
    return np.array(codes, dtype=np.int64)


def let_vacant_unit(model: CityCentreModel, unit: int, branches: np.ndarray,
                    rng: np.random.Generator, *, threshold: float, popup: bool = False,
                    cap_rent: bool = True) -> int | None:
    """The municipality (or its matchmaker) brings a tenant to vacant ``unit``: a candidate
    entrant with a random cost efficiency picks the best of ``branches``; the owner accepts the
    market rent if ``cap_rent``. The tenant signs only if its expected margin reaches
    ``threshold``. Returns the branch opened, or None."""
    u, p = model.units, model.p
    if not (u.vacant[unit] and u.eligible[unit] and lettable(model)[unit]):
        return None
    cost = float(np.exp(rng.normal(0.0, p.entrant_cost_sd)))
    if cap_rent:
        u.asking_rent[unit] = min(u.asking_rent[unit], u.market_rent[unit])
    units = np.full(len(branches), unit, dtype=np.int64)
    margin, _ = model.expected_margin(units, branches, optimism=p.entrant_optimism, popup=popup,
                                      cost_factor=cost)
    best = int(np.argmax(margin))
    if not margin[best] >= threshold:
        return None
    model.open_shop(unit, int(branches[best]), chain=False, popup=popup, rng=rng,
                    cost_factor=cost)
    return int(branches[best])


def lettable(model: CityCentreModel) -> np.ndarray:
    """Units a new retail tenant may lease (``p.extra["lettable"]``, all by default)."""
    mask = model.p.extra.get("lettable")
    return np.ones(model.units.n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def withdraw_from_letting(model: CityCentreModel, units: np.ndarray) -> None:
    """Take units off the retail letting market (entrants and relocating shops skip them).
    Withdrawals only accumulate, so levers compose by intersection."""
    mask = lettable(model).copy()
    mask[units] = False
    model.p.extra["lettable"] = mask


def enforced_letting(lever: Lever, model: CityCentreModel, mask: np.ndarray, months: int,
                     enforcement: float, threshold: float,
                     cases: dict[tuple[int, int], bool]) -> int:
    """Forced letting (the stick of a vacancy ordinance): every unit in ``mask`` vacant for at
    least ``months`` months is a case; a case (one vacancy spell) is enforced with probability
    ``enforcement``; in an enforced case the municipality proposes a tenant each month, at the
    market rent, until one expecting at least ``threshold`` signs. ``cases`` remembers the
    decision per (unit, start of spell). Returns the number of lettings."""
    from ..functions import Anchor

    u = model.units
    rng = model.stream(f"policy:{lever.name}")
    draws = rng.random(u.n)  # drawn in full every month (common random numbers)
    due = (u.vacant & u.eligible & lettable(model) & mask & (u.anchor == Anchor.NONE)
           & (u.months_vacant >= months))
    branches = tenant_branches(("starter", "horeca", "services"))
    let = 0
    for unit in np.flatnonzero(due):
        key = (int(unit), int(model.steps - u.months_vacant[unit]))
        if key not in cases:
            cases[key] = bool(draws[unit] < enforcement)
        if not cases[key]:
            continue
        if let_vacant_unit(model, int(unit), branches, rng, threshold=threshold) is not None:
            model.log_event(int(unit), "policy", cause=f"{lever.name}: forced letting")
            let += 1
    if len(cases) > 4 * u.n:
        vacant_now = {(int(k), int(model.steps - u.months_vacant[k]))
                      for k in np.flatnonzero(u.vacant)}
        for key in [k for k in cases if k not in vacant_now]:
            del cases[key]
    return let
