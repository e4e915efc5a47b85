"""The demo workspace: complete on the first run, untouched by the second."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.translation import gettext

from feedback.demo import DEMO_OWNERS, DEMO_USERS, WORKSPACE_NAME, load_demo
from feedback.models import Customer, Response
from journeys.blueprints import BLUEPRINTS
from journeys.models import Journey, Persona, Stage, Touchpoint
from mot.models import Membership, Role, Workspace
from tests.marked_language import mark, marked_language

pytestmark = pytest.mark.django_db

PRINTED_LOGIN = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)$", re.MULTILINE)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def map_dump() -> list[tuple]:
    return [
        *Journey.objects.order_by("pk").values_list("pk", "workspace", "name", "updated_at"),
        *Stage.objects.order_by("pk").values_list("pk", "journey", "name", "position"),
        *Touchpoint.objects.order_by("pk").values_list(
            "pk", "journey", "stage", "position", "title", "mot_stage", "owner", "updated_at"
        ),
        *Membership.objects.order_by("pk").values_list("pk", "workspace", "user", "role"),
    ]


def run_command() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_loading_the_demo_twice_creates_nothing_the_second_time():
    first = run_command()
    counts, dump = row_counts(), map_dump()
    second = run_command()
    assert row_counts() == counts
    assert map_dump() == dump
    assert "created" in first
    assert "already present, nothing changed" in second


def test_load_demo_reports_whether_anything_was_created():
    assert load_demo()[2] is True
    assert load_demo()[2] is False


def test_demo_workspace_has_the_three_template_journeys_and_one_user_per_role():
    workspace, users, _created = load_demo()
    assert Workspace.objects.get(slug="demo-retail").name == WORKSPACE_NAME == "Demo Retail"
    assert sorted(workspace.journeys.values_list("name", flat=True)) == [
        "B2B SaaS onboarding",
        "B2C online shop",
        "Restaurant",
    ]
    roles = sorted(workspace.memberships.values_list("role", flat=True))
    assert roles == sorted(Role.values)
    assert {u.role for u in users} == set(Role.values)


def test_demo_gives_owners_to_some_touchpoints_for_my_touchpoints():
    workspace, _users, _created = load_demo()
    staff = workspace.memberships.get(role=Role.STAFF)
    owned = set(staff.owned_touchpoints.values_list("title", flat=True))
    assert {"Waiting for delivery", "Support chat", "Waiting for the food"} <= owned


def test_demo_customers_carry_the_segments_of_the_demo_personas():
    workspace, _users, _created = load_demo()
    personas = {p.name: p.segment for p in Persona.objects.filter(workspace=workspace)}
    assert personas == {
        "Busy parent": "Families",
        "Student on a budget": "Students",
        "Operations lead": "Business",
    }
    shop = workspace.journeys.get(name="B2C online shop")
    assert {p.segment for p in shop.personas.all()} == {"Families", "Students"}
    customers = Customer.objects.filter(workspace=workspace)
    segments = set(customers.values_list("segment", flat=True))
    assert segments == set(personas.values())
    assert not customers.filter(country="").exists()
    assert not customers.filter(email="").exists()
    # Every persona's segment has answers to draw from.
    for segment in personas.values():
        assert Response.objects.filter(workspace=workspace, customer__segment=segment).count() > 100


def test_second_run_keeps_what_people_changed():
    workspace, _users, _created = load_demo()
    workspace.journeys.filter(name="Restaurant").delete()
    staff_user = workspace.memberships.get(role=Role.STAFF).user
    staff_user.set_password("changed-by-sam-123")
    staff_user.save()
    load_demo()
    assert not workspace.journeys.filter(name="Restaurant").exists()
    staff_user.refresh_from_db()
    assert staff_user.check_password("changed-by-sam-123")


def test_every_printed_login_signs_in(client):
    printed = PRINTED_LOGIN.findall(run_command())
    assert sorted(role for role, _email, _password in printed) == sorted(Role.values)
    assert {(u.email, u.password) for u in DEMO_USERS} == {(e, p) for _r, e, p in printed}
    for role, email, password in printed:
        client.logout()
        response = client.post(reverse("login"), {"username": email, "password": password})
        assert response.status_code == 302, (role, response.content[:500])
        assert response.wsgi_request.user.email == email
        membership = Membership.objects.get(user=response.wsgi_request.user)
        assert (membership.workspace.slug, membership.role) == ("demo-retail", role)


def test_a_wrong_password_does_not_sign_in(client):
    run_command()
    response = client.post(
        reverse("login"), {"username": "admin@demo.mot", "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_load_demo_creates_the_map_in_the_chosen_language():
    with marked_language("pt-br"):
        out = StringIO()
        call_command("load_demo", language="pt-br", stdout=out)
        workspace = Workspace.objects.get(slug="demo-retail")
        assert workspace.name == gettext(WORKSPACE_NAME) == mark("pt-br", "Demo Retail")
        names = set(workspace.journeys.values_list("name", flat=True))
        assert names == {str(bp.label) for bp in BLUEPRINTS.values()}
        assert names == {
            mark("pt-br", "Restaurant"),
            mark("pt-br", "B2C online shop"),
            mark("pt-br", "B2B SaaS onboarding"),
        }
    stages = Stage.objects.filter(journey__workspace=workspace)
    touchpoints = Touchpoint.objects.filter(journey__workspace=workspace)
    assert stages.exists()
    assert touchpoints.exists()
    for text in [
        *stages.values_list("name", flat=True),
        *touchpoints.values_list("title", flat=True),
        *workspace.journeys.values_list("persona", flat=True),
        *workspace.journeys.values_list("description", flat=True),
        *touchpoints.exclude(description="").values_list("description", flat=True),
    ]:
        assert text.startswith("[pt-br] "), text
    # Owners are found by their translated titles, and the answers keep each moment's character.
    owned = set(touchpoints.filter(owner__isnull=False).values_list("title", flat=True))
    assert owned == {mark("pt-br", title) for title in DEMO_OWNERS}
    waiting = touchpoints.get(title=mark("pt-br", "Waiting for delivery"))
    product = touchpoints.get(title=mark("pt-br", "Product page"))
    assert (
        waiting.responses.filter(experience="pain").count()
        > product.responses.filter(experience="pain").count()
    )
    # The customers' comments stay in the languages they wrote them in.
    languages = set(waiting.responses.exclude(comment="").values_list("language", flat=True))
    assert languages == {"pt", "es", "ro", "en"}


def test_load_demo_defaults_to_english_and_refuses_an_unknown_language():
    with pytest.raises(CommandError):
        call_command("load_demo", "--language", "fr", stdout=StringIO())
    assert not Workspace.objects.exists()
    run_command()
    assert Workspace.objects.get().name == "Demo Retail"
    assert Stage.objects.filter(name="Research").exists()
