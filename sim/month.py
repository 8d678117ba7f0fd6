"""`Month`: what one month of the causal chain computes, passed from sub-step to sub-step.

`CityCentreModel.month` creates a record, each sub-step reads the fields the earlier ones filled
and fills its own (docs/ODD.md section 3.2), and the finished record becomes
``model.last_month``: what the recorder writes and what the next month reads of this one (last
month's local vacancy for the street factor, the owners' reservation rents for lease renewals,
the footfall the temporary centres settle by). Nothing of the month is kept as loose model
attributes; `MonthView` shows the last month's fields as read-only model attributes for users
(``model.flows``, ``model.node_footfall`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .demand import Demand
    from .economics import CostInputs, Pools
    from .flows import FlowState
    from .inputs import MonthInputs


@dataclass
class Month:
    """One month's intermediate results (units as in the submodels that fill them)."""

    clock: int
    #: the folded inputs: zoning, mechanisms' and levers' effects (`sim.inputs`)
    inputs: MonthInputs
    #: the cost drivers and opening-cost effects tenants face (`sim.economics`)
    costs: CostInputs
    #: spending and trips (`sim.demand`)
    demand: Demand | None = None
    #: street factor by node: what last month's local vacancy does to the pull of a street
    street: np.ndarray | None = None
    #: stop potential, visits and footfall (`sim.flows`)
    flows: FlowState | None = None
    #: the branches' spending pools (EUR/month) and the spending no outlet took, by function
    pools: Pools | None = None
    leakage: np.ndarray | None = None
    #: physical and webshop revenue of all tenants this month, before the month's exits (EUR)
    revenue_total: float = 0.0
    revenue_online_total: float = 0.0
    #: owners' reservation rents this month (EUR/m2/yr, by unit; `sim.property`)
    reservation: np.ndarray | None = None
    #: renewal rents agreed at this month's lease ends, settled after the matching (EUR/m2/yr;
    #: NaN: the tenant cannot renew)
    pending_renewals: dict[int, float] = field(default_factory=dict)
    #: best bid seen per unit in this month's matching (EUR/m2/yr, 0 where none)
    seen_bids: np.ndarray | None = None
    #: vacant units left after the matching with a viable bid from a searcher who signed
    #: nowhere (0: the matching cleared)
    stranded: int = 0
    #: the month's event counts (`sim.ledger.COUNTERS`)
    events: dict[str, int] = field(default_factory=dict)
    #: vacant share of eligible units within the contagion radius, by node and by unit, at the
    #: end of the month (read by the next month's street factor)
    local_vacancy_node: np.ndarray | None = None
    local_vacancy_unit: np.ndarray | None = None

    @property
    def node_footfall(self) -> np.ndarray:
        return self.flows.node_footfall

    @property
    def trips(self) -> float:
        return self.flows.trips


class MonthView:
    """The last completed month's values as read-only attributes of the model."""

    last_month: Month

    @property
    def inputs(self) -> MonthInputs:
        return self.last_month.inputs

    @property
    def demand(self) -> Demand:
        return self.last_month.demand

    @property
    def flows(self) -> FlowState:
        return self.last_month.flows

    @property
    def pools(self) -> Pools:
        return self.last_month.pools

    @property
    def leakage(self) -> np.ndarray:
        return self.last_month.leakage

    @property
    def street(self) -> np.ndarray:
        return self.last_month.street

    @property
    def reservation(self) -> np.ndarray:
        return self.last_month.reservation

    @property
    def seen_bids(self) -> np.ndarray:
        return self.last_month.seen_bids

    @property
    def node_footfall(self) -> np.ndarray:
        return self.last_month.flows.node_footfall

    @property
    def trips_month(self) -> float:
        return self.last_month.flows.trips

    @property
    def month_events(self) -> dict[str, int]:
        return self.last_month.events

    @property
    def local_vacancy_node(self) -> np.ndarray:
        return self.last_month.local_vacancy_node

    @property
    def local_vacancy_unit(self) -> np.ndarray:
        return self.last_month.local_vacancy_unit
