"""`CityCentreModel`: the monthly causal chain of a Dutch city centre.

One step is one month. `step()` reads as the chain in the brief [PB]: changing consumer behaviour
-> visitor numbers -> revenue -> vacancy:

    policies -> population -> demand -> trips -> footfall -> revenue -> closures
    -> relocations -> rents and conversions -> entry -> contagion -> record

Agents decide (shops close or move, owners convert, entrepreneurs open); arrays compute (flows,
footfall, revenue, rents and neighbourhood vacancy run on whole arrays through `sim.kernels`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import Model

from .agents import Entrepreneur, Municipality, PropertyOwner, Resident, Shop, Visitor
from .demand import Demand, compute_demand, trips_by_purpose
from .functions import COMMERCIAL, DAYS_PER_MONTH, N_FUNCTIONS, Anchor, Function
from .kernels import Kernels
from .params import Params
from .record import Recorder
from .rng import stream, streams
from .scenarios.loader import CentreScenario, load_scenario
from .scenarios.mechanisms import build_mechanisms
from .scenarios.schema import ENTRANT_TYPES
from .space import build_street_network, mesa_space
from .state import IS_COMMERCIAL, UnitState
from .town import Town, generate_town

#: Number of chain brands per branch; outlets are assigned to brands at random.
BRANDS_PER_BRANCH = 6


class CityCentreModel(Model):
    """A city centre on a street grid.

    Args:
        town: a `Town`, or a preset name (``small``, ``medium``, ``large``, ``xl``).
        scenario: a `CentreScenario`, a preset name or a path to a scenario TOML file.
        policies: policy lever objects (see `sim.policies`), applied in order each month.
        start_year: first simulated year (January).
        rng: root seed of the run; every mechanism draws from its own stream of it.
        backend: kernel implementation, ``"numba"`` or ``"reference"``.
        town_seed: seed of the generated town when ``town`` is a preset name (replicates with
            different ``rng`` share one town).
    """

    def __init__(
        self,
        town: Town | str = "medium",
        scenario: CentreScenario | str = "baseline",
        policies: list[Any] | None = None,
        start_year: int = 2013,
        rng: int = 0,
        backend: str = "numba",
        town_seed: int = 0,
    ) -> None:
        if not isinstance(scenario, CentreScenario):
            scenario = load_scenario(scenario)
        # A model gets its own scenario instance (Mesa binds a scenario to one running model).
        scenario = scenario.for_run(int(rng))
        super().__init__(rng=int(rng), scenario=scenario)
        self.seed = int(rng)
        self.start_year = int(start_year)
        self.streams = streams(self.seed)
        # The town is generated from its own seed: replicates of a run share the same centre.
        self.town = generate_town(town, seed=town_seed) if isinstance(town, str) else town
        self.p = Params(scenario)
        self.kernels = Kernels(backend)

        # Space: the Mesa network for agents, the static street geometry for the kernels.
        self.space = mesa_space(self.town, self.random)
        self.net = build_street_network(self.town, self.p.huff_radius, self.p.contagion_radius)
        self._decay = np.exp(-self.net.cand_dist[None, :] / np.array(
            [self.p.decay_length_under65, self.p.decay_length_65plus])[:, None])
        ed = self.net.exit_dist
        w = self.town.entry_weight[None, :] * np.exp(-(ed - ed.min(axis=1, keepdims=True))
                                                      / self.p.exit_decay_length)
        self._exit_prob = w / w.sum(axis=1, keepdims=True)

        self.units = self._initial_units()
        self.shop_at: dict[int, Shop] = {}
        self.local_vacancy_node = np.zeros(self.town.n_nodes)
        self.local_vacancy_unit = np.zeros(self.town.n_units)
        self.recorder = Recorder(self)
        self.month_events = {"openings": 0, "closures": 0, "conversions": 0, "relocations": 0,
                             "popups": 0}

        self.owners = [PropertyOwner(self, i, bool(inst))
                       for i, inst in enumerate(self.town.owner_institutional)]
        self.visitors = [Visitor(self, e, a, p, self.town.entry_kind[e])
                         for e in range(len(self.town.entry_node)) for a in range(2)
                         for p in range(3)]
        self.visitors += [Visitor(self, -1, a, p, "residents") for a in range(2) for p in range(3)]
        self.municipality = Municipality(self, policies or [])
        # Scenario mechanisms (shocks, second-hand, games, ...) act like levers but belong to the
        # future being simulated, not to the municipality.
        self.mechanisms = build_mechanisms(scenario, self.p)
        self._initialise()

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of mechanism ``name`` (created on first use; see `sim.rng`). Each
        lever draws from its own ``policy:<name>`` stream, so levers do not shift each other."""
        if name not in self.streams:
            self.streams[name] = stream(self.seed, name)
        return self.streams[name]

    # ------------------------------------------------------------------ calendar
    @property
    def month_index(self) -> int:
        """Months since the start of January of ``start_year`` of the month being simulated."""
        return max(self.steps - 1, 0)

    @property
    def calendar_month(self) -> int:
        return self.month_index % 12 + 1

    @property
    def year(self) -> int:
        return self.start_year + self.month_index // 12

    @property
    def year_f(self) -> float:
        return self.start_year + self.month_index / 12.0

    # ------------------------------------------------------------------ initial state
    def _initial_units(self) -> UnitState:
        t, n = self.town, self.town.n_units
        f = np.zeros(n)
        return UnitState(
            node=t.unit_node.astype(np.int64), zone=t.unit_zone.copy(), area=t.floor_area.copy(),
            upper_floors=t.upper_floors.copy(), anchor=t.anchor.copy(), owner=t.owner.copy(),
            owner_institutional=t.owner_institutional[t.owner],
            function=t.function.copy(), eligible=t.retail_allowed.copy(), chain=t.chain.copy(),
            chain_id=np.full(n, -1, dtype=np.int64), popup=np.zeros(n, bool),
            popup_start=np.zeros(n, np.int64), mixed_use=np.zeros(n, bool),
            opened=np.zeros(n, np.int64), cash=f.copy(), fixed_cost=f.copy(), revenue=f.copy(),
            revenue_online=f.copy(), profit=f.copy(), profit_ema=f.copy(),
            online_channel=np.zeros(n, bool), innovativeness=f.copy(), contract_rent=f.copy(),
            asking_rent=f.copy(), market_rent=f.copy(), lease_end=np.zeros(n, np.int64),
            months_vacant=np.zeros(n, np.int64), visits=f.copy(), footfall=f.copy(),
            dwellings=np.zeros(n, np.int64),
        )

    def _initialise(self) -> None:
        """Residents, tenants, initial vacancy (where footfall is weakest) and rents/costs that make
        the start-year centre consistent with its demand."""
        rng, u, p = self.streams["init"], self.units, self.p
        n = u.n
        self.steps = 0
        # Dwellings: upper floors used for housing, and housing units on every floor.
        share = p.upper_floor_dwelling_share[u.zone]
        upper = rng.binomial(u.upper_floors.astype(np.int64), share)
        housing = u.function == Function.HOUSING
        per_floor = np.maximum(1, np.round(u.area / p.dwelling_size)).astype(np.int64)
        u.dwellings[:] = np.where(housing, per_floor * (1 + u.upper_floors), upper)
        self.residents: list[Resident] = []
        for unit in np.flatnonzero(u.dwellings):
            for _ in range(int(u.dwellings[unit])):
                self.residents.append(Resident(self, int(unit), self.streams["residents"]))
        self._refresh_resident_arrays()

        u.innovativeness[:] = rng.beta(2.0, 2.0, n)
        brand = rng.integers(0, BRANDS_PER_BRANCH, n)
        u.chain_id[:] = np.where(u.chain, u.function.astype(np.int64) * BRANDS_PER_BRANCH + brand,
                                 -1)
        u.chain_id[u.anchor == Anchor.DEPARTMENT_STORE] = N_FUNCTIONS * BRANDS_PER_BRANCH
        u.online_channel[:] = u.occupied_commercial & (rng.random(n) < 0.3 * u.innovativeness
                                                       + 0.3 * u.chain)

        # First pass of flows with everything open, to find where footfall is weakest.
        self._update_attractiveness_inputs()
        self._flows(self._demand())
        self._place_initial_vacancy(rng)
        self._update_local_vacancy()
        self.vacancy0 = self.vacancy_rate()
        self.n_shops0 = self._shops_by_branch()
        demand = self._demand()
        self._update_attractiveness_inputs()  # the just-vacated units no longer draw stops
        self._flows(demand)
        zone_ref = np.array([np.median(u.footfall[u.eligible & (u.zone == z)]) if np.any(
            u.eligible & (u.zone == z)) else 1.0 for z in range(3)])
        self._footfall_ref = np.maximum(zone_ref, 1.0)
        self._update_market_rents()
        u.contract_rent[:] = u.market_rent * np.exp(rng.normal(0.0, 0.15, n))
        # Vacant units start with asking rents above the market: owners still ask pre-crisis rents
        # [OV] (that is why they are empty).
        u.asking_rent[:] = np.where(u.vacant, p.initial_asking_premium * u.market_rent,
                                    u.contract_rent)
        u.months_vacant[:] = np.where(u.vacant, rng.integers(0, 36, n), 0)
        self._revenue(demand)
        # Fixed costs calibrated so start-year net margins scatter around the target (calibration).
        shop = u.occupied_commercial
        rev = u.revenue + u.revenue_online
        target = rng.normal(p.target_profit_margin_mean, p.target_profit_margin_sd, n)
        gm = p.gross_margin[u.function]
        rent_month = u.contract_rent * u.area / 12.0
        fixed = gm * rev - rent_month - target * rev
        u.fixed_cost[:] = np.where(shop, np.maximum(fixed, 0.05 * rev), 0.0)
        costs = rent_month + u.fixed_cost
        u.cash[:] = np.where(shop, p.reserve_months * costs * rng.lognormal(0.0, 0.5, n), 0.0)
        u.profit[:] = np.where(shop, gm * rev - costs, 0.0)
        u.profit_ema[:] = u.profit
        u.lease_end[:] = rng.integers(1, int(p.lease_months) + 1, n)
        u.opened[:] = -rng.integers(0, 240, n)
        for unit in np.flatnonzero(shop):
            Shop(self, int(unit))
        self.demand = demand
        self.recorder.snapshot_units(year=self.start_year - 1)

    def _place_initial_vacancy(self, rng: np.random.Generator) -> None:
        """Vacate ``initial_vacancy_rate`` of the retail-eligible units, the weakest-footfall ones
        most likely (vacancy starts at the edge, not uniformly) [MODEL sketch]."""
        u, p = self.units, self.p
        if np.any(u.vacant & u.eligible):
            return  # a user's town file already states its vacancy
        pool = np.flatnonzero(u.eligible & (u.anchor == Anchor.NONE))
        k = round(float(p.initial_vacancy_rate * u.eligible.sum()))
        if k == 0 or len(pool) == 0:
            return
        foot = u.footfall[pool]
        w = 1.0 / (foot / max(np.median(foot), 1e-9) + 0.25)
        chosen = rng.choice(pool, size=min(k, len(pool)), replace=False, p=w / w.sum())
        for unit in chosen:
            u.clear_tenant(int(unit))

    # ------------------------------------------------------------------ the monthly chain
    def step(self) -> None:
        """One month of the causal chain."""
        self.month_events = dict.fromkeys(self.month_events, 0)
        for mechanism in self.mechanisms:
            mechanism.apply(self)
        self.municipality.apply_policies()
        if self.calendar_month == 1 and self.steps > 1:
            self._population_year()
        demand = self._demand()
        self._update_attractiveness_inputs()
        self._flows(demand)
        self._revenue(demand)
        self._finances()
        self._closures()
        self._relocations()
        self._rents_and_conversions()
        self._entry()
        if self.calendar_month == 1:
            Shop.adopt_online_channel(self, self.streams["adaptation"].random(self.units.n))
        self._update_local_vacancy()
        self.units.months_vacant[self.units.vacant] += 1
        self.demand = demand
        self.recorder.record_month()

    # ------------------------------------------------------------------ submodels
    def _population_year(self) -> None:
        rng = self.streams["residents"]
        for r in self.residents:
            if r.age_one_year(rng):
                r.renew(rng)
        self._refresh_resident_arrays()

    def _refresh_resident_arrays(self) -> None:
        # Gathered in one go (no NumPy call per household): called after every conversion.
        res = self.residents
        ages = [r.ages for r in res]
        sizes = np.fromiter(map(len, ages), dtype=np.int64, count=len(ages))  # = Resident.size
        units = np.fromiter((r.unit for r in res), dtype=np.int64, count=len(res))
        old = int(np.count_nonzero(np.concatenate(ages) >= 65)) if ages else 0
        self.residents_at = np.bincount(units, weights=sizes, minlength=self.units.n)
        self.residents_by_age = np.array([sizes.sum() - old, old], dtype=float)

    def _shops_by_branch(self) -> np.ndarray:
        u = self.units
        return np.bincount(u.function[u.occupied_commercial].astype(np.int64),
                           minlength=N_FUNCTIONS).astype(float)

    def vacancy_rate(self, mask: np.ndarray | None = None) -> float:
        """Vacant retail-eligible units / retail-eligible units (in ``mask``), a fraction."""
        u = self.units
        elig = u.eligible if mask is None else u.eligible & mask
        d = int(elig.sum())
        return float((elig & u.vacant).sum() / d) if d else 0.0

    def _demand(self) -> Demand:
        return compute_demand(self.p, self.year_f, self.town.catchment_population,
                              self.residents_by_age,
                              self.vacancy_rate() * self.p.extra.get("perceived_vacancy_factor",
                                                                     1.0),
                              getattr(self, "vacancy0", self.p.initial_vacancy_rate),
                              self._shops_by_branch(),
                              getattr(self, "n_shops0", self._shops_by_branch()))

    def _update_attractiveness_inputs(self) -> None:
        """Attractiveness of every unit for every purpose (purposes x units)."""
        u, p = self.units, self.p
        base = u.area ** p.attractiveness_area_exponent
        base = base * p.anchor_attractiveness[u.anchor] * np.where(u.chain, p.chain_attractiveness,
                                                                    1.0)
        age = self.steps - u.popup_start
        novelty = np.where(u.popup, 1.0 + p.popup_novelty * 0.5 ** (age / p.popup_novelty_halflife),
                           1.0)
        eta = p.contagion_strength * p.contagion_attractiveness_exponent
        # Shoppers react to the vacancy they see (window dressing hides some of it).
        seen = np.clip(self.local_vacancy_node * p.extra.get("perceived_vacancy_factor", 1.0), 0, 1)
        street = (1.0 - seen) ** eta
        factor = p.extra.get("unit_attraction", 1.0)
        mixed = np.where(u.mixed_use, p.extra.get("mixed_use_attraction", 1.0), 1.0)
        self.attr = (p.stop_preference[:, u.function] * (base * novelty * mixed * factor
                                                         * street[u.node])[None, :])

    def _flows(self, demand: Demand) -> None:
        """Trips -> stop choice -> routes -> footfall (kernels)."""
        t, u = self.town, self.units
        trips = trips_by_purpose(self.p, demand.centre)  # [origin, age, purpose]
        m0 = np.zeros((3, 2, t.n_nodes))
        entry_w = t.entry_weight * self.p.extra.get("entry_factor", np.ones(len(t.entry_node)))
        entry_w = entry_w / entry_w.sum()
        for v in self.visitors:
            if v.origin >= 0:
                m0[v.purpose, v.age_band, t.entry_node[v.origin]] += v.plan_trips(
                    trips, entry_w[v.origin])
        res_nodes = np.bincount(u.node, weights=self.residents_at, minlength=t.n_nodes)
        total_res = res_nodes.sum()
        for v in self.visitors:
            if v.origin < 0 and total_res > 0:
                m0[v.purpose, v.age_band] += v.plan_trips(trips, 1.0) * res_nodes / total_res
        cont = np.asarray(self.p.stop_continue, dtype=float)
        max_stops = np.asarray(self.p.max_stops, dtype=np.int64)
        visits, od = self.kernels.visitor_flows(
            self.net.cand_ptr, self.net.cand_unit, self._decay, u.node, self.attr, m0, cont,
            max_stops, self._exit_prob, t.entry_node.astype(np.int64))
        node_foot = self.kernels.push_flows(od, self.net.order, self.net.pred)
        self.node_footfall = node_foot / DAYS_PER_MONTH
        u.visits[:] = visits
        u.footfall[:] = self.node_footfall[u.node]
        self.trips_month = float(m0.sum())

    def _revenue(self, demand: Demand) -> None:
        """Allocate centre spending to shops: destination spend by visits, impulse spend by
        passers-by, and a webshop's share of online spending. What no shop can take (a branch
        without shops) leaks to other destinations."""
        u, p = self.units, self.p
        shop = u.occupied_commercial
        f = u.function.astype(np.int64)
        centre = demand.centre.sum(axis=(0, 1))  # by function
        dest = (1.0 - p.impulse_share) * centre
        impulse = p.impulse_share * centre
        vis = np.where(shop, u.visits, 0.0)
        pas = np.where(shop, (u.footfall + 1e-9) * np.sqrt(u.area), 0.0)
        vis_b = np.bincount(f, weights=vis, minlength=N_FUNCTIONS)
        pas_b = np.bincount(f, weights=pas, minlength=N_FUNCTIONS)
        r_dest = np.where(shop, dest[f] * vis / np.where(vis_b[f] > 0, vis_b[f], 1.0), 0.0)
        r_imp = np.where(shop, impulse[f] * pas / np.where(pas_b[f] > 0, pas_b[f], 1.0), 0.0)
        u.revenue[:] = r_dest + r_imp
        taken = np.bincount(f, weights=u.revenue, minlength=N_FUNCTIONS)
        self.leakage = np.where(IS_COMMERCIAL, centre - taken, centre)
        physical_all = (demand.total - demand.online).sum(axis=(0, 1))
        online = demand.online.sum(axis=(0, 1))
        share = np.divide(online, physical_all, out=np.zeros(N_FUNCTIONS), where=physical_all > 0)
        u.revenue_online[:] = np.where(shop & u.online_channel,
                                       p.online_channel_capture * share[f] * u.revenue, 0.0)
        # Totals at allocation time (shops that close later this month did take this money).
        self.revenue_total = float(u.revenue.sum())
        self.revenue_online_total = float(u.revenue_online.sum())

    def _finances(self) -> None:
        u, p = self.units, self.p
        shop = u.occupied_commercial
        gm = p.gross_margin[u.function] * np.where(u.mixed_use,
                                                   p.extra.get("mixed_use_margin", 1.0), 1.0)
        subsidy = p.extra.get("rent_subsidy", 0.0)
        rent = u.contract_rent * u.area / 12.0 * (1.0 - np.where(
            self.steps - u.opened < 24, subsidy, 0.0))
        profit = gm * (u.revenue + u.revenue_online) - rent - u.fixed_cost
        u.profit[:] = np.where(shop, profit, 0.0)
        u.profit_ema[:] = np.where(shop, u.profit_ema + (u.profit - u.profit_ema) / 6.0, 0.0)
        u.cash[:] = np.where(shop, u.cash + u.profit, 0.0)

    def _closures(self) -> None:
        draws = self.streams["closures"].random((self.units.n, 4))
        decisions = Shop.closure_decisions(self, draws)
        u = self.units
        # A pop-up that stays on becomes a regular tenant with a standard lease.
        stay = u.popup & (u.lease_end <= self.steps) & ~decisions["popup_end"]
        u.popup[stay] = False
        u.lease_end[stay] = self.steps + int(self.p.lease_months)
        for cause, mask in decisions.items():
            for unit in np.flatnonzero(mask):
                shop = self.shop_at.get(int(unit))
                if shop is not None:
                    shop.close(cause)

    def _relocations(self) -> None:
        u = self.units
        due = np.flatnonzero(u.occupied_commercial & ~u.popup & (u.lease_end == self.steps))
        rng = self.streams["relocation"]
        for unit in due:
            shop = self.shop_at[int(unit)]
            if u.anchor[unit] != Anchor.NONE:  # anchors renew in place
                u.contract_rent[unit] = u.market_rent[unit]
                u.lease_end[unit] = self.steps + int(self.p.lease_months)
                continue
            vacant = np.flatnonzero(u.vacant & u.eligible & (u.area <= 2.0 * u.area[unit])
                                    & (u.area >= 0.5 * u.area[unit])
                                    & self.p.extra.get("lettable", True))
            cand = rng.choice(vacant, size=min(4, len(vacant)), replace=False) if len(
                vacant) else vacant
            moved = shop.consider_relocation(cand)
            if moved is None:
                # Renewal: the contract rent moves to the market rent.
                u.contract_rent[unit] = u.market_rent[unit]
                u.lease_end[unit] = self.steps + int(self.p.lease_months)
            else:
                self.month_events["relocations"] += 1

    def _update_market_rents(self) -> None:
        u, p = self.units, self.p
        ref = self._footfall_ref[u.zone]
        u.market_rent[:] = p.rent_reference[u.zone] * ((u.footfall + 1.0) / (ref + 1.0)) ** (
            p.rent_footfall_elasticity)

    def _rents_and_conversions(self) -> None:
        u, p = self.units, self.p
        self._update_market_rents()
        inst = u.owner_institutional.astype(int)
        grace = np.asarray(p.rent_grace_months)[inst].astype(float)
        decay = np.asarray(p.rent_decay)[inst].astype(float)
        u.asking_rent[:] = self.kernels.update_asking_rents(
            u.asking_rent, u.contract_rent, u.market_rent, u.months_vacant.astype(np.int64),
            u.vacant, grace, decay, p.rent_floor_fraction)
        # Conversions to housing, decided by the owners.
        allowed = np.asarray(p.conversion_allowed, dtype=bool)[u.zone]
        cand = u.vacant & u.eligible & allowed & (u.months_vacant >= p.conversion_min_vacant_months)
        draws = self.streams["conversions"].random((u.n, 2))
        for unit in np.flatnonzero(cand):
            owner = self.owners[int(u.owner[unit])]
            if owner.wants_conversion(int(unit), draws[unit, 0], draws[unit, 1]):
                self.convert_to_housing(int(unit), cause=owner.kind)

    def convert_to_housing(self, unit: int, cause: str = "") -> None:
        """Re-zone a vacant unit to housing and move households in."""
        u = self.units
        u.function[unit] = Function.HOUSING
        u.eligible[unit] = False
        u.months_vacant[unit] = 0
        new = max(1, round(u.area[unit] / self.p.dwelling_size))
        u.dwellings[unit] += new
        for _ in range(new):
            self.residents.append(Resident(self, unit, self.stream("conversion_households")))
        self._refresh_resident_arrays()
        self.log_event(unit, "conversion", cause=cause)

    def _entry(self) -> None:
        u, p = self.units, self.p
        rng = self.streams["entry"]
        rate = p.traj["entrant_arrival_rate"](self.year_f) * u.n / 100.0
        rate *= p.extra.get("entrant_factor", 1.0)
        n_arrivals = rng.poisson(rate)
        mix = np.asarray(p.entrant_mix, dtype=float)
        popup_boost = p.extra.get("popup_factor", 1.0)
        mix = mix * np.array([1, 1, 1, 1, popup_boost])
        kinds = rng.choice(len(mix), size=n_arrivals, p=mix / mix.sum())
        self._update_entry_estimates()
        for k in kinds:
            # Levers may take units off the letting market (p.extra["lettable"], e.g. compaction).
            vacant = np.flatnonzero(u.vacant & u.eligible & p.extra.get("lettable", True))
            ent = Entrepreneur(self, ENTRANT_TYPES[int(k)],
                               cost_factor=float(np.exp(rng.normal(0.0, p.entrant_cost_sd))))
            choice = ent.choose(vacant, rng)
            if choice is not None:
                ent.open_shop(*choice, rng=rng)
            ent.remove()

    def _update_entry_estimates(self) -> None:
        """Revenue per unit of location quality and fixed-cost ratio by branch, as entrants see
        them (the takings of the branch's current shops)."""
        u, p = self.units, self.p
        shop = u.occupied_commercial & ~u.popup
        f = u.function.astype(np.int64)
        quality = u.area ** p.attractiveness_area_exponent * np.sqrt(u.footfall + 1.0)
        rev = u.revenue + u.revenue_online
        q_b = np.bincount(f[shop], weights=quality[shop], minlength=N_FUNCTIONS)
        r_b = np.bincount(f[shop], weights=rev[shop], minlength=N_FUNCTIONS)
        rho = np.divide(r_b, q_b, out=np.zeros(N_FUNCTIONS), where=q_b > 0)
        # A branch without shops: a pioneer expects a share of the spending that now leaks away.
        leak = getattr(self, "leakage", np.zeros(N_FUNCTIONS))
        med_q = np.median(quality[u.eligible]) if np.any(u.eligible) else 1.0
        pioneer = 0.5 * leak / max(med_q, 1e-9)
        self._rho = np.where(q_b > 0, rho, pioneer)
        if not hasattr(self, "_fixed_per_m2"):
            # Fixed costs (staff, energy, ...) scale with floor area: EUR/m2/month by branch, the
            # start-year median, so entrants face the same cost level throughout the run.
            per_m2 = u.fixed_cost / u.area
            fc = np.full(N_FUNCTIONS, float(np.median(per_m2[shop])) if shop.any() else 10.0)
            for b in COMMERCIAL:
                vals = per_m2[shop & (f == int(b))]
                if len(vals):
                    fc[int(b)] = float(np.median(vals))
            self._fixed_per_m2 = fc

    def expected_margin(self, units: np.ndarray, branches: np.ndarray, optimism: float = 1.0,
                        popup: bool = False, cost_factor: float = 1.0
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Expected net margin (fraction of revenue) and revenue (EUR/month) of opening branch
        ``branches[i]`` in ``units[i]``, from footfall and the branch's current takings.
        ``cost_factor`` scales the branch's typical fixed-cost ratio (an entrant's efficiency)."""
        u, p = self.units, self.p
        if not hasattr(self, "_rho"):
            self._update_entry_estimates()
        quality = u.area[units] ** p.attractiveness_area_exponent * np.sqrt(u.footfall[units] + 1)
        rev = optimism * self._rho[branches] * quality
        rent = u.asking_rent[units] * (1.0 - (p.popup_rent_discount if popup else 0.0))
        rent = rent * (1.0 - p.extra.get("rent_subsidy", 0.0))
        costs = (rent / 12.0 + cost_factor * self._fixed_per_m2[branches]) * u.area[units]
        margin = p.gross_margin[branches] - np.divide(
            costs, rev, out=np.full(len(units), np.inf), where=rev > 0)
        return margin, rev

    def open_shop(self, unit: int, branch: int, chain: bool, popup: bool,
                  rng: np.random.Generator, cost_factor: float = 1.0) -> Shop:
        """A new tenant signs a lease for vacant ``unit``."""
        u, p = self.units, self.p
        u.function[unit] = branch
        u.chain[unit] = chain
        u.chain_id[unit] = branch * BRANDS_PER_BRANCH + int(rng.integers(BRANDS_PER_BRANCH)) if (
            chain) else -1
        u.popup[unit] = popup
        u.popup_start[unit] = self.steps
        u.opened[unit] = self.steps
        u.innovativeness[unit] = rng.beta(2.5, 2.0)  # entrants are a bit more innovative
        u.online_channel[unit] = False
        u.mixed_use[unit] = False
        rent = u.asking_rent[unit] * (1.0 - (p.popup_rent_discount if popup else 0.0))
        u.contract_rent[unit] = rent
        lo, hi = p.popup_lease_months
        months = int(rng.integers(int(lo), int(hi) + 1)) if popup else int(p.lease_months)
        u.lease_end[unit] = self.steps + months
        u.fixed_cost[unit] = cost_factor * self._fixed_per_m2[branch] * u.area[unit]
        monthly = rent * u.area[unit] / 12.0 + u.fixed_cost[unit]
        u.cash[unit] = p.reserve_months * monthly * (3.0 if chain else 1.0)
        u.profit_ema[unit] = 0.0
        u.months_vacant[unit] = 0
        shop = Shop(self, unit)
        self.log_event(unit, "popup_open" if popup else "opening",
                       cause="chain" if chain else ("popup" if popup else "independent"))
        return shop

    def _update_local_vacancy(self) -> None:
        u = self.units
        self.local_vacancy_node, self.local_vacancy_unit = self.kernels.local_vacancy(
            self.net.near_ptr, self.net.near_unit, u.node, u.vacant, u.eligible)

    # ------------------------------------------------------------------ events
    def log_event(self, unit: int, kind: str, cause: str = "") -> None:
        counter = {"opening": "openings", "popup_open": "popups", "closure": "closures",
                   "popup_end": "closures", "conversion": "conversions"}.get(kind)
        if counter:
            self.month_events[counter] += 1
            if kind == "popup_open":
                self.month_events["openings"] += 1
        self.recorder.event(unit, kind, cause)

    # ------------------------------------------------------------------ running
    def run_months(self, months: int, progress=None) -> None:
        """Advance ``months`` monthly steps (``run_for`` one month at a time for progress)."""
        for _ in range(int(months)):
            self.run_for(1)
            if progress is not None:
                progress()

