"""The month's matching (`sim.market.assign`): a deferred acceptance over every viable deal is
stable, signs each unit and searcher at most once and leaves no viable deal stranded."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.market import Match, Searcher, assign, stranded


def _deals(draw_rows) -> list[Match]:
    seen, out = set(), []
    for s, unit, rent, gain in draw_rows:
        if (s, unit) in seen:
            continue
        seen.add((s, unit))
        out.append(Match(Searcher(agent=None, kind="starter", branches=np.array([2])), unit, 2,
                         float(rent), float(gain), index=s))
    return out


rows = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 9), st.integers(10, 400),
                          st.integers(-5, 50)), max_size=60)


@given(rows)
@settings(max_examples=300, deadline=None)
def test_deferred_acceptance_is_stable_and_clears(raw):
    deals = _deals(raw)
    signed = assign(deals)
    units = [m.unit for m in signed]
    people = [m.index for m in signed]
    assert len(set(units)) == len(units) and len(set(people)) == len(people)
    held = {m.unit: m for m in signed}
    mine = {m.index: m for m in signed}
    for d in deals:  # no blocking pair: searcher and owner would not both rather deal
        s_better = d.index not in mine or (d.surplus, -d.unit) > (mine[d.index].surplus,
                                                                  -mine[d.index].unit)
        o = held.get(d.unit)
        o_better = o is None or (d.rent, d.surplus, -d.index) > (o.rent, o.surplus, -o.index)
        assert not (s_better and o_better), (d, mine.get(d.index), o)
    assert stranded(deals, signed) == 0


def test_a_searcher_rejected_at_its_first_choice_takes_its_second():
    """One proposal per searcher would leave unit 2 empty although b bids for it."""
    a = [(0, 1, 300, 50), (1, 1, 200, 40), (1, 2, 150, 10)]
    signed = assign(_deals(a))
    assert sorted((m.index, m.unit) for m in signed) == [(0, 1), (1, 2)]
    greedy_one_each = [m for m in _deals(a) if (m.index, m.unit) in ((0, 1), (1, 1))]
    assert stranded(_deals(a), greedy_one_each[:1]) == 1  # what the old rule left behind


def test_the_owner_takes_the_higher_rent():
    signed = assign(_deals([(0, 5, 100, 30), (1, 5, 120, 5)]))
    assert [(m.index, m.rent) for m in signed] == [(1, 120.0)]


def test_no_unit_keeps_a_viable_bid_at_the_end_of_a_month():
    """In a run, every month's matching clears: no vacant unit with a bid at or above its
    owner's asking rent from a searcher who went without a lease."""
    from sim.model import CityCentreModel

    m = CityCentreModel("small", "baseline", rng=6)
    left = []
    for _ in range(24):
        m.run_for(1)
        left.append(m.last_month.stranded)
    assert left == [0] * 24
