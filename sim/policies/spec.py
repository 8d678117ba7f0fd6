"""The text forms of levers and policies, parsed and printed in this one place.

- A **lever spec** names one lever with some of its settings: ``name`` or
  ``name:key=value,key=value`` (`LeverSpec`).
- A **policy** is a combination of levers (what earlier versions called an *arm*): ``none``, or
  lever specs joined by ``+``, such as ``compaction+blurring:intensity=2`` (`Policy`).

This module checks syntax only (it imports nothing of the model); whether a lever and its
settings exist and their values are allowed is checked by `sim.policies.parse_policy` against
each lever's typed settings.
"""

from __future__ import annotations

from dataclasses import dataclass


class PolicyError(ValueError):
    """An unknown lever or a bad lever setting."""


#: The policy without levers.
NONE = "none"


@dataclass(frozen=True)
class LeverSpec:
    """One lever and the settings written for it, as text, in the order written."""

    name: str
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> LeverSpec:
        """``"name"`` or ``"name:key=value,..."``; a setting without ``=`` is an error."""
        name, rest = cls.name_of(text), str(text).partition(":")[2]
        items = []
        for item in filter(None, (s.strip() for s in rest.split(","))):
            key, eq, value = item.partition("=")
            if not eq:
                raise PolicyError(f"policy {name!r}: setting {item!r} must look like key=value")
            items.append((key.strip(), value.strip()))
        return cls(name, tuple(items))

    @staticmethod
    def name_of(text: str) -> str:
        """The lever name of a spec's text, whatever its settings say."""
        return str(text).partition(":")[0].strip()

    @property
    def keys(self) -> list[str]:
        return [k for k, _ in self.settings]

    def duplicate_keys(self) -> list[str]:
        keys = self.keys
        return sorted({k for k in keys if keys.count(k) > 1})

    def as_dict(self) -> dict[str, str]:
        return dict(self.settings)

    def normalised(self) -> LeverSpec:
        """The same spec with its settings sorted (for keys and hashes)."""
        return LeverSpec(self.name, tuple(sorted(self.settings)))

    def with_settings(self, **values: str) -> LeverSpec:
        """The spec with ``values`` replacing or adding settings (order kept, new ones last)."""
        merged = dict(self.settings)
        merged.update(values)
        return LeverSpec(self.name, tuple(merged.items()))

    def __str__(self) -> str:
        if not self.settings:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.settings)


@dataclass(frozen=True)
class Policy:
    """A combination of levers (none for the policy ``none``)."""

    levers: tuple[LeverSpec, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Policy:
        """``"none"`` or ``"lever+lever:key=value"``; empty parts, ``none`` combined with
        levers and a lever named twice are errors."""
        text = str(text).strip()
        if text == NONE:
            return cls()
        parts = [p.strip() for p in text.split("+")]
        if any(not p for p in parts):
            raise PolicyError(f"policy {text!r} has an empty part; write lever+lever")
        if NONE in parts:
            raise PolicyError(f"policy {text!r}: 'none' cannot be combined with levers")
        levers = tuple(LeverSpec.parse(p) for p in parts)
        names = [lv.name for lv in levers]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise PolicyError(f"policy {text!r} names the lever {dup!r} twice")
        return cls(levers)

    @property
    def names(self) -> list[str]:
        return [lv.name for lv in self.levers]

    def lever(self, name: str) -> LeverSpec:
        return next(lv for lv in self.levers if lv.name == name)

    def __str__(self) -> str:
        return "+".join(str(lv) for lv in self.levers) if self.levers else NONE
