"""`CityCentreModel`: the monthly causal chain of a Dutch city centre.

One step is one month. `step()` reads as the chain in the brief [PB] (changing consumer
behaviour -> visitor numbers -> revenue -> vacancy) and the property market of the economics
sketch:

    inputs (levers, mechanisms) -> demand -> flows and footfall -> revenue -> tenants' accounts
    -> exits -> owners (valuation, sales, conversion, splits) -> search and matching (entry,
    renewal, relocation) -> asking rents -> adoption -> record

Agents decide (shops close or move, owners convert or sell, entrepreneurs lease, the
municipality pays); arrays compute (flows, footfall, revenue, bids, values and neighbourhood
vacancy run on whole arrays through `sim.kernels` and the submodel modules). Before the first
recorded month every run passes a burn-in under start-year drivers until the centre is
stationary (`sim.burnin`), so the start state is an outcome of the model, not an input.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from mesa import Model

from . import burnin, initial, owners, tenants
from .agents import Municipality, OfficeUser, PropertyOwner, Resident, Shop
from .agents.entrepreneur import draw_age
from .attraction import attractiveness, draw_appeal, drift_appeal, street_factor
from .demand import Demand, DemandDrivers, compute_demand
from .economics import CostInputs, allocate_revenue, lease_length, opening_costs, operator_of
from .exits import NEVER_RETIRES
from .flows import FlowState, month_flows, start_mass
from .functions import N_FUNCTIONS, Anchor, Function
from .inputs import MonthInputs, fold, neutral
from .kernels import Kernels
from .kernels.flows import choice_kernel, door_decay
from .params import Params
from .property import OwnerBook
from .record import Recorder
from .rng import stream
from .scenarios.loader import CentreScenario, load_scenario
from .scenarios.mechanisms import build_mechanisms
from .space import build_street_network, mesa_space
from .state import UnitState
from .threads import blas_controller, one_blas_thread
from .town import Town, generate_town

#: Longest run the model accepts (years); longer runs are refused, not attempted.
MAX_YEARS = 200


class CityCentreModel(Model):
    """A city centre on a street grid.

    Args:
        town: a `Town`, or a preset name (``small``, ``medium``, ``large``, ``xl``).
        scenario: a `CentreScenario`, a preset name or a path to a scenario TOML file.
        policies: policy lever objects or lever specs (``"name:key=value"``), applied in order.
            The model keeps its own copies, so one list can serve many models.
        start_year: first recorded year (January); default: the scenario's own start year. The
            burn-in is held at the scenario's start year (where its data begins), or at
            ``start_year`` if that is earlier; the years from there to ``start_year`` are then
            simulated unrecorded, so a later start continues the history of an earlier one.
        rng: root seed of the run (a whole number >= 0); every mechanism draws from its own
            stream of it.
        backend: kernel implementation, ``"numba"`` or ``"reference"``.
        town_seed: seed of the generated town when ``town`` is a preset name (replicates with
            different ``rng`` share one town).
        burn_in: run the burn-in before the first recorded month (switch off only to inspect
            the generated start state).
    """

    def __init__(
        self,
        town: Town | str = "medium",
        scenario: CentreScenario | str = "baseline",
        policies: list[Any] | None = None,
        start_year: int | None = None,
        rng: int = 0,
        backend: str = "numba",
        town_seed: int = 0,
        burn_in: bool = True,
    ) -> None:
        seed = _check_seed(rng, "rng")
        _check_seed(town_seed, "town_seed")
        if not isinstance(scenario, CentreScenario):
            scenario = load_scenario(scenario)
        if start_year is None:
            start_year = scenario.start_year
        if isinstance(start_year, bool) or not isinstance(start_year, int | np.integer):
            raise TypeError(f"start_year must be a whole year, got {start_year!r}")
        if not 1990 <= int(start_year) <= 2100:
            raise ValueError(f"start_year {start_year} is out of range; allowed: 1990-2100")
        levers = _own_levers(policies)
        # A model gets its own scenario instance (Mesa binds a scenario to one running model).
        scenario = scenario.for_run(seed)
        super().__init__(rng=seed, scenario=scenario)
        self.seed = seed
        self.start_year = int(start_year)
        self.streams: dict[str, np.random.Generator] = {}
        if isinstance(town, str):
            town = generate_town(town, seed=town_seed)
        elif not isinstance(town, Town):
            raise TypeError(f"town must be a preset name or a Town, got {type(town).__name__}")
        self.p = Params(scenario)
        self.kernels = Kernels(backend)
        self.town, self.slot_parent = owners.with_slots(town, self.p)

        # Space: the Mesa network for agents, the static street geometry for the kernels.
        self.space = mesa_space(self.town, self.random)
        self.net = build_street_network(self.town, self.p.contagion_radius, self.p.huff_radius)
        lengths = np.array([self.p.decay_length_under65, self.p.decay_length_65plus])
        self._kernel = choice_kernel(self.net.pair_dist, lengths)
        self._door = door_decay(self.net.unit_offset, lengths)
        ed = self.net.exit_dist
        w = self.town.entry_weight[None, :] * np.exp(-(ed - ed.min(axis=1, keepdims=True))
                                                      / self.p.exit_decay_length)
        self._exit_prob = w / w.sum(axis=1, keepdims=True)

        self.units = self._initial_units()
        self.shop_at: dict[int, Shop] = {}
        self.office_at: dict[int, OfficeUser] = {}
        self.owner_book = OwnerBook(
            kind=np.where(np.arange(len(town.owner_institutional)) == 0, 2,
                          town.owner_institutional.astype(np.int64)),
            debt=np.zeros(len(town.owner_institutional)))
        self.owners = [PropertyOwner(self, i) for i in range(self.owner_book.n)]
        self.municipality = Municipality(self, levers)
        self.mechanisms = build_mechanisms(scenario, self.p)
        self.recorder = Recorder(self)
        self.clock = 0  # months simulated, burn-in included
        self.burn_in_months = 0
        self.in_burn_in = True
        self.recording = False
        #: the year the burn-in is held at: where the scenario's data begins
        self.origin_year = min(self.start_year, int(scenario.start_year))
        self.month_events = dict.fromkeys(
            ("openings", "closures", "conversions", "relocations", "popups", "sales", "splits",
             "merges"), 0)
        self.local_vacancy_node = np.zeros(self.town.n_nodes)
        self.local_vacancy_unit = np.zeros(self.town.n_units)
        self.housing_added = 0
        self.national_support = 0.0
        self._residents_changed = False
        self._blas = blas_controller()
        with one_blas_thread(self._blas):
            self._initialise()
            report = burnin.run(self) if burn_in else burnin.skipped(self)
            self.in_burn_in = False
            # The history from the burn-in year to the start year, unrecorded.
            spin_up = 12 * (self.start_year - self.origin_year)
            for _ in range(spin_up):
                self.month()
        self.burn_in_report = dataclasses.replace(report, spin_up_months=spin_up)
        self._start_recording()

    def _start_recording(self) -> None:
        """From here on months are recorded; cumulative counts start at zero."""
        self.recording = True
        self.housing_added = 0
        self.national_support = 0.0
        self.municipality.public_cost = 0.0
        self.municipality.spent_by = {}
        self.recorder.snapshot_units(year=self.start_year - 1)

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of mechanism ``name`` (created on first use; see `sim.rng`). Each
        lever draws from its own ``policy:<name>`` stream, so levers do not shift each other."""
        if name not in self.streams:
            self.streams[name] = stream(self.seed, name)
        return self.streams[name]

    # ------------------------------------------------------------------ calendar
    @property
    def months_since_origin(self) -> int:
        """Months since January of the burn-in year of the month being simulated (negative
        during the burn-in)."""
        return self.clock - 1 - self.burn_in_months

    @property
    def month_index(self) -> int:
        """Months since January of ``start_year`` of the month being simulated (negative before
        the recorded run)."""
        return self.months_since_origin - 12 * (self.start_year - self.origin_year)

    @property
    def calendar_month(self) -> int:
        return (self.clock - 1) % 12 + 1

    @property
    def year(self) -> int:
        return self.origin_year + (self.months_since_origin // 12 if not self.in_burn_in else 0)

    @property
    def year_f(self) -> float:
        """The time drivers are read at: frozen at the burn-in year during the burn-in."""
        return self.origin_year + (self.months_since_origin / 12.0 if not self.in_burn_in
                                   else 0.0)

    def driver(self, name: str) -> float:
        """Driver ``name`` this month (shock drivers are neutral during the burn-in)."""
        return self.p.driver(name, self.year_f, self.in_burn_in)

    # ------------------------------------------------------------------ initial state
    def _initial_units(self) -> UnitState:
        t, n = self.town, self.town.n_units
        f = np.zeros(n)
        i = np.zeros(n, dtype=np.int64)
        active = self.slot_parent < 0
        return UnitState(
            node=t.unit_node.astype(np.int64), zone=t.unit_zone.copy(),
            area=np.where(active, t.floor_area, 0.0), upper_floors=t.upper_floors.copy(),
            anchor=t.anchor.copy(), owner=t.owner.astype(np.int64).copy(), active=active,
            parent=self.slot_parent.copy(), function=t.function.astype(np.int64).copy(),
            second_function=np.full(n, -1, dtype=np.int64), eligible=t.retail_allowed.copy(),
            chain=t.chain.copy(), chain_id=np.full(n, -1, dtype=np.int64),
            popup=np.zeros(n, bool), popup_start=i.copy(), opened=i.copy(), cash=f.copy(),
            revenue=f.copy(), revenue_second=f.copy(), revenue_online=f.copy(), profit=f.copy(),
            profit_ema=f.copy(),
            revenue_ema=f.copy(), loss_months=i.copy(), online_channel=np.zeros(n, bool),
            innovativeness=f.copy(), appeal=np.ones(n), cost_factor=np.ones(n),
            startup_monthly=f.copy(),
            birth_clock=i.copy(), retire_age=np.full(n, NEVER_RETIRES), review_month=i.copy(),
            subsidy_until=i.copy(), subsidy_share=f.copy(), contract_rent=f.copy(),
            asking_rent=f.copy(), book_rent=f.copy(), best_bid=f.copy(),
            best_bid_month=np.full(n, -10**6, dtype=np.int64), lease_end=i.copy(),
            months_vacant=i.copy(), visits=f.copy(), footfall=f.copy(), dwellings=i.copy(),
        )

    def _initialise(self) -> None:
        """Residents, tenants, rents, owners' balance sheets and the first month's flows of the
        generated town (the burn-in then brings it to a stationary state)."""
        rng, u, p = self.stream("init"), self.units, self.p
        n = u.n
        # Dwellings: upper floors used for housing, and housing units on every floor.
        share = p.upper_floor_dwelling_share[u.zone]
        upper = rng.binomial(u.upper_floors.astype(np.int64), share) * u.active
        housing = u.function == Function.HOUSING
        per_floor = np.maximum(1, np.round(u.area / p.dwelling_size)).astype(np.int64)
        u.dwellings[:] = np.where(housing, per_floor * (1 + u.upper_floors), upper)
        self.residents: list[Resident] = []
        res_rng = self.stream("residents")
        for unit in np.flatnonzero(u.dwellings):
            for _ in range(int(u.dwellings[unit])):
                self.residents.append(Resident(self, int(unit), res_rng))
        self._refresh_resident_arrays()

        # Each unit's (first) tenant differs in costs and appeal; then settle the generated
        # tenancies close to what the start-year market supports.
        self.clock = 0
        self.inputs = self._fold_inputs()
        self.n_shops_ref = self._shops_by_branch()
        u.cost_factor[:] = np.exp(rng.normal(0.0, p.entrant_cost_sd, n))
        u.appeal[:] = draw_appeal(p, rng, n)
        u.contract_rent[:] = p.owner_running_cost
        u.book_rent[:] = p.owner_running_cost
        initial.settle(self, self.stream("settle"))
        shop = u.occupied_commercial
        u.cost_factor[~shop] = 1.0
        u.appeal[~shop] = 1.0
        a, b = p.innovativeness_beta
        u.innovativeness[:] = np.where(shop, rng.beta(a, b, n), 0.0)
        brands = int(p.chain_brands_per_branch)
        brand = rng.integers(0, brands, n)
        u.chain_id[:] = np.where(u.chain, u.function * brands + brand, -1)
        u.chain_id[u.anchor == Anchor.DEPARTMENT_STORE] = N_FUNCTIONS * brands
        start = p.online_channel_start[np.where(u.chain, 1, 0)] * u.innovativeness / (a / (a + b))
        u.online_channel[:] = shop & (rng.random(n) < start)
        # Tenancies began some years ago; leases end within one lease term.
        u.opened[:] = -rng.integers(0, max(int(12 * p.initial_tenancy_years), 1), n)
        u.review_month[:] = (u.opened - 1) % 12 + 1
        age_open = draw_age(p, rng, n)
        u.birth_clock[:] = u.opened - np.round(12 * age_open).astype(np.int64)
        lo, hi = p.retirement_age
        u.retire_age[:] = np.where(shop & ~u.chain, rng.uniform(lo, hi, n), NEVER_RETIRES)
        u.lease_end[:] = rng.integers(1, int(p.lease_months) + 1, n)
        for unit in np.flatnonzero(shop):
            Shop(self, int(unit))
        # Office users the settling placed in shop units (the town's own offices are zoned
        # offices, outside the retail market).
        office = np.flatnonzero(u.active & u.eligible & (u.function == Function.OFFICE))
        will = np.exp(rng.normal(0.0, p.office_rent_sd, len(office)))
        for unit, w in zip(office, will, strict=True):
            OfficeUser(self, int(unit), float(p.office_rent[u.zone[unit]] * w))

        # The first month's flows and revenue with the settled tenants.
        self.flows_and_revenue()
        tenants.initial_rents_and_cash(self)
        owners.initial_balance_sheets(self, rng)
        self.update_local_vacancy()

    # ------------------------------------------------------------------ the monthly chain
    def step(self) -> None:
        """One recorded month of the causal chain (BLAS on one thread: see `sim.threads`)."""
        with one_blas_thread(self._blas):
            self.month()
        self.recorder.record_month()

    def month(self) -> None:
        """One month of the causal chain (recorded by `step`, not during the burn-in)."""
        self.clock += 1
        self.month_events = dict.fromkeys(self.month_events, 0)
        self.municipality.new_month(self.year if not self.in_burn_in else -self.clock,
                                    self.driver("municipal_budget"))
        for mechanism in self.mechanisms:
            mechanism.events(self)
        self.inputs = self._fold_inputs()
        if self.calendar_month == 1:
            self._population_year()
        demand = self._demand()
        u = self.units
        u.appeal[:] = np.where(u.occupied_commercial,
                               drift_appeal(self.p, u.appeal, self.stream("appeal")), 1.0)
        self._flows(demand)
        self._revenue(demand)
        tenants.finances(self)
        tenants.closures(self)
        leaving = tenants.lease_ends(self)
        owners.property_market(self)
        tenants.search_and_match(self, leaving)
        owners.asking_rents(self)
        if self.calendar_month == 1:
            Shop.adopt_online_channel(self, self.stream("adaptation").random(self.units.n))
        tenants.mixed_use(self)
        if not self.in_burn_in:
            self.municipality.act()
        if self._residents_changed:
            self._refresh_resident_arrays()
        self.update_local_vacancy()
        self.units.months_vacant[self.units.vacant] += 1
        self.demand = demand

    # ------------------------------------------------------------------ submodels
    def _fold_inputs(self) -> MonthInputs:
        """This month's inputs: the zoning plan, folded with the effects of the scenario's
        mechanisms and (after the burn-in) the municipality's levers."""
        p, u = self.p, self.units
        base = neutral(u.n, len(self.town.entry_node),
                       conversion_permit=np.asarray(p.conversion_allowed, bool)[u.zone],
                       office_permit=np.asarray(p.office_allowed, bool)[u.zone],
                       mixed_use_permit=np.asarray(p.mixed_use_allowed, bool)[u.zone])
        effects = [e for m in self.mechanisms if (e := m.effects(self)) is not None]
        if not self.in_burn_in:
            effects += self.municipality.effects()
        return fold(base, effects)

    def _population_year(self) -> None:
        rng = self.stream("residents")
        for r in self.residents:
            if r.age_one_year(rng):
                r.renew(rng)
        self._refresh_resident_arrays()

    def _refresh_resident_arrays(self) -> None:
        # Gathered in one go (no NumPy call per household): once a month after conversions.
        self._residents_changed = False
        res = self.residents
        ages = [r.ages for r in res]
        sizes = np.fromiter(map(len, ages), dtype=np.int64, count=len(ages))
        units = np.fromiter((r.unit for r in res), dtype=np.int64, count=len(res))
        old = int(np.count_nonzero(np.concatenate(ages) >= 65)) if ages else 0
        self.residents_at = np.bincount(units, weights=sizes, minlength=self.units.n)
        self.residents_by_age = np.array([sizes.sum() - old, old], dtype=float)

    def _shops_by_branch(self) -> np.ndarray:
        """Outlets by function; a mixed-use unit's second function counts for its branch."""
        u = self.units
        shop = u.occupied_commercial
        second = shop & (u.second_function >= 0)
        return (np.bincount(u.function[shop], minlength=N_FUNCTIONS)
                + np.bincount(u.second_function[second], minlength=N_FUNCTIONS)).astype(float)

    def vacancy_rate(self, mask: np.ndarray | None = None) -> float:
        """Vacant retail-eligible units / retail-eligible units (in ``mask``), a fraction."""
        u = self.units
        elig = u.eligible & u.active if mask is None else u.eligible & u.active & mask
        d = int(elig.sum())
        return float((elig & u.vacant).sum() / d) if d else 0.0

    def perceived_vacancy(self) -> float:
        """The vacancy visitors see (window dressing and virtual layers hide some of it)."""
        return float(np.clip(self.vacancy_rate() * self.inputs.perceived_vacancy, 0.0, 1.0))

    def demand_drivers(self) -> DemandDrivers:
        return DemandDrivers(
            population_index=self.driver("population_index"),
            share_65plus=self.driver("share_65plus"),
            spending_index=self.driver("spending_index"),
            leisure_visit_index=self.driver("leisure_visit_index"),
            work_demand_index=self.driver("work_demand_index"),
            competition_index=self.driver("competition_index"),
            online_share=self.p.online_share(self.year_f))

    def flows_and_revenue(self) -> None:
        """Demand, flows and revenue for the current tenants (used by the initialisation)."""
        self.demand = self._demand()
        self._flows(self.demand)
        self._revenue(self.demand)

    def _demand(self) -> Demand:
        i = self.inputs
        return compute_demand(self.p, self.demand_drivers(), self.town.catchment_population,
                              self.residents_by_age, self.perceived_vacancy(),
                              self._shops_by_branch(), self.n_shops_ref, i.demand,
                              i.centre_attraction, i.competition)

    def _flows(self, demand: Demand) -> None:
        """Trips -> stop choice -> routes -> footfall (kernels)."""
        u, i = self.units, self.inputs
        self.street = street_factor(self.p, self.local_vacancy_node, i.perceived_vacancy)
        main, second = attractiveness(self.p, u, self.clock, self.street, i.unit_attraction)
        res_nodes = np.bincount(u.node, weights=self.residents_at, minlength=self.town.n_nodes)
        m0 = start_mass(demand, self.town, self.town.entry_weight * i.entry_weight, res_nodes)
        self.flows: FlowState = month_flows(self.p, self.kernels, self.net, self.town, u.node,
                                            self._kernel, self._door, self._exit_prob, m0, main,
                                            second)
        self.node_footfall = self.flows.node_footfall
        u.visits[:] = self.flows.main_visits + self.flows.second_visits
        u.footfall[:] = self.node_footfall[u.node]
        self.trips_month = self.flows.trips

    def _revenue(self, demand: Demand) -> None:
        self.pools, self.leakage = allocate_revenue(self.p, self.units, demand, self.flows)
        self.revenue_total = float(self.units.revenue.sum())
        self.revenue_online_total = float(self.units.revenue_online.sum())

    def cost_inputs(self) -> CostInputs:
        return CostInputs(cost_index=self.driver("cost_index"),
                          startup_factor=self.inputs.startup_cost,
                          popup_startup_factor=self.inputs.popup_startup_cost)

    def update_local_vacancy(self) -> None:
        u = self.units
        self.local_vacancy_node, self.local_vacancy_unit = self.kernels.local_vacancy(
            self.net.near_ptr, self.net.near_unit, u.node, u.vacant, u.eligible & u.active)

    # ------------------------------------------------------------------ state transitions
    def sign_lease(self, unit: int, rent: float, popup: bool) -> None:
        """A lease of ``unit`` at ``rent`` (EUR/m2/yr) starts this month."""
        u, p = self.units, self.p
        u.contract_rent[unit] = rent
        u.asking_rent[unit] = rent
        u.book_rent[unit] = rent / (1.0 - p.popup_rent_discount) if popup else rent
        if popup:
            lo, hi = p.popup_lease_months
            months = int(self.stream("entry").integers(int(lo), int(hi) + 1))
        else:
            months = int(p.lease_months)
        u.lease_end[unit] = self.clock + months
        u.months_vacant[unit] = 0

    def open_shop(self, unit: int, branch: int, chain: bool, popup: bool, rent: float,
                  cost_factor: float, birth_clock: int, subsidy: float,
                  rng: np.random.Generator) -> Shop:
        """A new tenant signs a lease for vacant ``unit`` at ``rent`` (EUR/m2/yr)."""
        u, p = self.units, self.p
        u.function[unit] = branch
        u.second_function[unit] = -1
        u.chain[unit] = chain
        brands = int(p.chain_brands_per_branch)
        u.chain_id[unit] = branch * brands + int(rng.integers(brands)) if chain else -1
        u.popup[unit] = popup
        u.popup_start[unit] = self.clock
        u.opened[unit] = self.clock
        u.review_month[unit] = self.calendar_month
        u.innovativeness[unit] = rng.beta(*p.innovativeness_beta)
        u.appeal[unit] = float(draw_appeal(p, rng))
        u.online_channel[unit] = False
        u.cost_factor[unit] = cost_factor
        u.birth_clock[unit] = birth_clock
        lo, hi = p.retirement_age
        u.retire_age[unit] = NEVER_RETIRES if chain else rng.uniform(lo, hi)
        self.sign_lease(unit, rent, popup)
        op = operator_of(np.array([chain]))
        opening = opening_costs(p, u.area[unit:unit + 1], op, np.array([popup]),
                                self.cost_inputs())[0]
        u.startup_monthly[unit] = opening / float(lease_length(p, np.array([popup]))[0])
        u.subsidy_share[unit] = subsidy
        u.subsidy_until[unit] = self.clock + int(p.rent_subsidy_months) if subsidy > 0 else 0
        cost_index = self.driver("cost_index")
        monthly = (cost_index * cost_factor * (p.fixed_cost_base[op[0]] + p.fixed_cost_per_m2[
            op[0]] * u.area[unit] / 12.0) + rent * u.area[unit] / 12.0)
        u.cash[unit] = p.reserve_months * monthly
        u.profit_ema[unit] = 0.0
        u.revenue_ema[unit] = 0.0
        u.loss_months[unit] = 0
        shop = Shop(self, unit)
        self.log_event(unit, "popup_open" if popup else "opening",
                       cause="chain" if chain else ("popup" if popup else "independent"))
        return shop

    def open_office(self, unit: int, rent: float, bid: float) -> OfficeUser:
        u = self.units
        u.function[unit] = Function.OFFICE
        u.opened[unit] = self.clock
        self.sign_lease(unit, rent, popup=False)
        user = OfficeUser(self, unit, bid)
        self.log_event(unit, "office_open", cause="office")
        return user

    def vacate(self, unit: int) -> None:
        """The tenant of ``unit`` has left: the owner asks at least the last rent (its estimate
        of the market) and keeps the book rent until the appraiser marks it down."""
        u = self.units
        last = u.contract_rent[unit] / (1.0 - self.p.popup_rent_discount) if u.popup[unit] else (
            u.contract_rent[unit])
        u.asking_rent[unit] = max(last, u.asking_rent[unit]) if u.vacant[unit] else last
        u.book_rent[unit] = last
        u.clear_tenant(unit)

    def convert_to_housing(self, unit: int, cause: str = "") -> None:
        """The owner turns vacant ``unit`` into dwellings (no longer retail-eligible)."""
        u = self.units
        u.function[unit] = Function.HOUSING
        u.eligible[unit] = False
        u.months_vacant[unit] = 0
        new = max(1, round(u.area[unit] / self.p.dwelling_size))
        u.dwellings[unit] += new
        rng = self.stream("conversion_households")
        for _ in range(new):
            self.residents.append(Resident(self, unit, rng))
        if self.recording:
            self.housing_added += new
        self._residents_changed = True
        self.log_event(unit, "conversion", cause=cause)

    # ------------------------------------------------------------------ events
    def log_event(self, unit: int, kind: str, cause: str = "") -> None:
        counter = {"opening": "openings", "popup_open": "popups", "office_open": "openings",
                   "closure": "closures", "popup_end": "closures", "conversion": "conversions",
                   "sale": "sales", "split": "splits", "merge": "merges"}.get(kind)
        if counter:
            self.month_events[counter] += 1
            if kind == "popup_open":
                self.month_events["openings"] += 1
        if self.recording:
            self.recorder.event(unit, kind, cause)

    # ------------------------------------------------------------------ running
    def run_for(self, duration: float | int) -> None:
        """Advance ``duration`` monthly steps (a whole number >= 1)."""
        months = _check_months(duration)
        if self.steps + months > 12 * MAX_YEARS:
            raise ValueError(f"a run may last at most {MAX_YEARS} years")
        super().run_for(months)

    def run_months(self, months: int, progress=None) -> None:
        """Advance ``months`` monthly steps (one at a time, calling ``progress`` after each)."""
        months = _check_months(months)
        for _ in range(months):
            self.run_for(1)
            if progress is not None:
                progress()


def _check_seed(seed: Any, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name} must be a whole number >= 0, got {seed!r}")
    if seed < 0 or seed >= 2**63:
        raise ValueError(f"{name} must be a whole number from 0 to 2**63 - 1, got {seed}")
    return int(seed)


def _check_months(months: Any) -> int:
    if isinstance(months, bool) or not isinstance(months, int | np.integer | float):
        raise TypeError(f"months must be a whole number >= 1, got {months!r}")
    if not (math.isfinite(float(months)) and float(months).is_integer() and months >= 1):
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    return int(months)


def _own_levers(policies: list[Any] | None) -> list[Any]:
    """Fresh lever objects for this model (specs are parsed; objects are copied)."""
    from .policies import parse_policy
    from .policies.base import Lever

    if policies is None:
        return []
    if isinstance(policies, str | bytes) or not hasattr(policies, "__iter__"):
        raise TypeError("policies must be a list of lever specs or lever objects, got "
                        f"{type(policies).__name__}")
    out = []
    for item in policies:
        if isinstance(item, str):
            out.append(parse_policy(item))
        elif isinstance(item, Lever):
            out.append(type(item)(**item.values))
        else:
            raise TypeError(f"policy {item!r} is neither a lever spec nor a lever")
    names = [lv.name for lv in out]
    dup = next((nm for nm in names if names.count(nm) > 1), None)
    if dup is not None:
        raise ValueError(f"policy {dup!r} is given twice; allowed: each lever once (combine "
                         "settings in one spec)")
    return out

