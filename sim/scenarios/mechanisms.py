"""Scenario mechanisms: processes a future brings that the core model lacks (chain bankruptcy
shocks, second-hand and sharing, shifting temporary centres, AR games, stratified visitors,
tourism, ...). Each is an object with ``apply(model)``, called at the start of every month before
the policy levers; it acts through `sim.params.Params` (including ``Params.extra``) and the
model's arrays, like a lever does.

Every mechanism is configured by scenario parameters and drivers (`schema.PARAMS`,
`schema.TRAJECTORIES`) whose baseline values switch it off; `build_mechanisms` only builds the
ones a scenario turns on, so the baseline runs exactly as the core model.

Composition with policy levers: a mechanism never overwrites a rule switch in ``Params.extra`` or
a parameter. Each month it takes back what it applied the month before and applies this month's
value (multiplicative switches are divided by last month's factor and multiplied by the new one;
additive ones shifted back and forth), so levers that scale the same switch compose with it.

Randomness: each mechanism draws from its own stream ``shocks:<name>`` of the run's root seed
(`sim.rng.stream`), so switching one on does not shift any other draws (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..functions import N_FUNCTIONS, Anchor, Function, Zone
from ..params import Params
from ..rng import stream
from .loader import CentreScenario

if TYPE_CHECKING:
    from ..model import CityCentreModel

_MIN_FACTOR = 1e-6


class Mechanism:
    """Base class: bookkeeping so that a mechanism's monthly changes compose with levers."""

    name = "mechanism"

    def __init__(self) -> None:
        self._applied: dict[str, Any] = {}
        self._rng: np.random.Generator | None = None

    def rng(self, model: CityCentreModel) -> np.random.Generator:
        """This mechanism's own random stream ``shocks:<name>`` of the run's root seed."""
        if self._rng is None:
            name = f"shocks:{self.name}"
            self._rng = model.stream(name) if hasattr(model, "stream") else stream(model.seed,
                                                                                   name)
        return self._rng

    @staticmethod
    def lettable(model: CityCentreModel) -> np.ndarray:
        """Units a new tenant may lease: levers may withdraw some (``p.extra["lettable"]``)."""
        mask = model.p.extra.get("lettable")
        return np.ones(model.units.n, bool) if mask is None else np.asarray(mask, bool)

    def scale_extra(self, p: Params, key: str, factor: Any, default: Any = 1.0) -> None:
        """Replace last month's multiplicative contribution to ``p.extra[key]`` by ``factor``."""
        factor = np.maximum(np.asarray(factor, dtype=float), _MIN_FACTOR)
        last = self._applied.get(f"extra:{key}", 1.0)
        value = np.asarray(p.extra.get(key, default), dtype=float) / last * factor
        p.extra[key] = float(value) if value.ndim == 0 else value
        self._applied[f"extra:{key}"] = factor

    def shift_attr(self, p: Params, attr: str, delta: float) -> None:
        """Replace last month's additive contribution to parameter ``attr`` by ``delta``."""
        last = self._applied.get(f"attr:{attr}", 0.0)
        setattr(p, attr, getattr(p, attr) - last + delta)
        self._applied[f"attr:{attr}"] = delta

    def apply(self, model: CityCentreModel) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _active(p: Params, traj: str, neutral: float = 0.0) -> bool:
    return bool(np.any(np.abs(p.traj[traj].values - neutral) > 1e-12))


def _branch_map(p: Params, name: str) -> np.ndarray:
    """A branch map parameter as an array over function codes (it already is one in Params)."""
    return np.asarray(getattr(p, name), dtype=float)


class ChainBankruptcy(Mechanism):
    """Chain bankruptcy shocks [OV][G32]: in a year with ``chain_bankruptcy_share`` = s > 0, a
    share s of the chain brands trading in the centre fails in month ``chain_bankruptcy_month``
    and all outlets of a failed brand (``units.chain_id``) close at once, like V&D in 2016.

    The number of failing brands is s x brands, rounded at random (so small shares still bite
    in expectation); the brands are drawn uniformly. ``failures`` keeps (year, brand, outlets)."""

    name = "chain_bankruptcy"

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[int, int, int]] = []

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        if model.calendar_month != int(p.chain_bankruptcy_month):
            return
        share = p.traj["chain_bankruptcy_share"](float(model.year))
        if share <= 0:
            return
        rng = self.rng(model)
        live = u.occupied_commercial & u.chain & (u.chain_id >= 0)
        brands = np.unique(u.chain_id[live])
        if len(brands) == 0:
            return
        expected = share * len(brands)
        n_fail = int(np.floor(expected) + (rng.random() < expected - np.floor(expected)))
        for brand in rng.choice(brands, size=min(n_fail, len(brands)), replace=False):
            outlets = np.flatnonzero(live & (u.chain_id == brand))
            for unit in outlets:
                shop = model.shop_at.get(int(unit))
                if shop is not None:
                    shop.close("chain_bankruptcy")
            self.failures.append((model.year, int(brand), len(outlets)))


class SecondHand(Mechanism):
    """Second-hand and sharing replace new goods [P31 3.3]: demand for new goods of branch b is
    multiplied by 1 - secondhand_share(t) x secondhand_exposure[b]. A share
    ``secondhand_local_capture`` of the replaced spending comes back to the centre's makers
    (repair, swap, makerspaces)."""

    name = "secondhand"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        share = p.traj["secondhand_share"](model.year_f)
        expo = _branch_map(p, "secondhand_exposure")
        factor = 1.0 - share * expo
        spend = np.asarray(p.spend_per_capita, dtype=float)
        displaced = float((spend * share * expo).sum())
        maker = int(Function.MAKER)
        if spend[maker] > 0:
            factor[maker] += p.secondhand_local_capture * displaced / spend[maker]
        self.scale_extra(p, "demand_factor", factor, np.ones(N_FUNCTIONS))


class LeaseFlexibility(Mechanism):
    """Flexible leases [OV scenario 03][P31 3.3]: owners let on short terms, so pop-up arrivals
    rise by 1 + lease_flexibility_popup_gain x f(t) and the pop-up margin threshold falls by
    lease_flexibility_threshold_cut x f(t)."""

    name = "lease_flexibility"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        flex = p.traj["lease_flexibility"](model.year_f)
        self.scale_extra(p, "popup_factor", 1.0 + p.lease_flexibility_popup_gain * flex)
        self.shift_attr(p, "popup_margin_threshold", -p.lease_flexibility_threshold_cut * flex)


class ConversionPressure(Mechanism):
    """Pressure to turn vacant shops into homes (housing need, self-build, credit for
    transformation) [G32][P31]: owners' monthly conversion probability x conversion_pressure(t)."""

    name = "conversion_pressure"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        self.scale_extra(p, "conversion_pressure", p.traj["conversion_pressure"](model.year_f))


class UpperFloorHousing(Mechanism):
    """Wonen boven winkels [OV]: each January a share upper_floor_housing_rate(t) of the unused
    upper floors of non-housing units becomes a dwelling with a new household."""

    name = "upper_floor_housing"

    def apply(self, model: CityCentreModel) -> None:
        if model.calendar_month != 1 or model.steps <= 1:
            return
        from ..agents import Resident

        p, u = model.p, model.units
        rate = p.traj["upper_floor_housing_rate"](model.year_f)
        if rate <= 0:
            return
        free = np.where(u.function != Function.HOUSING,
                        np.maximum(u.upper_floors.astype(np.int64) - u.dwellings, 0), 0)
        rng = self.rng(model)
        new = rng.binomial(free, min(rate, 1.0))
        for unit in np.flatnonzero(new):
            u.dwellings[unit] += new[unit]
            for _ in range(int(new[unit])):
                model.residents.append(Resident(model, int(unit), rng))
        if new.any():
            model._refresh_resident_arrays()


class LeisureVisits(Mechanism):
    """Going out in the centre rises or falls [P31 3.2: fewer people visit horeca and culture]:
    horeca and culture demand x leisure_visit_index(t)."""

    name = "leisure_visits"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        factor = np.ones(N_FUNCTIONS)
        factor[[int(Function.HORECA), int(Function.CULTURE)]] = p.traj["leisure_visit_index"](
            model.year_f)
        self.scale_extra(p, "demand_factor", factor, np.ones(N_FUNCTIONS))


class WorkDemand(Mechanism):
    """The centre as a workplace [OV scenarios: "Werken"]: people who work in the centre
    (co-working, flex workers, knowledge workers, small entrepreneurs) use its services and
    makers' workshops, so their demand x work_demand_index(t) (above 1: more work in the
    centre; below 1: the service sector shrinks or people work near home)."""

    name = "work_demand"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        factor = np.ones(N_FUNCTIONS)
        factor[[int(Function.SERVICES), int(Function.MAKER)]] = p.traj["work_demand_index"](
            model.year_f)
        self.scale_extra(p, "demand_factor", factor, np.ones(N_FUNCTIONS))


class WorkspaceConversion(Mechanism):
    """Vacant shops become workspaces [OV: owners convert shops in lively, accessible spots to
    offices; scenario 01 flexible workplaces of knowledge firms, scenario 03 co-working and
    'Solids']: each month a vacant retail-eligible unit that has been empty for at least six
    months becomes a workspace (function ``OFFICE``, no longer retail-eligible) with probability
    workspace_conversion_rate(t) / 12. Logged as a conversion with cause ``workspace``."""

    name = "workspace_conversion"

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        rate = p.traj["workspace_conversion_rate"](model.year_f) / 12.0
        draws = self.rng(model).random(u.n)  # drawn every month: aligned stream
        cand = np.flatnonzero(u.vacant & u.eligible & (u.months_vacant >= 6)
                              & self.lettable(model) & (draws < rate))
        for unit in cand:
            u.function[unit] = Function.OFFICE
            u.eligible[unit] = False
            u.months_vacant[unit] = 0
            model.log_event(int(unit), "conversion", cause="workspace")


class InwardMoves(Mechanism):
    """Shopkeepers draw together in the heart when property prices fall [OV scenario 04
    Winkelen]: each month a share core_search_rate(t) / 12 of the shops outside the core (not
    pop-ups, not anchors) inspects up to four vacant core units and moves if the shop's own
    relocation rule (`Shop.consider_relocation`: clearly more expected profit) says so."""

    name = "inward_moves"

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        rate = p.traj["core_search_rate"](model.year_f) / 12.0
        rng = self.rng(model)
        draws = rng.random(u.n)
        if rate <= 0:
            return
        movers = np.flatnonzero(u.occupied_commercial & ~u.popup & (u.zone != Zone.CORE)
                                & (u.anchor == Anchor.NONE) & (draws < rate))
        for unit in movers:
            vacant = np.flatnonzero(u.vacant & u.eligible & (u.zone == Zone.CORE)
                                    & self.lettable(model))
            if len(vacant) == 0:
                return
            shop = model.shop_at.get(int(unit))
            if shop is None:
                continue
            cand = rng.choice(vacant, size=min(4, len(vacant)), replace=False)
            if shop.consider_relocation(cand) is not None:
                model.month_events["relocations"] += 1


class Tourism(Mechanism):
    """A tourist stream that a historic centre loses when it looks empty [OV scenario 04]:
    branch b's demand x (1 + tourism_index(t) x tourism_exposure[b] x r), with retention
    r = 1 below ``tourism_vacancy_threshold`` of (perceived) vacancy, falling linearly to 0 over
    ``tourism_vacancy_width``."""

    name = "tourism"

    def __init__(self) -> None:
        super().__init__()
        self.retention = 1.0
        self.history: list[tuple[float, float]] = []  # (year, retention)

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        seen = model.vacancy_rate() * p.extra.get("perceived_vacancy_factor", 1.0)
        self.retention = float(np.clip(1.0 - (seen - p.tourism_vacancy_threshold)
                                       / p.tourism_vacancy_width, 0.0, 1.0))
        self.history.append((model.year_f, self.retention))
        idx = p.traj["tourism_index"](model.year_f)
        factor = 1.0 + idx * _branch_map(p, "tourism_exposure") * self.retention
        self.scale_extra(p, "demand_factor", factor, np.ones(N_FUNCTIONS))


class RegionalCompetition(Mechanism):
    """Successful centres draw visitors from weaker ones [OV scenario 01 and 04]: the outside
    options' attraction is multiplied by exp(elasticity x (vacancy - regional_vacancy(t))), so a
    centre emptier than its neighbours loses shoppers to them and a fuller one gains."""

    name = "regional_competition"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        gap = model.vacancy_rate() - p.traj["regional_vacancy"](model.year_f)
        self.scale_extra(p, "competition_factor",
                         float(np.exp(p.regional_competition_elasticity * gap)))


class TemporaryCentres(Mechanism):
    """Several shifting temporary centres [P31 3.3; OV scenario 03]: ``temporary_centres``
    vacant retail-eligible units (drawn at random in proportion to their footfall, outside the
    clusters just left: the nodes settle where there is room at well-reached places) become
    exchange nodes, temporary public places of swapping, meeting and events that draw visitors
    like a market square (function ``MARKET``, no tenant). Units within
    ``temporary_centre_radius`` of a node get attraction x (1 + temporary_centre_strength(t)),
    and their owners ask at most ``temporary_centre_rent_cap`` x the market rent. Each month
    Poisson(temporary_centre_popups x nodes) extra pop-up entrepreneurs, matched to the nodes
    (open data matches supply and demand), inspect the vacant units there and open where their
    own rule (expected margin over the pop-up threshold) says so. Every
    ``temporary_centre_period`` months the nodes move elsewhere (the old node units are vacant
    again); the old clusters lose their pull and dissolve as pop-up leases end.

    A node unit is in use, so it does not count as vacant while it is a node.
    ``history`` keeps (step, node units) per move; ``vacant_inside`` keeps (step, share of the
    vacant retail-eligible units that lie in a temporary centre) per month."""

    name = "temporary_centres"

    def __init__(self) -> None:
        super().__init__()
        self.mask: np.ndarray | None = None
        self.history: list[tuple[int, np.ndarray]] = []
        self.vacant_inside: list[tuple[int, float]] = []

    def _move(self, model: CityCentreModel) -> None:
        u, t, p = model.units, model.town, model.p
        old_mask = self.mask if self.mask is not None else np.zeros(u.n, bool)
        if self.history:
            old = self.history[-1][1]
            u.function[old[u.function[old] == Function.MARKET]] = Function.VACANT
        # The nodes move on: not into the clusters they leave, unless there is no room elsewhere.
        pool = np.flatnonzero(u.eligible & u.vacant & ~old_mask)
        if len(pool) < int(p.temporary_centres):
            pool = np.flatnonzero(u.eligible & u.vacant)
        if len(pool) < int(p.temporary_centres):
            pool = np.flatnonzero(u.eligible)
        if len(pool) == 0:
            self.mask = np.zeros(u.n, bool)
            return
        k = min(int(p.temporary_centres), len(pool))
        w = u.footfall[pool] + 1.0
        centres = self.rng(model).choice(pool, size=k, replace=False, p=w / w.sum())
        centres = centres[u.vacant[centres]]  # (the fallback pool may hold occupied units)
        u.function[centres] = Function.MARKET
        dx = t.unit_x[:, None] - t.unit_x[centres][None, :]
        dy = t.unit_y[:, None] - t.unit_y[centres][None, :]
        self.mask = np.any(dx * dx + dy * dy <= p.temporary_centre_radius ** 2, axis=1)
        self.history.append((model.steps, centres))

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        if self.mask is None or model.month_index % int(p.temporary_centre_period) == 0:
            self._move(model)
        strength = p.traj["temporary_centre_strength"](model.year_f)
        self.scale_extra(p, "unit_attraction", np.where(self.mask, 1.0 + strength, 1.0))
        cap = self.mask & u.vacant & u.eligible
        u.asking_rent[cap] = np.minimum(u.asking_rent[cap],
                                        p.temporary_centre_rent_cap * u.market_rent[cap])
        n_vacant = int((u.vacant & u.eligible).sum())
        self.vacant_inside.append((model.steps, cap.sum() / n_vacant if n_vacant else 0.0))
        self._matched_popups(model, np.flatnonzero(cap & self.lettable(model)), strength)

    def _matched_popups(self, model: CityCentreModel, vacant: np.ndarray,
                        strength: float) -> None:
        from ..agents import Entrepreneur

        p = model.p
        rng = self.rng(model)
        nodes = len(self.history[-1][1]) if self.history else 0
        n = rng.poisson(p.temporary_centre_popups * nodes)  # drawn every month: aligned stream
        if strength <= 0 or len(vacant) == 0:
            return
        for _ in range(n):
            vacant = vacant[model.units.vacant[vacant]]
            if len(vacant) == 0:
                return
            ent = Entrepreneur(model, "popup",
                               cost_factor=float(np.exp(rng.normal(0.0, p.entrant_cost_sd))))
            choice = ent.choose(vacant, rng)
            if choice is not None:
                ent.open_shop(*choice, rng=rng)
            ent.remove()


class GameAttraction(Mechanism):
    """Augmented-reality games draw visitors [P31 3.4]: centre attraction x (1 +
    ar_game_attraction(t))."""

    name = "ar_game"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        self.scale_extra(p, "centre_attraction_factor",
                         1.0 + p.traj["ar_game_attraction"](model.year_f))


class VacancyMasking(Mechanism):
    """Vacancy hidden under virtual layers or window dressing [P31 3.4 'verdoezeld'][OV scenario
    04]: visitors perceive (1 - vacancy_masking(t)) of the vacancy, in the centre's pull and in
    street attractiveness."""

    name = "vacancy_masking"

    def apply(self, model: CityCentreModel) -> None:
        p = model.p
        self.scale_extra(p, "perceived_vacancy_factor",
                         1.0 - p.traj["vacancy_masking"](model.year_f))


class Stratification(Mechanism):
    """Stratified visitors and small-unit advantage [P31 3.5]: retail splits into exclusive and
    discount; large-format units lose pull (attraction x (area / A)^(e x s(t)) above
    ``stratification_large_area`` A, with e = ``stratification_area_exponent`` < 0) and a share
    ``stratification_visitor_exclusion`` x s(t) of the visitors stays away from the gated centre
    (s = ``stratification_index``)."""

    name = "stratification"

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        s = p.traj["stratification_index"](model.year_f)
        ratio = np.maximum(u.area / p.stratification_large_area, 1.0)
        self.scale_extra(p, "unit_attraction", ratio ** (p.stratification_area_exponent * s))
        self.scale_extra(p, "centre_attraction_factor",
                         1.0 - p.stratification_visitor_exclusion * s)


class VisitShock(Mechanism):
    """A shock to visits such as the 2020-2021 lockdowns [PB]: branch b's demand x
    (1 - visit_shock(t) x visit_shock_exposure[b]); with ``shock_support`` > 0 shops are
    compensated that share of their rent and fixed costs in proportion to the shock."""

    name = "visit_shock"

    def apply(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        shock = p.traj["visit_shock"](model.year_f)
        expo = _branch_map(p, "visit_shock_exposure")
        self.scale_extra(p, "demand_factor", 1.0 - shock * expo, np.ones(N_FUNCTIONS))
        if shock > 0 and p.shock_support > 0:
            shop = u.occupied_commercial
            costs = u.contract_rent * u.area / 12.0 + u.fixed_cost
            u.cash[shop] += (p.shock_support * shock * expo[u.function] * costs)[shop]


def build_mechanisms(scenario: CentreScenario, params: Params) -> list[Any]:
    """The mechanisms a scenario switches on, in a fixed order (none for the baseline)."""
    p = params
    out: list[Any] = []
    if _active(p, "chain_bankruptcy_share"):
        out.append(ChainBankruptcy())
    if _active(p, "secondhand_share"):
        out.append(SecondHand())
    if _active(p, "lease_flexibility"):
        out.append(LeaseFlexibility())
    if _active(p, "conversion_pressure", neutral=1.0):
        out.append(ConversionPressure())
    if _active(p, "upper_floor_housing_rate"):
        out.append(UpperFloorHousing())
    if _active(p, "leisure_visit_index", neutral=1.0):
        out.append(LeisureVisits())
    if _active(p, "work_demand_index", neutral=1.0):
        out.append(WorkDemand())
    if _active(p, "workspace_conversion_rate"):
        out.append(WorkspaceConversion())
    if _active(p, "core_search_rate"):
        out.append(InwardMoves())
    if _active(p, "tourism_index"):
        out.append(Tourism())
    if p.regional_competition_elasticity > 0:
        out.append(RegionalCompetition())
    if int(p.temporary_centres) > 0 and _active(p, "temporary_centre_strength"):
        out.append(TemporaryCentres())
    if _active(p, "ar_game_attraction"):
        out.append(GameAttraction())
    if _active(p, "vacancy_masking"):
        out.append(VacancyMasking())
    if _active(p, "stratification_index") and (
            p.stratification_area_exponent != 0 or p.stratification_visitor_exclusion > 0):
        out.append(Stratification())
    if _active(p, "visit_shock"):
        out.append(VisitShock())
    return out
