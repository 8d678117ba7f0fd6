"""Attractiveness of units for each trip purpose, for their current tenant or a prospective one.

A unit's pull on visitors of purpose p is

    A[p, u] = (pref[p, f_u] + w x pref[p, g_u]) x size(area_u) x anchor x chain x novelty
              x appeal_u x street(u) x effects(u)

with f the main function, the tenant's own appeal (drawn at opening, unknown to it before it
trades, drifting afterwards: firms differ for the same place and branch), g a mixed-use second
function (weight w = ``mixed_use_attraction``),
size(a) = a^gamma up to ``anchor_area_threshold`` T and T^gamma (a / T)^gamma_L above it
(``large_area_exponent`` < gamma: a department store draws more than a shop, but not thirty
times more, so one closure shifts a centre rather than decides it), and the street factor
(1 - perceived local vacancy)^eta: vacancy contagion acts only through what visitors see.
"""

from __future__ import annotations

import numpy as np

from .functions import Anchor
from .params import Params
from .state import UnitState


def size_attraction(p: Params, area: np.ndarray) -> np.ndarray:
    """size(area): super-linear up to the anchor threshold, diminishing above it."""
    a = np.maximum(np.asarray(area, dtype=float), 0.0)
    t = p.anchor_area_threshold
    small = a ** p.attractiveness_area_exponent
    large = t ** p.attractiveness_area_exponent * (np.maximum(a, t) / t) ** p.large_area_exponent
    return np.where(a <= t, small, large)


def street_factor(p: Params, local_vacancy_node: np.ndarray, perceived: float) -> np.ndarray:
    """(1 - seen local vacancy)^eta per street node; eta = contagion strength x exponent."""
    eta = p.contagion_strength * p.contagion_attractiveness_exponent
    seen = np.clip(local_vacancy_node * perceived, 0.0, 1.0)
    return (1.0 - seen) ** eta


def novelty(p: Params, popup: np.ndarray, age_months: np.ndarray) -> np.ndarray:
    """Extra pull of a pop-up that decays with its age (months)."""
    return np.where(popup, 1.0 + p.popup_novelty * 0.5 ** (np.maximum(age_months, 0.0)
                                                            / p.popup_novelty_halflife), 1.0)


def location_factor(p: Params, u: UnitState, street: np.ndarray,
                    unit_attraction: np.ndarray) -> np.ndarray:
    """The part of a unit's pull that belongs to its place, not its tenant (per unit)."""
    return street[u.node] * unit_attraction * u.active


def draw_appeal(p: Params, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """A new tenant's appeal: lognormal with mean 1 and log sd ``appeal_sd``."""
    s = p.appeal_sd
    return np.exp(rng.normal(-0.5 * s * s, s, size))


def drift_appeal(p: Params, appeal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One month of drift of every tenant's appeal (mean-preserving lognormal steps)."""
    s = p.appeal_drift_sd / np.sqrt(12.0)
    return appeal * np.exp(rng.normal(-0.5 * s * s, s, len(appeal)))


def drift_tenant_appeal(p: Params, u: UnitState, rng: np.random.Generator) -> None:
    """Every commercial tenant's appeal drifts for a month; units without one have appeal 1."""
    u.appeal[:] = np.where(u.occupied_commercial, drift_appeal(p, u.appeal, rng), 1.0)


def tenant_factor(p: Params, u: UnitState, clock: int) -> np.ndarray:
    """The part of a unit's pull that belongs to its tenant and size (per unit)."""
    f = size_attraction(p, u.area) * p.anchor_attractiveness[u.anchor] * u.appeal
    f = f * np.where(u.chain, p.chain_attractiveness, 1.0)
    return f * novelty(p, u.popup, clock - u.popup_start)


def attractiveness(p: Params, u: UnitState, clock: int, street: np.ndarray,
                   unit_attraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(main, second): attractiveness by purpose x unit of each unit's main function and of its
    mixed-use second function (zero where it has none)."""
    common = tenant_factor(p, u, clock) * location_factor(p, u, street, unit_attraction)
    main = p.stop_preference[:, u.function] * common[None, :]
    has_second = u.second_function >= 0
    g = np.where(has_second, u.second_function, 0)
    second = (p.mixed_use_attraction * p.stop_preference[:, g] * (common * has_second)[None, :])
    return main, second


def prospective(p: Params, u: UnitState, units: np.ndarray, branches: np.ndarray,
                chain: np.ndarray, popup: np.ndarray, street: np.ndarray,
                unit_attraction: np.ndarray, area: np.ndarray | None = None) -> np.ndarray:
    """Attractiveness by purpose (purposes x candidates) of a new tenant of ``branches[i]`` in
    ``units[i]`` (a chain outlet where ``chain[i]``, a fresh pop-up where ``popup[i]``), with
    floor area ``area[i]`` (default: the unit's). A new tenant is not an anchor."""
    a = u.area[units] if area is None else area
    f = size_attraction(p, a) * p.anchor_attractiveness[int(Anchor.NONE)]
    f = f * np.where(chain, p.chain_attractiveness, 1.0) * np.where(popup, 1.0 + p.popup_novelty,
                                                                     1.0)
    loc = street[u.node[units]] * unit_attraction[units]
    return p.stop_preference[:, branches] * (f * loc)[None, :]
