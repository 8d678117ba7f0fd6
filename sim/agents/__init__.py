"""The model's Mesa agents. They hold identity and make discrete decisions; bulk state lives in
the model's unit arrays (`sim.state.UnitState`)."""

from .entrepreneur import Entrepreneur
from .municipality import Municipality
from .owner import PropertyOwner
from .resident import Resident
from .shop import Shop
from .visitor import Visitor

__all__ = ["Entrepreneur", "Municipality", "PropertyOwner", "Resident", "Shop", "Visitor"]
