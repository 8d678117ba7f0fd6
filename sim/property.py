"""The property market: owners' balance sheets, valuations and what they will accept.

Each owner has a kind (private, institutional, the municipality, a re-parcelling fund) and debt.
A unit's value is its book rent capitalised at the owner's yield (``property_yield`` of the zone
plus the owner type's ``yield_spread``). The book rent is the rent of the current lease; for a
vacant unit the appraiser keeps the last rent for ``valuation_lag_months`` and then marks the
unit to the market evidence (the best recent bid, at least the owner's running costs). Keeping a
unit empty at the old asking rent therefore protects the book value for a while, and letting it
at a lower rent marks it down at once [OV: investors protect value rather than cut rents].

An owner with debt D must keep its loan-to-value D / V within ``covenant_ltv``. Its reservation
rent for a vacant unit is the lowest rent at which letting keeps the covenant (at most the
unit's book rent), or the rent worth its conversion option, or its running costs, whichever is
highest; owners without debt only need the last two. So leveraged owners hold vacancy longer and
unleveraged ones cut sooner because of their balance sheets, not their label. An owner in breach
sells (vacant units first) to a new private owner: a vacant unit at its market value, which
resets its book value and asking rent, a let unit at its value under the lease.

Alternative uses: an owner converts a long-vacant unit to housing where the zoning permits it,
credit is available and the value of the dwelling minus the conversion cost (net of any subsidy)
beats the unit's retail value by the owner's hurdle; splits a large vacant unit when the rents
of the parts beat the rent of the whole net of the cost; merges two neighbouring vacant units of
its own when the whole beats the parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import Function
from .params import Params
from .state import UnitState

#: Owner kinds (index of ``OwnerBook.kind``)
PRIVATE, INSTITUTIONAL, MUNICIPALITY, FUND = 0, 1, 2, 3
OWNER_KIND_NAMES = ("private", "institutional", "municipality", "fund")


@dataclass
class OwnerBook:
    """Owners' balance sheets (index = owner id). Debt in EUR."""

    kind: np.ndarray
    debt: np.ndarray

    @property
    def n(self) -> int:
        return len(self.kind)

    def add(self, kind: int, debt: float) -> int:
        """Append an owner; return its id."""
        self.kind = np.append(self.kind, np.int64(kind))
        self.debt = np.append(self.debt, float(debt))
        return self.n - 1

#: Relative tolerance of the covenant test: floating-point hygiene, not a behavioural parameter
#: (a loan-to-value within 1e-9 of the covenant is on it).
COVENANT_ROUNDING = 1e-9


def unit_yield(p: Params, u: UnitState, book: OwnerBook) -> np.ndarray:
    """Yield (fraction per year) the owner capitalises each unit's rent at."""
    kind = book.kind[u.owner]
    spread = np.where(kind <= INSTITUTIONAL, p.yield_spread[np.minimum(kind, INSTITUTIONAL)], 0.0)
    return np.maximum(p.property_yield[u.zone] + spread, 1e-3)


def evidence_rent(p: Params, u: UnitState, clock: int) -> np.ndarray:
    """Market evidence for each unit (EUR/m2/yr): its best recent bid, at least the owner's
    running costs."""
    fresh = (clock - u.best_bid_month) <= p.bid_evidence_months
    return np.maximum(np.where(fresh, u.best_bid, 0.0), p.owner_running_cost)


def mark_book_rents(p: Params, u: UnitState, clock: int) -> np.ndarray:
    """Appraisal: the book rents after it (EUR/m2/yr). A vacant unit keeps its book rent for the
    valuation lag, then is marked to the market evidence (never up: a bid above the book rent
    lets the unit)."""
    stale = u.vacant & (u.months_vacant > p.valuation_lag_months)
    return np.where(stale, np.minimum(u.book_rent, evidence_rent(p, u, clock)), u.book_rent)


def unit_values(p: Params, u: UnitState, book: OwnerBook) -> np.ndarray:
    """Book value of each unit (EUR): its book rent capitalised at the owner's yield (dwellings
    at the housing yield); 0 for dormant slots."""
    y = np.where(u.function == Function.HOUSING, p.housing_yield, unit_yield(p, u, book))
    return np.where(u.active, u.book_rent * u.area / y, 0.0)


def owner_values(values: np.ndarray, u: UnitState, book: OwnerBook) -> np.ndarray:
    return np.bincount(u.owner, weights=values, minlength=book.n)


def loan_to_value(values: np.ndarray, u: UnitState, book: OwnerBook) -> np.ndarray:
    v = owner_values(values, u, book)
    return np.divide(book.debt, v, out=np.where(book.debt > 0, np.inf, 0.0), where=v > 0)


def alternative_rent(p: Params, u: UnitState, book: OwnerBook, permit: np.ndarray,
                     housing_demand: float, credit: float, subsidy_per_m2: np.ndarray
                     ) -> np.ndarray:
    """The retail rent (EUR/m2/yr) worth as much to the owner as converting the unit to
    housing, where the zoning permits it: the dwelling's value minus the conversion cost (net
    of any subsidy), over the owner's hurdle, at the owner's yield, times the chance that the
    conversion is financed (``credit``). Zero where conversion is not permitted."""
    units = np.arange(u.n)
    net = (housing_value(p, u, units, housing_demand)
           - np.maximum(p.conversion_cost - subsidy_per_m2, 0.0) * u.area)
    rent = np.maximum(net, 0.0) / np.maximum(u.area, 1e-9) * unit_yield(p, u, book) / (
        1.0 + p.conversion_hurdle)
    return np.where(permit & u.active & u.eligible, credit * rent, 0.0)


def reservation_rents(p: Params, u: UnitState, book: OwnerBook, values: np.ndarray,
                      forced: np.ndarray, alternative: np.ndarray | float = 0.0) -> np.ndarray:
    """Lowest rent (EUR/m2/yr) each owner accepts for each unit: the highest of the
    covenant-safe rent (an owner with debt; at most the unit's book rent), the rent worth as
    much as the best alternative use (`alternative_rent`) and the running costs; a unit under a
    forced-letting rule only needs the running costs."""
    y = unit_yield(p, u, book)
    v_owner = owner_values(values, u, book)
    debt = book.debt[u.owner]
    others = v_owner[u.owner] - values
    cov = np.where(debt > 0, (debt / p.covenant_ltv - others) * y / np.maximum(u.area, 1e-9),
                   0.0)
    # No letting above the book rent can do more for the covenant than holding at it: an owner
    # whose covenant would need more holds at the book rent (and sells once the appraiser
    # marks the unit down and the covenant breaks).
    cov = np.minimum(cov, u.book_rent)
    res = np.maximum(np.maximum(cov, alternative), p.owner_running_cost)
    return np.where(forced, p.owner_running_cost, res)


def breaching_owners(p: Params, values: np.ndarray, u: UnitState, book: OwnerBook
                     ) -> np.ndarray:
    """Ids of owners whose loan-to-value exceeds the covenant. Owners who sold down to the
    covenant sit exactly on it; a breach must exceed it by more than rounding
    (`COVENANT_ROUNDING`), or the kernel backends' last-digit differences would decide sales."""
    ltv = loan_to_value(values, u, book)
    return np.flatnonzero((book.debt > 0) & (ltv > p.covenant_ltv * (1.0 + COVENANT_ROUNDING)))


def covenant_allows_sale(p: Params, u: UnitState, book: OwnerBook, unit: int, price: float
                         ) -> bool:
    """Whether the owner of ``unit`` can sell it at ``price`` (EUR) and keep its loan-to-value
    within the covenant (the price repays debt; the unit leaves its books)."""
    owner = int(u.owner[unit])
    values = unit_values(p, u, book)
    debt_after = max(book.debt[owner] - price, 0.0)
    if debt_after <= 0:
        return True
    v_after = float(values[u.owner == owner].sum() - values[unit])
    return v_after > 0 and debt_after / v_after <= p.covenant_ltv


class LettingEvidence:
    """What owners know of their zone's letting market: lettings of vacant units and vacant
    units, month by month over the last ``months`` months (a ring buffer by zone)."""

    def __init__(self, n_zones: int, months: int) -> None:
        self.lettings = np.zeros((months, n_zones))
        self.vacant = np.zeros((months, n_zones))
        self._k = 0
        self.filled = 0

    def add(self, lettings: np.ndarray, vacant_by_zone: np.ndarray) -> None:
        self.lettings[self._k] = lettings
        self.vacant[self._k] = vacant_by_zone
        self._k = (self._k + 1) % len(self.lettings)
        self.filled = min(self.filled + 1, len(self.lettings))

    def months_to_let(self, cap: float = 600.0) -> np.ndarray:
        """Expected months until a vacant unit of each zone is let: vacant unit-months over
        lettings in the window (Little's law), at most ``cap``; 0 before any evidence."""
        let = self.lettings.sum(axis=0)
        vac = self.vacant.sum(axis=0)
        t = np.divide(vac, let, out=np.full(len(let), cap), where=let > 0)
        return np.where(self.filled > 0, np.minimum(t, cap), 0.0)


def conversion_choice(p: Params, u: UnitState, book: OwnerBook, units: np.ndarray,
                      housing_demand: float, subsidy_per_m2: np.ndarray, clock: int,
                      months_to_let: np.ndarray) -> np.ndarray:
    """Value gain (EUR) of converting vacant ``units`` to housing now over holding them for a
    retail tenant, after the owner's hurdle: the dwelling's value, reached after
    ``conversion_delay_months``, less the conversion cost net of any subsidy, against the value
    of a letting at the market evidence expected after the zone's letting time
    (``months_to_let`` by zone). Positive: converting pays."""
    y = unit_yield(p, u, book)[units]
    wait = months_to_let[u.zone[units]]
    retail = (evidence_rent(p, u, clock)[units] * u.area[units] / y
              * (1.0 + y) ** (-wait / 12.0))
    housing = (housing_value(p, u, units, housing_demand)
               * (1.0 + p.housing_yield) ** (-p.conversion_delay_months / 12.0))
    cost = np.maximum(p.conversion_cost - subsidy_per_m2[units], 0.0) * u.area[units]
    return housing - cost - retail * (1.0 + p.conversion_hurdle)


def conversion_financed(p: Params, u: UnitState, book: OwnerBook, units: np.ndarray,
                        values: np.ndarray, gain: np.ndarray, cost: np.ndarray,
                        bank_says_yes: np.ndarray) -> np.ndarray:
    """Whether each owner can finance converting its unit in ``units``: the municipality and
    the re-parcelling fund always; another owner if borrowing the ``cost`` keeps its
    loan-to-value, on its portfolio after the conversion, within its covenant, and its bank
    takes the plan on (``bank_says_yes``: banks ration credit to property, the
    ``credit_availability`` driver; [G32]: half the stalled plans lack finance)."""
    owner = u.owner[units]
    v_owner = owner_values(values, u, book)[owner]
    after = np.maximum(v_owner + gain, 1e-9)
    ltv = (book.debt[owner] + cost) / after
    return (book.kind[owner] >= MUNICIPALITY) | ((ltv <= p.covenant_ltv) & bank_says_yes)


def housing_value(p: Params, u: UnitState, units: np.ndarray, housing_demand: float
                  ) -> np.ndarray:
    """Value (EUR) of the dwelling a unit would become."""
    return p.housing_rent[u.zone[units]] * housing_demand * u.area[units] / p.housing_yield


def conversion_gain(p: Params, u: UnitState, book: OwnerBook, units: np.ndarray,
                    housing_demand: float, subsidy_per_m2: np.ndarray, clock: int
                    ) -> np.ndarray:
    """Value gain (EUR) of converting ``units`` to housing over keeping them as retail at the
    market evidence, after the owner's hurdle; positive means convert."""
    retail = (evidence_rent(p, u, clock)[units] * u.area[units]
              / unit_yield(p, u, book)[units])
    cost = np.maximum(p.conversion_cost - subsidy_per_m2[units], 0.0) * u.area[units]
    return housing_value(p, u, units, housing_demand) - cost - retail * (1.0 + p.conversion_hurdle)
