"""`Lever`: the shared base of every policy lever.

A lever declares its settings in a typed spec (`Setting`), so that ``name:key=value`` strings from
the command line become typed values and every mistake (unknown key, a key given twice, wrong
type, out of range, a value not in a list) is one line naming the lever, the key and what is
allowed.

Every lever has three common settings:

- ``intensity`` (float >= 0, default 1): scales the lever's effects; 0 switches it off.
- ``start`` (year, default 2015): the lever acts from January of this year (or from the run start
  if that is later).
- ``area`` (core, aanloop, fringe, outside_core, all): where the lever acts; each lever has its
  own default.

A lever acts through three hooks the `Municipality` calls each month (never during the burn-in):

- `prepare(model)` does the lever's bookkeeping for the month, once, before its effects are
  read: it pays its programme from the budget (no money, no programme that month), draws its
  random numbers, holds a vote, and keeps what it decided as its own state.
- `effects(model)` returns a `sim.inputs.Effects`: the inputs it changes this month (demand,
  costs, subsidies, permits, rules, what visitors see). The model folds all effects onto the
  neutral month, so levers compose without undo bookkeeping. It only computes (from the
  month's state and what `prepare` decided): reading it twice changes nothing.
- `act(model)` takes the municipality's own discrete decisions after the month's market
  (offering to buy a unit, designating an area), each paid through `Municipality.pay` from the
  year's budget.

A lever never sets an outcome (a vacancy, a rent, a closure, a conversion): owners, tenants and
entrepreneurs decide on what the lever changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..functions import ZONE_NAMES, Zone
from ..inputs import Effects
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
    #: unit of the value ("" for booleans and choices)
    unit: str = ""

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
                         hi=10.0, unit="factor"),
    "start": Setting("float", 2015.0, "first year (January) in which the lever acts",
                     lo=1990.0, hi=2100.0, unit="year"),
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
        self.reset()

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

    def __repr__(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.name}:{args}"

    # ------------------------------------------------------------------ monthly hooks
    def active(self, model: CityCentreModel) -> bool:
        return model.year_f >= self.start and self.intensity > 0

    def prepare_for(self, model: CityCentreModel) -> None:
        """Called by the `Municipality` once at the start of every month, before the
        effects."""
        if self.active(model):
            self.prepare(model)

    def effects_for(self, model: CityCentreModel) -> Effects | None:
        """Called by the `Municipality` at the start of every month (pure)."""
        return self.effects(model) if self.active(model) else None

    def act_for(self, model: CityCentreModel) -> None:
        """Called by the `Municipality` after the month's market."""
        if self.active(model):
            self.act(model)

    def prepare(self, model: CityCentreModel) -> None:
        """The lever's bookkeeping for the month: payments, draws, votes (default: none)."""

    def effects(self, model: CityCentreModel) -> Effects | None:
        """The inputs this lever changes this month (None: none). Pure: it may read the model
        and the lever's own state, never change them."""
        return None

    def act(self, model: CityCentreModel) -> None:
        """The municipality's discrete decisions for this lever (default: none)."""

    def reset(self) -> None:
        """Subclasses set up their own per-run state here."""

    # ------------------------------------------------------------------ helpers
    def area_mask(self, model: CityCentreModel, area: str | None = None) -> np.ndarray:
        """Units in the lever's area (bool over units)."""
        return zone_mask(model.units.zone, area or self.area)

    def node_area_mask(self, model: CityCentreModel, area: str | None = None) -> np.ndarray:
        """Street nodes in the lever's area (bool over nodes)."""
        return zone_mask(model.town.node_zone, area or self.area)

    def zone_units(self, model: CityCentreModel, mask: np.ndarray) -> np.ndarray:
        """Active units in ``mask``."""
        return mask & model.units.active


def zone_mask(zone: np.ndarray, area: str) -> np.ndarray:
    """Bool mask of ``zone`` codes in ``area`` (a zone name, ``outside_core`` or ``all``)."""
    if area == "all":
        return np.ones(len(zone), dtype=bool)
    if area == "outside_core":
        return zone != Zone.CORE
    return zone == ZONE_NAMES.index(area)


def per_unit(model: CityCentreModel, mask: np.ndarray, value: float, default: float = 0.0
             ) -> np.ndarray:
    """An array over units: ``value`` in ``mask``, ``default`` elsewhere."""
    return np.where(mask, value, default).astype(float)


def enforcement_cases(rng: np.random.Generator, model: CityCentreModel, due: np.ndarray,
                      enforcement: float, cases: dict[tuple[int, int], bool]) -> np.ndarray:
    """Which of the ``due`` units are enforced: each vacancy spell (unit, month it began) is
    enforced with probability ``enforcement``, decided once when it first becomes due."""
    u = model.units
    draws = rng.random(u.n)  # drawn in full every month (common random numbers)
    out = np.zeros(u.n, dtype=bool)
    for unit in np.flatnonzero(due):
        key = (int(unit), int(model.clock - u.months_vacant[unit]))
        if key not in cases:
            cases[key] = bool(draws[unit] < enforcement)
        out[unit] = cases[key]
    if len(cases) > 4 * u.n:
        live = {(int(k), int(model.clock - u.months_vacant[k])) for k in np.flatnonzero(due)}
        for key in [k for k in cases if k not in live]:
            del cases[key]
    return out
