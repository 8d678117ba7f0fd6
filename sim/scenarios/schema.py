"""What a scenario file may contain: every parameter's name, shape, unit and allowed range.

Values do not live here: they live in the scenario TOML files, each with its unit and source.
The schema only says what is allowed, so that a file can be checked key by key, and it groups the
parameters by submodel for the generated parameter table in `docs/ODD.md` (`sim.docs_tables`).

Ranges are closed intervals; NaN and infinity are never allowed. Maps are over named keys
(branches, zones, purposes, ...), matrices over keys x columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..functions import ANCHOR_NAMES, BRANCH_NAMES, OPERATORS, PURPOSE_NAMES, ZONE_NAMES

OWNER_TYPES = ("private", "institutional")
ENTRANT_TYPES = ("starter", "chain", "horeca", "services", "popup")
STOP_KEYS = (*BRANCH_NAMES, "market")
RANGE_KEYS = ("min", "max")
AGE_KEYS = ("under65", "65plus")


@dataclass(frozen=True)
class Spec:
    """One parameter: ``kind`` is float, int, bool, map, matrix or traj; maps are over ``keys``,
    matrices over ``keys`` x ``cols``. ``group`` is the submodel it belongs to (for the docs)."""

    kind: str
    unit: str
    lo: float | None = None
    hi: float | None = None
    keys: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()
    doc: str = ""
    group: str = ""
    #: a driver that is an event (a shock), not a structural condition: it is held at its
    #: neutral value during the burn-in
    shock: bool = False
    #: value of a shock driver that switches it off
    neutral: float = 0.0


def _group(name: str, specs: dict[str, Spec]) -> dict[str, Spec]:
    return {k: Spec(**{**v.__dict__, "group": name}) for k, v in specs.items()}


P = Spec
PARAMS: dict[str, Spec] = {
    **_group("initial state and residents", {
        "reserve_months": P("float", "months of costs", 0, 60, doc="cash reserve of a new independent shop, in months of its fixed costs and rent"),
        "upper_floor_dwelling_share": P("map", "fraction", 0, 1, keys=ZONE_NAMES, doc="upper floors used as dwellings"),
        "dwelling_size": P("float", "m2", 20, 300, doc="floor area per dwelling in converted units"),
        "household_size": P("float", "persons", 1, 5, doc="mean centre household size"),
        "resident_age_mean": P("float", "years", 18, 90, doc="mean age of centre adults at start"),
        "resident_age_sd": P("float", "years", 0, 40, doc="spread of centre adults' ages"),
        "initial_tenancy_years": P("float", "years", 0, 100, doc="generated tenancies began up to this many years before the start"),
        "online_channel_start": P("map", "fraction", 0, 1, keys=OPERATORS, doc="share of shops with a webshop at start (weighted by innovativeness)"),
        "innovativeness_beta": P("map", "shape", 0.01, 100, keys=("a", "b"), doc="Beta distribution of a shop's innovativeness (0-1)"),
        "chain_brands_per_branch": P("int", "brands", 1, 100, doc="chain brands per branch; a chain bankruptcy closes one brand's outlets"),
        "resident_move_out": P("float", "per year", 0, 1, doc="household move-out probability"),
    }),
    **_group("demand", {
        "spend_per_capita": P("map", "EUR/person/yr", 0, 1e5, keys=BRANCH_NAMES, doc="spending per capita (under 65) by branch, start-year prices"),
        "spend_factor_65plus": P("map", "ratio", 0, 5, keys=BRANCH_NAMES, doc="spending of over-65s relative to under-65s, by branch (the 65+ shift between branches)"),
        "basket_factor_65plus": P("map", "ratio", 0.05, 5, keys=PURPOSE_NAMES, doc="spending per trip of over-65s relative to under-65s (below 1: smaller baskets, more frequent visits)"),
        "base_centre_share": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="centre share of the catchment's physical spending at start conditions"),
        "centre_share_vacancy_elasticity": P("map", "dimensionless", 0, 10, keys=BRANCH_NAMES, doc="logit weight of log(1 - perceived vacancy), by branch"),
        "centre_share_variety_elasticity": P("float", "dimensionless", 0, 10, doc="logit weight of log(shops of the branch)"),
        "competition_exposure": P("map", "fraction", 0, 5, keys=BRANCH_NAMES, doc="how strongly a branch's outside options follow competition_index (0: not at all, 1: fully)"),
        "resident_centre_share": P("float", "fraction", 0, 1, doc="share of residents' spending made in the centre"),
        "impulse_share": P("float", "fraction", 0, 1, doc="share of centre spending captured from passers-by"),
        "purpose_mix": P("matrix", "fraction", 0, 1, keys=BRANCH_NAMES, cols=PURPOSE_NAMES, doc="split of a branch's spending over trip purposes"),
        "basket": P("map", "EUR/trip", 1, 1e4, keys=PURPOSE_NAMES, doc="spending per centre trip (under 65)"),
    }),
    **_group("trips and stop choice", {
        "stop_preference": P("matrix", "weight", 0, 100, keys=PURPOSE_NAMES, cols=STOP_KEYS, doc="how a purpose values each branch"),
        "stop_continue": P("map", "probability", 0, 1, keys=PURPOSE_NAMES, doc="probability of one more stop"),
        "max_stops": P("map", "stops", 1, 10, keys=PURPOSE_NAMES, doc="most stops on one trip"),
        "attractiveness_area_exponent": P("float", "dimensionless", 0, 3, doc="gamma in A = area^gamma up to anchor_area_threshold (agglomeration)"),
        "large_area_exponent": P("float", "dimensionless", 0, 3, doc="exponent of attraction on floor area above anchor_area_threshold (diminishing returns of big stores)"),
        "anchor_area_threshold": P("float", "m2", 10, 100000, doc="floor area above which attraction grows with large_area_exponent"),
        "chain_attractiveness": P("float", "ratio", 0, 10, doc="multiplier for chain outlets"),
        "anchor_attractiveness": P("map", "ratio", 0, 100, keys=ANCHOR_NAMES, doc="multiplier per anchor kind"),
        "mixed_use_attraction": P("float", "ratio", 0, 5, doc="weight of a mixed-use unit's second function in its attractiveness"),
        "popup_novelty": P("float", "ratio", 0, 10, doc="extra attractiveness of a new pop-up"),
        "popup_novelty_halflife": P("float", "months", 0.1, 120, doc="half-life of pop-up novelty"),
        "decay_length_under65": P("float", "m", 1, 5000, doc="distance decay length of stop choice"),
        "decay_length_65plus": P("float", "m", 1, 5000, doc="distance decay length for over-65s (steeper)"),
        "exit_decay_length": P("float", "m", 1, 5000, doc="distance decay of the choice of exit point"),
        "huff_radius": P("float", "m", 50, 20000, doc="farthest stop considered from the current position"),
    }),
    **_group("tenants: revenue and costs", {
        "gross_margin": P("map", "fraction of revenue", 0, 1, keys=BRANCH_NAMES, doc="gross margin (1 - cost of goods) by branch"),
        "variable_cost_share": P("map", "fraction of revenue", 0, 1, keys=BRANCH_NAMES, doc="operating costs that scale with revenue (staff hours, fees), by branch"),
        "purchasing_advantage": P("map", "fraction of revenue", 0, 1, keys=OPERATORS, doc="extra gross margin from buying at scale (chains buy cheaper)"),
        "variable_cost_factor": P("map", "ratio", 0, 5, keys=OPERATORS, doc="an operator's variable costs relative to the branch's (chains staff leaner per sale)"),
        "fixed_cost_base": P("map", "EUR/month", 0, 1e6, keys=OPERATORS, doc="fixed costs of a tenancy whatever its size (minimum staffing, insurance, systems)"),
        "fixed_cost_per_m2": P("map", "EUR/m2/yr", 0, 1e4, keys=OPERATORS, doc="fixed costs per m2 (energy, cleaning, upkeep of the fit-out)"),
        "required_income": P("map", "EUR/month", 0, 1e6, keys=OPERATORS, doc="profit the operator needs from the tenancy (an independent's own income)"),
        "required_margin": P("map", "fraction of revenue", 0, 1, keys=OPERATORS, doc="profit margin the operator needs on revenue (a chain's return on an outlet)"),
        "startup_cost_per_m2": P("map", "EUR/m2", 0, 1e5, keys=OPERATORS, doc="fit-out and opening costs, paid at opening and written off over the lease"),
        "popup_startup_share": P("float", "fraction", 0, 1, doc="a pop-up's opening costs relative to a regular independent's"),
        "online_channel_capture": P("float", "fraction", 0, 1, doc="share of a shop's customers' online spend it keeps"),
        "format_review_rate": P("float", "per month", 0, 1, doc="chance per month that a shop of average innovativeness reviews its format (adding a second function where permitted)"),
        "mixed_use_cost": P("float", "EUR/m2", 0, 1e5, doc="cost of adding a second function (bar, counter, kitchen), written off over the rest of the lease"),
        "appeal_sd": P("float", "log sd", 0, 3, doc="spread of a new tenant's appeal to visitors (its own assortment and service), unknown to it before opening"),
        "appeal_drift_sd": P("float", "log sd per yr", 0, 3, doc="yearly drift of a tenant's appeal (tastes change, the owner tires)"),
        "profit_smoothing_months": P("float", "months", 1, 60, doc="time constant of the smoothed profit tenants act on"),
        "exit_patience_months": P("float", "months", 1, 120, doc="months an independent accepts a smoothed profit below what it needs before it asks its owner to end the lease early (a surrender, for a fee)"),
        "subsistence_income": P("float", "EUR/month", 0, 1e5, doc="the least an independent draws to live on when the shop earns less than it needs; the shop's cash falls only when its profit is below this"),
        "entrepreneur_age_mean": P("float", "years", 16, 90, doc="mean age of an entrepreneur at opening (normal, clipped to 18-80)"),
        "entrepreneur_age_sd": P("float", "years", 0, 40, doc="spread of entrepreneurs' age at opening"),
        "retirement_age": P("map", "years", 40, 100, keys=RANGE_KEYS, doc="age at which an independent retires (uniform)"),
        "successor_probability": P("float", "probability", 0, 1, doc="a profitable independent whose owner retires finds a successor"),
    }),
    **_group("leases and relocation", {
        "lease_months": P("float", "months", 1, 240, doc="standard lease length"),
        "rent_subsidy_months": P("int", "months", 1, 240, doc="months a new independent's rent subsidy runs (where a lever pays one)"),
        "popup_lease_months": P("map", "months", 1, 36, keys=RANGE_KEYS, doc="pop-up lease length range"),
        "popup_rent_discount": P("float", "fraction", 0, 1, doc="discount on the asking rent an owner gives a short lease (the asking rent itself stays)"),
        "relocation_gain_threshold": P("float", "fraction", 0, 10, doc="profit gain needed to move at lease end"),
        "relocation_cost_per_m2": P("float", "EUR/m2", 0, 1e5, doc="moving and re-fitting costs of a relocating shop"),
        "renewal_owner_share": P("float", "fraction", 0, 1, doc="owner's share of the gain from a renewed lease (Nash bargaining between the tenant's bid and the owner's reservation rent)"),
    }),
    **_group("vacancy contagion", {
        "contagion_strength": P("float", "dimensionless", 0, 100, doc="0 switches vacancy contagion off"),
        "contagion_radius": P("float", "m", 0, 1000, doc="walking radius of a unit's neighbourhood"),
        "contagion_attractiveness_exponent": P("float", "dimensionless", 0, 20, doc="street attractiveness = (1 - perceived local vacancy)^(strength x this)"),
    }),
    **_group("owners and the property market", {
        "property_yield": P("map", "fraction per yr", 0.005, 1, keys=ZONE_NAMES, doc="initial yield of retail property by zone (value = rent / yield)"),
        "yield_spread": P("map", "fraction per yr", -0.5, 0.5, keys=OWNER_TYPES, doc="owner type's yield relative to the zone's (institutions buy prime at lower yields)"),
        "debt_share": P("map", "fraction", 0, 1, keys=OWNER_TYPES, doc="share of owners of this type financed with debt"),
        "loan_to_value": P("map", "fraction", 0, 2, keys=OWNER_TYPES, doc="initial loan-to-value of an owner with debt"),
        "covenant_ltv": P("float", "fraction", 0.05, 2, doc="highest loan-to-value the bank allows; above it the owner must sell"),
        "valuation_lag_months": P("float", "months", 0, 240, doc="months an appraiser keeps valuing a vacant unit at its book rent (the last rent) before marking it to the market"),
        "asking_rent_hold_months": P("float", "months", 0, 240, doc="months an owner holds the asking rent of a newly vacant unit"),
        "asking_rent_step": P("float", "per month", 0, 1, doc="monthly cut of the asking rent of a vacant unit after the hold (down to the owner's reservation rent)"),
        "bid_learning": P("float", "fraction", 0, 1, doc="how far an owner moves the asking rent toward the best bid seen in a month"),
        "bid_evidence_months": P("float", "months", 1, 120, doc="months a bid counts as market evidence for owners and appraisers"),
        "owner_running_cost": P("float", "EUR/m2/yr", 0, 1e4, doc="owner's running costs (property tax, insurance, upkeep): the lowest rent worth a lease"),
        "housing_rent": P("map", "EUR/m2/yr", 0, 5000, keys=ZONE_NAMES, doc="rent of a ground-floor dwelling made from a shop unit, by zone"),
        "housing_yield": P("float", "fraction per yr", 0.005, 1, doc="yield of residential property"),
        "conversion_cost": P("float", "EUR/m2", 0, 1e5, doc="cost of converting a shop unit to housing"),
        "conversion_hurdle": P("float", "fraction", 0, 10, doc="value gain an owner needs to convert (risk, delay, disruption)"),
        "conversion_delay_months": P("float", "months", 0, 120, doc="months from an owner's decision to convert a shop unit to the dwelling's first rent (permit and works)"),
        "conversion_probability": P("float", "per month", 0, 1, doc="chance per month that an owner of a large or neighbouring vacant unit reviews splitting or merging it"),
        "letting_evidence_months": P("int", "months", 1, 120, doc="months of lettings and vacancies in its zone an owner reads its expected letting time from"),
        "conversion_allowed": P("map", "bool", keys=ZONE_NAMES, doc="zones where the zoning plan allows conversion to housing"),
        "mixed_use_allowed": P("map", "bool", keys=ZONE_NAMES, doc="zones where the zoning plan lets a shop add a second function (bar, counter, service point)"),
        "office_allowed": P("map", "bool", keys=ZONE_NAMES, doc="zones where offices and workspaces may use ground-floor retail units"),
        "office_rent": P("map", "EUR/m2/yr", 0, 5000, keys=ZONE_NAMES, doc="rent an office or workspace user pays for a ground-floor unit, by zone"),
        "office_access_premium": P("float", "fraction", 0, 5, doc="extra an office user pays for a unit next to an entry point (station, parking), falling with distance"),
        "office_access_length": P("float", "m", 1, 5000, doc="distance over which the office users' premium for access falls by a factor e"),
        "office_rent_sd": P("float", "log sd", 0, 3, doc="spread of office users' bids"),
        "office_move_probability": P("float", "probability", 0, 1, doc="an office user moves on at lease end (its firm grows, shrinks or leaves)"),
        "office_max_area": P("float", "m2", 10, 100000, doc="largest unit an office or workspace user takes"),
        "subdivide_min_area": P("float", "m2", 20, 100000, doc="a vacant unit at least this large can be split"),
        "subdivide_max_parts": P("int", "parts", 2, 10, doc="most parts a unit can be split into"),
        "subdivide_target_area": P("float", "m2", 10, 100000, doc="size of the parts of a split unit"),
        "subdivide_min_vacant_months": P("float", "months", 0, 600, doc="vacancy before an owner considers splitting a large unit"),
        "subdivision_cost": P("float", "EUR/m2", 0, 1e5, doc="cost of splitting a unit (walls, entrances, installations)"),
        "merge_cost": P("float", "EUR/m2", 0, 1e5, doc="cost of joining two neighbouring units"),
    }),
    **_group("entrepreneurs", {
        "entrant_mix": P("map", "fraction", 0, 1, keys=ENTRANT_TYPES, doc="arrivals by type (not all zero)"),
        "entrant_candidates": P("int", "units", 1, 100, doc="vacant units a searcher inspects each month"),
        "search_months": P("int", "months", 1, 60, doc="months a searcher keeps looking before giving up"),
        "entrant_max_area": P("float", "m2", 10, 100000, doc="largest unit an independent entrant takes"),
        "chain_max_area": P("float", "m2", 10, 100000, doc="largest unit a chain entrant takes"),
        "entrant_cost_sd": P("float", "log sd", 0, 3, doc="spread of entrants' cost efficiency"),
        "entrant_optimism": P("float", "ratio", 0, 5, doc="entrants' revenue expectation relative to the forecast (1 = unbiased)"),
    }),
    **_group("scenario mechanisms", {
        "chain_bankruptcy_month": P("int", "month", 1, 12, doc="calendar month in which a year's failing chain brands close"),
        "secondhand_exposure": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="share of a branch's new-goods spending that second-hand and sharing can replace"),
        "secondhand_local_capture": P("float", "fraction", 0, 1, doc="share of the replaced spending that returns as makers'/repair spending in the centre"),
        "lease_flexibility_popup_gain": P("float", "ratio", 0, 100, doc="extra pop-up arrivals per unit of lease flexibility (x entrant_mix.popup)"),
        "lease_flexibility_startup_cut": P("float", "fraction", 0, 1, doc="cut of pop-ups' opening costs at full lease flexibility"),
        "temporary_centres": P("int", "centres", 0, 50, doc="number of shifting temporary centres (0 = off)"),
        "temporary_centre_period": P("int", "months", 1, 240, doc="months before the temporary centres move to new places"),
        "temporary_centre_radius": P("float", "m", 0, 2000, doc="radius (straight line) of a temporary centre around its street node"),
        "temporary_centre_popups": P("float", "per centre per month", 0, 100, doc="pop-up entrepreneurs matched to each temporary centre"),
        "tourism_exposure": P("map", "fraction", 0, 5, keys=BRANCH_NAMES, doc="tourist spending by branch per unit of tourism_index"),
        "tourism_vacancy_threshold": P("float", "fraction", 0, 1, doc="vacancy above which tourists start to stay away"),
        "tourism_vacancy_width": P("float", "fraction", 0.001, 1, doc="extra vacancy over which the tourist stream falls to zero"),
        "regional_competition_elasticity": P("float", "dimensionless", 0, 50, doc="competition rises by exp(this x (vacancy - regional_vacancy)): strong centres draw from weak ones"),
        "stratification_large_area": P("float", "m2", 10, 10000, doc="floor area above which a unit counts as large"),
        "stratification_area_exponent": P("float", "dimensionless", -5, 5, doc="extra attraction exponent on area above the large-unit threshold at full stratification"),
        "stratification_visitor_exclusion": P("float", "fraction", 0, 1, doc="share of centre visitors excluded at full stratification (gated enclaves)"),
        "visit_shock_exposure": P("map", "fraction", 0, 1, keys=BRANCH_NAMES, doc="share of a branch's spending hit by the visit shock"),
        "shock_support": P("float", "fraction", 0, 1, doc="share of rent and fixed costs compensated in proportion to the visit shock"),
        "shock_rent_relief": P("float", "fraction", 0, 1, doc="share of the rent owners forgive or defer, in a month of a visit shock, to tenants whose revenue fell by at least shock_relief_loss (waiver bargaining)"),
        "shock_relief_loss": P("float", "fraction", 0, 1, doc="revenue loss against the tenant's smoothed revenue that qualifies it for rent relief in a shock"),
    }),
    **_group("burn-in", {
        "burn_in_min_months": P("int", "months", 0, 600, doc="fewest burn-in months under start-year drivers"),
        "burn_in_max_months": P("int", "months", 0, 1200, doc="most burn-in months; the run records a warning when stationarity was not reached"),
        "burn_in_window_months": P("int", "months", 1, 120, doc="window over which the stationarity criterion compares means"),
        "burn_in_tolerance": P("float", "fraction", 0, 1, doc="stationary when the window means of vacancy differ by at most this (fraction points) and of shops by at most this relative change"),
    }),
}

#: Trajectories: year -> value, linearly interpolated, constant beyond the end points.
TRAJECTORIES: dict[str, Spec] = {
    **_group("drivers", {
        "population_index": P("traj", "index (start = 1)", 0, 10, doc="catchment population"),
        "share_65plus": P("traj", "fraction", 0, 1, doc="65+ share of the catchment population"),
        "spending_index": P("traj", "index (start = 1)", 0, 10, doc="real spending per capita"),
        "competition_index": P("traj", "index (start = 1)", 0, 100, doc="attraction of periphery and other towns (x competition_exposure per branch)"),
        "cost_index": P("traj", "index (start = 1)", 0, 10, doc="tenants' operating costs (wages, energy) relative to the start year"),
        "entrant_arrival_rate": P("traj", "per 100 units per month", 0, 100, doc="potential entrepreneurs (investment climate)"),
        "office_seekers": P("traj", "per 100 units per month", 0, 100, doc="office and workspace users looking for a ground-floor unit"),
        "credit_availability": P("traj", "probability", 0, 1, doc="chance an owner's conversion, split or merge is financed"),
        "housing_demand_index": P("traj", "index (start = 1)", 0, 10, doc="rents of dwellings relative to the start year (housing shortage)"),
        "periphery_margin_advantage": P("traj", "fraction of revenue", 0, 1, doc="extra margin a chain expects from moving an outlet to a peripheral site; chains close centre outlets that fall this far short"),
        "online_channel_adoption": P("traj", "per year", 0, 1, doc="adoption of a webshop by an innovative shop"),
        "municipal_budget": P("traj", "EUR/yr", 0, 1e12, doc="money the municipality can spend on its centre levers per year"),
        **{
            f"online_share_{b}": P("traj", "fraction", 0, 1, doc=f"online share of {b} spending")
            for b in BRANCH_NAMES
        },
    }),
    **_group("scenario drivers", {
        "chain_bankruptcy_share": P("traj", "fraction", 0, 1, doc="share of chain brands failing in a year (all outlets close at once, like V&D)", shock=True),
        "secondhand_share": P("traj", "fraction", 0, 1, doc="second-hand and sharing: share of exposed new-goods spending replaced"),
        "lease_flexibility": P("traj", "index (0 = standard leases)", 0, 1, doc="short, flexible leases: more pop-ups, lower pop-up opening costs"),
        "upper_floor_housing_rate": P("traj", "per year", 0, 1, doc="share of unused upper floors offered a dwelling conversion each year (wonen boven winkels)"),
        "leisure_visit_index": P("traj", "index (1 = neutral)", 0, 10, doc="going out (horeca, culture, events) relative to the trend: leisure spending and trips"),
        "work_demand_index": P("traj", "index (1 = neutral)", 0, 10, doc="services and makers' demand from people working in the centre, relative to the trend"),
        "core_search_rate": P("traj", "per year", 0, 12, doc="share of shops outside the core that look for a vacant core unit each year"),
        "tourism_index": P("traj", "fraction", 0, 5, doc="tourist stream: extra spending relative to residents' demand (x tourism_exposure)"),
        "regional_vacancy": P("traj", "fraction", 0, 1, doc="vacancy of competing centres nearby"),
        "temporary_centre_strength": P("traj", "ratio", 0, 20, doc="extra attraction of units in a temporary centre (0 = none)"),
        "ar_game_attraction": P("traj", "ratio", 0, 20, doc="extra centre attraction from augmented-reality games (0 = none)"),
        "vacancy_masking": P("traj", "fraction", 0, 1, doc="share of vacancy hidden from visitors (virtual layers, window dressing)"),
        "stratification_index": P("traj", "index (0 = none, 1 = full)", 0, 1, doc="split into exclusive and discount retail"),
        "visit_shock": P("traj", "fraction", 0, 1, doc="share of exposed centre spending lost to a shock (lockdown)", shock=True),
    }),
}

#: Names a scenario file may still use, with what replaced them. The loader accepts them with a
#: warning and ignores their values (the model no longer has the mechanism they set).
DEPRECATED_PARAMS: dict[str, str] = {
    "initial_vacancy_rate": "the start vacancy is an outcome of the burn-in",
    "conversion_min_vacant_months": "owners weigh converting every vacant unit each month against holding it for a retail tenant, with the expected letting time of its zone (conversion_delay_months, letting_evidence_months)",
    "target_profit_margin_mean": "costs come from fixed_cost_base, fixed_cost_per_m2 and variable_cost_share",
    "target_profit_margin_sd": "costs come from fixed_cost_base, fixed_cost_per_m2 and variable_cost_share",
    "spend_factor_65plus_retail": "use spend_factor_65plus (by branch)",
    "spend_factor_65plus_leisure": "use spend_factor_65plus (by branch)",
    "base_closure_hazard": "exits follow from cash, profit and retirement (exit_patience_months, retirement_age, successor_probability)",
    "chain_exit_probability": "chains review outlets against periphery_margin_advantage",
    "chain_review_month": "chains decide on an outlet at the end of its lease term",
    "contagion_closure_hazard": "contagion acts only through attractiveness",
    "rent_reference": "rents come from the property market (bids and owners' asking rents)",
    "rent_footfall_elasticity": "rents come from the property market (bids and owners' asking rents)",
    "rent_grace_months": "use asking_rent_hold_months (owners differ by their balance sheets)",
    "rent_decay": "use asking_rent_step (owners differ by their balance sheets)",
    "initial_asking_premium": "asking rents start at the owner's estimate of the market rent",
    "rent_floor_fraction": "owners' reservation rents come from their balance sheets",
    "entry_margin_threshold": "entrants need required_income / required_margin (bid rent >= asking rent)",
    "popup_margin_threshold": "pop-ups need required_income like other independents",
    "lease_flexibility_threshold_cut": "use lease_flexibility_startup_cut",
    "temporary_centre_rent_cap": "owners in a temporary centre set their own asking rents",
}
DEPRECATED_TRAJECTORIES: dict[str, str] = {
    "chain_periphery_drift": "use periphery_margin_advantage",
    "conversion_pressure": "use housing_demand_index and credit_availability",
    "workspace_conversion_rate": "use office_seekers",
}
