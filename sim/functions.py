"""Unit functions, zones, anchors and visit purposes: the model's shared vocabulary.

Integer codes index the model's NumPy arrays; names are what users see in tables and files.
"""

from __future__ import annotations

from enum import IntEnum

#: Days in an average month: monthly flows -> per-day footfall and trips.
DAYS_PER_MONTH = 365.25 / 12


class Function(IntEnum):
    """What a ground-floor unit is used for."""

    VACANT = 0
    DAILY = 1  # daily goods / food (supermarkets, bakers, butchers)
    FASHION = 2
    HOME = 3  # home and furnishing
    ELECTRONICS = 4  # electronics and media
    PERSONAL_CARE = 5  # drugstores, hair, beauty, nails
    LEISURE_GOODS = 6  # books, toys, sports, hobby
    HORECA = 7  # cafes, restaurants, bars
    SERVICES = 8  # banks, travel agents, repair, opticians
    CULTURE = 9  # culture and leisure venues
    MAKER = 10  # makers' workshops
    OFFICE = 11
    HOUSING = 12
    MARKET = 13  # market square / public anchor without a tenant


#: Functions run by a commercial tenant (a `Shop` agent): they earn revenue and can close.
COMMERCIAL = (
    Function.DAILY,
    Function.FASHION,
    Function.HOME,
    Function.ELECTRONICS,
    Function.PERSONAL_CARE,
    Function.LEISURE_GOODS,
    Function.HORECA,
    Function.SERVICES,
    Function.CULTURE,
    Function.MAKER,
)
#: Retail branches in the narrow sense (goods), used for the online share and the 65+ spending cut.
RETAIL = (
    Function.DAILY,
    Function.FASHION,
    Function.HOME,
    Function.ELECTRONICS,
    Function.PERSONAL_CARE,
    Function.LEISURE_GOODS,
)
N_FUNCTIONS = len(Function)
FUNCTION_NAMES = tuple(f.name.lower() for f in Function)
BRANCH_NAMES = tuple(Function(int(b)).name.lower() for b in COMMERCIAL)


class Zone(IntEnum):
    CORE = 0  # kernwinkelgebied, "het hart"
    AANLOOP = 1  # approach streets
    FRINGE = 2  # mixed / residential edge


ZONE_NAMES = tuple(z.name.lower() for z in Zone)


class Anchor(IntEnum):
    NONE = 0
    DEPARTMENT_STORE = 1
    SUPERMARKET = 2
    MARKET_SQUARE = 3
    CULTURE = 4


ANCHOR_NAMES = tuple(a.name.lower() for a in Anchor)


class Purpose(IntEnum):
    DAILY = 0  # daily shopping, 1-2 stops
    FUN = 1  # fun shopping, several stops
    TARGETED = 2  # targeted purchase, one stop
    LEISURE = 3  # going out: horeca, culture, events, the market (its own driver)


PURPOSE_NAMES = tuple(p.name.lower() for p in Purpose)
AGE_BANDS = ("under65", "65plus")

#: Who runs a commercial tenancy: an independent owner-operator or a chain's outlet. Costs, the
#: profit a tenant needs and attractiveness differ by operator [ECONOMICS sketch].
OPERATORS = ("independent", "chain")
INDEPENDENT, CHAIN = 0, 1

