"""The Webhooks pages: admins only (role matrix, outsiders), secrets shown once, the Typeform
mapping set from a received sample, user text escaped, query counts pinned."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from feedback.hooks.models import Endpoint, Event, Intake
from feedback.hooks.services import endpoint_create
from feedback.models import Response
from mot.models import Role
from tests.conftest import login
from tests.feedback.hooks.conftest import post_typeform
from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY


@pytest.fixture
def hook_endpoint(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    found, _secret = endpoint_create(
        actor=admin, name="CRM", url="http://127.0.0.1:9/", events_chosen=[Event.ANSWER_STORED]
    )
    return found


def _urls(intake: Intake, endpoint: Endpoint, ws: str = "acme") -> list[tuple[str, str]]:
    one = {"ws": ws}
    return [
        ("get", reverse("webhooks:list", kwargs=one)),
        ("post", reverse("webhooks:intake_new", kwargs=one)),
        ("post", reverse("webhooks:endpoint_new", kwargs=one)),
        *[
            (method, reverse(f"webhooks:{name}", kwargs={**one, "pk": intake.pk}))
            for method, name in [
                ("get", "intake"),
                ("post", "intake_mapping"),
                ("post", "intake_rotate"),
                ("post", "intake_delete"),
            ]
        ],
        *[
            (method, reverse(f"webhooks:{name}", kwargs={**one, "pk": endpoint.pk}))
            for method, name in [
                ("get", "endpoint"),
                ("post", "endpoint_edit"),
                ("post", "endpoint_test"),
                ("post", "endpoint_rotate"),
                ("post", "endpoint_delete"),
            ]
        ],
    ]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MANAGER, Role.STAFF])
def test_only_admins_manage_webhooks(client, personas, typeform, hook_endpoint, role):
    login(client, personas[role])
    for method, url in _urls(typeform, hook_endpoint):
        assert getattr(client, method)(url).status_code == 403, url
    assert Intake.objects.count() == 1
    assert Endpoint.objects.count() == 1


def test_an_outsider_gets_404_everywhere(client, outsider, typeform, hook_endpoint):
    login(client, outsider)
    for method, url in _urls(typeform, hook_endpoint):
        assert getattr(client, method)(url).status_code == 404, url
    # Their own workspace's URLs with our ids: not found either.
    for method, url in _urls(typeform, hook_endpoint, ws="globex")[3:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert Intake.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(client, typeform, hook_endpoint):
    for method, url in _urls(typeform, hook_endpoint):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_writes_need_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    login(client, admin)
    url = reverse("webhooks:intake_new", kwargs={"ws": "acme"})
    assert client.post(url, {"kind": "signed", "name": "x"}).status_code == 403
    assert Intake.objects.count() == 0


def test_an_intake_secret_is_shown_once(client, admin):
    login(client, admin)
    response = client.post(
        reverse("webhooks:intake_new", kwargs={"ws": "acme"}), {"kind": "signed", "name": "CRM"}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    intake = Intake.objects.get()
    assert intake.secret.startswith("whsec_")
    assert intake.secret in response.content.decode()
    for url in (
        reverse("webhooks:list", kwargs={"ws": "acme"}),
        reverse("webhooks:intake", kwargs={"ws": "acme", "pk": intake.pk}),
    ):
        assert intake.secret not in client.get(url).content.decode()
    rotated = client.post(reverse("webhooks:intake_rotate", kwargs={"ws": "acme", "pk": intake.pk}))
    intake.refresh_from_db()
    assert intake.secret in rotated.content.decode()


def test_an_endpoint_secret_is_shown_once_and_an_internal_url_refused(client, admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    login(client, admin)
    url = reverse("webhooks:endpoint_new", kwargs={"ws": "acme"})
    refused = client.post(url, {"name": "x", "url": "http://localhost/", "events": ["test"]})
    assert refused.status_code == 400
    refused = client.post(
        url, {"name": "x", "url": "http://localhost/", "events": [Event.ANSWER_STORED]}
    )
    assert refused.status_code == 400
    assert "public addresses only" in refused.content.decode()
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    created = client.post(
        url, {"name": "x", "url": "http://localhost:9/", "events": [Event.ANSWER_STORED]}
    )
    assert created.status_code == 201
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in created.content.decode()
    page = client.get(reverse("webhooks:endpoint", kwargs={"ws": "acme", "pk": endpoint.pk}))
    assert endpoint.secret not in page.content.decode()


def test_the_mapping_is_set_from_a_received_sample(client, admin, typeform, touchpoint):
    Intake.objects.filter(pk=typeform.pk).update(mapping={})
    typeform.refresh_from_db()
    assert post_typeform(client, typeform, DELIVERY_SURVEY).status_code == 422
    login(client, admin)
    page = client.get(reverse("webhooks:intake", kwargs={"ws": "acme", "pk": typeform.pk}))
    html = page.content.decode()
    assert "nps_recommend" in html
    assert "opinion_scale" in html
    assert "How likely are you to recommend us" in html
    form = page.context["form"]
    names = {field.key: name for field, name in form.sample}
    response = client.post(
        reverse("webhooks:intake_mapping", kwargs={"ws": "acme", "pk": typeform.pk}),
        {
            names["nps_recommend"]: "nps",
            names["comment_long"]: "comment",
            names["hidden:customer_id"]: "customer",
            "touchpoint": touchpoint.pk,
        },
    )
    assert response.status_code == 302
    typeform.refresh_from_db()
    assert typeform.mapping == {
        "nps_recommend": "nps",
        "comment_long": "comment",
        "hidden:customer_id": "customer",
    }
    client.logout()
    assert post_typeform(client, typeform, DELIVERY_SURVEY).status_code == 200
    assert Response.objects.get().nps == 3


def test_a_mapping_needs_nps_or_csat_and_each_value_once(client, admin, typeform, touchpoint):
    typeform.sample = DELIVERY_SURVEY
    typeform.save(update_fields=["sample"])
    login(client, admin)
    page = client.get(reverse("webhooks:intake", kwargs={"ws": "acme", "pk": typeform.pk}))
    names = {field.key: name for field, name in page.context["form"].sample}
    url = reverse("webhooks:intake_mapping", kwargs={"ws": "acme", "pk": typeform.pk})
    no_score = client.post(url, {names["comment_long"]: "comment", "touchpoint": touchpoint.pk})
    assert no_score.status_code == 400
    twice = client.post(
        url, {names["nps_recommend"]: "nps", names["ease"]: "nps", "touchpoint": touchpoint.pk}
    )
    assert twice.status_code == 400
    no_touchpoint = client.post(url, {names["nps_recommend"]: "nps", "touchpoint": ""})
    assert no_touchpoint.status_code == 400
    typeform.refresh_from_db()
    assert typeform.mapping["csat_delivery"] == "csat"  # unchanged


def test_user_text_is_escaped(client, admin, typeform, settings):
    body = {**DELIVERY_SURVEY, "form_response": {**DELIVERY_SURVEY["form_response"]}}
    body["form_response"]["hidden"] = {"<script>alert(1)</script>": "<img src=x onerror=1>"}
    Intake.objects.filter(pk=typeform.pk).update(mapping={}, name="<b>bold</b>", sample=body)
    login(client, admin)
    html = client.get(
        reverse("webhooks:intake", kwargs={"ws": "acme", "pk": typeform.pk})
    ).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_send_test_event_queues_a_delivery(client, admin, hook_endpoint, monkeypatch):
    from feedback import tasks

    sent = []
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda *a: sent.append(a))
    login(client, admin)
    url = reverse("webhooks:endpoint_test", kwargs={"ws": "acme", "pk": hook_endpoint.pk})
    assert client.post(url).status_code == 302
    delivery = hook_endpoint.deliveries.get()
    assert delivery.event == "test"


def test_pages_query_counts(client, admin, typeform, hook_endpoint, django_assert_num_queries):
    login(client, admin)
    for i in range(5):
        post_typeform(client, typeform, {"bad": i})
    client.get(reverse("webhooks:list", kwargs={"ws": "acme"}))  # session warm
    with django_assert_num_queries(6):
        assert client.get(reverse("webhooks:list", kwargs={"ws": "acme"})).status_code == 200
    with django_assert_num_queries(6):
        url = reverse("webhooks:intake", kwargs={"ws": "acme", "pk": typeform.pk})
        assert client.get(url).status_code == 200
    with django_assert_num_queries(5):
        url = reverse("webhooks:endpoint", kwargs={"ws": "acme", "pk": hook_endpoint.pk})
        assert client.get(url).status_code == 200


def test_members_page_links_admins_to_webhooks(client, admin, editor):
    login(client, admin)
    page = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
    assert reverse("webhooks:list", kwargs={"ws": "acme"}) in page
