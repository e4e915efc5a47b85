"""The demo workspace "Demo Retail": the three template journeys and one user per role.

Loading is idempotent: what exists is left as it is (passwords included), only what is missing is
created, so running the first README command again changes nothing. ``manage.py load_demo`` runs
it. It lives in feedback, the app on top of journeys, because it fills both: the journeys here and
the answers in :mod:`feedback.demo_data`.

The workspace name, journeys, stages and touchpoints are created in the active language (the
command loads inside ``translation.override``): their English texts are marked for translation
here and in journeys.blueprints, and stored translated. The answers' comments stay as they are,
in the four languages the demo's customers write in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from feedback.demo_data import load_demo_feedback
from journeys.blueprints import BLUEPRINTS
from journeys.models import Journey, Touchpoint
from journeys.services import journey_create_from_blueprint
from journeys.services.personas import journey_set_personas, persona_create
from mot.models import Membership, Role, Workspace

WORKSPACE_SLUG = "demo-retail"
WORKSPACE_NAME = gettext_noop("Demo Retail")
# The languages the demo can be loaded in (manage.py load_demo --language).
DEMO_LANGUAGES = ("en", "pt-br", "pt-pt", "es", "ro")


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str
    first_name: str
    last_name: str


DEMO_USERS = [
    DemoUser(Role.ADMIN, "admin@demo.mot", "demo-admin-pass", "Ana", "Admin"),
    DemoUser(Role.EDITOR, "editor@demo.mot", "demo-editor-pass", "Eva", "Editor"),
    DemoUser(Role.MANAGER, "manager@demo.mot", "demo-manager-pass", "Mihai", "Manager"),
    DemoUser(Role.STAFF, "staff@demo.mot", "demo-staff-pass", "Sofia", "Staff"),
]

# Which demo person owns which template touchpoint, so "my touchpoints" has something to show.
# English titles: the touchpoints are found by their title in the language they were created in.
DEMO_OWNERS = {
    gettext_noop("Waiting for delivery"): Role.STAFF,
    gettext_noop("Support chat"): Role.STAFF,
    gettext_noop("Product page"): Role.EDITOR,
    gettext_noop("Waiting for the food"): Role.STAFF,
    gettext_noop("Kick-off call"): Role.MANAGER,
    gettext_noop("Waiting for account provisioning"): Role.EDITOR,
}


@transaction.atomic
def load_demo() -> tuple[Workspace, list[DemoUser], bool]:
    """Create what is missing of the demo; return the workspace, its users, whether anything new."""
    User = get_user_model()
    created_any = False
    workspace, workspace_created = Workspace.objects.get_or_create(
        slug=WORKSPACE_SLUG, defaults={"name": gettext(WORKSPACE_NAME)}
    )
    created_any |= workspace_created
    members: dict[str, Membership] = {}
    for demo in DEMO_USERS:
        user = User.objects.filter(username=demo.email).first()
        if user is None:
            user = User(
                username=demo.email,
                email=demo.email,
                first_name=demo.first_name,
                last_name=demo.last_name,
            )
            user.set_password(demo.password)
            user.save()
            created_any = True
        member, created = Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": demo.role}
        )
        created_any |= created
        members[demo.role] = member

    if not workspace_created:
        # The journeys came with the workspace; whatever people did to them since is theirs.
        created_any |= load_demo_feedback(workspace) > 0
        return workspace, DEMO_USERS, created_any
    admin = members[Role.ADMIN]
    journeys = {}
    for key in BLUEPRINTS:
        name = str(BLUEPRINTS[key].label)
        journey = journeys[key] = journey_create_from_blueprint(actor=admin, key=key, name=name)
        created_any = True
        for title, role in DEMO_OWNERS.items():
            Touchpoint.objects.filter(journey=journey, title=gettext(title)).update(
                owner=members[role]
            )
    _demo_personas(admin, journeys)
    load_demo_feedback(workspace)
    return workspace, DEMO_USERS, created_any


# The demo personas and the customer segment each stands for (feedback.demo_data.SEGMENTS),
# and the journeys each appears on.
DEMO_PERSONAS = (
    (gettext_noop("Busy parent"), "Families", ("online_shop", "restaurant")),
    (gettext_noop("Student on a budget"), "Students", ("online_shop", "restaurant")),
    (gettext_noop("Operations lead"), "Business", ("saas_onboarding", "restaurant")),
)


def _demo_personas(admin: Membership, journeys: dict[str, Journey]) -> None:
    on: dict[str, list] = {key: [] for key in journeys}
    for name, segment, keys in DEMO_PERSONAS:
        persona = persona_create(actor=admin, name=gettext(name), segment=segment)
        for key in keys:
            on[key].append(persona)
    for key, personas in on.items():
        journey_set_personas(actor=admin, journey=journeys[key], personas=personas)
