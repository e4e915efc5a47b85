"""Pages run a fixed number of SQL queries whatever the size of what they show (no N+1).

Each test pins the count on a small and on a large data set: if a template starts following a
relation per row, the large one grows and the test names the page.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.models import Channel, Journey, MotStage, Stage, Touchpoint
from mot.models import Invitation, Membership, Role
from tests.conftest import login, make_member

# session, user, membership (+ workspace), journey, members, stages, every touchpoint (+ owner),
# the touchpoints' moments (one read of the stored metric rows: scores, weakest, curve). The
# overlays added that last query; the per-stage touchpoint count it replaces is now taken from
# the cards read anyway (a filter is applied to them), so the count stays 8, filtered or not.
# Issue 14 adds one: the journey's active follow-ups per touchpoint, for the cards' counts.
# Issue 17 one more: the touchpoints' expectation sums of the last 90 days, for the cards' "why".
# Issue 16 adds one on a current-state journey: whether it has a copy, for the header's link to
# the comparison (a copy knows its source without a query).
# Issue 16 adds two: the lanes (with the member's folds) and the personas (with the picker's
# choices). Item lanes and a metrics lane add one each (tests/journeys/test_lanes_views.py).
MAP_QUERIES = 13
# session, user, membership (+ workspace), journeys with their stage and touchpoint counts
LIST_QUERIES = 4
# session, user, membership (+ workspace), members (+ users)
MEMBERS_QUERIES = 4


def build_map(journey: Journey, *, stages: int, per_stage: int, owners: list[Membership]) -> None:
    """A map of stages x per_stage touchpoints, every third one owned, in a few statements."""
    rows = Stage.objects.bulk_create(
        [Stage(journey=journey, name=f"Stage {i}", position=i) for i in range(stages)]
    )
    channels, mots = Channel.values, [*MotStage.values, ""]
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                journey=journey,
                stage=stage,
                position=p,
                title=f"Touchpoint {stage.position}.{p}",
                description="What the customer meets here.",
                channel=channels[p % len(channels)],
                mot_stage=mots[p % len(mots)],
                owner=owners[p % len(owners)] if p % 3 == 0 else None,
            )
            for stage in rows
            for p in range(per_stage)
        ],
        batch_size=500,
    )


def _map_url(journey: Journey) -> str:
    return reverse("journeys:map", kwargs={"ws": journey.workspace.slug, "pk": journey.pk})


@pytest.mark.parametrize("role", [Role.EDITOR, Role.STAFF])
def test_map_page_runs_the_same_queries_for_one_card_and_for_2400(
    client, personas, small_and_large, django_assert_num_queries, role
):
    small, large = small_and_large
    login(client, personas[role])

    with django_assert_num_queries(MAP_QUERIES):
        small_page = client.get(_map_url(small))
    with django_assert_num_queries(MAP_QUERIES):
        large_page = client.get(_map_url(large))

    assert small_page.status_code == large_page.status_code == 200
    html = large_page.content.decode()
    assert html.count('class="card"') == 2400
    assert "Touchpoint 11.199" in html
    # Issue 16: under 1 KB a card, its controls loaded on demand (one CSRF token, the page's).
    cards = re.findall(r'<li class="card".*?</li>', html, re.S)
    assert sum(len(card.encode()) for card in cards) / len(cards) < 1024
    assert "csrfmiddlewaretoken" not in "".join(cards)
    assert personas[Role.STAFF].display_name in html  # owners are shown, not just counted


def _store_moments(journey: Journey) -> int:
    """An all-time metric row for every touchpoint, scores spread over -100..100, and a day of
    expectation sums (so every card draws its "why")."""
    from django.utils import timezone

    from metrics.models import ExpectationCounts, MomentCounts
    from tests.journeys.test_map_overlays import moment_row

    pks = journey.touchpoints.order_by("pk").values_list("pk", flat=True)
    rows = [moment_row(pk, journey, i % 41, 5 + i % 7, (3 * i) % 37) for i, pk in enumerate(pks)]
    MomentCounts.objects.bulk_create(rows, batch_size=500)
    ExpectationCounts.objects.bulk_create(
        [
            ExpectationCounts(
                workspace_id=journey.workspace_id,
                journey=journey,
                touchpoint_id=pk,
                day=timezone.localdate(),
                respect_pain_n=20 + i % 30,
                respect_pain_low=10 + i % 10,
                respect_pain_sum=40 + 2 * (i % 30),
                respect_glory_n=35,
                respect_glory_sum=160,
                respect_glory_low=1,
                respect_squares=2 * (20 + i % 30) + 800,
                computed_at=timezone.now(),
            )
            for i, pk in enumerate(pks)
        ],
        batch_size=500,
    )
    return len(rows)


@pytest.mark.parametrize("query", ["", "?channel=website", "?mot=none&owner=unassigned"])
def test_map_page_with_moments_runs_the_same_queries_filtered_or_not(
    client, personas, small_and_large, django_assert_num_queries, query
):
    small, large = small_and_large
    assert _store_moments(small) == 1
    assert _store_moments(large) == 2400
    login(client, personas[Role.MANAGER])

    with django_assert_num_queries(MAP_QUERIES):
        small_page = client.get(_map_url(small) + query)
    with django_assert_num_queries(MAP_QUERIES):
        large_page = client.get(_map_url(large) + query)

    assert small_page.status_code == large_page.status_code == 200
    html = large_page.content.decode()
    assert html.count('class="curve-cell"') == 12  # the curve is the journey's, filters aside
    cards = re.findall(r'<li class="card" id="tp-(\d+)"', html)
    assert len(cards) == 2400 if not query else 0 < len(cards) < 2400
    # Every shown card has its overlay (a score, "not enough answers" or "no answers yet").
    assert len(re.findall(r'class="moment[ "]', html)) == len(cards)
    # The weakest moment is the journey's: marked when its card is shown, on no other card.
    weakest = _weakest_of(large)
    marked = re.findall(r'<li class="card" id="tp-(\d+)"[^>]*\sdata-weakest>', html)
    assert marked == ([str(weakest)] if str(weakest) in cards else [])


def _weakest_of(journey: Journey) -> int:
    from metrics import compute
    from metrics.models import MomentCounts

    order = journey.touchpoints.order_by("stage__position", "position").values_list("pk", flat=True)
    rows = {int(r.key): r for r in MomentCounts.objects.filter(journey=journey)}
    weakest = compute.weakest(
        {
            pk: compute.moment(compute.Counts(glory=r.glory, neutral=r.neutral, pain=r.pain))
            for pk in order
            if (r := rows.get(pk))
        }
    )
    assert weakest is not None
    return weakest


def test_journey_list_runs_the_same_queries_for_one_journey_and_for_fifty(
    client, editor, django_assert_num_queries
):
    url = reverse("journeys:list", kwargs={"ws": "acme"})
    login(client, editor)
    build_map(
        Journey.objects.create(workspace=editor.workspace, name="Journey 00"),
        stages=2,
        per_stage=3,
        owners=[editor],
    )
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url).status_code == 200

    for i in range(1, 50):
        journey = Journey.objects.create(workspace=editor.workspace, name=f"Journey {i:02}")
        build_map(journey, stages=3, per_stage=4, owners=[editor])
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)

    assert response.content.decode().count("Journey ") >= 50
    first = next(j for j in response.context["journeys"] if j.name == "Journey 00")
    assert (first.stage_count, first.touchpoint_count) == (2, 6)
    last = next(j for j in response.context["journeys"] if j.name == "Journey 49")
    assert (last.stage_count, last.touchpoint_count) == (3, 12)


def test_journey_list_counts_a_journey_without_stages_as_zero(client, editor):
    Journey.objects.create(workspace=editor.workspace, name="Empty")
    login(client, editor)

    response = client.get(reverse("journeys:list", kwargs={"ws": "acme"}))

    (journey,) = response.context["journeys"]
    assert (journey.stage_count, journey.touchpoint_count) == (0, 0)


# Admins also read the open invitations (one query, whatever their number).
@pytest.mark.parametrize(
    ("role", "queries"), [(Role.ADMIN, MEMBERS_QUERIES + 1), (Role.STAFF, MEMBERS_QUERIES)]
)
def test_members_page_runs_the_same_queries_for_four_members_and_for_forty(
    client, personas, django_assert_num_queries, role, queries
):
    url = reverse("member_list", kwargs={"ws": "acme"})
    login(client, personas[role])
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200

    workspace = personas[role].workspace
    for i in range(36):
        make_member(workspace, Role.STAFF, f"member{i:02}")
        Invitation.objects.create(
            workspace=workspace,
            email=f"invited{i:02}@example.test",
            role=Role.STAFF,
            invited_by=personas[Role.ADMIN],
            nonce=str(i),
            sent_at=timezone.now(),
        )
    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.content.decode().count("@acme.test") >= 40


# The curve lane's "By persona" toggle adds one query while it is on: the answers of all the
# journey's persona segments per touchpoint and segment (metrics.read.segments). The personas
# are read once, for their lines and the page's header.
PERSONA_CURVE_QUERIES = MAP_QUERIES + 1


def _persona_answers(journey: Journey, segments: list[str]) -> None:
    """Two answers of each segment's customers on every 100th touchpoint of the journey."""
    from datetime import UTC, datetime

    from feedback.customers import profile_of
    from feedback.services import AnswerIn, responses_ingest

    pks = list(journey.touchpoints.order_by("pk").values_list("pk", flat=True))[::100]
    answers = [
        AnswerIn(
            touchpoint_id=pk,
            external_id=f"{journey.pk}-{pk}-{segment}-{i}",
            submitted_at=datetime(2026, 3, 2, 12, i, tzinfo=UTC),
            nps=(pk + i) % 11,
            customer=f"{segment}-{i}",
            profile=profile_of(segment=segment),
        )
        for pk in pks
        for segment in segments
        for i in range(2)
    ]
    responses_ingest(
        workspace_id=journey.workspace_id, source="api", answers=answers, request_metrics=False
    )


@pytest.mark.parametrize("count", [1, 6])
def test_map_page_by_persona_runs_the_same_queries_whatever_the_size_and_personas(
    client, personas, small_and_large, django_assert_num_queries, count
):
    from journeys.models import Persona

    small, large = small_and_large
    workspace = small.workspace
    workspace.min_sample = 2
    workspace.save()
    segments = [f"segment-{i}" for i in range(count)]
    for i, segment in enumerate(segments):
        persona = Persona.objects.create(workspace=workspace, name=f"Persona {i}", segment=segment)
        persona.journeys.add(small, large)
    for journey in (small, large):
        _store_moments(journey)
        _persona_answers(journey, segments)
    login(client, personas[Role.EDITOR])

    with django_assert_num_queries(PERSONA_CURVE_QUERIES):
        small_page = client.get(_map_url(small) + "?curve_by=persona")
    with django_assert_num_queries(PERSONA_CURVE_QUERIES):
        large_page = client.get(_map_url(large) + "?curve_by=persona&channel=website")
    with django_assert_num_queries(MAP_QUERIES):  # the toggle off: no persona query
        assert client.get(_map_url(large)).status_code == 200

    assert small_page.status_code == large_page.status_code == 200
    html = large_page.content.decode()
    # 24 touchpoints answered, spread over the 12 stages: each persona draws in every stage.
    assert len(re.findall(r'<g class="curve-persona ', html)) == 12 * count
    assert html.count('class="curve-swatch p') == count
