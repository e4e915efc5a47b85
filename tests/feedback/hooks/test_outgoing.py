"""Outgoing webhooks: the SSRF check, signed delivery to a real local server, retries with
backoff, disabling, and which events are emitted (and not) on the busy paths."""

from __future__ import annotations

import json
import socket

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from feedback.hooks import events, outgoing
from feedback.hooks.models import Delivery, DeliveryStatus, Endpoint, Event
from feedback.hooks.services import endpoint_create, endpoint_update
from feedback.hooks.urlcheck import UnsafeUrl, check_url
from feedback.models import Response
from feedback.services import AnswerIn, responses_ingest
from feedback.tasks import webhook_deliver

# --- SSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",  # a name resolving to 127.0.0.1
        "http://127.0.0.1:8000/",
        "http://[::1]/",
        "http://10.0.0.7/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata: link-local
        "http://100.64.0.1/",  # shared address space (carrier NAT)
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "ftp://example.com/",
        "http://user:pw@example.com/",
        "not a url",
    ],
)
def test_internal_addresses_are_refused(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeUrl):
        check_url(url)


def test_a_public_address_passes_and_the_setting_allows_private(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    target = check_url("https://hooks.example.com/in?x=1")
    assert (target.host, target.port, target.path) == ("hooks.example.com", 443, "/in?x=1")
    assert target.addresses == ("93.184.215.14",)
    monkeypatch.undo()
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert "127.0.0.1" in check_url("http://localhost:9/").addresses


def test_a_name_that_resolves_to_any_private_address_is_refused(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    mixed = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: mixed)
    with pytest.raises(UnsafeUrl):
        check_url("http://rebind.example.com/")


def test_saving_an_internal_url_is_refused(admin, settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as caught:
        endpoint_create(
            actor=admin, name="x", url="http://localhost/", events_chosen=[Event.ANSWER_STORED]
        )
    assert "url" in caught.value.message_dict
    assert Endpoint.objects.count() == 0


def test_delivery_checks_the_url_again(admin, receiver, settings, celery_eager):
    endpoint, _secret = endpoint_create(
        actor=admin, name="x", url=receiver.url, events_chosen=[Event.ANSWER_STORED]
    )
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if the name now resolved inside
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    delivery = outgoing.send_test(endpoint)
    outgoing.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "public addresses only" in delivery.error
    assert receiver.requests == []


# --- delivery ---------------------------------------------------------------------------------


@pytest.fixture
def endpoint(admin, receiver, workspace):
    found, _secret = endpoint_create(
        actor=admin,
        name="CRM",
        url=receiver.url,
        events_chosen=[Event.ANSWER_STORED, Event.ANSWER_PAIN, Event.FOLLOWUP_CHANGED],
    )
    events.refresh(workspace.pk)
    return found


def _store(workspace, touchpoint, external_id="a1", **values):
    values = values or {"nps": 9}
    return responses_ingest(
        workspace_id=workspace.pk,
        source="api",
        answers=[
            AnswerIn(
                touchpoint_id=touchpoint.pk,
                external_id=external_id,
                submitted_at=timezone.now(),
                **values,
            )
        ],
        request_metrics=False,
    )


def test_an_answer_is_delivered_signed_to_a_real_server(
    workspace, touchpoint, endpoint, receiver, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = _store(workspace, touchpoint)
        events.answers_stored(workspace_id=workspace.pk, ids=result.created_ids)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hook?x=1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    body = Webhook(endpoint.secret).verify(request["body"], headers)
    assert body["type"] == "answer.stored"
    assert body["data"]["id"] == result.created_ids[0]
    assert body["data"]["nps"] == 9
    assert headers["webhook-id"] == f"answer.stored.{result.created_ids[0]}"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )


def test_a_pain_answer_also_sends_answer_pain_and_its_follow_up(
    workspace, touchpoint, endpoint, receiver, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = _store(workspace, touchpoint, nps=1, comment="Broken on arrival")
        events.answers_stored(workspace_id=workspace.pk, ids=result.created_ids)
    types = sorted(json.loads(r["body"])["type"] for r in receiver.requests)
    assert types[:2] == ["answer.pain", "answer.stored"]
    assert types[2:] == (["followup.changed"] if result.followups else [])


def test_a_pain_record_is_sent_with_its_kind(
    workspace, touchpoint, endpoint, receiver, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = _store(
            workspace,
            touchpoint,
            kind="complaint",
            noted_experience="pain",
            comment="Broken on arrival",
        )
        events.answers_stored(workspace_id=workspace.pk, ids=result.created_ids)
    bodies = {b["type"]: b["data"] for b in (json.loads(r["body"]) for r in receiver.requests)}
    assert bodies["answer.stored"]["kind"] == "complaint"
    assert (bodies["answer.pain"]["experience"], bodies["answer.pain"]["nps"]) == ("pain", None)


def test_emitting_the_same_event_twice_delivers_it_once(
    workspace, touchpoint, endpoint, receiver, celery_eager, django_capture_on_commit_callbacks
):
    result = _store(workspace, touchpoint)
    with django_capture_on_commit_callbacks(execute=True):
        outgoing.emit_answer(result.created_ids[0])
        outgoing.emit_answer(result.created_ids[0])
    assert len(receiver.requests) == 1
    assert Delivery.objects.count() == 1


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(
    workspace,
    endpoint,
    receiver,
    settings,
    monkeypatch,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    settings.WEBHOOKS_BACKOFF_SECONDS = 30
    receiver.status = 500
    waits = []
    real = webhook_deliver.apply_async

    def record(args=None, kwargs=None, countdown=None, **options):
        if countdown is not None:  # a retry (the first attempt is .delay(), no countdown)
            waits.append(countdown)
        return real(args, kwargs, countdown=countdown, **options)

    monkeypatch.setattr(webhook_deliver, "apply_async", record)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = outgoing.send_test(endpoint)
    delivery.refresh_from_db()
    assert waits == [30, 60, 120]
    assert len(receiver.requests) == 4
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        DeliveryStatus.FAILED,
        4,
        500,
    )
    endpoint.refresh_from_db()
    assert endpoint.failures == 1
    assert endpoint.enabled


def test_a_redirect_is_not_followed(endpoint, receiver, settings, celery_eager):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/"}
    delivery = outgoing.send_test(endpoint)
    outgoing.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.FAILED, 302)
    assert len(receiver.requests) == 1


def test_a_receiver_that_is_down_counts_as_a_failure(admin, settings, celery_eager):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    endpoint, _secret = endpoint_create(
        actor=admin,
        name="down",
        url=f"http://127.0.0.1:{port}/",
        events_chosen=[Event.ANSWER_STORED],
    )
    delivery = outgoing.send_test(endpoint)
    assert outgoing.deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in delivery.error


def test_repeated_failures_disable_the_endpoint_and_tell_the_admins(
    workspace,
    admin,
    manager,
    endpoint,
    receiver,
    settings,
    mailoutbox,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    from mot.notifications.models import Kind, Notification

    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER = 3
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            outgoing.deliver(outgoing.send_test(endpoint).pk)
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.failures == 3
    assert "3 deliveries in a row" in endpoint.disabled_reason
    # In MOT's notifications of each admin (not of the manager), linking to the endpoint.
    told = list(Notification.objects.filter(kind=Kind.WEBHOOK_DISABLED))
    assert [n.recipient_id for n in told] == [admin.pk]
    assert told[0].link == f"/w/{workspace.slug}/webhooks/endpoints/{endpoint.pk}/"
    assert told[0].params["name"] == "CRM"
    # And by e-mail, through the alerts' one mail path.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [admin.user.email]
    assert "CRM" in mailoutbox[0].subject
    assert f"/w/{workspace.slug}/webhooks/endpoints/{endpoint.pk}/" in mailoutbox[0].body
    assert events.listened(workspace.pk) == frozenset()
    # Nothing more goes out while disabled; enabling again starts the count afresh.
    later = Delivery.objects.create(endpoint=endpoint, message_id="m", event="test", payload={})
    outgoing.deliver(later.pk)
    later.refresh_from_db()
    assert later.status == DeliveryStatus.FAILED
    assert len(receiver.requests) == 3
    endpoint_update(
        actor=admin,
        endpoint=endpoint,
        name=endpoint.name,
        url=endpoint.url,
        events_chosen=endpoint.events,
        enabled=True,
    )
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.failures, endpoint.disabled_reason) == (True, 0, "")


def test_a_success_resets_the_count_of_failures(endpoint, receiver, settings, celery_eager):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.status = 500
    outgoing.deliver(outgoing.send_test(endpoint).pk)
    receiver.status = 204
    outgoing.deliver(outgoing.send_test(endpoint).pk)
    endpoint.refresh_from_db()
    assert endpoint.failures == 0


def test_backoff_doubles(settings):
    settings.WEBHOOKS_BACKOFF_SECONDS = 10
    assert [outgoing.backoff_seconds(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


# --- emitting on the busy paths ---------------------------------------------------------------


def test_no_endpoint_no_task_and_no_query(workspace, django_assert_num_queries, monkeypatch):
    from feedback import tasks

    sent = []
    monkeypatch.setattr(tasks.webhooks_answer, "delay", lambda *a: sent.append(a))
    with django_assert_num_queries(0):
        events.answers_stored(workspace_id=workspace.pk, ids=[1, 2, 3])
    assert sent == []


def test_a_listening_workspace_gets_one_task_per_stored_answer(
    workspace, endpoint, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from feedback import tasks

    sent = []
    monkeypatch.setattr(tasks.webhooks_answer, "delay", lambda *a: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(0):
        events.answers_stored(workspace_id=workspace.pk, ids=[4, 5])
    assert sent == [(4,), (5,)]


def test_the_survey_post_enqueues_the_answers_event(
    client,
    workspace,
    touchpoint,
    endpoint,
    receiver,
    editor,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    import re

    from feedback.surveys.services import survey_link_create

    link = survey_link_create(actor=editor, touchpoint=touchpoint)
    page = client.get(f"/s/{link.token}/").content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/s/{link.token}/", {"submission": submission, "nps": "10"})
    assert response.status_code == 302
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["answer.stored"]
    assert Response.objects.count() == 1


def test_a_survey_post_of_a_workspace_without_webhooks_asks_no_cache(
    client, workspace, touchpoint, editor, monkeypatch, django_capture_on_commit_callbacks
):
    """The link's one SELECT says the workspace has no enabled endpoint: the busiest request
    skips the listened events' cache read (the bench's survey posts pay no Redis round trip
    for webhooks)."""
    import re

    from feedback.hooks.models import Endpoint
    from feedback.surveys.services import survey_link_create

    def no_read(workspace_id):
        raise AssertionError("the survey post read the listened events")

    monkeypatch.setattr(events, "listened", no_read)
    link = survey_link_create(actor=editor, touchpoint=touchpoint)
    # A disabled endpoint sends nothing: it counts as none.
    Endpoint.objects.create(
        workspace=workspace,
        url="https://hooks.example.test/in",
        events=["answer.stored"],
        enabled=False,
    )
    page = client.get(f"/s/{link.token}/").content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/s/{link.token}/", {"submission": submission, "nps": "10"})
    assert response.status_code == 302
    assert Response.objects.count() == 1


def test_a_follow_up_change_is_sent(
    workspace,
    touchpoint,
    manager,
    endpoint,
    receiver,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    from feedback.followups.models import FollowUp
    from feedback.followups.services import followup_set_status

    result = _store(workspace, touchpoint, nps=0, comment="Never arrived")
    followup = FollowUp.objects.filter(response_id=result.created_ids[0]).first()
    if followup is None:
        pytest.skip("the default rule opened no follow-up")
    with django_capture_on_commit_callbacks(execute=True):
        followup_set_status(
            actor=manager, followup=followup, status="in_progress", version=followup.version
        )
    sent = [json.loads(r["body"]) for r in receiver.requests]
    assert [s["type"] for s in sent] == ["followup.changed"]
    assert sent[0]["data"]["status"] == "in_progress"
    assert receiver.requests[0]["headers"]["webhook-id"] == f"followup.{followup.pk}.2"


def test_a_moment_alert_is_sent(
    workspace, admin, touchpoint, receiver, celery_eager, django_capture_on_commit_callbacks
):
    endpoint_create(actor=admin, name="m", url=receiver.url, events_chosen=[Event.MOMENT_ALERT])
    events.refresh(workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        events.moment_alerts(workspace_id=workspace.pk, turns={touchpoint.pk: 2})
    body = json.loads(receiver.requests[0]["body"])
    assert body["type"] == "moment.alert"
    assert (body["data"]["touchpoint"], body["data"]["turn"]) == (touchpoint.pk, 2)


def test_old_finished_deliveries_are_pruned(endpoint, settings):
    from datetime import timedelta

    settings.WEBHOOKS_KEEP_DAYS = 30
    old, pending, _recent = (
        Delivery.objects.create(endpoint=endpoint, message_id=m, event="test", payload={}, status=s)
        for m, s in [("old", "delivered"), ("pending", "pending"), ("recent", "failed")]
    )
    Delivery.objects.filter(pk__in=[old.pk, pending.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert outgoing.deliveries_prune() == 1
    assert set(Delivery.objects.values_list("message_id", flat=True)) == {"pending", "recent"}


def test_a_typeform_delivery_enqueues_the_answers_event(
    client,
    workspace,
    typeform,
    endpoint,
    receiver,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    from tests.feedback.hooks.conftest import post_typeform
    from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY

    with django_capture_on_commit_callbacks(execute=True):
        response = post_typeform(client, typeform, DELIVERY_SURVEY)
    assert response.json() == {"outcome": "stored", "stored": 1}
    # The sample delivery is a pain answer (NPS 3, a comment): it opens a follow-up too.
    assert sorted(json.loads(r["body"])["type"] for r in receiver.requests) == [
        "answer.pain",
        "answer.stored",
        "followup.changed",
    ]


def test_a_typeform_delivery_of_a_workspace_without_webhooks_asks_no_cache(
    client, workspace, typeform, monkeypatch, django_capture_on_commit_callbacks
):
    """The intake's one SELECT says whether the workspace has an enabled endpoint, as the
    survey link's does: without one, a delivery skips the listened events' cache read."""
    from tests.feedback.hooks.conftest import post_typeform
    from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY

    def no_read(workspace_id):
        raise AssertionError("the delivery read the listened events")

    monkeypatch.setattr(events, "listened", no_read)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_typeform(client, typeform, DELIVERY_SURVEY)
    assert response.json() == {"outcome": "stored", "stored": 1}
