"""journeys.compare on hand-built current/future pairs: every class of change, where removed
rows go, and how a copy without links is paired by content."""

from __future__ import annotations

from journeys.compare import (
    ADDED,
    CHANGED,
    MOVED,
    REMOVED,
    UNCHANGED,
    Side,
    StageRow,
    TouchpointRow,
    compare,
    pair_by_content,
)


def tp(pk, stage, position, title, copied_from=None, **fields) -> TouchpointRow:
    return TouchpointRow(pk, stage, position, title, copied_from=copied_from, **fields)


def current_side() -> Side:
    """Research [Reviews, Search ad], Buy [Product page, Checkout, Receipt], Wait [Tracking]."""
    return Side(
        stages=[StageRow(1, "Research", 0), StageRow(2, "Buy", 1), StageRow(3, "Wait", 2)],
        touchpoints=[
            tp(10, 1, 0, "Reviews", channel="review_site", mot_stage="zmot"),
            tp(11, 1, 1, "Search ad", channel="search"),
            tp(20, 2, 0, "Product page", channel="website", owner_id=7),
            tp(21, 2, 1, "Checkout", channel="website"),
            tp(22, 2, 2, "Receipt", channel="email"),
            tp(30, 3, 0, "Tracking", channel="email"),
        ],
    )


def future_side() -> Side:
    """Research unchanged but "Search ad" removed; Buy renamed "Purchase" with Checkout changed,
    Receipt and Product page swapped, a new "One-click pay"; Wait removed, its Tracking moved
    into a new stage "Delivery"."""
    return Side(
        stages=[
            StageRow(101, "Research", 0, copied_from=1),
            StageRow(102, "Purchase", 1, copied_from=2),
            StageRow(104, "Delivery", 2),
        ],
        touchpoints=[
            tp(110, 101, 0, "Reviews", 10, channel="review_site", mot_stage="zmot"),
            tp(122, 102, 0, "Receipt", 22, channel="email"),
            tp(120, 102, 1, "Product page", 20, channel="website", owner_id=7),
            tp(121, 102, 2, "Pay", 21, channel="mobile_app", owner_id=8, description="One tap"),
            tp(123, 102, 3, "One-click pay", channel="website"),
            tp(130, 104, 0, "Tracking", 30, channel="email"),
        ],
    )


def _by_title(comparison):
    return {(p.future or p.current).title: p for stage in comparison.stages for p in stage.pairs}


def test_every_kind_of_change_is_classed():
    result = compare(current_side(), future_side())
    pairs = _by_title(result)

    assert pairs["Reviews"].kinds == (UNCHANGED,)
    assert pairs["Search ad"].kinds == (REMOVED,)
    assert pairs["Pay"].kinds == (CHANGED,)
    assert pairs["Pay"].changes == ("title", "channel", "owner_id", "description")
    assert pairs["One-click pay"].kinds == (ADDED,)
    assert pairs["Tracking"].kinds == (MOVED,)
    assert pairs["Tracking"].from_stage == "Wait"
    # Receipt went before Product page: one card of the two moved, the other kept its order.
    assert {pairs["Receipt"].kinds, pairs["Product page"].kinds} == {(MOVED,), (UNCHANGED,)}
    assert result.counts == {CHANGED: 1, MOVED: 2, ADDED: 1, REMOVED: 1, UNCHANGED: 2}


def test_stages_are_classed_and_a_removed_one_follows_its_predecessor():
    result = compare(current_side(), future_side())

    rows = [
        ((s.current.name if s.current else None), (s.future.name if s.future else None), s.kinds)
        for s in result.stages
    ]
    assert rows == [
        ("Research", "Research", (UNCHANGED,)),
        ("Buy", "Purchase", (CHANGED,)),
        ("Wait", None, (REMOVED,)),
        (None, "Delivery", (ADDED,)),
    ]


def test_a_removed_touchpoint_stays_where_it_was_in_its_stage():
    result = compare(current_side(), future_side())

    research = result.stages[0]
    assert [(p.current.title, p.future and p.future.title) for p in research.pairs] == [
        ("Reviews", "Reviews"),
        ("Search ad", None),
    ]


def test_adding_or_removing_a_card_does_not_make_the_cards_after_it_moved():
    current = Side(
        stages=[StageRow(1, "Buy", 0)],
        touchpoints=[tp(1, 1, 0, "A"), tp(2, 1, 1, "B"), tp(3, 1, 2, "C"), tp(4, 1, 3, "D")],
    )
    future = Side(
        stages=[StageRow(11, "Buy", 0, copied_from=1)],
        touchpoints=[tp(20, 11, 0, "New"), tp(12, 11, 1, "B", 2), tp(14, 11, 2, "D", 4)],
    )

    result = compare(current, future)

    kinds = [(p.current or p.future).title + ":" + p.kinds[0] for p in result.stages[0].pairs]
    assert kinds == ["A:removed", "New:added", "B:unchanged", "C:removed", "D:unchanged"]


def test_a_card_changed_and_moved_is_counted_in_both():
    current = Side(
        stages=[StageRow(1, "One", 0), StageRow(2, "Two", 1)],
        touchpoints=[tp(1, 1, 0, "A", mot_stage="fmot")],
    )
    future = Side(
        stages=[StageRow(11, "One", 0, copied_from=1), StageRow(12, "Two", 1, copied_from=2)],
        touchpoints=[tp(21, 12, 0, "A", 1, mot_stage="smot")],
    )

    result = compare(current, future)

    (pair,) = [p for s in result.stages for p in s.pairs]
    assert pair.kinds == (CHANGED, MOVED)
    assert pair.changes == ("mot_stage",)
    assert result.counts[CHANGED] == result.counts[MOVED] == 1
    assert result.counts[UNCHANGED] == 0


def test_reordered_stages_mark_the_stage_that_moved():
    current = Side(
        stages=[StageRow(1, "A", 0), StageRow(2, "B", 1), StageRow(3, "C", 2)], touchpoints=[]
    )
    future = Side(
        stages=[
            StageRow(13, "C", 0, copied_from=3),
            StageRow(11, "A", 1, copied_from=1),
            StageRow(12, "B", 2, copied_from=2),
        ],
        touchpoints=[],
    )

    result = compare(current, future)

    assert [(s.future.name, s.kinds) for s in result.stages] == [
        ("C", (MOVED,)),
        ("A", (UNCHANGED,)),
        ("B", (UNCHANGED,)),
    ]


def test_links_outside_the_current_journey_or_claimed_twice_count_as_added():
    current = Side(stages=[StageRow(1, "S", 0)], touchpoints=[tp(1, 1, 0, "A")])
    future = Side(
        stages=[StageRow(11, "S", 0, copied_from=1)],
        touchpoints=[tp(21, 11, 0, "A", 1), tp(22, 11, 1, "A again", 1), tp(23, 11, 2, "X", 999)],
    )

    result = compare(current, future)

    assert [p.kinds for p in result.stages[0].pairs] == [(UNCHANGED,), (ADDED,), (ADDED,)]


def test_pairing_by_content_matches_stages_by_name_cards_by_code_then_title_within_stage():
    current = Side(
        stages=[StageRow(1, "Research", 0), StageRow(2, "Buy", 1), StageRow(3, "Gone", 2)],
        touchpoints=[
            tp(10, 1, 0, "Reviews"),
            tp(20, 2, 0, "Checkout", code="PAY"),
            tp(21, 2, 1, "Receipt"),
            tp(22, 2, 2, "Receipt"),
            tp(30, 3, 0, "Reviews"),
        ],
    )
    future = Side(
        stages=[StageRow(101, " buy ", 0), StageRow(102, "RESEARCH", 1), StageRow(103, "New", 2)],
        touchpoints=[
            tp(201, 101, 0, "Pay now", code="pay"),  # by code, whatever the title
            tp(202, 101, 1, "receipt"),  # the first free "Receipt" of Buy
            tp(203, 101, 2, "Receipt"),  # then the second
            tp(204, 101, 3, "Reviews"),  # a title of another stage: not matched
            tp(205, 102, 0, "Reviews"),
            tp(206, 103, 0, "Checkout"),  # its stage has no match: not matched
        ],
    )

    stages, touchpoints = pair_by_content(current, future)

    assert stages == {101: 2, 102: 1}
    assert touchpoints == {201: 20, 202: 21, 203: 22, 205: 10}


def test_pairing_keeps_links_that_already_point_into_the_current_journey():
    current = Side(
        stages=[StageRow(1, "Pay", 0), StageRow(2, "Checkout step", 1)],
        touchpoints=[tp(10, 1, 0, "Checkout"), tp(11, 2, 0, "Checkout")],
    )
    future = Side(
        stages=[StageRow(101, "Buy", 0, copied_from=2), StageRow(102, "Pay", 1, copied_from=777)],
        touchpoints=[tp(201, 101, 0, "Checkout", 11), tp(202, 102, 0, "Checkout", 555)],
    )

    stages, touchpoints = pair_by_content(current, future)

    # 101's link kept (renamed stages stay paired); 102's dangling one replaced by name.
    assert stages == {101: 2, 102: 1}
    assert touchpoints == {201: 11, 202: 10}
