"""The follow-up pages: My follow-ups, a follow-up's page and its htmx work panel, the rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.customers import profile_of
from feedback.followups.models import FollowUp, FollowUpEvent, FollowUpSettings, Status
from feedback.models import Activity, Customer
from mot.models import Role
from tests.conftest import login, make_member
from tests.feedback.followups.conftest import WHEN, answer, ingest

HTMX = {"HX-Request": "true"}


def _url(name: str, pk: int | None = None) -> str:
    kwargs = {"ws": "acme"} if pk is None else {"ws": "acme", "pk": pk}
    return reverse(f"followups:{name}", kwargs=kwargs)


def _many(workspace, tp, n: int, prefix: str = "p") -> None:
    ingest(
        workspace,
        *[answer(tp, f"{prefix}{i}", comment="Slow", customer=f"c{i % 3}") for i in range(n)],
    )


# --- My follow-ups ---------------------------------------------------------------------------


def test_my_follow_ups_lists_mine_and_my_touchpoints_overdue_first(
    client, workspace, staff, reviews, checkout
):
    _many(workspace, reviews, 3)
    ingest(workspace, answer(checkout, "queue", comment="Nobody owns me"))
    late = FollowUp.objects.get(response__external_id="p2")
    late.due_on = timezone.localdate() - timedelta(days=3)
    late.save()
    login(client, staff)

    page = client.get(_url("list")).content.decode()

    assert page.count("data-followup=") == 3  # not the queue's
    first = page.index('class="followup-card')
    assert page.index(_url("detail", late.pk)) < page.index(_url("detail", late.pk - 1))
    assert "is-overdue" in page[first : first + 80]
    assert "Overdue" in page


def test_my_follow_ups_filters_live_in_the_url(client, workspace, staff, reviews, checkout):
    _many(workspace, reviews, 2)
    ingest(workspace, answer(checkout, "queue", comment="Nobody owns me"))
    FollowUp.objects.filter(response__external_id="p0").update(status=Status.RECOVERED)
    login(client, staff)

    closed = client.get(_url("list") + "?status=closed").content.decode()
    queue = client.get(_url("list") + "?scope=queue").content.decode()
    overdue = client.get(_url("list") + "?overdue=on").content.decode()

    assert closed.count("data-followup=") == 1
    assert "Nobody owns me" in queue
    assert "Nothing to follow up here." in overdue


def test_my_follow_ups_answers_htmx_with_the_results_only(client, workspace, staff, reviews):
    _many(workspace, reviews, 1)
    login(client, staff)

    response = client.get(_url("list") + "?status=all", headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="followup-results">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("n", [2, 30])
def test_my_follow_ups_runs_a_fixed_number_of_queries(
    client, workspace, staff, reviews, n, django_assert_num_queries
):
    _many(workspace, reviews, n)
    login(client, staff)

    # session, user, membership, the follow-ups with their answers, touchpoints and assignees
    with django_assert_num_queries(4):
        response = client.get(_url("list"))
    assert response.content.decode().count("data-followup=") == n


# --- a follow-up's page ----------------------------------------------------------------------


def test_follow_up_page_shows_the_answer_the_customers_other_answers_and_the_timeline(
    client, workspace, staff, reviews, followup
):
    ingest(workspace, answer(reviews, "earlier", nps=9, comment="Loved it", customer="c-1"))
    FollowUpEvent.objects.create(followup=followup, kind="note", actor=staff, note="Called")
    login(client, staff)

    page = client.get(_url("detail", followup.pk)).content.decode()

    assert "Nobody answered" in page
    assert "Loved it" in page  # the same customer's other answer
    assert "Called" in page
    assert 'id="followup-work"' in page


def _activity(customer, external_id: str, *, days: int, kind: str = "purchase") -> Activity:
    return Activity.objects.create(
        workspace_id=customer.workspace_id,
        customer=customer,
        external_id=external_id,
        kind=kind,
        value=Decimal("19.90"),
        occurred_at=WHEN + timedelta(days=days),
    )


def test_follow_up_page_shows_the_customers_activities_and_which_came_after_the_answer(
    client, workspace, staff, followup
):
    customer = followup.response.customer
    _activity(customer, "before", days=-30, kind="visit")
    _activity(customer, "after", days=10, kind="purchase")
    Activity.objects.create(
        workspace=workspace, customer=Customer.objects.create(workspace=workspace, external_id="x"),
        external_id="someone-else", kind="refund", occurred_at=WHEN,
    )  # fmt: skip
    login(client, staff)

    page = client.get(_url("detail", followup.pk)).content.decode()

    section = page[page.index("The customer's activities") :]
    assert section.count("data-activity=") == 2
    assert section.index("purchase") < section.index("visit")  # newest first
    assert section.count("after this answer") == 1
    assert "refund" not in page


def test_an_anonymous_answers_follow_up_shows_no_activities(client, workspace, staff, reviews):
    ingest(workspace, answer(reviews, "anon", comment="Bad"))
    login(client, staff)

    page = client.get(_url("detail", FollowUp.objects.get().pk)).content.decode()

    assert "data-activity=" not in page


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.STAFF, True),
        (Role.MANAGER, True),
        (Role.ADMIN, True),
        (Role.EDITOR, False),
    ],
)
def test_the_contact_shows_only_to_roles_that_may_act(
    client, workspace, personas, reviews, role, sees
):
    ingest(workspace, answer(reviews, "a", contact="ana@example.com"))
    followup = FollowUp.objects.get()
    login(client, personas[role])

    page = client.get(_url("detail", followup.pk)).content.decode()

    assert ("ana@example.com" in page) is sees
    assert (_url("status", followup.pk) in page) is sees


@pytest.mark.parametrize(
    ("role", "sees"),
    [(Role.STAFF, True), (Role.MANAGER, True), (Role.ADMIN, True), (Role.EDITOR, False)],
)
def test_the_customers_email_and_name_show_only_to_roles_that_may_act(
    client, workspace, personas, reviews, role, sees
):
    profile = profile_of(email="ana.private@example.com", name="Ana Private", segment="Families")
    ingest(
        workspace, answer(reviews, "a", contact="x@example.com", customer="c-1", profile=profile)
    )
    followup = FollowUp.objects.get()
    login(client, personas[role])

    page = client.get(_url("detail", followup.pk)).content.decode()

    assert ("ana.private@example.com" in page) is sees
    assert ("Ana Private" in page) is sees
    assert "Families" in page


def test_a_colleagues_follow_up_is_readable_but_shows_no_contact_nor_forms(
    client, workspace, followup
):
    colleague = make_member(workspace, Role.STAFF, "carl")
    login(client, colleague)

    page = client.get(_url("detail", followup.pk)).content.decode()

    assert "Nobody answered" in page
    assert _url("status", followup.pk) not in page
    assert client.post(_url("note", followup.pk), {"note": "x"}).status_code == 403


def test_follow_up_page_runs_a_fixed_number_of_queries(
    client, workspace, manager, reviews, followup, django_assert_num_queries
):
    customer = followup.response.customer
    for i in range(5):
        ingest(workspace, answer(reviews, f"other{i}", nps=9, customer="c-1"))
        FollowUpEvent.objects.create(followup=followup, kind="note", actor=manager, note=f"n{i}")
        _activity(customer, f"buy{i}", days=i)
    login(client, manager)

    # session, user, membership, follow-up, timeline, members (to reassign), other answers,
    # activities
    with django_assert_num_queries(8):
        page = client.get(_url("detail", followup.pk)).content.decode()
    assert page.count("data-activity=") == 5


# --- changes ---------------------------------------------------------------------------------


def test_status_change_without_javascript_redirects_to_the_page(client, staff, followup):
    login(client, staff)

    response = client.post(_url("status", followup.pk), {"status": "in_progress", "version": 1})

    assert response.status_code == 302
    assert response["Location"] == _url("detail", followup.pk)
    assert FollowUp.objects.get().status == Status.IN_PROGRESS


def test_status_change_with_htmx_answers_the_work_panel(client, staff, followup):
    login(client, staff)

    response = client.post(
        _url("status", followup.pk),
        {"status": "recovered", "version": 1, "root_cause": "solutions"},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="followup-work"')
    assert 'data-status="recovered"' in html
    assert "Reopen" in html
    assert FollowUp.objects.get().root_cause == "solutions"


def test_a_forbidden_transition_is_shown_on_the_form(client, staff, followup):
    FollowUp.objects.update(status=Status.RECOVERED)
    login(client, staff)

    response = client.post(
        _url("status", followup.pk), {"status": "not_recovered", "version": 1}, headers=HTMX
    )

    assert response.status_code == 422
    assert "cannot become" in response.content.decode()
    assert FollowUp.objects.get().status == Status.RECOVERED


@pytest.mark.parametrize("htmx", [False, True])
def test_a_stale_form_gets_a_clear_conflict_and_the_current_state(
    client, manager, staff, followup, htmx
):
    FollowUp.objects.update(status=Status.NOT_RECOVERED, version=2)
    login(client, staff)

    response = client.post(
        _url("status", followup.pk),
        {"status": "recovered", "version": 1},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == (200 if htmx else 409)
    html = response.content.decode()
    assert "Someone else changed this follow-up" in html
    assert 'data-status="not_recovered"' in html
    assert FollowUp.objects.get().status == Status.NOT_RECOVERED


def test_notes_and_reassignment_through_the_page(client, manager, followup):
    login(client, manager)

    note = client.post(_url("note", followup.pk), {"note": "Sent a voucher"}, headers=HTMX)
    empty = client.post(_url("note", followup.pk), {"note": ""}, headers=HTMX)
    moved = client.post(_url("assign", followup.pk), {"assignee": "", "version": 1})

    assert note.status_code == 200
    assert "Sent a voucher" in note.content.decode()
    assert empty.status_code == 422
    assert moved.status_code == 302
    assert FollowUp.objects.get().assignee_id is None


# --- the rule --------------------------------------------------------------------------------


def test_admin_sets_the_rule_and_the_response_target(client, admin, journey):
    login(client, admin)
    assert client.get(_url("settings")).status_code == 200

    response = client.post(
        _url("settings"),
        {
            "trigger": "nps_at_most",
            "nps_max": 4,
            "journey": journey.pk,
            "mot_stage": "",
            "response_days": 3,
        },
    )

    assert response.status_code == 302
    rule = FollowUpSettings.objects.get()
    assert (rule.trigger, rule.nps_max, rule.journey_id, rule.response_days) == (
        "nps_at_most", 4, journey.pk, 3,
    )  # fmt: skip


def test_a_bad_rule_is_refused_with_its_reason(client, admin):
    login(client, admin)

    response = client.post(
        _url("settings"), {"trigger": "any_pain", "nps_max": 11, "response_days": 0}
    )

    assert response.status_code == 422
    assert not FollowUpSettings.objects.exists()


def test_an_in_progress_follow_up_offers_moving_on_before_going_back_to_open(
    client, staff, followup
):
    FollowUp.objects.update(status=Status.IN_PROGRESS)
    login(client, staff)

    page = client.get(_url("detail", followup.pk)).content.decode()

    options = page[page.index('id="followup-status"') :].split("</select>")[0]
    assert options.index('value="recovered"') < options.index('value="open"')
    assert 'value="in_progress"' not in options


@pytest.mark.parametrize("role", Role.values)
def test_only_admins_see_the_link_to_the_rule(client, personas, role):
    login(client, personas[role])

    page = client.get(_url("list")).content.decode()

    assert (_url("settings") in page) is (role == Role.ADMIN)


def test_nav_links_to_my_follow_ups(client, staff):
    login(client, staff)

    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()

    assert _url("list") in page
