"""`Ledger`: the register of tenancies and the centre's event log.

The ledger alone writes the tenancy columns of the unit table (those `sim.state.COLUMNS` declares
with ``owner="sim.ledger"``: use, tenant, lease, ownership, geometry of split and merged units)
and the event log. Submodels decide (who closes, who signs at which rent, what an owner converts
or splits) and ask the ledger to carry it out; the ledger applies the lifecycle declarations of
`sim.state` (what a vacated, converted, split or merged unit keeps) and logs the event. Nothing
else in the model writes those columns (`tests/test_state.py` checks the code).

Rents in EUR/m2/yr; months on the model clock (`sim.calendar`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .attraction import draw_appeal
from .economics import CostInputs, fixed_costs, lease_length, opening_costs, operator_of
from .exits import NEVER_RETIRES
from .functions import FUNCTION_NAMES, RETAIL, ZONE_NAMES, Anchor, Function
from .state import LEDGER_COLUMNS, TENANT_FIELDS, VACATE_RESETS, UnitState

if TYPE_CHECKING:
    from .calendar import Calendar
    from .params import Params

#: event kind -> the month's counter it adds to (a pop-up opening also counts as an opening)
_COUNTER = {"opening": "openings", "popup_open": "popups", "office_open": "openings",
            "closure": "closures", "popup_end": "closures", "conversion": "conversions",
            "sale": "sales", "split": "splits", "merge": "merges",
            "relocation_in": "relocations"}
COUNTERS = ("openings", "closures", "conversions", "relocations", "popups", "sales", "splits",
            "merges", "retail_to_horeca", "retail_to_services", "retail_to_office",
            "retail_to_housing")
#: is_retail[function code]: a shop in the narrow sense (goods), for the flows out of retail
_IS_RETAIL = np.zeros(len(Function), dtype=bool)
_IS_RETAIL[[int(f) for f in RETAIL]] = True
#: the new use -> the counter of units that leave retail for it
_FROM_RETAIL = {int(Function.HORECA): "retail_to_horeca",
                int(Function.SERVICES): "retail_to_services",
                int(Function.OFFICE): "retail_to_office",
                int(Function.HOUSING): "retail_to_housing"}
#: Anchors whose role belongs to the store, not the building.
_STORE_ANCHORS = (int(Anchor.DEPARTMENT_STORE), int(Anchor.SUPERMARKET))


class Ledger:
    """Tenancies of the unit table ``units`` and the event log.

    ``popup_lease_months`` draws a pop-up's lease length (months) from the stream the model
    gives it; ``events`` holds the logged events of the recorded run as tuples ``(year, month,
    step, unit, kind, function, zone, cause)``; ``counts`` the current month's event counts
    (`COUNTERS`: openings, closures, ... and the units that left retail for another use);
    ``lettings`` the month's lettings of vacant units by zone; ``dwellings_added`` the
    dwellings added since recording started.
    """

    def __init__(self, units: UnitState, p: Params, calendar: Calendar,
                 popup_lease_months: Callable[[], int]) -> None:
        self.units = units
        self.p = p
        self.calendar = calendar
        self._popup_lease = popup_lease_months
        self.events: list[tuple] = []
        self.counts: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.lettings = np.zeros(int(units.zone.max()) + 1 if units.n else 1, dtype=np.int64)
        self.dwellings_added = 0

    # ------------------------------------------------------------------ the month
    def begin_month(self) -> None:
        self.counts = dict.fromkeys(COUNTERS, 0)
        self.lettings = np.zeros_like(self.lettings)

    def _new_use(self, unit: int, function: int) -> None:
        """A vacant unit takes a new use: count a letting, and a unit leaving retail."""
        u = self.units
        if function != Function.HOUSING:
            self.lettings[u.zone[unit]] += 1
        last = int(u.last_use[unit])
        if last >= 0 and _IS_RETAIL[last] and function in _FROM_RETAIL:
            self.counts[_FROM_RETAIL[function]] += 1

    def end_month(self) -> None:
        """Every vacant unit has stood empty one month longer."""
        u = self.units
        u.months_vacant[u.vacant] += 1

    def start_recording(self) -> None:
        self.dwellings_added = 0

    def log(self, unit: int, kind: str, cause: str = "") -> None:
        counter = _COUNTER.get(kind)
        if counter:
            self.counts[counter] += 1
            if kind == "popup_open":
                self.counts["openings"] += 1
        c = self.calendar
        if c.recording:
            u = self.units
            self.events.append((c.year, c.calendar_month, c.recorded_month, int(unit), kind,
                                FUNCTION_NAMES[int(u.function[unit])],
                                ZONE_NAMES[int(u.zone[unit])], cause))

    # ------------------------------------------------------------------ set-up
    def start_tenancies(self, columns: dict[str, np.ndarray], where: np.ndarray | slice = slice(
            None)) -> None:
        """The generated start state: set tenancy ``columns`` (``{name: values}``) of the units
        ``where`` (before the first month only)."""
        if self.calendar.clock != 0:
            raise RuntimeError("start tenancies are set before the first month only")
        for name, values in columns.items():
            if name not in LEDGER_COLUMNS:
                raise KeyError(f"{name!r} is not a tenancy column")
            getattr(self.units, name)[where] = values

    def start_use(self, unit: int, function: int, chain: bool) -> None:
        """The settling of the generated town gives ``unit`` another use (before the first
        month)."""
        self.units.function[unit] = function
        self.units.chain[unit] = chain

    # ------------------------------------------------------------------ leases
    def sign(self, unit: int, rent: float, popup: bool) -> None:
        """A lease of ``unit`` at ``rent`` (EUR/m2/yr) starts this month."""
        u, p = self.units, self.p
        u.contract_rent[unit] = rent
        u.asking_rent[unit] = rent
        u.book_rent[unit] = rent / (1.0 - p.popup_rent_discount) if popup else rent
        months = self._popup_lease() if popup else int(p.lease_months)
        u.lease_end[unit] = self.calendar.clock + months
        u.months_vacant[unit] = 0

    def renew(self, unit: int, rent: float) -> None:
        """The sitting tenant renews at ``rent``; its fit-out is written off over the first
        lease."""
        self.sign(unit, rent, popup=False)
        self.units.startup_monthly[unit] = 0.0

    def popup_stays(self, unit: int, rent: float) -> None:
        """A pop-up that can pay a regular lease signs one at ``rent``."""
        self.units.popup[unit] = False
        self.sign(unit, rent, popup=False)

    def open_shop(self, unit: int, branch: int, chain: bool, popup: bool, rent: float,
                  cost_factor: float, birth_clock: int, subsidy: float,
                  rng: np.random.Generator, costs: CostInputs) -> None:
        """A new commercial tenant signs a lease for vacant ``unit`` at ``rent`` (EUR/m2/yr):
        its traits are drawn from ``rng``, its reserves cover ``reserve_months`` of costs."""
        u, p, c = self.units, self.p, self.calendar
        self._new_use(unit, branch)
        u.function[unit] = branch
        u.second_function[unit] = -1
        u.chain[unit] = chain
        brands = int(p.chain_brands_per_branch)
        u.chain_id[unit] = branch * brands + int(rng.integers(brands)) if chain else -1
        u.popup[unit] = popup
        u.popup_start[unit] = c.clock
        u.opened[unit] = c.clock
        u.innovativeness[unit] = rng.beta(*p.innovativeness_beta)
        u.appeal[unit] = float(draw_appeal(p, rng))
        u.online_channel[unit] = False
        u.cost_factor[unit] = cost_factor
        u.birth_clock[unit] = birth_clock
        lo, hi = p.retirement_age
        u.retire_age[unit] = NEVER_RETIRES if chain else rng.uniform(lo, hi)
        self.sign(unit, rent, popup)
        op = operator_of(np.array([chain]))
        opening = opening_costs(p, u.area[unit:unit + 1], op, np.array([popup]), costs)[0]
        u.startup_monthly[unit] = opening / float(lease_length(p, np.array([popup]))[0])
        u.subsidy_share[unit] = subsidy
        u.subsidy_until[unit] = c.clock + int(p.rent_subsidy_months) if subsidy > 0 else 0
        fixed = fixed_costs(p, u.area[unit], op[0], cost_factor, costs.cost_index)
        u.cash[unit] = p.reserve_months * (fixed + rent * u.area[unit] / 12.0)
        u.profit_ema[unit] = 0.0
        u.revenue_ema[unit] = 0.0
        u.loss_months[unit] = 0
        self.log(unit, "popup_open" if popup else "opening",
                 cause="chain" if chain else ("popup" if popup else "independent"))

    def open_office(self, unit: int, rent: float) -> None:
        u = self.units
        self._new_use(unit, int(Function.OFFICE))
        u.function[unit] = Function.OFFICE
        u.opened[unit] = self.calendar.clock
        self.sign(unit, rent, popup=False)
        self.log(unit, "office_open", cause="office")

    def vacate(self, unit: int) -> None:
        """The tenant of ``unit`` has left: the owner asks at least the last rent (its estimate
        of the market) and keeps the book rent until the appraiser marks it down; the tenant's
        columns are cleared as `sim.state.COLUMNS` declares."""
        u = self.units
        last = u.contract_rent[unit] / (1.0 - self.p.popup_rent_discount) if u.popup[unit] else (
            u.contract_rent[unit])
        u.asking_rent[unit] = max(last, u.asking_rent[unit]) if u.vacant[unit] else last
        u.book_rent[unit] = last
        if u.anchor[unit] in _STORE_ANCHORS:
            u.anchor[unit] = Anchor.NONE
        u.last_use[unit] = u.function[unit]
        for name, value in VACATE_RESETS.items():
            getattr(u, name)[unit] = value

    def close(self, unit: int, cause: str) -> None:
        """The tenant stops trading here (a shop's closure or a pop-up's end)."""
        self.log(unit, "popup_end" if self.units.popup[unit] else "closure", cause=cause)
        self.vacate(unit)

    def office_leaves(self, unit: int, cause: str) -> None:
        self.log(unit, "office_close", cause=cause)

    def relocate(self, src: int, dst: int, rent: float, moving_monthly: float) -> None:
        """The tenant of ``src`` moves to vacant ``dst`` at ``rent``; its moving and re-fitting
        costs (``moving_monthly``, EUR/month) are written off over the new lease."""
        u = self.units
        self.log(src, "relocation_out", cause=f"to unit {dst}")
        self.lettings[u.zone[dst]] += 1
        for f in TENANT_FIELDS:
            getattr(u, f)[dst] = getattr(u, f)[src]
        self.vacate(src)
        self.sign(dst, rent, popup=False)
        self.log(dst, "relocation_in", cause=f"from unit {src}")
        u.startup_monthly[dst] = moving_monthly

    def succession(self, unit: int, birth_clock: int, retire_age: float) -> None:
        """A successor takes over a retiring entrepreneur's shop."""
        self.units.birth_clock[unit] = birth_clock
        self.units.retire_age[unit] = retire_age
        self.log(unit, "succession", cause="retirement")

    def add_second_function(self, unit: int, function: int, monthly_cost: float) -> None:
        """A shop adds a second function (mixed use); its fit-out is written off monthly."""
        self.units.second_function[unit] = function
        self.units.startup_monthly[unit] += monthly_cost
        self.log(unit, "mixed_use", cause=Function(int(function)).name.lower())

    # ------------------------------------------------------------------ property
    def transfer(self, unit: int, buyer: int, cause: str) -> None:
        """``unit`` changes hands (owner ids)."""
        self.units.owner[unit] = buyer
        self.log(unit, "sale", cause=cause)

    def convert_to_housing(self, unit: int, cause: str = "") -> int:
        """The owner turns vacant ``unit`` into dwellings (no longer retail-eligible); returns
        the number of dwellings added."""
        u = self.units
        self._new_use(unit, int(Function.HOUSING))
        u.function[unit] = Function.HOUSING
        u.eligible[unit] = False
        u.months_vacant[unit] = 0
        new = max(1, round(u.area[unit] / self.p.dwelling_size))
        u.dwellings[unit] += new
        if self.calendar.recording:
            self.dwellings_added += new
        self.log(unit, "conversion", cause=cause)
        return new

    def add_dwellings(self, unit: int, n: int) -> None:
        """``n`` dwellings in the upper floors of ``unit`` (a programme)."""
        self.units.dwellings[unit] += n
        if self.calendar.recording:
            self.dwellings_added += int(n)

    def split(self, unit: int, children: np.ndarray, part_area: float, asking: float) -> None:
        """The owner splits vacant ``unit``: the dormant ``children`` wake as parts of
        ``part_area`` m2 asking ``asking``; the parts stood empty as long as the whole (a split
        does not restart the valuation lag, an ordinance's clock or the structural count)."""
        u = self.units
        for c in children:
            u.active[c] = True
            u.area[c] = part_area
            u.eligible[c] = u.eligible[unit]
            u.owner[c] = u.owner[unit]
            u.function[c] = Function.VACANT
            u.last_use[c] = u.last_use[unit]
            u.asking_rent[c] = asking
            u.book_rent[c] = u.book_rent[unit]
            u.months_vacant[c] = u.months_vacant[unit]
            u.best_bid[c] = 0.0
        u.area[unit] = part_area
        self.log(unit, "split", cause=f"{len(children) + 1} parts of {part_area:.0f} m2")

    def merge(self, keep: int, give: int) -> None:
        """The owner joins vacant ``give`` to its neighbour ``keep``: the whole is booked at the
        parts' area-weighted book rent and has stood empty since the later of the two fell
        vacant; ``give`` becomes a dormant slot of ``keep``."""
        u = self.units
        u.book_rent[keep] = ((u.book_rent[keep] * u.area[keep] + u.book_rent[give] * u.area[give])
                             / (u.area[keep] + u.area[give]))
        u.months_vacant[keep] = min(u.months_vacant[keep], u.months_vacant[give])
        u.area[keep] += u.area[give]
        u.area[give] = 0.0
        u.months_vacant[give] = 0
        u.active[give] = False
        u.parent[give] = keep
        self.log(int(keep), "merge", cause=f"with unit {give}")

