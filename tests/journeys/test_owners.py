"""The owners page (many touchpoints, one owner), the unassigned list and "my touchpoints".

Every role may assign owners (product.md), so every role sees and uses these pages; another
workspace's member gets 404, and another workspace's touchpoint ids are simply not found.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from journeys.models import Channel, Journey, MotStage, Phase, Stage, Touchpoint
from journeys.services import stage_create, touchpoint_create
from mot.models import Membership, Role
from tests.conftest import login
from tests.expectations import ALL, db_snapshot

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTMX = {"HX-Request": "true"}

# session, user, membership (+ workspace), members (+ users), journeys for the filter,
# the tab counts, the page's row count, the page's rows (+ journey, stage, owner, user)
OWNERS_QUERIES = 8
# session, user, membership (+ workspace), the member's touchpoints (+ journey, stage), their
# all-time metric rows, their daily rows summed per period, their latest pain answers, their
# active follow-ups (issue 14), their expectation sums of the last 90 days (issue 17)
MY_QUERIES = 9
# session, user, membership (+ workspace), members (+ users), the chosen touchpoints
# (+ journeys), one UPDATE
ASSIGN_QUERIES = 6


def url(name: str, ws: str = "acme") -> str:
    return reverse(f"journeys:{name}", kwargs={"ws": ws})


def owners_of(*touchpoints: Touchpoint) -> list[int | None]:
    return [Touchpoint.objects.get(pk=tp.pk).owner_id for tp in touchpoints]


@pytest.fixture
def tps(journey) -> dict[str, Touchpoint]:
    return {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}


def build_journeys(
    workspace, *, journeys: int, stages: int, per_stage: int, owner: Membership
) -> list[Touchpoint]:
    """journeys x stages x per_stage touchpoints in a few statements; every other one owned."""
    created = Journey.objects.bulk_create(
        [Journey(workspace=workspace, name=f"Journey {j}") for j in range(journeys)]
    )
    stage_rows = Stage.objects.bulk_create(
        [
            Stage(journey=journey, name=f"Stage {s}", position=s)
            for journey in created
            for s in range(stages)
        ]
    )
    mots = [*MotStage.values, ""]
    return Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                journey_id=stage.journey_id,
                stage=stage,
                position=p,
                title=f"Card {stage.journey_id}.{stage.position}.{p}",
                mot_stage=mots[p % len(mots)],
                owner=owner if p % 2 else None,
            )
            for stage in stage_rows
            for p in range(per_stage)
        ]
    )


# --- the role matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ALL))
def test_every_role_sees_the_owners_page_and_my_touchpoints(client, personas, journey, role):
    login(client, personas[role])

    owners = client.get(url("owners"))
    mine = client.get(url("my_touchpoints"))

    assert owners.status_code == mine.status_code == 200
    assert url("owners_assign") in owners.content.decode()  # the assign form is there


@pytest.mark.parametrize("role", sorted(ALL))
def test_every_role_assigns_one_owner_to_many_touchpoints(client, personas, tps, staff, role):
    login(client, personas[role])

    response = client.post(
        url("owners_assign"),
        {"touchpoints": [tps["Reviews"].pk, tps["Checkout"].pk], "owner": staff.pk},
    )

    assert response.status_code == 302
    assert owners_of(tps["Reviews"], tps["Checkout"], tps["Product page"]) == [
        staff.pk,
        staff.pk,
        None,
    ]


@pytest.mark.parametrize("name", ["owners", "my_touchpoints"])
def test_pages_link_from_the_main_navigation(client, staff, journey, name):
    login(client, staff)

    page = client.get(url("list")).content.decode()

    nav = re.search(r"<nav aria-label=\"Main\">(.*?)</nav>", page, re.S).group(1)
    assert f'href="{url(name)}"' in nav


# --- other workspaces, anonymous users, methods -------------------------------------------------


@pytest.mark.parametrize("name", ["owners", "my_touchpoints"])
def test_outsider_gets_404_on_the_other_workspaces_pages(client, outsider, journey, name):
    login(client, outsider)

    assert client.get(url(name)).status_code == 404


def test_outsider_cannot_assign_through_the_other_workspaces_slug(client, outsider, tps):
    login(client, outsider)
    before = db_snapshot()

    response = client.post(
        url("owners_assign"), {"touchpoints": [tps["Reviews"].pk], "owner": "nobody"}
    )

    assert response.status_code == 404
    assert db_snapshot() == before


def test_another_workspaces_touchpoint_ids_are_not_found_and_nothing_changes(
    client, outsider, tps, staff
):
    """Under their own slug, an outsider posts Acme's ids: 404, and no owner changes."""
    touchpoint_create(
        actor=outsider,
        stage=stage_create(
            actor=outsider,
            journey=Journey.objects.create(workspace=outsider.workspace, name="Globex map"),
            name="Only",
        ),
        title="Globex card",
    )
    own = Touchpoint.objects.get(title="Globex card")
    login(client, outsider)
    before = db_snapshot()

    only_theirs = client.post(
        url("owners_assign", ws="globex"),
        {"touchpoints": [tps["Reviews"].pk], "owner": outsider.pk},
    )
    mixed = client.post(
        url("owners_assign", ws="globex"),
        {"touchpoints": [own.pk, tps["Checkout"].pk], "owner": outsider.pk},
    )

    assert only_theirs.status_code == mixed.status_code == 404
    assert db_snapshot() == before


def test_a_member_of_another_workspace_is_not_an_owner_choice(client, editor, outsider, tps):
    login(client, editor)
    before = db_snapshot()

    response = client.post(
        url("owners_assign"), {"touchpoints": [tps["Reviews"].pk], "owner": outsider.pk}
    )

    assert response.status_code == 422
    assert "Choose a member of this workspace." in response.content.decode()
    assert db_snapshot() == before


def test_owners_page_never_lists_another_workspaces_touchpoints(client, editor, outsider, tps):
    journey = Journey.objects.create(workspace=outsider.workspace, name="Globex map")
    stage = stage_create(actor=outsider, journey=journey, name="Only")
    touchpoint_create(actor=outsider, stage=stage, title="Globex secret")
    login(client, editor)

    page = client.get(url("owners")).content.decode()

    assert "Globex secret" not in page
    assert "Reviews" in page


@pytest.mark.parametrize(
    ("name", "method"),
    [("owners", "get"), ("my_touchpoints", "get"), ("owners_assign", "post")],
)
def test_anonymous_user_is_sent_to_sign_in(client, tps, name, method):
    before = db_snapshot()

    response = getattr(client, method)(url(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert db_snapshot() == before


def test_assign_url_answers_get_with_405(client, staff):
    login(client, staff)

    assert client.get(url("owners_assign")).status_code == 405


# --- CSRF -----------------------------------------------------------------------------------------


def test_assign_without_the_csrf_token_is_refused_and_changes_nothing(staff, tps):
    client = login(Client(enforce_csrf_checks=True), staff)
    client.get(url("owners"))
    before = db_snapshot()

    response = client.post(
        url("owners_assign"), {"touchpoints": [tps["Reviews"].pk], "owner": staff.pk}
    )

    assert response.status_code == 403
    assert db_snapshot() == before


def test_assign_with_the_token_from_the_owners_page_works(staff, tps):
    client = login(Client(enforce_csrf_checks=True), staff)
    page = client.get(url("owners")).content.decode()
    assert f'action="{url("owners_assign")}"' in page
    token = TOKEN.search(page).group(1)

    response = client.post(
        url("owners_assign"),
        {"touchpoints": [tps["Reviews"].pk], "owner": staff.pk, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert owners_of(tps["Reviews"]) == [staff.pk]


# --- assigning ----------------------------------------------------------------------------------


def test_success_message_says_how_many_were_assigned(client, manager, staff, tps):
    login(client, manager)

    response = client.post(
        url("owners_assign"),
        {"touchpoints": [tps["Reviews"].pk, tps["Checkout"].pk], "owner": staff.pk},
        follow=True,
    )

    assert "2 touchpoints assigned to Sam." in response.content.decode()


def test_nobody_clears_the_owner_of_every_selected_touchpoint(client, staff, tps):
    Touchpoint.objects.update(owner=staff)
    login(client, staff)

    response = client.post(
        url("owners_assign"),
        {"touchpoints": [tps["Reviews"].pk, tps["Checkout"].pk], "owner": "nobody"},
        follow=True,
    )

    assert owners_of(tps["Reviews"], tps["Checkout"], tps["Product page"]) == [
        None,
        None,
        staff.pk,
    ]
    assert "Owner cleared on 2 touchpoints." in response.content.decode()


def test_assign_redirects_back_with_the_same_filters(client, staff, journey, tps):
    login(client, staff)
    query = f"?journey={journey.pk}&mot_stage=zmot&unassigned=1&evil=https://x.test"

    response = client.post(
        url("owners_assign") + query, {"touchpoints": [tps["Reviews"].pk], "owner": staff.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == (
        f"{url('owners')}?journey={journey.pk}&mot_stage=zmot&unassigned=1"
    )


def test_the_assign_form_posts_with_the_pages_filters(client, staff, journey):
    login(client, staff)

    page = client.get(url("owners") + f"?journey={journey.pk}&unassigned=1").content.decode()

    assert f'action="{url("owners_assign")}?journey={journey.pk}&amp;unassigned=1"' in page


def test_assign_without_a_selected_touchpoint_answers_422_with_a_clear_error(client, staff, tps):
    login(client, staff)
    before = db_snapshot()

    response = client.post(url("owners_assign"), {"owner": staff.pk})

    assert response.status_code == 422
    html = response.content.decode()
    assert "Select at least one touchpoint." in html
    assert "<html" in html  # without htmx: the whole page, the error on it
    assert f'<option value="{staff.pk}" selected>' in html  # the choice is kept
    assert db_snapshot() == before


def test_assign_without_an_owner_choice_answers_422_and_keeps_the_selection(client, staff, tps):
    login(client, staff)
    before = db_snapshot()

    response = client.post(url("owners_assign"), {"touchpoints": [tps["Reviews"].pk]})

    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose an owner, or “Nobody” to clear the owner." in html
    assert f'value="{tps["Reviews"].pk}" id="select-{tps["Reviews"].pk}" checked' in html
    assert db_snapshot() == before


def test_assign_with_a_malformed_id_is_not_found(client, staff, tps):
    login(client, staff)
    before = db_snapshot()

    response = client.post(url("owners_assign"), {"touchpoints": ["abc"], "owner": staff.pk})

    assert response.status_code == 404
    assert db_snapshot() == before


# --- htmx ---------------------------------------------------------------------------------------


def test_htmx_filter_request_gets_only_the_results_partial(client, staff, journey):
    login(client, staff)

    response = client.get(url("owners") + "?mot_stage=zmot", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="owner-results"' in html
    assert "Reviews" in html
    assert "Checkout" not in html
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_swaps_the_results_and_pushes_the_url(client, staff, journey):
    login(client, staff)

    page = client.get(url("owners")).content.decode()

    form = re.search(r'<form method="get"[^>]*>', page).group(0)
    assert f'hx-get="{url("owners")}"' in form
    assert 'hx-target="#owner-results"' in form
    assert 'hx-push-url="true"' in form


def test_htmx_assign_rerenders_the_results_and_announces_the_count(client, staff, tps):
    login(client, staff)

    response = client.post(
        url("owners_assign") + "?unassigned=1",
        {"touchpoints": [tps["Reviews"].pk, tps["Checkout"].pk], "owner": staff.pk},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    status = re.search(r'<p id="owner-status" hx-swap-oob="innerHTML">([^<]*)</p>', html)
    assert status.group(1) == "2 touchpoints assigned to Sam."
    assert 'aria-live="polite"' in client.get(url("owners")).content.decode()
    # The unassigned view no longer lists them, and the tab's count follows.
    assert "Product page" in html
    assert "Checkout" not in html
    assert "Unassigned (1)" in html
    assert owners_of(tps["Reviews"], tps["Checkout"]) == [staff.pk, staff.pk]


def test_htmx_assign_without_a_selection_answers_422_with_the_partial(client, staff, tps):
    login(client, staff)
    before = db_snapshot()

    response = client.post(url("owners_assign"), {"owner": staff.pk}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert "Select at least one touchpoint." in html
    assert db_snapshot() == before


def test_history_restore_request_gets_the_whole_page(client, staff, journey):
    login(client, staff)

    response = client.get(url("owners"), headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


# --- filters and the unassigned list ------------------------------------------------------------


def _listed(client, query: str = "") -> list[str]:
    response = client.get(url("owners") + query)
    assert response.status_code == 200
    return [tp.title for tp in response.context["touchpoints"]]


def test_rows_are_ordered_by_journey_then_stage_then_position(client, editor, journey, tps):
    other = Journey.objects.create(workspace=editor.workspace, name="A first journey")
    touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=other, name="S"), title="Z card"
    )
    login(client, editor)

    assert _listed(client) == ["Z card", "Reviews", "Product page", "Checkout"]


def test_filters_by_journey_moment_owner_and_unassigned(client, editor, staff, journey, tps):
    other = Journey.objects.create(workspace=editor.workspace, name="Other")
    touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=other, name="S"), title="Else"
    )
    Touchpoint.objects.filter(pk=tps["Checkout"].pk).update(owner=staff)
    login(client, editor)

    assert _listed(client, f"?journey={journey.pk}") == ["Reviews", "Product page", "Checkout"]
    assert _listed(client, "?mot_stage=fmot") == ["Product page"]
    assert _listed(client, f"?journey={journey.pk}&mot_stage=none") == ["Checkout"]
    assert _listed(client, f"?owner={staff.pk}") == ["Checkout"]
    assert _listed(client, "?unassigned=1") == ["Reviews", "Product page", "Else"]


def test_unknown_filter_values_are_ignored(client, editor, outsider, journey, tps):
    login(client, editor)

    assert len(_listed(client, f"?journey=999999&mot_stage=nope&owner={outsider.pk}")) == 3
    assert len(_listed(client, "?journey=abc&page=zzz")) == 3


def test_archived_journeys_are_left_out(client, editor, journey):
    journey.archived = True
    journey.save()
    login(client, editor)

    assert _listed(client) == []
    assert "Every touchpoint has an owner." not in client.get(url("owners")).content.decode()


def test_unassigned_tab_shows_the_count_and_opens_the_unassigned_list(client, staff, journey, tps):
    Touchpoint.objects.filter(pk=tps["Reviews"].pk).update(owner=staff)
    login(client, staff)

    page = client.get(url("owners")).content.decode()

    assert f'href="{url("owners")}?unassigned=1">Unassigned (2)</a>' in page
    assert "All touchpoints (3)" in page
    unassigned = client.get(url("owners") + "?unassigned=1").content.decode()
    assert f'href="{url("owners")}?unassigned=1" aria-current="page">' in unassigned
    assert _listed(client, "?unassigned=1") == ["Product page", "Checkout"]


def test_unassigned_list_says_when_every_touchpoint_has_an_owner(client, staff, journey):
    Touchpoint.objects.update(owner=staff)
    login(client, staff)

    page = client.get(url("owners") + "?unassigned=1").content.decode()

    assert "Every touchpoint has an owner." in page


def test_every_checkbox_is_labelled_including_select_all(client, staff, tps):
    login(client, staff)

    page = client.get(url("owners")).content.decode()

    assert 'id="select-all" data-select-all' in page
    assert '<label for="select-all" class="visually-hidden">Select all visible touchpoints' in page
    for tp in tps.values():
        assert f'<label for="select-{tp.pk}" class="visually-hidden">Select {tp.title}' in page


def test_owner_select_offers_nobody_and_exactly_the_workspaces_members(
    client, personas, outsider, journey
):
    login(client, personas[Role.STAFF])

    page = client.get(url("owners")).content.decode()

    select = re.search(r'<select id="bulk-owner" name="owner">(.*?)</select>', page, re.S)
    values = re.findall(r'<option value="([^"]*)"', select.group(1))
    by_name = [personas[r] for r in (Role.ADMIN, Role.EDITOR, Role.MANAGER, Role.STAFF)]
    assert values == ["", "nobody", *(str(m.pk) for m in by_name)]  # Alice, Eddie, Mona, Sam
    assert str(outsider.pk) not in values


def test_large_lists_are_paged_and_keep_the_filters(client, editor):
    build_journeys(editor.workspace, journeys=3, stages=2, per_stage=50, owner=editor)
    login(client, editor)

    first = client.get(url("owners") + "?mot_stage=")
    second = client.get(url("owners") + "?page=2")

    assert len(first.context["touchpoints"]) == 250
    assert len(second.context["touchpoints"]) == 50
    assert "Page 1 of 2" in first.content.decode()


# --- my touchpoints -------------------------------------------------------------------------------


def test_my_touchpoints_groups_the_members_own_touchpoints_by_journey(
    client, editor, staff, journey, tps
):
    second = Journey.objects.create(workspace=editor.workspace, name="B2B onboarding")
    stage = stage_create(actor=editor, journey=second, name="Kick-off")
    touchpoint_create(
        actor=editor,
        stage=stage,
        title="Welcome call",
        channel=Channel.PHONE,
        mot_stage=MotStage.SMOT,
        phase=Phase.USE,
        owner=staff,
    )
    Touchpoint.objects.filter(pk=tps["Reviews"].pk).update(owner=staff)
    Touchpoint.objects.filter(pk=tps["Checkout"].pk).update(owner=editor)
    login(client, staff)

    html = client.get(url("my_touchpoints")).content.decode()

    assert html.index("B2B onboarding") < html.index("Online shop")  # grouped by journey name
    welcome = Touchpoint.objects.get(title="Welcome call")
    map_url = reverse("journeys:map", kwargs={"ws": "acme", "pk": second.pk})
    assert f'href="{map_url}#tp-{welcome.pk}">Welcome call</a>' in html
    assert f'href="{map_url}">B2B onboarding</a>' in html
    assert '<span class="mot-badge mot-smot">SMOT</span>' in html
    assert "Kick-off" in html
    assert "Phone" in html
    assert '<span class="mot-badge mot-zmot">ZMOT</span>' in html  # Reviews
    assert "Checkout" not in html  # the editor's, not mine


def test_my_touchpoints_leaves_out_archived_journeys(client, staff, journey, tps):
    Touchpoint.objects.update(owner=staff)
    journey.archived = True
    journey.save()
    login(client, staff)

    html = client.get(url("my_touchpoints")).content.decode()

    assert "Reviews" not in html
    assert "You own no touchpoints yet." in html


def test_my_touchpoints_empty_state_explains_ownership_and_links_to_owners(client, manager):
    login(client, manager)

    html = client.get(url("my_touchpoints")).content.decode()

    assert "You own no touchpoints yet." in html
    assert "responsible for a touchpoint being a positive moment" in html
    assert f'href="{url("owners")}?unassigned=1"' in html
    assert f'href="{url("owners")}"' in html


# --- escaping -------------------------------------------------------------------------------------


@pytest.fixture
def hostile(editor, staff):
    user = staff.user
    user.first_name = SCRIPT
    user.save()
    journey = Journey.objects.create(workspace=editor.workspace, name=SCRIPT)
    stage = stage_create(actor=editor, journey=journey, name=SCRIPT)
    return touchpoint_create(actor=editor, stage=stage, title=SCRIPT, owner=staff)


@pytest.mark.parametrize("name", ["owners", "my_touchpoints"])
def test_user_text_is_escaped_on_the_owner_pages(client, staff, hostile, name):
    login(client, staff)

    html = client.get(url(name)).content.decode()

    assert html.count(ESCAPED) >= 3  # journey, stage, touchpoint (and the owner on owners)
    assert SCRIPT not in html


def test_user_text_is_escaped_in_the_htmx_partial_and_the_message(client, staff, hostile):
    login(client, staff)

    partial = client.get(url("owners"), headers=HTMX).content.decode()
    done = client.post(
        url("owners_assign"), {"touchpoints": [hostile.pk], "owner": staff.pk}, headers=HTMX
    ).content.decode()

    assert ESCAPED in partial
    assert ESCAPED in done
    assert SCRIPT not in partial + done


# --- query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EDITOR, Role.STAFF])
def test_owner_pages_run_the_same_queries_for_one_touchpoint_and_for_300(
    client, personas, django_assert_num_queries, role
):
    member = personas[role]
    build_journeys(member.workspace, journeys=1, stages=1, per_stage=2, owner=member)
    Touchpoint.objects.filter(position=0).delete()  # exactly one, owned
    login(client, member)
    with django_assert_num_queries(OWNERS_QUERIES):
        assert client.get(url("owners")).status_code == 200
    with django_assert_num_queries(MY_QUERIES):
        assert client.get(url("my_touchpoints")).status_code == 200

    Journey.objects.all().delete()
    build_journeys(member.workspace, journeys=3, stages=4, per_stage=25, owner=member)
    assert Touchpoint.objects.count() == 300
    with django_assert_num_queries(OWNERS_QUERIES):
        owners = client.get(url("owners"))
    with django_assert_num_queries(OWNERS_QUERIES):
        filtered = client.get(url("owners") + "?unassigned=1", headers=HTMX)
    with django_assert_num_queries(MY_QUERIES):
        mine = client.get(url("my_touchpoints"))

    unassigned = Touchpoint.objects.filter(owner=None).count()
    assert owners.content.decode().count('name="touchpoints"') == 250  # one page
    assert filtered.content.decode().count('name="touchpoints"') == unassigned == 156
    assert member.display_name in owners.content.decode()  # owners shown, not just counted
    assert mine.content.decode().count("#tp-") == 300 - unassigned


def test_bulk_assign_of_300_touchpoints_runs_a_fixed_number_of_queries(
    client, manager, staff, django_assert_num_queries
):
    touchpoints = build_journeys(
        manager.workspace, journeys=3, stages=4, per_stage=25, owner=manager
    )
    login(client, manager)
    with django_assert_num_queries(ASSIGN_QUERIES):
        one = client.post(
            url("owners_assign"), {"touchpoints": [touchpoints[0].pk], "owner": staff.pk}
        )

    with django_assert_num_queries(ASSIGN_QUERIES):
        many = client.post(
            url("owners_assign"),
            {"touchpoints": [tp.pk for tp in touchpoints], "owner": staff.pk},
        )

    assert one.status_code == many.status_code == 302
    assert Touchpoint.objects.filter(owner=staff).count() == 300
