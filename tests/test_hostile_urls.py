"""Every URL pattern of the project, requested by every role with hostile input: no 500.

The URLconf is walked recursively, so a page added tomorrow is walked too; its path parameters
are filled with real objects of the Acme workspace (a parameter nobody knows how to fill fails
the walk, rather than the page going untested). Each URL then gets, as GET and as POST (the POST
carrying the same fields as its body: urlencoded, multipart, or JSON for the API):

- text no field may hold: a raw NUL byte, %00, the UTF-8 bytes of a lone surrogate (raw and as
  %ED%A0%80), a NUL in a field's name; answered 422 by mot.middleware wherever it is sent;
- values that are text but hostile: 9999-12-31 and 0001-01-01, numbers beyond any integer
  column, negative ones, arrays (a field given three times), 5,000-character values, "[]".
  Every field name any form, schema or view of the project reads gets the value at once;
- path parameters at their worst: an id of 2**70, a NUL in a text parameter.

Marked ``postgres``: it runs on any database, but PostgreSQL (CI) is where a NUL that slips
through fails, so that is where it proves most.
"""

from __future__ import annotations

import itertools
import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pydantic import BaseModel

from feedback.followups.models import FollowUp
from feedback.followups.rules import followups_open
from feedback.hooks.models import Endpoint
from feedback.hooks.services import intake_create
from feedback.imports.jobs import import_upload
from feedback.models import Customer, Response, Source, SurveyBranding, SurveyLink
from feedback.surveys.services import survey_link_create
from feedback.tokens.services import api_token_create
from journeys.models import Journey, LaneKind, Stage, Touchpoint
from journeys.services.lanes import item_create, lane_create
from journeys.services.personas import persona_create
from metrics.themes.models import WorkspaceTheme
from mot.models import Invitation, Membership, Role
from mot.notifications.models import Kind, Notification
from mot.services import invitation_token, member_invite
from tests.conftest import login
from tests.journeys.lanes_helpers import png

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
APPS = ("mot", "journeys", "feedback", "metrics")

# --- the URLs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its route as the resolver reports it, and its parameters."""

    route: str
    name: str


# A route's parameter, <conv:name>, or a regex pattern's named group.
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry, prefix + _part(entry), ns)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name or ""]))
            yield Route(prefix + _part(entry), name or "(unnamed)")


def _part(entry: URLPattern | URLResolver) -> str:
    # As Django joins routes in ResolverMatch.route: without a regex's leading "^".
    return str(entry.pattern).removeprefix("^")


ROUTES = list(dict.fromkeys(_walk(get_resolver())))


# --- the field names every part of the project reads -------------------------------------------


def _form_classes(base: type) -> Iterator[type]:
    for sub in base.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def _read_keys() -> set[str]:
    """Names read straight from request.GET/POST by a view (``request.GET.get("q")``…)."""
    pattern = re.compile(
        r"""request\.(?:GET|POST)(?:\.get\(|\[)\s*["'](\w+)["']"""
        r"""|["'](\w+)["'] (?:not )?in request\.(?:GET|POST)"""
    )
    keys: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for match in pattern.finditer(path.read_text()):
                keys.add(match[1] or match[2])
    return keys


def _field_names() -> list[str]:
    ours = ("django.contrib.auth", *APPS)
    names = set(_read_keys())
    for cls in _form_classes(forms.BaseForm):
        if cls.__module__.startswith(ours):
            names.update(getattr(cls, "base_fields", {}))
    for cls in _form_classes(BaseModel):  # the API's schemas, the journey document
        if cls.__module__.startswith(APPS):
            names.update(cls.model_fields)
    # Django's own: login's "next", the admin's search, ordering, page and popup parameters.
    names.update({"next", "q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters"})
    return sorted(names)


FIELDS = _field_names()

# --- the hostile input -------------------------------------------------------------------------

HUGE = "9" * 30  # beyond any integer column, and beyond a 64-bit integer
NEGATIVE = str(-(2**63) - 1)  # one below a bigint's least
API = "/api/"


def _json(value: str) -> Any:
    # The API gets JSON's own types where the text is one: 999… as a number, [] as a list.
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Variant:
    """One hostile request's query string, and the POST body carrying the same fields (JSON
    for the API, multipart or the raw query string urlencoded for the pages)."""

    label: str
    query: str
    form: tuple[str, Any]
    document: str
    refused: bool  # mot.middleware answers 422 whatever the URL, the role or the method

    @classmethod
    def of(cls, label: str, pairs: list[tuple[str, str]]) -> Variant:
        grouped: dict[str, list[str]] = {}
        for name, value in pairs:
            grouped.setdefault(name, []).append(value)
        document = {
            k: [_json(v) for v in vs] if len(vs) > 1 else _json(vs[0]) for k, vs in grouped.items()
        }
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        return cls(label, query, ("multipart", grouped), json.dumps(document), refused=False)

    @classmethod
    def raw(cls, label: str, query: str) -> Variant:
        """Text no field may hold, sent as it is: WSGI hands the bytes over as Latin-1 text."""
        pairs = [
            tuple(unquote_to_bytes(part).decode("utf-8", "surrogatepass") for part in pair)
            for pair in (chunk.split(b"=", 1) for chunk in query.encode("latin-1").split(b"&"))
        ]
        document = json.dumps(dict(pairs))
        return cls(label, query, ("urlencoded", query.encode("latin-1")), document, refused=True)

    def body(self, path: str) -> tuple[str, Any]:
        return ("json", self.document) if path.startswith(API) else self.form


def _every(value: str, **overrides: str) -> list[tuple[str, str]]:
    return [(name, overrides.get(name, value)) for name in FIELDS]


BAD = "a\x00b"
TEXT = [
    Variant.raw("raw NUL", "q=a\x00b&name=a\x00b&touchpoint=a\x00b"),
    Variant.raw("%00", "&".join(f"{quote(n, safe='')}=a%00b" for n in FIELDS)),
    Variant.raw("raw surrogate bytes", "q=\xed\xa0\x80&name=\xed\xa0\x80&touchpoint=\xed\xa0\x80"),
    Variant.raw("%ED%A0%80", "&".join(f"{quote(n, safe='')}=%ED%A0%80" for n in FIELDS)),
    Variant.raw("NUL in a name", "q%00=1&na%00me=x"),
]
# Text a field may hold, but that a view must survive.
KINDS = {
    "9999-12-31": "9999-12-31",
    "0001-01-01": "0001-01-01",
    "huge numbers": HUGE,
    "negative numbers": NEGATIVE,
    "long values": "x" * 2000,
    "[]": "[]",
}
VALUES = [
    *(Variant.of(label, _every(value, period="custom")) for label, value in KINDS.items()),
    Variant.of("arrays", [p for n in FIELDS for p in ((n, "1"), (n, "2"), (n + "[]", "3"))]),
]
# Every kind at once, a different one in each field, for the roles that walk more lightly.
_kinds = list(KINDS.values())
MIXED = [
    Variant.of(
        f"mixed {shift}",
        [(n, _kinds[(i + shift) % len(_kinds)]) for i, n in enumerate(FIELDS)]
        + [("period", "custom")],
    )
    for shift in (0, 3)
]


# --- the workspace and its roles ---------------------------------------------------------------


@dataclass
class World:
    journey: Journey
    stage: Stage
    touchpoint: Touchpoint
    member: Membership
    invitation: Invitation
    link: SurveyLink
    token: Any
    token_secret: str
    job: Any
    operator: Any
    followup: Any
    notification: Any
    typeform: Any
    signed: Any
    endpoint: Any
    theme: Any
    lane: Any
    item: Any
    persona: Any
    branding: Any
    customer: Any


@pytest.fixture
def world(personas, journey, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SURVEY_RATE_LIMIT = "100000/m"  # the walk posts far more than a respondent may
    admin = personas[Role.ADMIN]
    touchpoint = journey.touchpoints.order_by("pk").first()
    pain = Response.objects.create(
        workspace_id=journey.workspace_id, touchpoint=touchpoint, source=Source.API,
        external_id="r1", submitted_at=timezone.now(), nps=3, comment="Slow",
        customer=Customer.objects.create(workspace_id=journey.workspace_id, external_id="c-1"),
    )  # fmt: skip
    followups_open(workspace_id=journey.workspace_id, response_ids=[pain.pk])
    token, secret = api_token_create(actor=admin, name="walk")
    upload = SimpleUploadedFile("answers.csv", b"id,nps,submitted_at\n1,9,2026-01-01\n")
    lane = lane_create(actor=admin, journey=journey, kind=LaneKind.OPPORTUNITIES)
    persona = persona_create(actor=admin, name="Walker", picture=png())
    return World(
        journey=journey,
        stage=journey.stages.order_by("position").first(),
        touchpoint=touchpoint,
        member=personas[Role.STAFF],
        invitation=member_invite(
            actor=admin, email="invited@acme.test", role=Role.STAFF, base_url="http://testserver"
        ),
        link=survey_link_create(actor=admin, touchpoint=touchpoint),
        token=token,
        token_secret=secret,
        job=import_upload(actor=admin, upload=upload, target="responses"),
        operator=get_user_model().objects.create_superuser(
            "operator", "operator@mot.test", "correct-horse-battery"
        ),
        followup=FollowUp.objects.get(response=pain),
        notification=Notification.objects.create(
            workspace_id=journey.workspace_id,
            recipient=admin,
            kind=Kind.FOLLOWUP_NEW,
            params={"touchpoint": touchpoint.title},
            dedupe_key="walk",
        ),
        typeform=intake_create(actor=admin, kind="typeform", name="Form", touchpoint=touchpoint)[0],
        signed=intake_create(actor=admin, kind="signed", name="CRM")[0],
        endpoint=Endpoint.objects.create(
            workspace_id=journey.workspace_id,
            name="Out",
            url="https://example.com/",
            events=["test"],
        ),
        theme=WorkspaceTheme.objects.create(
            workspace_id=journey.workspace_id, name="Delivery", keywords={"en": "late"}
        ),
        lane=lane,
        item=item_create(
            actor=admin, lane=lane, stage=journey.stages.order_by("position").first(), text="Idea"
        ),
        persona=persona,
        branding=SurveyBranding.objects.create(
            workspace_id=journey.workspace_id,
            logo=png(),
            logo_type="image/png",
            logo_hash="0123456789abcdef",
            accent="#aa3300",
        ),
        customer=pain.customer,
    )


# The object behind an <int:pk>, by the path segment before it.
def _pk(world: World, segment: str) -> int:
    by_segment = {
        "members": world.member.pk,
        "invitations": world.invitation.pk,
        "journeys": world.journey.pk,
        "stages": world.stage.pk,
        "touchpoints": world.touchpoint.pk,
        "survey-links": world.link.pk,
        "api-tokens": world.token.pk,
        "imports": world.job.pk,
        "follow-ups": world.followup.pk,
        "notifications": world.notification.pk,
        "intakes": world.typeform.pk,
        "endpoints": world.endpoint.pk,
        "own": world.theme.pk,  # a workspace theme (metrics/themes)
        "lanes": world.lane.pk,
        "items": world.item.pk,
        "personas": world.persona.pk,
        "customers": world.customer.pk,
    }
    if segment not in by_segment:
        pytest.fail(f"no object to fill <int:pk> after {segment!r}/: add one to the walk")
    return by_segment[segment]


def _admin_object(route: str) -> str:
    """The first object of the model an admin route is about (some pk when there is none)."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match is None:
        pytest.fail(f"no model for {route!r}")
    model = ContentType.objects.get_by_natural_key(match[1], match[2]).model_class()
    first = model.objects.order_by("pk").first()
    return str(first.pk if first else 1)


def _value(world: World, route: Route, conv: str, name: str, segment: str) -> str:
    """The real object's key for a parameter."""
    user = world.member.user
    if name == "ws":
        return "acme"
    if name == "pk":
        return str(_pk(world, segment))
    if name == "token" and segment == "invitations":
        return invitation_token(world.invitation)
    if name == "token" and segment in {"s", "survey-links"}:  # the public page; the API's link
        return world.link.token
    if name == "token" and segment in {"typeform", "signed"}:  # the webhook intakes
        return getattr(world, segment).token
    if name == "digest":  # the survey's logo
        return world.branding.logo_hash
    if name == "colour":  # the survey's accent colour
        return world.branding.accent[1:]
    if name == "uidb64":
        return urlsafe_base64_encode(force_bytes(user.pk))
    if name == "token" and route.route.startswith("accounts/reset/"):
        return default_token_generator.make_token(user)
    if name == "object_id" and route.route.startswith("admin/r/"):
        return str(world.journey.pk)
    if name == "content_type_id":
        return str(ContentType.objects.get_for_model(Journey).pk)
    if name in {"object_id", "id"}:
        return _admin_object(route.route) if name == "object_id" else str(user.pk)
    if name == "app_label":
        return "journeys"
    if name == "url":  # the admin's catch-all
        return "nowhere/"
    pytest.fail(f"no value for <{conv}:{name}> in {route.route!r}: add one to the walk")


def _fill(world: World, route: Route, hostile: str | None = None) -> str:
    """The route's path with every parameter filled, or with ``hostile`` values where the
    parameter's converter lets them through: an overflowing id, a NUL in text."""
    template = route.route.replace("^", "").replace("$", "")

    def param(match: re.Match[str]) -> str:
        conv = match["conv"] or ("regex" if match["group"] else "str")
        name = match["name"] or match["group"]
        if hostile == "id" and conv == "int":
            return str(2**70)
        if hostile == "text" and conv in {"str", "path"}:
            return "%00"
        segment = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return quote(_value(world, route, conv, name, segment), safe="")

    return "/" + PARAM.sub(param, template)


ROLES = ("admin", "editor", "manager", "staff", "outsider", "anonymous", "operator", "api token")


def _roles_for(route: Route) -> tuple[str, ...]:
    """Who walks a route, the one who gets the fullest walk first. Members without staff status
    meet the admin site's login as the anonymous do; the API answers their session 401."""
    if route.route.startswith("admin/"):
        return ("operator", "anonymous")
    if route.route.startswith(API[1:]):
        return ("api token", "anonymous", "admin")
    return ("admin", "editor", "manager", "staff", "outsider", "anonymous", "operator")


def _client(role: str, world: World, personas, outsider) -> Client:
    client = Client()
    members = {**{str(r): m for r, m in personas.items()}, "outsider": outsider}
    if role in members:
        login(client, members[role])
    elif role == "operator":
        client.force_login(world.operator, backend="mot.auth.EmailOrUsernameBackend")
    elif role == "api token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.token_secret}"
    return client


_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(256), repeat=3))


def _send(client: Client, method: str, path: str, query: str, body: Any, kind: str):
    """One request, its effects rolled back (a POST may delete the very object the walk needs
    next), from an address of its own (so no rate limit or lock-out stops the walk early)."""
    cookies = SimpleCookie(client.cookies)  # a logout must not sign the role out for good
    extra = {"QUERY_STRING": query, "REMOTE_ADDR": next(_addresses)}
    with transaction.atomic():
        try:
            if method == "GET":
                return client.get(path, **extra)
            if kind == "json":
                return client.post(path, body, content_type="application/json", **extra)
            if kind == "urlencoded":
                return client.post(
                    path, body, content_type="application/x-www-form-urlencoded", **extra
                )
            return client.post(path, body, **extra)  # multipart
        finally:
            transaction.set_rollback(True)
            client.cookies = cookies


# Hostile text in the body alone (the query string clean): urlencoded and JSON bodies are
# checked before any view, a multipart one as the view parses it (if it does).
BODY_TEXT = [
    ("NUL in an urlencoded body", "urlencoded", b"q=a%00b&name=a%00b&touchpoint=a%00b", 422),
    ("NUL in a JSON body", "json", json.dumps(dict.fromkeys(FIELDS, BAD)), 422),
    ("NUL in a multipart body", "multipart", dict.fromkeys(FIELDS, BAD), None),
]


@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_500_to_hostile_input(role, world, personas, outsider):
    failures: list[str] = []
    client = _client(role, world, personas, outsider)
    walked = 0

    def check(method: str, path: str, query: str, body: tuple[str, Any], label: str, expect):
        try:
            response = _send(client, method, path, query, body[1], body[0])
        except Exception:
            failures.append(f"{role} {method} {path} [{label}] raised:\n{traceback.format_exc()}")
            return
        status = response.status_code
        if status >= 500 or (expect and status != expect):
            failures.append(f"{role} {method} {path} [{label}] answered {status}")

    for route in ROUTES:
        roles = _roles_for(route)
        if role not in roles:
            continue
        path = _fill(world, route)
        matched = resolve(path)
        assert matched.route == route.route, f"{path} reaches {matched.route}, not {route.route}"
        walked += 1
        lead = role == roles[0]
        variants = [*TEXT, *(VALUES if lead and not route.route.startswith("admin/") else MIXED)]
        for method in ("GET", "POST"):
            for variant in variants if lead else MIXED:
                expect = 422 if variant.refused else None
                check(method, path, variant.query, variant.body(path), variant.label, expect)
            for hostile in ("id", "text"):
                if (bad := _fill(world, route, hostile)) != path:
                    expect = 422 if hostile == "text" else None
                    check(method, bad, "", ("urlencoded", b""), f"path {hostile}", expect)
        for label, kind, body, expect in BODY_TEXT if lead else ():
            check("POST", path, "", (kind, body), label, expect)
    assert walked, f"no URL walked as {role}"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])


def test_the_walk_covers_every_url_pattern():
    covered = {route.route for route in ROUTES for role in ROLES if role in _roles_for(route)}
    assert covered == {route.route for route in ROUTES}
    assert len(ROUTES) > 150  # the project's pages and the admin site's
    assert {"date_from", "date_to", "since", "q", "touchpoint", "nps", "version"} <= set(FIELDS)


def test_a_parameter_nobody_fills_fails_the_walk(world):
    with pytest.raises(pytest.fail.Exception, match="no value for <str:mystery>"):
        _fill(world, Route("w/<slug:ws>/mystery/<str:mystery>/", "x"))
    with pytest.raises(pytest.fail.Exception, match="no object to fill <int:pk> after 'things'"):
        _fill(world, Route("w/<slug:ws>/things/<int:pk>/", "x"))
