"""The app's one window on the model: every read of `CityCentreModel` internals lives here.

The app (charts, map, status line) asks these functions, never the model's arrays directly, so a
change in the core (array names, geometry, what counts as a shop) needs an edit here only.
Units: vacancy as a fraction of retail-eligible units, footfall in passers-by per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..functions import ZONE_NAMES

if TYPE_CHECKING:
    from ..model import CityCentreModel
    from ..town import Town

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


@dataclass(frozen=True)
class MapState:
    """What the map shows at one moment: per unit its function code, floor area (m2), chain flag,
    months vacant and passers-by per day in front of it; per street node the passers-by per
    day."""

    function: np.ndarray
    area: np.ndarray
    chain: np.ndarray
    months_vacant: np.ndarray
    footfall: np.ndarray
    node_footfall: np.ndarray
    active: np.ndarray  # False for a dormant slot of a splittable unit (not drawn)


def town(model: CityCentreModel) -> Town:
    """The centre's geometry (streets, units, zones, entry points)."""
    return model.town


def map_state(model: CityCentreModel) -> MapState:
    """A copy of what the map draws (safe to keep while the model steps on)."""
    u = model.units
    return MapState(function=u.function.copy(), area=u.area.copy(), chain=u.chain.copy(),
                    months_vacant=u.months_vacant.copy(), footfall=u.footfall.copy(),
                    node_footfall=np.asarray(model.node_footfall, dtype=float).copy(),
                    active=u.active.copy())


def months_done(model: CityCentreModel) -> int:
    """Months simulated so far (0 before the first step)."""
    return int(model.steps)


def date_label(model: CityCentreModel) -> str:
    """``"March 2014"`` for the last simulated month, or the start before any step."""
    if model.steps == 0:
        return f"start of {model.start_year}"
    return f"{MONTH_NAMES[model.calendar_month - 1]} {model.year}"


def zone_mask(model: CityCentreModel, zone: str) -> np.ndarray:
    """Units in ``zone`` (``core``, ``aanloop``, ``fringe``; ``all`` for every unit)."""
    if zone == "all":
        return np.ones(model.units.n, dtype=bool)
    return model.units.zone == ZONE_NAMES.index(zone)


def vacancy(model: CityCentreModel, zone: str = "all") -> float:
    """Vacant retail-eligible units / retail-eligible units in ``zone`` (fraction)."""
    return model.vacancy_rate(None if zone == "all" else zone_mask(model, zone))


def vacancy_counts(model: CityCentreModel) -> tuple[int, int]:
    """(vacant retail-eligible units, retail-eligible units) in the whole centre."""
    u = model.units
    eligible = u.eligible & u.active
    return int((u.vacant & eligible).sum()), int(eligible.sum())


def footfall(model: CityCentreModel, zone: str = "all") -> float:
    """Mean passers-by per day in front of the retail-eligible units of ``zone``."""
    u = model.units
    mask = u.eligible & u.active & zone_mask(model, zone)
    return float(u.footfall[mask].mean()) if mask.any() else 0.0


def shop_counts(model: CityCentreModel) -> dict[str, int]:
    """Commercial tenants: all, chain outlets, independents and pop-ups."""
    u = model.units
    shop = u.occupied_commercial
    chain = int((shop & u.chain).sum())
    return {"shops": int(shop.sum()), "chains": chain, "independents": int(shop.sum()) - chain,
            "popups": int((shop & u.popup).sum())}
