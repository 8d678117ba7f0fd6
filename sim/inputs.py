"""Typed effects: how policy levers and scenario mechanisms change what agents face.

Each month every lever and mechanism first does its bookkeeping for the month (``prepare``: it
pays from the budget, draws its random numbers, holds a vote), once; then it returns an
`Effects` object holding only the inputs it changes (pure: reading it again changes nothing);
the model folds them onto the neutral month (`fold`) and the submodels read the result. There
is no undo bookkeeping: an effect lasts exactly the month it is returned for.

Every field changes an *input* (demand, costs, subsidies, permits, rules, what visitors see),
never an outcome (vacancy, rents, who closes). How fields combine is declared once, per field:
``mul`` (factors multiply), ``add`` (shifts add), ``and`` (a unit is allowed only if every effect
allows it) and ``or`` (a permit granted by any effect holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from .functions import N_FUNCTIONS
from .scenarios.schema import ENTRANT_TYPES

if TYPE_CHECKING:
    from .model import CityCentreModel


def _f(combine: str, doc: str) -> Any:
    return field(default=None, metadata={"combine": combine, "doc": doc})


@dataclass
class Effects:
    """Changes to this month's inputs (``None`` = no change). Arrays are over function codes
    (``by function``), units (``by unit``), entry points or entrant types."""

    # demand and what visitors perceive
    demand: np.ndarray | None = _f("mul", "spending by function (by function)")
    centre_attraction: float | None = _f("mul", "the centre's pull on the catchment")
    competition: float | None = _f("mul", "attraction of outside options")
    perceived_vacancy: float | None = _f("mul", "share of vacancy visitors see")
    entry_weight: np.ndarray | None = _f("mul", "arrivals by entry point")
    unit_attraction: np.ndarray | None = _f("mul", "attractiveness of each unit (by unit)")
    # tenants' costs and subsidies
    rent_subsidy: np.ndarray | None = _f("add", "share of a new independent's rent paid by "
                                         "the municipality in its first 24 months (by unit)")
    popup_rent_subsidy: np.ndarray | None = _f("add", "share of a pop-up's rent paid by the "
                                               "municipality (by unit)")
    startup_cost: float | None = _f("mul", "opening costs of every new tenancy")
    popup_startup_cost: float | None = _f("mul", "opening costs of a pop-up")
    levy: np.ndarray | None = _f("add", "levy as a fraction of rent (by unit)")
    relocation_grant: np.ndarray | None = _f("add", "grant per m2 to a shop moving into a unit "
                                             "(by unit) from a unit in grant_origin")
    grant_origin: np.ndarray | None = _f("or", "units whose tenants qualify for the relocation "
                                         "grant when they move (by unit)")
    cost_support: float | None = _f("add", "share of tenants' rent and fixed costs paid by a "
                                    "support scheme")
    rent_relief: float | None = _f("add", "share of the rent owners forgive to tenants whose "
                                   "revenue fell by the qualifying loss (a shock's waivers)")
    # entrepreneurs
    arrivals: np.ndarray | None = _f("mul", "arrivals by entrant type")
    extra_candidates: float | None = _f("add", "extra vacant units a searcher inspects "
                                        "(a matchmaker)")
    # rules and permits
    retail_lettable: np.ndarray | None = _f("and", "a new retail tenant may lease the unit "
                                            "(by unit)")
    conversion_permit: np.ndarray | None = _f("or", "conversion to housing is permitted "
                                              "(by unit)")
    office_permit: np.ndarray | None = _f("or", "offices and workspaces may use the unit "
                                          "(by unit)")
    mixed_use_permit: np.ndarray | None = _f("or", "a shop may add a second function (by unit)")
    conversion_subsidy: np.ndarray | None = _f("add", "subsidy per m2 for converting the unit "
                                               "to housing (by unit)")
    forced_letting: np.ndarray | None = _f("or", "the owner must accept a proposed tenant's bid "
                                           "above its running costs (by unit)")


#: ``{field name: combine rule}``
COMBINE = {f.name: f.metadata["combine"] for f in fields(Effects)}


@dataclass
class MonthInputs:
    """The folded inputs of one month (every field set)."""

    demand: np.ndarray
    centre_attraction: float
    competition: float
    perceived_vacancy: float
    entry_weight: np.ndarray
    unit_attraction: np.ndarray
    rent_subsidy: np.ndarray
    popup_rent_subsidy: np.ndarray
    startup_cost: float
    popup_startup_cost: float
    levy: np.ndarray
    relocation_grant: np.ndarray
    grant_origin: np.ndarray
    cost_support: float
    rent_relief: float
    arrivals: np.ndarray
    extra_candidates: float
    retail_lettable: np.ndarray
    conversion_permit: np.ndarray
    office_permit: np.ndarray
    mixed_use_permit: np.ndarray
    conversion_subsidy: np.ndarray
    forced_letting: np.ndarray


def neutral(n_units: int, n_entries: int, conversion_permit: np.ndarray,
            office_permit: np.ndarray, mixed_use_permit: np.ndarray) -> MonthInputs:
    """The month's inputs before any lever or mechanism: the zoning plan's permits and no
    changes."""
    zeros = np.zeros(n_units)
    return MonthInputs(
        demand=np.ones(N_FUNCTIONS), centre_attraction=1.0, competition=1.0,
        perceived_vacancy=1.0, entry_weight=np.ones(n_entries), unit_attraction=np.ones(n_units),
        rent_subsidy=zeros.copy(), popup_rent_subsidy=zeros.copy(), startup_cost=1.0,
        popup_startup_cost=1.0, levy=zeros.copy(), relocation_grant=zeros.copy(),
        grant_origin=np.zeros(n_units, dtype=bool), cost_support=0.0, rent_relief=0.0,
        arrivals=np.ones(len(ENTRANT_TYPES)), extra_candidates=0.0,
        retail_lettable=np.ones(n_units, dtype=bool),
        conversion_permit=conversion_permit.copy(), office_permit=office_permit.copy(),
        mixed_use_permit=mixed_use_permit.copy(), conversion_subsidy=zeros.copy(),
        forced_letting=np.zeros(n_units, dtype=bool),
    )


def fold(base: MonthInputs, effects: list[Effects]) -> MonthInputs:
    """Combine ``effects`` onto ``base`` (in place) by each field's rule; return ``base``."""
    for eff in effects:
        for name, rule in COMBINE.items():
            value = getattr(eff, name)
            if value is None:
                continue
            current = getattr(base, name)
            if rule == "mul":
                new = current * value
            elif rule == "add":
                new = current + value
            elif rule == "and":
                new = current & np.asarray(value, dtype=bool)
            else:
                new = current | np.asarray(value, dtype=bool)
            setattr(base, name, new)
    # Shares paid by the municipality cannot exceed the rent.
    base.rent_subsidy = np.clip(base.rent_subsidy, 0.0, 0.9)
    base.popup_rent_subsidy = np.clip(base.popup_rent_subsidy, 0.0, 0.9)
    base.rent_relief = float(np.clip(base.rent_relief, 0.0, 1.0))
    return base


def month_inputs(m: CityCentreModel) -> MonthInputs:
    """This month's inputs: the zoning plan, folded with the effects of the scenario's
    mechanisms and (after the burn-in) the municipality's levers. Each mechanism and lever
    first does its bookkeeping for the month (``prepare``), then its effects are read (pure:
    reading them again changes nothing)."""
    p, u = m.p, m.units
    for mechanism in m.mechanisms:
        mechanism.prepare(m)
    if not m.in_burn_in:
        m.municipality.prepare()
    base = neutral(u.n, len(m.town.entry_node),
                   conversion_permit=np.asarray(p.conversion_allowed, bool)[u.zone],
                   office_permit=np.asarray(p.office_allowed, bool)[u.zone],
                   mixed_use_permit=np.asarray(p.mixed_use_allowed, bool)[u.zone])
    effects = [e for mech in m.mechanisms if (e := mech.effects(m)) is not None]
    if not m.in_burn_in:
        effects += m.municipality.effects()
    return fold(base, effects)
