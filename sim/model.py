"""`CityCentreModel`: the monthly causal chain of a Dutch city centre.

One step is one month. `month()` reads as the chain in the brief [PB] (changing consumer
behaviour -> visitor numbers -> revenue -> vacancy) and the property market of the economics
sketch:

    inputs (levers, mechanisms) -> demand -> flows and footfall -> revenue -> tenants' accounts
    -> exits -> lease ends -> owners (valuation, sales, conversion, splits) -> search and
    matching (entry, renewal, relocation) -> asking rents -> adoption -> record

Agents decide (shops close or move, owners convert or sell, entrepreneurs lease, the
municipality pays); arrays compute (flows, footfall, revenue, bids, values and neighbourhood
vacancy run on whole arrays through `sim.kernels` and the submodel modules). Each sub-step gets
the month's record (`sim.month.Month`) and fills its own part of it; tenancies change only
through the ledger (`sim.ledger`). The model itself keeps the set-up, the calendar, the random
streams and the chain. Before the first recorded month every run passes a burn-in under
start-year drivers until the centre is stationary (`sim.burnin`), so the start state is an
outcome of the model, not an input.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from mesa import Model

from . import burnin, demand, economics, flows, initial, inputs, owners, tenants
from .agents import Municipality, PropertyOwner, Shop
from .attraction import drift_tenant_appeal
from .calendar import Calendar, CalendarView
from .collect import datacollector
from .history import centre_history
from .households import Households
from .kernels import Kernels
from .ledger import Ledger
from .limits import MAX_YEARS, START_YEARS
from .mesa_compat import MonthSteps
from .model_args import check_months, check_seed, own_levers
from .month import Month, MonthView
from .params import Params
from .property import LettingEvidence, OwnerBook
from .record import Recorder
from .rng import Streams
from .scenarios.loader import CentreScenario, load_scenario
from .scenarios.mechanisms import build_mechanisms
from .space import build_street_network, mesa_space
from .threads import blas_controller, one_blas_thread
from .town import Town, generate_town


class CityCentreModel(MonthSteps, CalendarView, MonthView, Model):
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

    The calendar's numbers (``clock``, ``year``, ``calendar_month`` ...) are attributes
    (`sim.calendar.CalendarView`), and so are the last completed month's results (``flows``,
    ``node_footfall``, ``demand`` ...: `sim.month.MonthView`).
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
        *,
        _settled: bool = False,
    ) -> None:
        seed = check_seed(rng, "rng")
        check_seed(town_seed, "town_seed")
        if not isinstance(scenario, CentreScenario):
            scenario = load_scenario(scenario)
        if start_year is None:
            start_year = scenario.start_year
        if isinstance(start_year, bool) or not isinstance(start_year, int | np.integer):
            raise TypeError(f"start_year must be a whole year, got {start_year!r}")
        if not START_YEARS[0] <= int(start_year) <= START_YEARS[1]:
            raise ValueError(f"start_year {start_year} is out of range; allowed: "
                             f"{START_YEARS[0]}-{START_YEARS[1]}")
        levers = own_levers(policies)
        # A model gets its own scenario instance (Mesa binds a scenario to one running model).
        scenario = scenario.for_run(seed)
        super().__init__(scenario=scenario)  # its rng is the seed (sim/mesa_compat.py)
        self.seed = seed
        history = centre_history(scenario)
        origin = min(int(start_year), int(scenario.start_year),
                     int(history.start_year) if history is not None else 10**4)
        self.calendar = Calendar(start_year=int(start_year), origin_year=origin)
        self.streams = Streams(seed, self._clock_now)
        if isinstance(town, str):
            town = generate_town(town, seed=town_seed)
        elif not isinstance(town, Town):
            raise TypeError(f"town must be a preset name or a Town, got {type(town).__name__}")
        self.p = Params(scenario)
        #: before the scenario's own years the centre lives its history: the historical
        #: scenario's parameters and drivers; the scenario's own take over from its start year
        #: (its drivers chained to the history, `Params.with_history`)
        self._own_params: Params | None = None
        self._own_from = float(scenario.start_year)
        if history is not None:
            self.p.with_history(history, self._own_from)
            self._own_params, self.p = self.p, Params(history)
        self.kernels = Kernels(backend)
        # The spatial constants (slots, networks, stop-choice geometry, office rents by place)
        # are the scenario's own from the start.
        own = self._own_params or self.p
        self.town, self.slot_parent = owners.with_slots(town, own)

        # Space: the Mesa network for agents, the static street geometry for the kernels.
        self.space = mesa_space(self.town, self.random)
        self.net = build_street_network(self.town, own.contagion_radius, own.huff_radius)
        self.geometry = flows.flow_geometry(own, self.town, self.net)
        t = self.town
        #: what a typical office user pays for each unit (EUR/m2/yr; `economics.office_rents`)
        self.office_rent = economics.office_rents(
            own, t.unit_x, t.unit_y, t.unit_zone, t.node_x[t.entry_node],
            t.node_y[t.entry_node])

        self.units = initial.unit_table(self.town, self.slot_parent)
        #: outlets per branch of the generated town: the reference supply of the centre share
        self.n_shops_ref = demand.outlets_by_branch(self.units)
        self.ledger = Ledger(self.units, self.p, self.calendar, self._popup_lease_months)
        self.shop_at: dict[int, Shop] = {}
        self.office_at: dict[int, Any] = {}
        self.owner_book = OwnerBook(
            kind=np.where(np.arange(len(town.owner_institutional)) == 0, 2,
                          town.owner_institutional.astype(np.int64)),
            debt=np.zeros(len(town.owner_institutional)))
        self.owners = [PropertyOwner(self, i) for i in range(self.owner_book.n)]
        #: owners' evidence of their zones' letting markets (lettings and vacancies)
        self.letting_evidence = LettingEvidence(int(self.units.zone.max()) + 1,
                                                int(self.p.letting_evidence_months))
        # The levers are attached after the burn-in, before the spin-up (`_begin`): they never act
        # during the burn-in, so its state is shared by every policy (see `fork`).
        self.municipality = Municipality(self, [])
        self.mechanisms = build_mechanisms(scenario, own)
        self.households = Households(self)
        self.recorder = Recorder(self)
        #: national support paid to tenants since recording started (EUR, cumulative)
        self.national_support = 0.0
        self._blas = blas_controller()
        #: the last completed month (during a month: the one before it)
        self.last_month: Month | None = None
        with one_blas_thread(self._blas):
            self.last_month = initial.start_state(self)
            self.burn_in_report = burnin.run(self) if burn_in else burnin.skipped(self)
            self.calendar.in_burn_in = False
        #: True while the model waits after its burn-in for `fork` (see `settled`)
        self.is_settled = _settled
        #: whether the spin-up to the start year is done (`fork` may share it, `sim.fork`)
        self.spun_up = False
        if not _settled:
            self._begin(levers)

    @classmethod
    def settled(cls, town: Town | str = "medium", scenario: CentreScenario | str = "baseline",
                start_year: int | None = None, rng: int = 0, backend: str = "numba",
                town_seed: int = 0, burn_in: bool = True) -> CityCentreModel:
        """The set-up and burn-in of a run, without levers, waiting to be `fork`ed: the state
        every policy of one (town, scenario, start year, seed) shares. Arguments as for the
        model itself."""
        return cls(town, scenario, None, start_year, rng, backend, town_seed, burn_in,
                   _settled=True)

    def fork(self, policies: list[Any] | None = None) -> CityCentreModel:
        """A new model that continues a copy of this `settled` one with ``policies``: its
        levers attached, the spin-up to the start year and recording started, exactly as
        ``CityCentreModel(..., policies=policies)`` would have done (same results, bit for bit;
        random streams derive from the root seed, their name and the month, `sim.rng`). This
        model is left as it is and can be forked again."""
        if not self.is_settled:
            raise ValueError("only a settled model (CityCentreModel.settled) can be forked")
        levers = own_levers(policies)
        from .fork import copy_model

        twin = copy_model(self)
        twin._begin(levers)
        return twin

    def _begin(self, levers: list[Any]) -> None:
        """After the burn-in: attach the levers, simulate the history from the burn-in year to
        the start year (unrecorded; levers act from their ``start``) and start recording."""
        self.is_settled = False
        self.municipality.policies = list(levers)
        if not self.spun_up:
            self._spin_up()
        self.burn_in_report = dataclasses.replace(self.burn_in_report,
                                                  spin_up_months=self.calendar.spin_up_months)
        self._start_recording()
        self.datacollector = datacollector()  # Mesa's DataCollector (sim/collect.py)
        self.datacollector.collect(self)

    def _spin_up(self) -> None:
        """The history from the burn-in year to the start year, unrecorded."""
        with one_blas_thread(self._blas):
            for _ in range(self.calendar.spin_up_months):
                self.month()
        self.spun_up = True

    def _clock_now(self) -> int:
        return self.calendar.clock

    def _start_recording(self) -> None:
        """From here on months are recorded; cumulative counts start at zero."""
        self.calendar.recording = True
        self.ledger.start_recording()
        self.national_support = 0.0
        self.municipality.public_cost = 0.0
        self.municipality.spent_by = {}
        self.recorder.snapshot_units(year=self.start_year - 1)
        self.recorder.fix_stock()

    def stream(self, name: str) -> np.random.Generator:
        """This month's random stream of mechanism ``name`` (see `sim.rng`: each mechanism has
        its own, derived from the root seed, its name and the month). Each lever draws from its
        own ``policy:<name>`` stream, so levers do not shift each other."""
        return self.streams.get(name)

    def _popup_lease_months(self) -> int:
        lo, hi = self.p.popup_lease_months
        return int(self.stream("popup_lease").integers(int(lo), int(hi) + 1))

    def driver(self, name: str) -> float:
        """Driver ``name`` this month (shock drivers are neutral during the burn-in)."""
        return self.p.driver(name, self.year_f, self.in_burn_in)

    @property
    def housing_added(self) -> int:
        """Dwellings added by conversion or programmes since recording started."""
        return self.ledger.dwellings_added

    @property
    def residents(self) -> list:
        """The centre's households (`Resident` agents)."""
        return self.households.members

    @property
    def residents_at(self) -> np.ndarray:
        """Persons per unit."""
        return self.households.residents_at

    # ------------------------------------------------------------------ the monthly chain
    def step(self) -> None:
        """One recorded month of the causal chain (BLAS on one thread: see `sim.threads`)."""
        with one_blas_thread(self._blas):
            self.month()
        self.recorder.record_month()
        self.datacollector.collect(self)

    def month(self) -> None:
        """One month of the causal chain (docs/ODD.md section 3.2; recorded by `step`, not
        during the burn-in or the spin-up)."""
        cal = self.calendar
        cal.advance()
        self.ledger.begin_month()
        self.municipality.new_month(self.year if not self.in_burn_in else -self.clock,
                                    self.driver("municipal_budget"))
        for mechanism in self.mechanisms:
            mechanism.events(self)
        i = inputs.month_inputs(self)
        mo = Month(cal.clock, inputs=i, costs=economics.cost_inputs(self.driver("cost_index"), i))
        if cal.calendar_month == 1:
            self.households.age_one_year(self.stream("residents"))
        mo.demand = demand.month_demand(self, mo)
        drift_tenant_appeal(self.p, self.units, self.stream("appeal"))
        flows.month(self, mo, self.last_month.local_vacancy_node)
        economics.month_revenue(self, mo)
        self.national_support += tenants.finances(self, mo)
        tenants.closures(self, mo)
        leaving = tenants.lease_ends(self, mo)
        owners.property_market(self, mo)
        tenants.search_and_match(self, mo, leaving)
        owners.learn_from_bids(self, mo)
        owners.asking_rents(self, mo)
        if cal.calendar_month == 1:
            Shop.adopt_online_channel(self, self.stream("adaptation").random(self.units.n))
        tenants.mixed_use(self, mo)
        if not cal.in_burn_in:
            self.municipality.act()
        self.households.refresh_if_changed()
        self.update_local_vacancy(mo)
        owners.record_lettings(self.letting_evidence, self.ledger.lettings, self)
        self.ledger.end_month()
        mo.events = self.ledger.counts
        self.last_month = mo
        self._enter_own_years()

    def _enter_own_years(self) -> None:
        """From the month the scenario's own years begin, its own parameters hold (before, the
        centre's history's: `sim.history`); swapped at the end of the month before, so the
        model a user holds at the start of the recorded run is the scenario's own."""
        cal = self.calendar
        if (self._own_params is not None and not cal.in_burn_in
                and cal.year_f + 1.0 / 12.0 >= self._own_from - 1e-9):
            self.p = self.ledger.p = self._own_params
            self._own_params = None

    # ------------------------------------------------------------------ outcomes
    def vacancy_rate(self, mask: np.ndarray | None = None) -> float:
        """Vacant retail-eligible units / retail-eligible units (in ``mask``), a fraction."""
        u = self.units
        elig = u.eligible & u.active if mask is None else u.eligible & u.active & mask
        d = int(elig.sum())
        return float((elig & u.vacant).sum() / d) if d else 0.0

    def perceived_vacancy(self, month_inputs: Any = None) -> float:
        """The vacancy visitors see (window dressing and virtual layers hide some of it), under
        ``month_inputs`` (default: the last month's)."""
        i = self.inputs if month_inputs is None else month_inputs
        return float(np.clip(self.vacancy_rate() * i.perceived_vacancy, 0.0, 1.0))

    def update_local_vacancy(self, mo: Month) -> None:
        """The vacant share of eligible units around every node and unit, into ``mo``."""
        u = self.units
        mo.local_vacancy_node, mo.local_vacancy_unit = self.kernels.local_vacancy(
            self.net.near_ptr, self.net.near_unit, u.node, u.vacant, u.eligible & u.active)

    # ------------------------------------------------------------------ running
    def run_for(self, duration: float | int) -> None:
        """Advance ``duration`` monthly steps (a whole number >= 1)."""
        months = check_months(duration)
        if self.steps + months > 12 * MAX_YEARS:
            raise ValueError(f"a run may last at most {MAX_YEARS} years")
        super().run_for(months)

    def run_months(self, months: int, progress=None) -> None:
        """Advance ``months`` monthly steps (one at a time, calling ``progress`` after each)."""
        months = check_months(months)
        for _ in range(months):
            self.run_for(1)
            if progress is not None:
                progress()
