"""Scenario mechanisms: processes a future brings that the core model lacks (chain bankruptcy
shocks, second-hand and sharing, flexible leases, shifting temporary centres, AR games,
stratified visitors, tourism, lockdowns, ...).

A mechanism acts like a lever, but belongs to the future being simulated, not to the
municipality. Each month (the burn-in included, where its drivers are at their start-year
values and shock drivers neutral) the model calls four hooks:

- `events(model)`: exogenous events of the future (a chain brand's head office fails; the
  temporary centres move on). Events are inputs the scenario states, not consequences.
- `prepare(model)`: its own bookkeeping for the month, once, after every mechanism's events
  (what it reads of the centre to set its effects).
- `effects(model)`: a `sim.inputs.Effects` with the inputs it changes this month (demand,
  what visitors see, costs, arrivals); pure: reading it twice changes nothing.
- `searchers(model, month)`: extra searchers it brings to the property market (shops looking for a
  unit in the heart; pop-ups matched to a temporary centre). They sign only where their own
  bids clear.

Every mechanism is configured by scenario parameters and drivers (`schema.PARAMS`,
`schema.TRAJECTORIES`) whose baseline values switch it off; `build_mechanisms` builds only the
ones a scenario turns on. Mechanisms register themselves in `MECHANISMS` (like levers in
`sim.policies.POLICIES`), each with the test of whether a scenario switches it on.

Randomness: each mechanism draws from its own stream ``shocks:<name>`` of the run's root seed,
so switching one on does not shift any other draws (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..functions import Anchor, Function, Zone
from ..inputs import Effects
from ..params import Params
from ..scenarios.schema import ENTRANT_TYPES
from .loader import CentreScenario

if TYPE_CHECKING:
    from ..market import Searcher
    from ..model import CityCentreModel
    from ..month import Month

#: name -> (mechanism class, "does this scenario switch it on?")
MECHANISMS: dict[str, tuple[type, Callable[[Params], bool]]] = {}


def _active(p: Params, traj: str, neutral: float = 0.0) -> bool:
    return bool(np.any(np.abs(p.traj[traj].values - neutral) > 1e-12))


class Mechanism:
    """Base class; subclasses set ``name`` and ``switched_on`` and override the hooks."""

    name: ClassVar[str] = "mechanism"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name != "mechanism":
            MECHANISMS[cls.name] = (cls, cls.switched_on)

    @staticmethod
    def switched_on(p: Params) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def rng(self, model: CityCentreModel, purpose: str = "") -> np.random.Generator:
        """This month's stream ``shocks:<name>`` of this mechanism (``shocks:<name>:<purpose>``
        for a second use, so that one use's draws never shift another's)."""
        return model.stream(f"shocks:{self.name}" + (f":{purpose}" if purpose else ""))

    def events(self, model: CityCentreModel) -> None:
        """Exogenous events of this month (default: none)."""

    def prepare(self, model: CityCentreModel) -> None:
        """Its own bookkeeping for the month, after every mechanism's events (default:
        none)."""

    def effects(self, model: CityCentreModel) -> Effects | None:
        """The inputs this mechanism changes this month (default: none). Pure."""
        return None

    def searchers(self, model: CityCentreModel, month: Month) -> list[Searcher]:
        """Extra searchers this month (default: none)."""
        return []


class ChainBankruptcy(Mechanism):
    """Chain bankruptcy shocks [OV][G32]: in a year with ``chain_bankruptcy_share`` = s > 0, a
    share s of the chain brands trading in the centre fails in month ``chain_bankruptcy_month``
    and all outlets of a failed brand (``units.chain_id``) close at once, like V&D in 2016. The
    head office's failure is the scenario's input; what the centre makes of the empty units is
    the model's. ``failures`` keeps (year, brand, outlets)."""

    name = "chain_bankruptcy"

    def __init__(self) -> None:
        self.failures: list[tuple[int, int, int]] = []

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "chain_bankruptcy_share")

    def events(self, model: CityCentreModel) -> None:
        p, u = model.p, model.units
        if model.calendar_month != int(p.chain_bankruptcy_month):
            return
        # The year's share (a yearly figure, read at January of the year).
        share = model.p.driver("chain_bankruptcy_share", float(model.year), model.in_burn_in)
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
    multiplied by 1 - secondhand_share(t) x secondhand_exposure[b]; a share
    ``secondhand_local_capture`` of the replaced spending comes back to the centre's makers
    (repair, swap, makerspaces)."""

    name = "secondhand"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "secondhand_share")

    def effects(self, model: CityCentreModel) -> Effects:
        p = model.p
        share = model.driver("secondhand_share")
        expo = np.asarray(p.secondhand_exposure, dtype=float)
        factor = 1.0 - share * expo
        spend = np.asarray(p.spend_per_capita, dtype=float)
        maker = int(Function.MAKER)
        if spend[maker] > 0:
            factor[maker] += p.secondhand_local_capture * float((spend * share * expo).sum()) / (
                spend[maker])
        return Effects(demand=factor)


class LeaseFlexibility(Mechanism):
    """Flexible leases [OV scenario 03][P31 3.3]: owners let on short terms, so more pop-ups
    look for a unit (x 1 + lease_flexibility_popup_gain x f(t)) and their opening costs fall by
    lease_flexibility_startup_cut x f(t)."""

    name = "lease_flexibility"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "lease_flexibility")

    def effects(self, model: CityCentreModel) -> Effects:
        p = model.p
        flex = model.driver("lease_flexibility")
        boost = np.ones(len(ENTRANT_TYPES))
        boost[ENTRANT_TYPES.index("popup")] = 1.0 + p.lease_flexibility_popup_gain * flex
        return Effects(arrivals=boost,
                       popup_startup_cost=1.0 - min(p.lease_flexibility_startup_cut * flex, 1.0))


class UpperFloorHousing(Mechanism):
    """Wonen boven winkels [OV]: each January a share upper_floor_housing_rate(t) of the unused
    upper floors of non-housing units becomes a dwelling with a new household (a programme the
    scenario states; it adds residents, not shops)."""

    name = "upper_floor_housing"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "upper_floor_housing_rate")

    def events(self, model: CityCentreModel) -> None:
        if model.calendar_month != 1 or model.in_burn_in:
            return
        u = model.units
        rate = model.driver("upper_floor_housing_rate")
        if rate <= 0:
            return
        free = np.where((u.function != Function.HOUSING) & u.active,
                        np.maximum(u.upper_floors.astype(np.int64) - u.dwellings, 0), 0)
        rng = self.rng(model)
        new = rng.binomial(free, min(rate, 1.0))
        for unit in np.flatnonzero(new):
            model.ledger.add_dwellings(int(unit), int(new[unit]))
            model.households.move_in(int(unit), int(new[unit]), self.rng(model, "households"))


class InwardMoves(Mechanism):
    """Shopkeepers draw together in the heart when property prices fall [OV scenario 04
    Winkelen]: each month a share core_search_rate(t) / 12 of the shops outside the core (not
    pop-ups, not anchors) looks at vacant core units and moves where its own bid there beats
    staying by its threshold after moving costs."""

    name = "inward_moves"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "core_search_rate")

    def searchers(self, model: CityCentreModel, month: Month) -> list[Searcher]:
        from ..tenants import relocation_searcher, sitting_bids

        u = model.units
        rate = model.driver("core_search_rate") / 12.0
        draws = self.rng(model).random(u.n)  # drawn in full every month (aligned stream)
        movers = np.flatnonzero(u.occupied_commercial & ~u.popup & (u.zone != Zone.CORE)
                                & (u.anchor == Anchor.NONE) & (u.lease_end > model.clock)
                                & (draws < rate))
        if len(movers) == 0:
            return []
        bid = sitting_bids(model, month, movers)
        core = u.zone == Zone.CORE
        return [relocation_searcher(model, month, int(k),
                                    float((b - u.contract_rent[k]) * u.area[k]), allowed=core)
                for k, b in zip(movers, bid, strict=True)]


class Tourism(Mechanism):
    """A tourist stream that a historic centre loses when it looks empty [OV scenario 04]:
    branch b's demand x (1 + tourism_index(t) x tourism_exposure[b] x r), with retention
    r = 1 below ``tourism_vacancy_threshold`` of perceived vacancy, falling linearly to 0 over
    ``tourism_vacancy_width``."""

    name = "tourism"

    def __init__(self) -> None:
        self.retention = 1.0
        self.history: list[tuple[float, float]] = []  # (year, retention)

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "tourism_index")

    def prepare(self, model: CityCentreModel) -> None:
        """The tourists' view of the centre: the vacancy they saw last month."""
        p, last = model.p, model.last_month
        seen = model.vacancy_rate() * (last.inputs.perceived_vacancy if last is not None
                                       else 1.0)
        self.retention = float(np.clip(1.0 - (seen - p.tourism_vacancy_threshold)
                                       / p.tourism_vacancy_width, 0.0, 1.0))
        if not model.in_burn_in:
            self.history.append((model.year_f, self.retention))

    def effects(self, model: CityCentreModel) -> Effects:
        p = model.p
        idx = model.driver("tourism_index")
        return Effects(demand=1.0 + idx * np.asarray(p.tourism_exposure) * self.retention)


class RegionalCompetition(Mechanism):
    """Successful centres draw visitors from weaker ones [OV scenario 01 and 04]: the outside
    options' attraction is multiplied by exp(elasticity x (vacancy - regional_vacancy(t)))."""

    name = "regional_competition"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return p.regional_competition_elasticity > 0

    def effects(self, model: CityCentreModel) -> Effects:
        p = model.p
        gap = model.vacancy_rate() - model.driver("regional_vacancy")
        return Effects(competition=float(np.exp(p.regional_competition_elasticity * gap)))


class TemporaryCentres(Mechanism):
    """Several shifting temporary centres [P31 3.3; OV scenario 03]: ``temporary_centres``
    exchange nodes, temporary public places of swapping, meeting and events on the street,
    settle at well-reached street nodes (drawn in proportion to footfall among the nodes that
    vacant units front, outside the clusters just left). Units within ``temporary_centre_radius`` of
    a node draw more visitors (x 1 + temporary_centre_strength(t)), and each month
    Poisson(temporary_centre_popups x nodes) pop-up entrepreneurs, matched to the nodes (open
    data matches supply and demand), look for a unit there; they sign where their own bids
    clear. Every ``temporary_centre_period`` months the nodes move on; the old clusters lose
    their pull and dissolve as pop-up leases end. No unit is relabelled: a node is a place on
    the street, and vacancy counts as it is. ``history`` keeps (month index, node list) per move;
    ``vacant_inside`` keeps (month index, share of vacant retail units inside a temporary
    centre)."""

    name = "temporary_centres"

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None
        self.history: list[tuple[int, np.ndarray]] = []
        self.vacant_inside: list[tuple[int, float]] = []
        self._since = 0

    @staticmethod
    def switched_on(p: Params) -> bool:
        return int(p.temporary_centres) > 0 and _active(p, "temporary_centre_strength")

    def _move(self, model: CityCentreModel) -> None:
        p, u, t = model.p, model.units, model.town
        old = self.mask if self.mask is not None else np.zeros(u.n, bool)
        near_vacant = np.bincount(u.node[u.vacant_eligible & ~old], minlength=t.n_nodes) > 0
        pool = np.flatnonzero(near_vacant)
        if len(pool) == 0:
            pool = np.arange(t.n_nodes)
        k = min(int(p.temporary_centres), len(pool))
        w = model.node_footfall[pool] + 1.0
        nodes = self.rng(model, "move").choice(pool, size=k, replace=False, p=w / w.sum())
        dx = t.unit_x[:, None] - t.node_x[nodes][None, :]
        dy = t.unit_y[:, None] - t.node_y[nodes][None, :]
        self.mask = np.any(dx * dx + dy * dy <= p.temporary_centre_radius ** 2, axis=1)
        self.history.append((model.month_index, nodes))
        self._since = 0

    def events(self, model: CityCentreModel) -> None:
        if self.mask is None or self._since >= int(model.p.temporary_centre_period):
            self._move(model)
        self._since += 1
        u = model.units
        n_vacant = int(u.vacant_eligible.sum())
        if not model.in_burn_in:
            inside = int((self.mask & u.vacant_eligible).sum())
            self.vacant_inside.append((model.month_index, inside / n_vacant if n_vacant else 0.0))
        self._matched_popups(model)

    def effects(self, model: CityCentreModel) -> Effects | None:
        if self.mask is None:
            return None
        strength = model.driver("temporary_centre_strength")
        return Effects(unit_attraction=np.where(self.mask, 1.0 + strength, 1.0))

    def _matched_popups(self, model: CityCentreModel) -> None:
        from ..agents import Entrepreneur
        from ..agents.entrepreneur import draw_age

        p = model.p
        rng = self.rng(model)
        nodes = len(self.history[-1][1]) if self.history else 0
        n = int(rng.poisson(p.temporary_centre_popups * nodes))  # drawn every month
        if model.driver("temporary_centre_strength") <= 0 or self.mask is None:
            return
        for _ in range(n):
            age = float(draw_age(p, rng))
            e = Entrepreneur(model, "popup",
                             cost_factor=float(np.exp(rng.normal(0.0, p.entrant_cost_sd))),
                             months_left=1, birth_clock=model.clock - round(12 * age))
            e.allowed = self.mask.copy()


class GameAttraction(Mechanism):
    """Augmented-reality games draw visitors [P31 3.4]: centre attraction x (1 +
    ar_game_attraction(t))."""

    name = "ar_game"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "ar_game_attraction")

    def effects(self, model: CityCentreModel) -> Effects:
        return Effects(centre_attraction=1.0 + model.driver("ar_game_attraction"))


class VacancyMasking(Mechanism):
    """Vacancy hidden under virtual layers or window dressing [P31 3.4 'verdoezeld'][OV scenario
    04]: visitors perceive (1 - vacancy_masking(t)) of the vacancy, in the centre's pull and in
    street attractiveness."""

    name = "vacancy_masking"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "vacancy_masking")

    def effects(self, model: CityCentreModel) -> Effects:
        return Effects(perceived_vacancy=1.0 - model.driver("vacancy_masking"))


class Stratification(Mechanism):
    """Stratified visitors and small-unit advantage [P31 3.5]: retail splits into exclusive and
    discount; large-format units lose pull (attraction x (area / A)^(e x s(t)) above
    ``stratification_large_area`` A, with e = ``stratification_area_exponent`` < 0) and a share
    ``stratification_visitor_exclusion`` x s(t) of the visitors stays away from the gated centre
    (s = ``stratification_index``)."""

    name = "stratification"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "stratification_index") and (
            p.stratification_area_exponent != 0 or p.stratification_visitor_exclusion > 0)

    def effects(self, model: CityCentreModel) -> Effects:
        p, u = model.p, model.units
        s = model.driver("stratification_index")
        ratio = np.maximum(u.area / p.stratification_large_area, 1.0)
        return Effects(unit_attraction=ratio ** (p.stratification_area_exponent * s),
                       centre_attraction=1.0 - p.stratification_visitor_exclusion * s)


class VisitShock(Mechanism):
    """A shock to visits such as the 2020-2021 lockdowns [PB]: branch b's demand x
    (1 - visit_shock(t) x visit_shock_exposure[b]); with ``shock_support`` > 0 a (national)
    support scheme pays that share of tenants' rent and fixed costs in proportion to the
    shock (recorded as ``national_support``, not as municipal cost); owners forgive or defer
    ``shock_rent_relief`` of the rent of tenants whose revenue fell by ``shock_relief_loss``
    (the 2020 Steunakkoord's rent relief), as long as the shock lasts."""

    name = "visit_shock"

    @staticmethod
    def switched_on(p: Params) -> bool:
        return _active(p, "visit_shock")

    def effects(self, model: CityCentreModel) -> Effects:
        p = model.p
        shock = model.driver("visit_shock")
        expo = np.asarray(p.visit_shock_exposure, dtype=float)
        # Support in proportion to the shock, weighted by how exposed the branches are.
        weight = float(np.mean(expo[expo > 0])) if np.any(expo > 0) else 0.0
        return Effects(demand=1.0 - shock * expo,
                       cost_support=p.shock_support * shock * weight,
                       rent_relief=p.shock_rent_relief if shock > 0 else 0.0)


def build_mechanisms(scenario: CentreScenario, params: Params) -> list[Mechanism]:
    """The mechanisms a scenario switches on, in registration order (none for the baseline)."""
    return [cls() for cls, on in MECHANISMS.values() if on(params)]


__all__ = ["MECHANISMS", "Mechanism", "build_mechanisms"]
