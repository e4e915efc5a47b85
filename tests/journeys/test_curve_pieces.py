"""The curve's line as pieces (journeys/map/curve.py ``Stages``), without a database: a run of
measured moments is one polyline in each cell it crosses, through the dots' own coordinates."""

from journeys.map.curve import Stages, polyline_points
from journeys.map.selectors import Outline
from metrics.read.moments import JourneyMoments, TouchpointMoment


def moment(score: float) -> TouchpointMoment:
    return TouchpointMoment(glory=30, neutral=0, pain=0, score=score, n=30, enough=True)


def too_few() -> TouchpointMoment:
    return TouchpointMoment(glory=3, neutral=0, pain=0, score=100.0, n=3, enough=False)


def stages_of(per_stage: list[list[TouchpointMoment | None]]) -> Stages:
    stages, touchpoints, moments = [], [], {}
    pk = 0
    for stage_id, own in enumerate(per_stage, start=1):
        stages.append((stage_id, f"Stage {stage_id}"))
        for m in own:
            pk += 1
            touchpoints.append((pk, stage_id, f"Touchpoint {pk}"))
            if m is not None:
                moments[pk] = m
    return Stages(
        Outline(stages=stages, touchpoints=touchpoints),
        JourneyMoments(moments=moments, weakest=None),
    )


def test_a_run_inside_one_stage_is_one_piece_through_its_dots():
    # 200 scores whose heights and slots are not round numbers: the line's vertices were once
    # recomputed from board units, and float error split such a run into a dozen pieces.
    scores = [(i * 37) % 201 - 100 + 0.3 for i in range(200)]
    stages = stages_of([[moment(s) for s in scores]])
    (pieces,) = stages.pieces
    (points,) = stages.points
    assert len(pieces) == 1
    assert pieces[0] == [(p[2], p[3]) for p in points]
    assert polyline_points(pieces[0]).split() == [f"{p[2]},{p[3]}" for p in points]


def test_a_run_across_stages_is_one_piece_in_each_cell_meeting_at_the_edge():
    stages = stages_of([[moment(10.1), moment(-20.7), moment(30.3)], [moment(-40.9), moment(50.5)]])
    first, second = stages.pieces
    assert len(first) == 1
    assert len(second) == 1
    assert first[0][:-1] == [(p[2], p[3]) for p in stages.points[0]]
    assert second[0][1:] == [(p[2], p[3]) for p in stages.points[1]]
    edge_left, edge_right = first[0][-1], second[0][0]
    assert edge_left[0] == "100"
    assert edge_right[0] == "0"
    assert edge_left[1] == edge_right[1]  # the same height on both sides of the gap


def test_a_gap_ends_the_piece_and_the_next_moment_starts_another():
    stages = stages_of([[moment(10.1), moment(20.2), too_few(), moment(-30.3), None, moment(5.5)]])
    (pieces,) = stages.pieces
    (points,) = stages.points
    # Before the gap: two points; after it, one point alone draws no line; then one more alone.
    assert pieces == [[(points[0][2], points[0][3]), (points[1][2], points[1][3])]]
    assert len(stages.gaps[0]) == 2


def test_a_run_crosses_a_stage_without_touchpoints_as_one_straight_piece():
    stages = stages_of([[moment(50.5)], [], [moment(-50.5)]])
    first, empty, last = stages.pieces
    # Stage 1's point (board x 0.5, y 27.8) to stage 3's (2.5, 72.2): the line meets the
    # cells' edges a quarter and three quarters of the way (y 38.9 and 61.1), in each cell's
    # own percent.
    assert first == [[("50", "27.8"), ("100", "38.9")]]
    assert empty == [[("0", "38.9"), ("100", "61.1")]]
    assert last == [[("0", "61.1"), ("50", "72.2")]]
