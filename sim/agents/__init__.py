"""The model's Mesa agents. They hold identity and make discrete decisions; bulk state lives in
the model's unit arrays (`sim.state.UnitState`) and owners' balance sheets
(`sim.property.OwnerBook`). Agents that decide (shops, office users, entrepreneurs, owners, the
municipality) are used through Mesa AgentSets (``model.agents_by_type``); visitor groups, which
only carry numbers, are arrays (`sim.flows`)."""

from .entrepreneur import BRANCHES, Entrepreneur
from .municipality import Municipality
from .office import OfficeUser
from .owner import PropertyOwner
from .resident import Resident
from .shop import Shop

__all__ = ["BRANCHES", "Entrepreneur", "Municipality", "OfficeUser", "PropertyOwner",
           "Resident", "Shop"]
