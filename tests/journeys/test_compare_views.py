"""The comparison page (current beside future) and the pairing form: what it shows, who may use
it, and its query count whatever the maps' size."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys.models import Journey, JourneyState, Stage, Touchpoint
from journeys.services import journey_duplicate, touchpoint_create
from metrics.models import MomentCounts, Scope
from mot.models import Role
from tests.conftest import login
from tests.expectations import ALL, MAP_EDITORS, db_snapshot

# session, user, membership (+ workspace), journey, its counterpart, both maps' stages and
# touchpoints (four), the current touchpoints' stored numbers, the members' names, the pairing
# form's journeys (editors only), the future state's opportunities.
COMPARE_QUERIES = 13


def _url(name: str, journey: Journey, ws: str = "acme") -> str:
    return reverse(f"journeys:{name}", kwargs={"ws": ws, "pk": journey.pk})


def _future(editor, journey) -> Journey:
    """A future state of ``journey`` with one card changed, one added, one removed, one moved."""
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    buy = future.stages.get(name="Buy")
    checkout = future.touchpoints.get(title="Checkout")
    Touchpoint.objects.filter(pk=checkout.pk).update(title="One-click checkout")
    touchpoint_create(actor=editor, stage=buy, title="Apple Pay")
    future.touchpoints.get(title="Product page").delete()
    reviews = future.touchpoints.get(title="Reviews")
    Touchpoint.objects.filter(pk=reviews.pk).update(stage=buy, position=9)
    return future


def _kinds(html: str) -> list[str]:
    return re.findall(r'data-kinds="([^"]*)"', html)


def test_duplicate_leads_to_the_comparison_of_the_copy(editor, journey):
    client = login(Client(), editor)

    response = client.post(_url("duplicate", journey), {"state": "future"})

    copy = Journey.objects.get(copied_from=journey)
    assert response.status_code == 302
    assert response["Location"] == _url("compare", copy)
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-kinds="unchanged "') == 3
    assert "3</strong> Unchanged" in page


def test_comparison_shows_every_class_with_what_changed_and_the_current_numbers(
    editor, journey, workspace
):
    future = _future(editor, journey)
    product_page = journey.touchpoints.get(title="Product page")
    MomentCounts.objects.create(
        workspace=workspace,
        journey_id=journey.pk,
        scope=Scope.TOUCHPOINT,
        key=str(product_page.pk),
        glory=30,
        neutral=5,
        pain=5,
        answers=40,
        moment_score=62.5,
        nps=41.0,
        promoters=20,
        passives=10,
        detractors=10,
        computed_at=timezone.now(),
    )

    page = login(Client(), editor).get(_url("compare", future)).content.decode()

    assert sorted(_kinds(page)) == ["added ", "changed ", "moved ", "removed "]
    assert "Changed: title" in page
    assert '<p class="side-title">One-click checkout</p>' in page
    assert '<p class="side-title">Checkout</p>' in page
    assert "from stage “Research”" in page
    # The removed card's current numbers: moment score, NPS, answers.
    assert "<dd>+62</dd>" in page
    assert "<dd>+41</dd>" in page
    assert "<dd>40</dd>" in page
    for kind, n in [("changed", 1), ("moved", 1), ("added", 1), ("removed", 1)]:
        assert f'data-kind="{kind}"><strong>{n}</strong>' in page


def test_the_current_journey_opens_the_same_comparison(editor, journey):
    future = _future(editor, journey)
    client = login(Client(), editor)

    from_current = client.get(_url("compare", journey)).content.decode()
    from_future = client.get(_url("compare", future)).content.decode()

    assert _kinds(from_current) == _kinds(from_future)


def test_hide_unchanged_leaves_out_the_unchanged_cards_and_says_how_many(editor, journey):
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    buy = future.stages.get(name="Buy")
    touchpoint_create(actor=editor, stage=buy, title="Apple Pay")

    page = login(Client(), editor).get(_url("compare", future) + "?hide=unchanged")

    html = page.content.decode()
    assert _kinds(html) == ["added "]
    assert "3 unchanged touchpoints hidden." in html


def test_map_header_links_to_the_comparison_only_when_there_is_one(editor, staff, journey):
    editor_client, staff_client = login(Client(), editor), login(Client(), staff)
    assert _url("compare", journey) not in editor_client.get(_url("map", journey)).content.decode()

    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)

    for client in (editor_client, staff_client):
        assert _url("compare", journey) in client.get(_url("map", journey)).content.decode()
        assert _url("compare", future) in client.get(_url("map", future)).content.decode()


def test_an_unlinked_future_state_is_paired_by_code_then_title(editor, journey):
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    # As a copy made before copies remembered their source.
    Journey.objects.filter(pk=future.pk).update(copied_from=None)
    Stage.objects.filter(journey=future).update(copied_from=None)
    Touchpoint.objects.filter(journey=future).update(copied_from=None)
    client = login(Client(), editor)
    assert "not paired" in client.get(_url("compare", future)).content.decode()

    response = client.post(_url("compare_pair", future), {"current": journey.pk})

    assert response.status_code == 302
    assert response["Location"] == _url("compare", future)
    future.refresh_from_db()
    assert future.copied_from == journey
    for tp in Touchpoint.objects.filter(journey=future).select_related("copied_from"):
        assert tp.copied_from.journey_id == journey.pk
        assert tp.copied_from.title == tp.title
    assert _kinds(client.get(_url("compare", future)).content.decode()) == ["unchanged "] * 3


def test_a_journey_cannot_be_paired_with_itself(editor, journey):
    before = db_snapshot()

    response = login(Client(), editor).post(_url("compare_pair", journey), {"current": journey.pk})

    assert response.status_code == 422
    assert db_snapshot() == before


@pytest.mark.parametrize("role", sorted(Role.values))
def test_role_matrix(personas, journey, editor, role):
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    other = Journey.objects.create(workspace=journey.workspace, name="Other")
    client = login(Client(), personas[role])

    assert client.get(_url("compare", future)).status_code == (200 if role in ALL else 403)
    page = client.get(_url("compare", future)).content.decode()
    assert (_url("compare_pair", future) in page) == (role in MAP_EDITORS)
    before = db_snapshot()
    response = client.post(_url("compare_pair", future), {"current": other.pk})
    future.refresh_from_db()
    if role in MAP_EDITORS:
        assert response.status_code == 302
        assert future.copied_from == other
    else:
        assert response.status_code == 403
        assert db_snapshot() == before


@pytest.mark.parametrize("name", ["compare", "compare_pair"])
@pytest.mark.parametrize("ws", ["acme", "globex"])
def test_outsider_gets_404_and_changes_nothing(outsider, editor, journey, name, ws):
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    client = login(Client(), outsider)
    own = Journey.objects.create(workspace=outsider.workspace, name="Globex map")
    before = db_snapshot()

    if name == "compare":
        response = client.get(_url(name, future, ws))
    else:
        response = client.post(_url(name, future, ws), {"current": own.pk})

    assert response.status_code == 404
    assert db_snapshot() == before


def test_pairing_refuses_a_journey_of_another_workspace(outsider, editor, journey):
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    foreign = Journey.objects.create(workspace=outsider.workspace, name="Globex map")
    before = db_snapshot()

    response = login(Client(), editor).post(_url("compare_pair", future), {"current": foreign.pk})

    assert response.status_code == 422
    assert db_snapshot() == before


@pytest.mark.parametrize("role", [Role.EDITOR, Role.STAFF])
def test_comparison_runs_a_fixed_number_of_queries_whatever_the_maps_size(
    django_assert_num_queries, small_and_large, personas, role
):
    client = login(Client(), personas[role])
    expected = COMPARE_QUERIES if role in MAP_EDITORS else COMPARE_QUERIES - 1
    for journey in small_and_large:
        future = journey_duplicate(
            actor=personas[Role.EDITOR], journey=journey, state=JourneyState.FUTURE
        )
        first = future.touchpoints.order_by("pk").first()
        Touchpoint.objects.filter(pk=first.pk).update(title="Changed")
        with django_assert_num_queries(expected):
            response = client.get(_url("compare", future))
        assert response.status_code == 200
        assert "Changed: title" in response.content.decode()


def test_user_text_is_escaped_on_the_comparison(editor, journey, staff):
    staff.user.first_name = "<b>Sam</b>"
    staff.user.save()
    future = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    hostile = '<script>alert("x")</script>'
    Touchpoint.objects.filter(journey=future, title="Checkout").update(
        title=hostile, description=hostile, owner=staff
    )
    Stage.objects.filter(journey=journey, name="Research").update(name=hostile)

    html = login(Client(), editor).get(_url("compare", future)).content.decode()

    assert "<script>alert" not in html
    assert "<b>Sam</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
