"""What a scenario file may contain: every parameter's name, shape, unit and allowed range.

Values do not live here: they live in the scenario TOML files, each with its unit and source.
The schema only says what is allowed, so that a file can be checked key by key.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..functions import ANCHOR_NAMES, BRANCH_NAMES, PURPOSE_NAMES, ZONE_NAMES

OWNER_TYPES = ("private", "institutional")
ENTRANT_TYPES = ("starter", "chain", "horeca", "services", "popup")
STOP_KEYS = (*BRANCH_NAMES, "market")


@dataclass(frozen=True)
class Spec:
    """One parameter: ``kind`` is float, int, bool, map or matrix; maps are over ``keys``,
    matrices over ``keys`` x ``cols``."""

    kind: str
    unit: str
    lo: float | None = None
    hi: float | None = None
    keys: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()
    doc: str = ""


P = Spec
PARAMS: dict[str, Spec] = {
    # Initial state
    "initial_vacancy_rate": P("float", "fraction", 0, 0.8, doc="vacant share of retail-eligible units at start"),
    "target_profit_margin_mean": P("float", "fraction of revenue", -0.5, 0.5, doc="mean initial net margin"),
    "target_profit_margin_sd": P("float", "fraction of revenue", 0, 0.5, doc="spread of initial net margins"),
    "reserve_months": P("float", "months of costs", 0, 60, doc="mean initial cash reserve of a shop"),
    "upper_floor_dwelling_share": P("map", "fraction", 0, 1, keys=ZONE_NAMES, doc="upper floors used as dwellings"),
    "dwelling_size": P("float", "m2", 20, 300, doc="floor area per dwelling in converted units"),
    "household_size": P("float", "persons", 1, 5, doc="mean centre household size"),
    "resident_age_mean": P("float", "years", 18, 90, doc="mean age of centre adults at start"),
    "resident_move_out": P("float", "per year", 0, 1, doc="household move-out probability"),
    # Demand
    "spend_per_capita": P("map", "EUR/person/yr", 0, 1e5, keys=BRANCH_NAMES, doc="spending per capita in 2013 prices"),
    "spend_factor_65plus_retail": P("float", "ratio", 0, 3, doc="over-65 retail spending relative to under-65"),
    "spend_factor_65plus_leisure": P("float", "ratio", 0, 3, doc="over-65 horeca/culture spending relative to under-65"),
    "base_centre_share": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="centre share of physical spending at start"),
    "centre_share_vacancy_elasticity": P("float", "dimensionless", 0, 10, doc="logit weight of log(1 - vacancy)"),
    "centre_share_variety_elasticity": P("float", "dimensionless", 0, 10, doc="logit weight of log(shop count) per branch"),
    "resident_centre_share": P("float", "fraction", 0, 1, doc="share of residents' spending made in the centre"),
    "impulse_share": P("float", "fraction", 0, 1, doc="share of centre spend captured from passers-by"),
    "purpose_mix": P("matrix", "fraction", 0, 1, keys=BRANCH_NAMES, cols=PURPOSE_NAMES, doc="split of a branch's spending over trip purposes"),
    "basket": P("map", "EUR/trip", 1, 1e4, keys=PURPOSE_NAMES, doc="spending per centre trip"),
    # Trips and stop choice
    "stop_preference": P("matrix", "weight", 0, 100, keys=PURPOSE_NAMES, cols=STOP_KEYS, doc="how a purpose values each branch"),
    "stop_continue": P("map", "probability", 0, 1, keys=PURPOSE_NAMES, doc="probability of one more stop"),
    "max_stops": P("map", "stops", 1, 10, keys=PURPOSE_NAMES, doc="most stops on one trip"),
    "attractiveness_area_exponent": P("float", "dimensionless", 0, 3, doc="gamma in A = area^gamma (agglomeration)"),
    "chain_attractiveness": P("float", "ratio", 0, 10, doc="multiplier for chain outlets"),
    "anchor_attractiveness": P("map", "ratio", 0, 100, keys=ANCHOR_NAMES, doc="multiplier per anchor kind"),
    "popup_novelty": P("float", "ratio", 0, 10, doc="extra attractiveness of a new pop-up"),
    "popup_novelty_halflife": P("float", "months", 0.1, 120, doc="half-life of pop-up novelty"),
    "decay_length_under65": P("float", "m", 1, 5000, doc="distance decay length of stop choice"),
    "decay_length_65plus": P("float", "m", 1, 5000, doc="distance decay length for over-65s (steeper)"),
    "exit_decay_length": P("float", "m", 1, 5000, doc="distance decay of the choice of exit point"),
    "huff_radius": P("float", "m", 50, 20000, doc="farthest stop considered from the current position"),
    # Shops
    "gross_margin": P("map", "fraction of revenue", 0, 1, keys=BRANCH_NAMES, doc="gross margin by branch"),
    "base_closure_hazard": P("float", "per month", 0, 1, doc="closure for non-economic reasons (retirement)"),
    "chain_exit_probability": P("float", "probability", 0, 1, doc="a loss-making chain outlet closes at the yearly review"),
    "chain_review_month": P("int", "month", 1, 12, doc="calendar month of chains' yearly review"),
    "online_channel_capture": P("float", "fraction", 0, 1, doc="share of a shop's customers' online spend it keeps"),
    "lease_months": P("float", "months", 1, 240, doc="standard lease length"),
    "popup_lease_months": P("map", "months", 1, 36, keys=("min", "max"), doc="pop-up lease length range"),
    "relocation_gain_threshold": P("float", "fraction", 0, 10, doc="profit gain needed to move at lease end"),
    # Vacancy contagion
    "contagion_strength": P("float", "dimensionless", 0, 100, doc="0 switches vacancy contagion off"),
    "contagion_radius": P("float", "m", 0, 1000, doc="walking radius of a unit's neighbourhood"),
    "contagion_attractiveness_exponent": P("float", "dimensionless", 0, 20, doc="street attractiveness = (1 - v_local)^(strength x this)"),
    "contagion_closure_hazard": P("float", "per month", 0, 1, doc="extra closure hazard at fully vacant surroundings (x strength)"),
    # Owners and rents
    "rent_reference": P("map", "EUR/m2/yr", 0, 5000, keys=ZONE_NAMES, doc="market rent at the zone's median footfall"),
    "rent_footfall_elasticity": P("float", "dimensionless", 0, 3, doc="market rent ~ footfall^elasticity"),
    "rent_grace_months": P("map", "months", 0, 240, keys=OWNER_TYPES, doc="months an asking rent holds before falling"),
    "rent_decay": P("map", "per month", 0, 1, keys=OWNER_TYPES, doc="monthly fall of the asking rent after the grace period"),
    "initial_asking_premium": P("float", "ratio", 0, 5, doc="asking rent of units vacant at start relative to market rent"),
    "rent_floor_fraction": P("float", "fraction", 0, 1, doc="asking rent floor relative to market rent"),
    "conversion_min_vacant_months": P("float", "months", 0, 600, doc="vacancy before an owner considers converting"),
    "conversion_probability": P("float", "per month", 0, 1, doc="chance an eligible owner acts in a month"),
    "conversion_allowed": P("map", "bool", keys=ZONE_NAMES, doc="zones where conversion to housing is allowed"),
    "housing_rent": P("float", "EUR/m2/yr", 0, 5000, doc="net rent of converted housing"),
    # Entrepreneurs
    "entrant_mix": P("map", "fraction", 0, 1, keys=ENTRANT_TYPES, doc="arrivals by type"),
    "entrant_candidates": P("int", "units", 1, 100, doc="vacant units an entrant inspects"),
    "entrant_max_area": P("float", "m2", 10, 100000, doc="largest unit an independent entrant takes"),
    "chain_max_area": P("float", "m2", 10, 100000, doc="largest unit a chain entrant takes"),
    "entrant_cost_sd": P("float", "log sd", 0, 3, doc="spread of entrants' cost efficiency"),
    "entrant_optimism": P("float", "ratio", 0, 5, doc="entrants' revenue expectation relative to peers"),
    "entry_margin_threshold": P("float", "fraction of revenue", -1, 1, doc="expected net margin needed to open"),
    "popup_margin_threshold": P("float", "fraction of revenue", -1, 1, doc="expected net margin needed for a pop-up"),
    "popup_rent_discount": P("float", "fraction", 0, 1, doc="rent discount owners give pop-ups"),
    # Scenario mechanisms (sim/scenarios/mechanisms.py); the baseline switches them off
    "chain_bankruptcy_month": P("int", "month", 1, 12, doc="calendar month in which a year's failing chain brands close"),
    "secondhand_exposure": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="share of a branch's new-goods spending that second-hand and sharing can replace"),
    "secondhand_local_capture": P("float", "fraction", 0, 1, doc="share of the replaced spending that returns as makers'/repair spending in the centre"),
    "lease_flexibility_popup_gain": P("float", "ratio", 0, 100, doc="extra pop-up arrivals per unit of lease flexibility (x entrant_mix.popup)"),
    "lease_flexibility_threshold_cut": P("float", "fraction of revenue", 0, 1, doc="fall of the pop-up margin threshold at full lease flexibility"),
    "temporary_centres": P("int", "centres", 0, 50, doc="number of shifting temporary centres (0 = off)"),
    "temporary_centre_period": P("int", "months", 1, 240, doc="months before the temporary centres move to new places"),
    "temporary_centre_radius": P("float", "m", 0, 2000, doc="walking radius of a temporary centre"),
    "temporary_centre_popups": P("float", "per centre per month", 0, 100, doc="pop-up entrepreneurs matched to each temporary centre"),
    "temporary_centre_rent_cap": P("float", "fraction", 0, 2, doc="owners in a temporary centre ask at most this share of the market rent"),
    "tourism_exposure": P("map", "fraction", 0, 5, keys=BRANCH_NAMES, doc="tourist spending by branch per unit of tourism_index"),
    "tourism_vacancy_threshold": P("float", "fraction", 0, 1, doc="vacancy above which tourists start to stay away"),
    "tourism_vacancy_width": P("float", "fraction", 0.001, 1, doc="extra vacancy over which the tourist stream falls to zero"),
    "regional_competition_elasticity": P("float", "dimensionless", 0, 50, doc="competition rises by exp(this x (vacancy - regional_vacancy)): strong centres draw from weak ones"),
    "stratification_large_area": P("float", "m2", 10, 10000, doc="floor area above which a unit counts as large"),
    "stratification_area_exponent": P("float", "dimensionless", -5, 5, doc="extra attraction exponent on area above the large-unit threshold at full stratification"),
    "stratification_visitor_exclusion": P("float", "fraction", 0, 1, doc="share of centre visitors excluded at full stratification (gated enclaves)"),
    "visit_shock_exposure": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="share of a branch's spending hit by the visit shock"),
    "shock_support": P("float", "fraction", 0, 1, doc="share of rent and fixed costs compensated in proportion to the visit shock"),
}

#: Trajectories: year -> value, linearly interpolated, constant beyond the end points.
TRAJECTORIES: dict[str, Spec] = {
    "population_index": P("traj", "index (start = 1)", 0, 10, doc="catchment population"),
    "share_65plus": P("traj", "fraction", 0, 1, doc="65+ share of the catchment population"),
    "spending_index": P("traj", "index (start = 1)", 0, 10, doc="real spending per capita"),
    "competition_index": P("traj", "index (start = 1)", 0, 100, doc="attraction of periphery and other towns"),
    "entrant_arrival_rate": P("traj", "per 100 units per month", 0, 100, doc="potential entrepreneurs (investment climate)"),
    "credit_availability": P("traj", "probability", 0, 1, doc="chance a conversion is financed"),
    "chain_periphery_drift": P("traj", "per year", 0, 1, doc="chain outlets leaving for the periphery"),
    "online_channel_adoption": P("traj", "per year", 0, 1, doc="adoption of a webshop by an innovative shop"),
    # Scenario mechanisms (sim/scenarios/mechanisms.py); the baseline values switch them off
    "chain_bankruptcy_share": P("traj", "fraction", 0, 1, doc="share of chain brands failing in a year (all outlets close at once, like V&D)"),
    "secondhand_share": P("traj", "fraction", 0, 1, doc="second-hand and sharing: share of exposed new-goods spending replaced"),
    "lease_flexibility": P("traj", "index (0 = standard leases)", 0, 1, doc="short, flexible leases: more pop-ups, lower pop-up threshold"),
    "conversion_pressure": P("traj", "index (1 = neutral)", 0, 50, doc="multiplier on owners' monthly conversion probability"),
    "upper_floor_housing_rate": P("traj", "per year", 0, 1, doc="share of unused upper floors turned into dwellings each year (wonen boven winkels)"),
    "leisure_visit_index": P("traj", "index (1 = neutral)", 0, 10, doc="horeca and culture demand relative to the baseline trend"),
    "work_demand_index": P("traj", "index (1 = neutral)", 0, 10, doc="services and makers' demand from people working in the centre, relative to the baseline trend"),
    "workspace_conversion_rate": P("traj", "per year", 0, 12, doc="chance per year that a unit vacant for 6+ months becomes a workspace (office, co-working)"),
    "core_search_rate": P("traj", "per year", 0, 12, doc="share of shops outside the core that look for a vacant core unit each year"),
    "tourism_index": P("traj", "fraction", 0, 5, doc="tourist stream: extra spending relative to residents' demand (x tourism_exposure)"),
    "regional_vacancy": P("traj", "fraction", 0, 1, doc="vacancy of competing centres nearby"),
    "temporary_centre_strength": P("traj", "ratio", 0, 20, doc="extra attraction of units in a temporary centre (0 = none)"),
    "ar_game_attraction": P("traj", "ratio", 0, 20, doc="extra centre attraction from augmented-reality games (0 = none)"),
    "vacancy_masking": P("traj", "fraction", 0, 1, doc="share of vacancy hidden from visitors (virtual layers, window dressing)"),
    "stratification_index": P("traj", "index (0 = none, 1 = full)", 0, 1, doc="split into exclusive and discount retail"),
    "visit_shock": P("traj", "fraction", 0, 1, doc="share of exposed centre spending lost to a shock (lockdown)"),
    **{
        f"online_share_{b}": P("traj", "fraction", 0, 1, doc=f"online share of {b} spending")
        for b in BRANCH_NAMES
    },
}
