"""The team queue (by assignee, by touchpoint, overdue, SLA breaches) and status changes and
reassignments made from the rows of the lists, with htmx and without."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.followups.models import FollowUp, Status
from feedback.followups.services import followup_set_status
from mot.models import Role
from tests.conftest import login, make_member
from tests.feedback.followups.conftest import answer, ingest

HTMX = {"HX-Request": "true"}


def _post_row(client, name: str, followup, row: str = "mine", **data):
    """A change made from a list's row with htmx, as the row's form sends it."""
    return client.post(_url(name, followup.pk), {**data, "row": row}, headers=HTMX)


def _url(name: str, pk: int | None = None, ws: str = "acme") -> str:
    kwargs = {"ws": ws} if pk is None else {"ws": ws, "pk": pk}
    return reverse(f"followups:{name}", kwargs=kwargs)


def _shown(page: str) -> list[int]:
    """The follow-ups a list shows, in its order."""
    ids = []
    for chunk in page.split('data-followup="')[1:]:
        ids.append(int(chunk.split('"', 1)[0]))
    return ids


def _counts(page: str, owner_link: str) -> tuple[str, str, str]:
    """A row of the by-assignee table, found by its link: active, overdue, breaches."""
    table = page[page.index('id="by-owner-head"') : page.index('id="by-touchpoint-head"')]
    row = table[table.index(owner_link) :].split("</tr>")[0]
    cells = []
    for key in ("active", "overdue", "breaches"):
        cell = row[row.index(f'data-count="{key}">') + len(f'data-count="{key}">') :]
        cell = cell.split("</td>")[0]
        cells.append(cell.split(">")[1].split("<")[0] if cell.startswith("<a") else cell)
    return tuple(cells)


@pytest.fixture
def team(workspace, staff, reviews, checkout):
    """Five follow-ups: two of the staff persona's active (one overdue), one of theirs closed
    late (a breach), one closed on time, one in the workspace's queue (overdue)."""
    today = timezone.localdate()
    ingest(
        workspace,
        *[answer(reviews, f"r{i}", comment=f"Reviews pain {i}") for i in range(4)],
        answer(checkout, "q0", comment="Nobody owns checkout"),
    )
    rows = {f.response.external_id: f for f in FollowUp.objects.select_related("response")}
    FollowUp.objects.filter(pk=rows["r0"].pk).update(due_on=today - timedelta(days=2))
    # Closed through the service: r2 after its due date, r3 within it.
    FollowUp.objects.filter(pk=rows["r2"].pk).update(due_on=today - timedelta(days=10))
    for key, status in (("r2", Status.RECOVERED), ("r3", Status.NO_ACTION)):
        late = FollowUp.objects.select_related("touchpoint").get(pk=rows[key].pk)
        followup_set_status(actor=staff, followup=late, status=status, version=1)
    FollowUp.objects.filter(pk=rows["q0"].pk).update(due_on=today - timedelta(days=1))
    return {key: FollowUp.objects.get(pk=f.pk) for key, f in rows.items()}


# --- what the team queue shows ---------------------------------------------------------------


def test_team_queue_lists_the_workspaces_active_follow_ups_overdue_first(
    client, manager, team, other_workspace
):
    login(client, manager)

    page = client.get(_url("team")).content.decode()

    shown = _shown(page)
    assert set(shown) == {team["r0"].pk, team["r1"].pk, team["q0"].pk}
    assert shown[-1] == team["r1"].pk  # the only one not overdue comes last
    assert "Nobody owns checkout" in page


def test_team_queue_counts_per_assignee_with_the_unassigned_queue(client, manager, staff, team):
    login(client, manager)

    page = client.get(_url("team")).content.decode()

    # Sam: r0 (overdue) and r1 active; r0 and r2 (closed after due) missed their target.
    assert _counts(page, f'?owner={staff.pk}"') == ("2", "1", "2")
    assert _counts(page, '?owner=none"') == ("1", "1", "1")
    assert _counts(page, f'?owner={manager.pk}"') == ("0", "0", "0")


def test_team_queue_counts_per_touchpoint(client, manager, reviews, checkout, team):
    login(client, manager)

    page = client.get(_url("team")).content.decode()

    table = page[page.index('id="by-touchpoint-head"') :]
    reviews_row = table[table.index(f'data-touchpoint="{reviews.pk}"') :].split("</tr>")[0]
    checkout_row = table[table.index(f'data-touchpoint="{checkout.pk}"') :].split("</tr>")[0]
    assert 'data-count="active">2<' in reviews_row
    assert 'data-count="active">1<' in checkout_row
    assert table.index(f'data-touchpoint="{reviews.pk}"') < table.index(
        f'data-touchpoint="{checkout.pk}"'
    )  # most active first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?owner=none", ["q0"]),
        ("?owner={staff}", ["r0", "r1"]),
        ("?owner={staff}&status=all", ["r0", "r1", "r2", "r3"]),
        ("?touchpoint={checkout}", ["q0"]),
        ("?overdue=on", ["r0", "q0"]),
        ("?breach=on&status=all", ["r0", "r2", "q0"]),
        ("?status=closed", ["r2", "r3"]),
        ("?owner={manager}", []),
    ],
)
def test_team_queue_filters_live_in_the_url(
    client, manager, staff, checkout, team, query, expected
):
    login(client, manager)
    url = _url("team") + query.format(staff=staff.pk, checkout=checkout.pk, manager=manager.pk)

    page = client.get(url).content.decode()

    assert sorted(_shown(page)) == sorted(team[key].pk for key in expected)


def test_sla_breaches_list_the_overdue_ones_first_then_by_due_date(client, manager, team):
    login(client, manager)

    page = client.get(_url("team") + "?breach=on&status=all").content.decode()

    # r0 (due two days ago) and q0 (due yesterday) are still open; r2 was closed late.
    assert _shown(page) == [team["r0"].pk, team["q0"].pk, team["r2"].pk]


def test_a_bad_filter_falls_back_to_everything_active(client, manager, team):
    login(client, manager)

    response = client.get(_url("team") + "?owner=999999&touchpoint=abc&status=nope")

    assert response.status_code == 200
    assert len(_shown(response.content.decode())) == 3


def test_team_queue_answers_htmx_with_the_results_only(client, manager, team):
    login(client, manager)

    response = client.get(_url("team") + "?overdue=on", headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="followup-results">')
    assert "by-owner-head" not in html
    assert "HX-Request" in response["Vary"]


def test_another_workspaces_follow_ups_never_show(client, outsider, team):
    login(client, outsider)

    page = client.get(_url("team", ws="globex")).content.decode()

    assert _shown(page) == []
    assert "Reviews pain" not in page


@pytest.mark.parametrize(
    ("role", "status_forms", "assign_forms"),
    [(Role.ADMIN, 3, 3), (Role.MANAGER, 3, 3), (Role.EDITOR, 0, 0)],
)
def test_team_queue_offers_each_role_only_the_forms_it_may_use(
    client, personas, team, role, status_forms, assign_forms
):
    login(client, personas[role])

    page = client.get(_url("team")).content.decode()

    assert page.count('name="row" value="team"') == status_forms + assign_forms
    assert page.count('id="row-assignee-') == assign_forms


def test_staff_do_not_get_the_team_queue(client, staff, team):
    login(client, staff)

    assert client.get(_url("team")).status_code == 403
    page = client.get(_url("list")).content.decode()
    assert _url("team") not in page


@pytest.mark.parametrize("role", Role.values)
def test_the_nav_links_the_team_queue_for_roles_that_may_read_it(client, personas, role):
    login(client, personas[role])

    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()

    assert (_url("team") in page) is (role != Role.STAFF)


@pytest.mark.parametrize("query", ["", "?breach=on&status=all"])
@pytest.mark.parametrize("n", [2, 30])
def test_team_queue_runs_a_fixed_number_of_queries(
    client, workspace, manager, reviews, checkout, n, query, django_assert_num_queries
):
    ingest(workspace, *[answer(reviews, f"a{i}", comment="Slow") for i in range(n)])
    ingest(workspace, *[answer(checkout, f"b{i}", comment="Slow") for i in range(n)])
    for i in range(n % 7):
        make_member(workspace, Role.STAFF, f"extra{i}")
    login(client, manager)

    # session, user, membership, members, the follow-ups (with answers, touchpoints,
    # assignees), counts per assignee, counts per touchpoint
    FollowUp.objects.update(due_on=timezone.localdate() - timedelta(days=1))  # all breaches
    with django_assert_num_queries(7):
        page = client.get(_url("team") + query).content.decode()
    assert len(_shown(page)) == 2 * n


# --- changes from a row ----------------------------------------------------------------------


def test_status_change_from_my_list_with_htmx_answers_the_row(client, staff, followup):
    login(client, staff)

    response = _post_row(client, "status", followup, status="in_progress", version=1)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="followup-row-{followup.pk}"')
    assert 'data-row-status="in_progress"' in html
    assert "data-autofocus" in html  # the keyboard stays on the row
    assert 'name="version" value="2"' in html
    assert FollowUp.objects.get().status == Status.IN_PROGRESS


def test_status_change_from_a_list_without_javascript_goes_back_to_the_list(
    client, staff, manager, followup
):
    login(client, staff)
    mine = client.post(_url("status", followup.pk), {"status": "open", "version": 1, "row": "mine"})
    login(client, manager)
    team = client.post(
        _url("status", followup.pk), {"status": "in_progress", "version": 1, "row": "team"}
    )

    assert (mine.status_code, mine["Location"]) == (302, _url("list"))
    assert (team.status_code, team["Location"]) == (302, _url("team"))


def test_a_stale_row_gets_the_conflict_message_and_the_row_as_it_is_now(client, staff, followup):
    FollowUp.objects.update(status=Status.IN_PROGRESS, version=2)
    login(client, staff)

    response = _post_row(client, "status", followup, status="recovered", version=1)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this follow-up" in html
    assert 'role="alert"' in html
    assert 'data-row-status="in_progress"' in html
    assert 'name="version" value="2"' in html
    assert FollowUp.objects.get().status == Status.IN_PROGRESS


def test_a_forbidden_transition_from_a_row_is_shown_in_the_row(client, staff, followup):
    FollowUp.objects.update(status=Status.RECOVERED)
    login(client, staff)

    response = _post_row(client, "status", followup, status="not_recovered", version=1)

    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="followup-row-{followup.pk}"')
    assert "cannot become" in html


def test_reassign_from_the_team_queue_answers_the_row(client, manager, staff, team):
    login(client, manager)
    queued = team["q0"]

    response = _post_row(
        client, "assign", queued, row="team", assignee=staff.pk, version=queued.version
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="followup-row-{queued.pk}"')
    assert f"Assigned to {staff.display_name}" in html
    assert f'<option value="{staff.pk}" selected>' in html
    assert FollowUp.objects.get(pk=queued.pk).assignee_id == staff.pk


def test_my_list_rows_offer_the_status_form_only_where_the_viewer_may_act(
    client, workspace, staff, reviews, checkout
):
    ingest(workspace, answer(reviews, "mine", comment="Mine"))
    ingest(workspace, answer(checkout, "queued", comment="Queued"))
    login(client, staff)

    mine = client.get(_url("list")).content.decode()
    queue = client.get(_url("list") + "?scope=queue").content.decode()

    assert mine.count('name="row" value="mine"') == 1
    assert queue.count('name="row" value="mine"') == 0  # not their touchpoint, not theirs
    assert "Queued" in queue
