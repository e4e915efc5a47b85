"""Who may do what over HTTP: the role matrix, other workspaces, anonymous users, CSRF, escaping.

The matrix is written out from product.md's roles, not derived from mot.policy, so a change to the
policy that breaks the product's promise fails here: admin does everything; editor edits maps and
imports; manager reads, exports and assigns owners; staff reads and assigns owners; only admins
manage members.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.followups.models import FollowUp, FollowUpSettings
from feedback.models import Source, SurveyBranding, SurveyLink
from feedback.services import AnswerIn, responses_ingest
from feedback.surveys.services import survey_link_create
from journeys.models import Journey, Lane, LaneFold, LaneItem, LaneKind, Persona, Stage, Touchpoint
from journeys.services import stage_create, touchpoint_create
from journeys.services.lanes import item_create, lane_create
from journeys.services.personas import journey_set_personas, persona_create
from mot.models import Invitation, Membership, Role
from tests.conftest import login
from tests.expectations import (
    ADMINS,
    ALL,
    EXPORTERS,
    FOLLOWUP_ACTORS,
    FOLLOWUP_REASSIGNERS,
    MAP_EDITORS,
    TEAM_QUEUE_READERS,
    db_snapshot,
)
from tests.journeys.lanes_helpers import png


@dataclass
class World:
    """Acme's journey and its parts, as the endpoints below address them."""

    journey: Journey
    research: Stage
    buy: Stage
    reviews: Touchpoint
    checkout: Touchpoint
    staff: Membership
    invitation: Invitation
    followup: FollowUp
    pains: Lane  # issue 16: a lane of items, one item in it, a persona of the journey
    item: LaneItem
    persona: Persona
    link: SurveyLink  # issue 18: the survey editor, its preview and QR codes

    def refresh(self) -> None:
        for obj in (
            self.journey, self.research, self.buy, self.reviews, self.checkout, self.followup,
            self.pains, self.item, self.persona, self.link,
        ):  # fmt: skip
            if type(obj).objects.filter(pk=obj.pk).exists():  # deleting is an effect too
                obj.refresh_from_db()


def _gone(model, pk: int) -> bool:
    return not model.objects.filter(pk=pk).exists()


def _import_file() -> dict[str, Any]:
    document = {
        "format": "mot.journey",
        "version": 1,
        "journey": {
            "name": "Imported journey",
            "stages": [{"name": "Only stage", "touchpoints": [{"title": "Only card"}]}],
        },
    }
    upload = SimpleUploadedFile(
        "journey.mot.json", json.dumps(document).encode(), content_type="application/json"
    )
    return {"file": upload}


@dataclass(frozen=True)
class Endpoint:
    """One URL: the methods it answers, who may use it, what a POST sends and what it does."""

    name: str
    methods: tuple[str, ...]
    roles: frozenset[str]
    pk: Callable[[World], int] | None = None  # the object in the URL, if any
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    done: Callable[[World], bool] = lambda w: True  # the effect of an allowed POST happened
    form_page: Callable[[World], str] | None = None  # where the form posting here lives
    # False for a POST that only reads (the survey editor's preview of unsaved edits): it
    # answers 200 with a fragment and must leave every row as it was.
    writes: bool = True

    def url(self, world: World, ws: str = "acme") -> str:
        kwargs: dict[str, Any] = {"ws": ws}
        if self.pk is not None:
            kwargs["pk"] = self.pk(world)
        return reverse(self.name, kwargs=kwargs)

    @property
    def id(self) -> str:
        return self.name.split(":")[-1]


def _map(w: World) -> str:
    return reverse("journeys:map", kwargs={"ws": "acme", "pk": w.journey.pk})


def _page(name: str, pk: Callable[[World], int] | None = None) -> Callable[[World], str]:
    def url(w: World) -> str:
        kwargs: dict[str, Any] = {"ws": "acme"}
        if pk is not None:
            kwargs["pk"] = pk(w)
        return reverse(name, kwargs=kwargs)

    return url


def _journey(w: World) -> int:
    return w.journey.pk


def _research(w: World) -> int:
    return w.research.pk


def _reviews(w: World) -> int:
    return w.reviews.pk


def _staff(w: World) -> int:
    return w.staff.pk


def _followup(w: World) -> int:
    return w.followup.pk


def _pains(w: World) -> int:
    return w.pains.pk


def _item(w: World) -> int:
    return w.item.pk


def _persona(w: World) -> int:
    return w.persona.pk


def _touchpoint_fields(title: str) -> dict[str, str]:
    return {"title": title, "description": "", "channel": "email", "mot_stage": "", "phase": "use"}


ENDPOINTS = [
    Endpoint("journeys:list", ("GET",), ALL),
    Endpoint(
        "journeys:new",
        ("GET", "POST"),
        MAP_EDITORS,
        data=lambda w: {"template": "", "name": "Fresh journey"},
        done=lambda w: Journey.objects.filter(name="Fresh journey").exists(),
        form_page=_page("journeys:new"),
    ),
    Endpoint(
        "journeys:import",
        ("GET", "POST"),
        MAP_EDITORS,
        data=lambda w: _import_file(),
        done=lambda w: Journey.objects.filter(name="Imported journey").exists(),
        form_page=_page("journeys:import"),
    ),
    Endpoint("journeys:map", ("GET",), ALL, pk=_journey),
    Endpoint(
        "journeys:edit",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"name": "Renamed", "persona": "", "description": "", "state": "current"},
        done=lambda w: w.journey.name == "Renamed",
        form_page=_page("journeys:edit", _journey),
    ),
    Endpoint(
        "journeys:duplicate",
        ("POST",),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"state": "future"},
        done=lambda w: Journey.objects.filter(state="future").count() == 1,
        form_page=_map,
    ),
    Endpoint(
        "journeys:archive",
        ("POST",),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"archived": "on"},
        done=lambda w: w.journey.archived,
        form_page=_map,
    ),
    Endpoint(
        "journeys:delete",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_journey,
        done=lambda w: _gone(Journey, w.journey.pk),
        form_page=_page("journeys:delete", _journey),
    ),
    Endpoint("journeys:export", ("GET",), EXPORTERS, pk=_journey),
    Endpoint("journeys:compare", ("GET",), ALL, pk=_journey),
    Endpoint(
        "journeys:stage_create",
        ("POST",),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"name": "Delivery"},
        done=lambda w: w.journey.stages.filter(name="Delivery").exists(),
        form_page=_map,
    ),
    Endpoint(
        "journeys:stage_rename",
        ("POST",),
        MAP_EDITORS,
        pk=_research,
        data=lambda w: {"name": "Discover"},
        done=lambda w: w.research.name == "Discover",
        form_page=_map,
    ),
    Endpoint(
        "journeys:stage_delete",
        ("POST",),
        MAP_EDITORS,
        pk=_research,
        done=lambda w: _gone(Stage, w.research.pk),
        form_page=_map,
    ),
    Endpoint(
        "journeys:stage_move",
        ("POST",),
        MAP_EDITORS,
        pk=_research,
        data=lambda w: {"position": 1},
        done=lambda w: (w.research.position, w.buy.position) == (1, 0),
        form_page=_map,
    ),
    Endpoint(
        "journeys:touchpoint_create",
        ("POST",),
        MAP_EDITORS,
        pk=_research,
        data=lambda w: _touchpoint_fields("Newsletter"),
        done=lambda w: w.research.touchpoints.filter(title="Newsletter").exists(),
        form_page=_map,
    ),
    Endpoint(
        "journeys:touchpoint_edit",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_reviews,
        data=lambda w: _touchpoint_fields("Star ratings"),
        done=lambda w: (w.reviews.title, w.reviews.channel) == ("Star ratings", "email"),
        form_page=_page("journeys:touchpoint_edit", _reviews),
    ),
    Endpoint(
        "journeys:touchpoint_delete",
        ("POST",),
        MAP_EDITORS,
        pk=_reviews,
        done=lambda w: _gone(Touchpoint, w.reviews.pk),
        form_page=_page("journeys:touchpoint_edit", _reviews),
    ),
    Endpoint(
        "journeys:touchpoint_move",
        ("POST",),
        MAP_EDITORS,
        pk=_reviews,
        data=lambda w: {"stage": w.buy.pk, "position": 0},
        done=lambda w: (w.reviews.stage_id, w.reviews.position) == (w.buy.pk, 0),
        form_page=_page("journeys:touchpoint_edit", _reviews),
    ),
    Endpoint(
        "journeys:touchpoint_owner",
        ("GET", "POST"),
        ALL,
        pk=_reviews,
        data=lambda w: {"owner": w.staff.pk},
        done=lambda w: w.reviews.owner_id == w.staff.pk,
        # Without JavaScript the card's "Owner…" link opens this form on a page of its own.
        form_page=lambda w: reverse(
            "journeys:touchpoint_owner", kwargs={"ws": "acme", "pk": w.reviews.pk}
        ),
    ),
    Endpoint("member_list", ("GET",), ALL),
    Endpoint(
        "member_invite",
        ("POST",),
        ADMINS,
        data=lambda w: {"email": "newcomer@acme.test", "role": "staff"},
        done=lambda w: Invitation.objects.filter(email="newcomer@acme.test").exists(),
        form_page=_page("member_list"),
    ),
    Endpoint(
        "invitation_revoke",
        ("POST",),
        ADMINS,
        pk=lambda w: w.invitation.pk,
        done=lambda w: _gone(Invitation, w.invitation.pk),
        form_page=_page("member_list"),
    ),
    Endpoint(
        "member_role",
        ("POST",),
        ADMINS,
        pk=_staff,
        data=lambda w: {"role": "editor"},
        done=lambda w: Membership.objects.get(pk=w.staff.pk).role == Role.EDITOR,
        form_page=_page("member_list"),
    ),
    Endpoint(
        "member_remove",
        ("POST",),
        ADMINS,
        pk=_staff,
        done=lambda w: _gone(Membership, w.staff.pk),
        form_page=_page("member_list"),
    ),
    # Issue 14. The world's follow-up is assigned to the staff persona, so staff act on it.
    Endpoint("followups:list", ("GET",), ALL),
    Endpoint("followups:team", ("GET",), TEAM_QUEUE_READERS),
    Endpoint("followups:detail", ("GET",), ALL, pk=_followup),
    Endpoint(
        "followups:status",
        ("POST",),
        FOLLOWUP_ACTORS,
        pk=_followup,
        data=lambda w: {"status": "in_progress", "version": 1},
        done=lambda w: w.followup.status == "in_progress",
        form_page=_page("followups:detail", _followup),
    ),
    Endpoint(
        "followups:note",
        ("POST",),
        FOLLOWUP_ACTORS,
        pk=_followup,
        data=lambda w: {"note": "Called back"},
        done=lambda w: w.followup.events.filter(note="Called back").exists(),
        form_page=_page("followups:detail", _followup),
    ),
    Endpoint(
        "followups:assign",
        ("POST",),
        FOLLOWUP_REASSIGNERS,
        pk=_followup,
        data=lambda w: {"assignee": "", "version": 1},
        done=lambda w: w.followup.assignee_id is None,
        form_page=_page("followups:detail", _followup),
    ),
    Endpoint(
        "followups:settings",
        ("GET", "POST"),
        ADMINS,
        data=lambda w: {"trigger": "any_pain", "nps_max": 6, "response_days": 3},
        done=lambda w: FollowUpSettings.objects.filter(response_days=3).exists(),
        form_page=_page("followups:settings"),
    ),
    # Issue 16: lanes, their items, personas.
    Endpoint(
        "journeys:lane_create",
        ("POST",),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"kind": "thoughts", "name": ""},
        done=lambda w: w.journey.lanes.filter(kind="thoughts").exists(),
        form_page=_map,
    ),
    Endpoint(
        "journeys:lane_rename",
        ("POST",),
        MAP_EDITORS,
        pk=_pains,
        data=lambda w: {"name": "Frictions"},
        done=lambda w: w.pains.name == "Frictions",
        form_page=_map,
    ),
    Endpoint(
        "journeys:lane_move",
        ("POST",),
        MAP_EDITORS,
        pk=_pains,
        data=lambda w: {"position": 0},
        done=lambda w: w.pains.position == 0,
        form_page=_map,
    ),
    Endpoint(
        "journeys:lane_delete",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_pains,
        data=lambda w: {"confirm": "yes"},
        done=lambda w: _gone(Lane, w.pains.pk),
        form_page=_page("journeys:lane_delete", _pains),
    ),
    Endpoint(
        "journeys:lane_fold",
        ("POST",),
        ALL,  # a member's own view of the map
        pk=_pains,
        data=lambda w: {"folded": "on"},
        done=lambda w: LaneFold.objects.filter(lane=w.pains).count() == 1,
        form_page=_map,
    ),
    Endpoint(
        "journeys:item_create",
        ("POST",),
        MAP_EDITORS,
        pk=_pains,
        data=lambda w: {"text": "Queue at the till", "stage": w.buy.pk},
        done=lambda w: w.pains.items.filter(text="Queue at the till", stage=w.buy).exists(),
        form_page=_map,
    ),
    Endpoint(
        "journeys:item_edit",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_item,
        data=lambda w: {"text": "Reviews look bought"},
        done=lambda w: w.item.text == "Reviews look bought",
        form_page=_page("journeys:item_edit", _item),
    ),
    Endpoint(
        "journeys:item_delete",
        ("POST",),
        MAP_EDITORS,
        pk=_item,
        done=lambda w: _gone(LaneItem, w.item.pk),
        form_page=_page("journeys:item_edit", _item),
    ),
    Endpoint(
        "journeys:item_move",
        ("POST",),
        MAP_EDITORS,
        pk=_item,
        data=lambda w: {"lane": w.pains.pk, "stage": w.buy.pk, "position": 0},
        done=lambda w: (w.item.stage_id, w.item.position) == (w.buy.pk, 0),
        form_page=_page("journeys:item_edit", _item),
    ),
    Endpoint("journeys:personas", ("GET",), ALL),
    Endpoint(
        "journeys:persona_new",
        ("GET", "POST"),
        MAP_EDITORS,
        data=lambda w: {"name": "First-time buyer", "segment": "new"},
        done=lambda w: Persona.objects.filter(name="First-time buyer").exists(),
        form_page=_page("journeys:persona_new"),
    ),
    Endpoint(
        "journeys:persona_edit",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_persona,
        data=lambda w: {"name": "Busy parent of three"},
        done=lambda w: w.persona.name == "Busy parent of three",
        form_page=_page("journeys:persona_edit", _persona),
    ),
    Endpoint(
        "journeys:persona_delete",
        ("GET", "POST"),
        MAP_EDITORS,
        pk=_persona,
        done=lambda w: _gone(Persona, w.persona.pk),
        form_page=_page("journeys:persona_delete", _persona),
    ),
    Endpoint("journeys:persona_picture", ("GET",), ALL, pk=_persona),
    Endpoint(
        "journeys:journey_personas",
        ("POST",),
        MAP_EDITORS,
        pk=_journey,
        data=lambda w: {"personas": []},
        done=lambda w: not w.journey.personas.exists(),
        form_page=_map,
    ),
]


def _link(w: World) -> int:
    return w.link.pk


def _survey_editor_fields() -> dict[str, str]:
    from feedback.surveys.config import QUESTIONS

    data = {"language": "", "thanks_url": "", "frame_origins": "", "title_en": "Edited"}
    for position, key in enumerate(QUESTIONS, start=1):
        data[f"order_{key}"] = str(position)
        data[f"ask_{key}"] = "on"
    return data


# Those who manage survey links (mot.policy's MANAGE_SURVEYS): admins and editors.
SURVEY_MANAGERS = MAP_EDITORS
ENDPOINTS += [
    Endpoint("feedback:surveys", ("GET",), SURVEY_MANAGERS),
    Endpoint(
        "feedback:surveys_branding",
        ("POST",),
        SURVEY_MANAGERS,
        data=lambda w: {"accent": "#112233"},
        done=lambda w: SurveyBranding.objects.filter(accent="#112233").exists(),
        form_page=_page("feedback:surveys"),
    ),
    Endpoint(
        "feedback:survey_link_edit",
        ("GET", "POST"),
        SURVEY_MANAGERS,
        pk=_link,
        data=lambda w: _survey_editor_fields(),
        done=lambda w: w.link.config.get("title") == {"en": "Edited"},
        form_page=_page("feedback:survey_link_edit", _link),
    ),
    Endpoint("feedback:survey_link_preview", ("GET",), SURVEY_MANAGERS, pk=_link),
    Endpoint(
        "feedback:survey_link_preview_edits",
        ("POST",),
        SURVEY_MANAGERS,
        pk=_link,
        data=lambda w: _survey_editor_fields(),
        done=lambda w: "title" not in w.link.config,  # previewed, never saved
        form_page=_page("feedback:survey_link_edit", _link),
        writes=False,
    ),
    Endpoint("feedback:survey_link_qr_png", ("GET",), SURVEY_MANAGERS, pk=_link),
    Endpoint("feedback:survey_link_qr_svg", ("GET",), SURVEY_MANAGERS, pk=_link),
]
POST_ENDPOINTS = [e for e in ENDPOINTS if "POST" in e.methods]
OBJECT_ENDPOINTS = [e for e in ENDPOINTS if e.pk is not None]


def _cases(allowed: bool) -> list[Any]:
    return [
        pytest.param(e, method, role, id=f"{e.id}-{method}-{role}")
        for e in ENDPOINTS
        for method in e.methods
        for role in Role.values
        if (role in e.roles) == allowed
    ]


def _method_cases(endpoints: list[Endpoint]) -> list[Any]:
    return [
        pytest.param(e, method, id=f"{e.id}-{method}") for e in endpoints for method in e.methods
    ]


def send(client: Client, endpoint: Endpoint, method: str, world: World, ws: str = "acme"):
    url = endpoint.url(world, ws)
    if method == "GET":
        return client.get(url)
    return client.post(url, endpoint.data(world))


def _world_followup(journey: Journey, reviews: Touchpoint, staff: Membership) -> FollowUp:
    responses_ingest(
        workspace_id=journey.workspace_id,
        source=Source.API,
        answers=[
            AnswerIn(
                touchpoint_id=reviews.pk,
                external_id="pain",
                submitted_at=timezone.now(),
                nps=1,
                comment="Too slow",
            )
        ],
    )
    followup = FollowUp.objects.get(response__external_id="pain")
    followup.assignee = staff
    followup.save()
    return followup


@pytest.fixture
def world(personas, journey) -> World:
    research, buy = journey.stages.order_by("position")
    reviews = Touchpoint.objects.get(journey=journey, title="Reviews")
    return World(
        journey=journey,
        research=research,
        buy=buy,
        reviews=reviews,
        checkout=Touchpoint.objects.get(journey=journey, title="Checkout"),
        staff=personas[Role.STAFF],
        invitation=Invitation.objects.create(
            workspace=journey.workspace,
            email="invited@acme.test",
            role=Role.STAFF,
            nonce="n",
            sent_at=timezone.now(),
        ),
        followup=_world_followup(journey, reviews, personas[Role.STAFF]),
        **_world_lanes(journey, research, personas[Role.EDITOR]),
        link=survey_link_create(actor=personas[Role.EDITOR], touchpoint=reviews),
    )


def _world_lanes(journey: Journey, research: Stage, editor: Membership) -> dict[str, Any]:
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)
    persona = persona_create(actor=editor, name="Busy parent", picture=png())
    journey_set_personas(actor=editor, journey=journey, personas=[persona])
    return {
        "pains": pains,
        "item": item_create(actor=editor, lane=pains, stage=research, text="Reviews look fake"),
        "persona": persona,
    }


# --- the role matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method", "role"), _cases(allowed=True))
def test_roles_allowed_by_the_product_can_use_each_page(
    client, world, personas, endpoint, method, role
):
    login(client, personas[role])
    before = db_snapshot()

    response = send(client, endpoint, method, world)

    if method == "GET":
        assert response.status_code == 200
    elif not endpoint.writes:
        assert response.status_code == 200, response.content.decode()[:2000]
        world.refresh()
        assert endpoint.done(world)
        assert db_snapshot() == before
    else:
        assert response.status_code == 302, response.content.decode()[:2000]
        world.refresh()
        assert endpoint.done(world)


@pytest.mark.parametrize(("endpoint", "method", "role"), _cases(allowed=False))
def test_roles_not_allowed_by_the_product_get_403_and_change_nothing(
    client, world, personas, endpoint, method, role
):
    login(client, personas[role])
    before = db_snapshot()

    response = send(client, endpoint, method, world)

    assert response.status_code == 403
    assert db_snapshot() == before


def test_staff_map_shows_owner_forms_but_no_editing_controls(client, world, staff):
    login(client, staff)

    page = client.get(_map(world)).content.decode()

    assert (
        reverse("journeys:touchpoint_owner", kwargs={"ws": "acme", "pk": world.reviews.pk}) in page
    )
    for name, pk in [
        ("journeys:edit", world.journey.pk),
        ("journeys:export", world.journey.pk),
        ("journeys:stage_create", world.journey.pk),
        ("journeys:touchpoint_move", world.reviews.pk),
        ("journeys:touchpoint_delete", world.reviews.pk),
    ]:
        assert reverse(name, kwargs={"ws": "acme", "pk": pk}) not in page


def test_manager_map_offers_export_but_no_editing_controls(client, world, manager):
    login(client, manager)

    page = client.get(_map(world)).content.decode()

    assert reverse("journeys:export", kwargs={"ws": "acme", "pk": world.journey.pk}) in page
    assert reverse("journeys:edit", kwargs={"ws": "acme", "pk": world.journey.pk}) not in page


def test_only_admins_see_the_member_management_forms(client, world, personas):
    role_url = reverse("member_role", kwargs={"ws": "acme", "pk": world.staff.pk})
    for role, membership in personas.items():
        client = login(Client(), membership)
        page = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
        assert (role_url in page) == (role == Role.ADMIN), role
        assert (reverse("member_invite", kwargs={"ws": "acme"}) in page) == (role == Role.ADMIN)


# --- other workspaces and anonymous users ----------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method"), _method_cases(ENDPOINTS))
def test_outsider_gets_404_through_the_other_workspaces_slug(
    client, world, outsider, endpoint, method
):
    login(client, outsider)
    before = db_snapshot()

    response = send(client, endpoint, method, world, ws="acme")

    assert response.status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize(("endpoint", "method"), _method_cases(OBJECT_ENDPOINTS))
def test_outsider_gets_404_for_another_workspaces_ids_under_their_own_slug(
    client, world, outsider, endpoint, method
):
    login(client, outsider)
    before = db_snapshot()

    response = send(client, endpoint, method, world, ws="globex")

    assert response.status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "endpoint", [pytest.param(e, id=e.id) for e in ENDPOINTS if e.methods == ("POST",)]
)
def test_post_only_urls_answer_get_with_405_whatever_the_object_so_nothing_leaks(
    client, world, outsider, endpoint
):
    login(client, outsider)

    for ws in ("acme", "globex"):
        assert client.get(endpoint.url(world, ws)).status_code == 405


@pytest.mark.parametrize(("endpoint", "method"), _method_cases(ENDPOINTS))
def test_anonymous_user_is_sent_to_sign_in_and_changes_nothing(client, world, endpoint, method):
    before = db_snapshot()

    response = send(client, endpoint, method, world)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert db_snapshot() == before


# --- CSRF ---------------------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf_client(membership: Membership) -> Client:
    return login(Client(enforce_csrf_checks=True), membership)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in POST_ENDPOINTS])
def test_post_without_csrf_token_is_refused_and_changes_nothing(world, admin, endpoint):
    client = _csrf_client(admin)
    client.get(endpoint.form_page(world))  # the CSRF cookie is set; the token is still missing
    before = db_snapshot()

    response = client.post(endpoint.url(world), endpoint.data(world))

    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in POST_ENDPOINTS])
def test_post_with_the_token_from_its_form_works(world, admin, endpoint):
    client = _csrf_client(admin)
    url = endpoint.url(world)
    page = client.get(endpoint.form_page(world)).content.decode()
    # The page really holds a form posting here (or posts to itself), through htmx or not.
    assert (
        f'action="{url}"' in page or f'hx-post="{url}"' in page or endpoint.form_page(world) == url
    )
    token = TOKEN.search(page).group(1)

    response = client.post(url, {**endpoint.data(world), "csrfmiddlewaretoken": token})

    assert response.status_code == (302 if endpoint.writes else 200)
    world.refresh()
    assert endpoint.done(world)


def test_body_carries_the_csrf_token_in_hx_headers_for_htmx_requests(world, editor):
    client = _csrf_client(editor)
    page = client.get(_map(world)).content.decode()
    match = re.search(r"<body[^>]*\shx-headers='([^']*)'", page)
    assert match, "base.html must put hx-headers on <body>"
    headers = json.loads(match.group(1))

    response = client.post(
        reverse("journeys:stage_create", kwargs={"ws": "acme", "pk": world.journey.pk}),
        {"name": "Via htmx"},
        headers={"X-CSRFToken": headers["X-CSRFToken"], "HX-Request": "true"},
    )

    assert response.status_code == 200  # htmx gets the board fragment, not a redirect
    assert world.journey.stages.filter(name="Via htmx").exists()

    refused = client.post(
        reverse("journeys:stage_create", kwargs={"ws": "acme", "pk": world.journey.pk}),
        {"name": "Without token"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 403
    assert not world.journey.stages.filter(name="Without token").exists()


def test_workspace_creation_sign_in_and_sign_out_need_the_csrf_token(admin):
    client = _csrf_client(admin)
    home = client.get(reverse("home") + "?pick=1").content.decode()
    assert client.post(reverse("home"), {"name": "Initech"}).status_code == 403
    assert client.post(reverse("logout")).status_code == 403
    token = TOKEN.search(home).group(1)

    response = client.post(reverse("home"), {"name": "Initech", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Membership.objects.filter(user=admin.user, workspace__name="Initech").exists()
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302

    anonymous = Client(enforce_csrf_checks=True)
    credentials = {"username": admin.user.username, "password": "correct-horse-battery"}
    assert anonymous.post(reverse("login"), credentials).status_code == 403
    page = anonymous.get(reverse("login")).content.decode()
    credentials["csrfmiddlewaretoken"] = TOKEN.search(page).group(1)
    assert anonymous.post(reverse("login"), credentials).status_code == 302


# --- escaping -----------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(editor, staff):
    """Every text a member can type, set to a script tag."""
    user = staff.user
    user.first_name = SCRIPT
    user.save()
    journey = Journey.objects.create(
        workspace=editor.workspace, name=SCRIPT, persona=SCRIPT, description=SCRIPT
    )
    stage = stage_create(actor=editor, journey=journey, name=SCRIPT)
    touchpoint = touchpoint_create(
        actor=editor, stage=stage, title=SCRIPT, description=SCRIPT, owner=staff
    )
    return journey, touchpoint


def _pages(journey: Journey, touchpoint: Touchpoint) -> dict[str, str]:
    ws = {"ws": "acme"}
    return {
        "list": reverse("journeys:list", kwargs=ws),
        "search": reverse("journeys:list", kwargs=ws) + "?q=" + SCRIPT,
        "map": reverse("journeys:map", kwargs={**ws, "pk": journey.pk}),
        "edit": reverse("journeys:edit", kwargs={**ws, "pk": journey.pk}),
        "delete": reverse("journeys:delete", kwargs={**ws, "pk": journey.pk}),
        "touchpoint": reverse("journeys:touchpoint_edit", kwargs={**ws, "pk": touchpoint.pk}),
        "members": reverse("member_list", kwargs=ws),
    }


@pytest.mark.parametrize(
    "page", ["list", "search", "map", "edit", "delete", "touchpoint", "members"]
)
def test_user_text_is_escaped_on_every_page_it_appears(client, admin, hostile, page):
    login(client, admin)

    html = client.get(_pages(*hostile)[page]).content.decode()

    assert ESCAPED in html
    assert SCRIPT not in html


def test_every_hostile_field_is_escaped_on_the_map(client, admin, hostile):
    login(client, admin)

    html = client.get(_pages(*hostile)["map"]).content.decode()

    # journey name (title, heading), persona, description, stage, card title and description,
    # owner name: each appears escaped at least once, none raw.
    assert html.count(ESCAPED) >= 8
    assert "<script>" not in html.replace('<script src="', "")


def test_flash_messages_escape_user_text(client, editor):
    login(client, editor)

    response = client.post(
        reverse("journeys:new", kwargs={"ws": "acme"}),
        {"template": "", "name": SCRIPT},
        follow=True,
    )

    html = response.content.decode()
    assert "created" in html
    assert SCRIPT not in html


@pytest.mark.parametrize(
    "name",
    [
        "journeys:map",
        "journeys:stage_rename",
        "journeys:touchpoint_card",
        "member_role",
        "followups:detail",
        "followups:status",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client, editor, name):
    login(client, editor)
    huge = 2**64
    url = reverse(name, kwargs={"ws": "acme", "pk": huge})
    response = client.get(url) if name.endswith(("map", "card", "detail")) else client.post(url)
    assert response.status_code == 404
