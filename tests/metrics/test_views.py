"""The metrics overview: every role reads it, some may recompute, a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest
from journeys.services import journey_create, stage_create, touchpoint_create
from metrics.models import MomentCounts, Scope
from metrics.services import metrics_recompute
from mot.models import Role
from tests.conftest import login

URL = "/w/acme/metrics/"
RECOMPUTERS = {Role.ADMIN, Role.EDITOR, Role.MANAGER}


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """The recompute button's task runs in the request here."""


def answer_all(journey, n: int, nps: int = 9) -> None:
    answers = [
        AnswerIn(
            touchpoint_id=tp.pk,
            external_id=f"{tp.pk}-{nps}-{i}",
            submitted_at=datetime(2026, 3, 1 + i % 28, tzinfo=UTC),
            nps=nps if i % 3 else 2,
            comment="" if i % 3 else "Too slow",  # a pain answer with a comment: a follow-up
            customer=f"c{i}",
        )
        for tp in journey.touchpoints.all()
        for i in range(n)
    ]
    responses_ingest(workspace_id=journey.workspace_id, source=Source.API, answers=answers)
    metrics_recompute(workspace_id=journey.workspace_id, full=True)


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_metrics_and_some_may_recompute(client, personas, journey, role):
    answer_all(journey, 40)
    login(client, personas[role])
    page = client.get(URL)
    assert page.status_code == 200
    assert ("Recompute now" in page.content.decode()) == (role in RECOMPUTERS)
    response = client.post(URL + "recompute/")
    assert response.status_code == (302 if role in RECOMPUTERS else 403)


def test_outsider_and_anonymous_are_kept_out(client, outsider, journey):
    assert client.get(URL).status_code == 302  # to the login page
    login(client, outsider)
    for url in (URL, URL + "status/"):
        assert client.get(url).status_code == 404
    assert client.post(URL + "recompute/").status_code == 404


def test_recompute_needs_the_csrf_token(manager, journey):
    client = Client(enforce_csrf_checks=True)
    login(client, manager)
    assert client.post(URL + "recompute/").status_code == 403


def test_page_shows_the_stored_numbers(client, manager, journey):
    answer_all(journey, 40)
    row = MomentCounts.objects.get(scope=Scope.JOURNEY, key=str(journey.pk), day=None)
    login(client, manager)
    html = client.get(URL).content.decode()
    assert f"{row.nps:.1f}" in html
    assert f"± {row.nps_margin:.1f}" in html
    assert f'id="kpi-answers">{row.answers}<' in html


def test_small_samples_say_so_instead_of_a_number(client, manager, journey):
    answer_all(journey, 5)  # 15 answers in all, under the default 30
    login(client, manager)
    html = client.get(URL).content.decode()
    assert "not enough answers — 15 of 30" in html


def test_htmx_recompute_reloads_once_done(client, manager, journey):
    answer_all(journey, 40)
    login(client, manager)
    response = client.post(URL + "recompute/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert 'id="metrics-run"' in response.content.decode()


def test_query_count_does_not_grow_with_the_data(
    client, manager, editor, journey, django_assert_num_queries
):
    answer_all(journey, 40)
    login(client, manager)
    client.get(URL)  # session and caches warm
    # 10: the follow-ups' figures and the recovery effects are two of them.
    with django_assert_num_queries(10) as small:
        client.get(URL)
    for j in range(4):
        bigger = journey_create(actor=editor, name=f"Journey {j}")
        for s in range(3):
            stage = stage_create(actor=editor, journey=bigger, name=f"S{s}")
            for t in range(5):
                touchpoint_create(actor=editor, stage=stage, title=f"T{s}.{t}")
        answer_all(bigger, 35, nps=7)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("setup", "available", "text", "polls"),
    [
        ("waiting", True, "Waiting for a worker", 'hx-trigger="every 5s"'),
        ("restarted", True, "Restarted after an interruption", 'hx-trigger="every 1s"'),
        ("waiting", False, "Background jobs are paused", 'hx-trigger="every 5s"'),
    ],
)
def test_the_run_status_says_what_is_really_happening(
    client, manager, journey, monkeypatch, setup, available, text, polls
):
    from datetime import timedelta

    from django.utils import timezone

    from metrics import views
    from metrics.models import RecomputeRun

    long_ago = timezone.now() - timedelta(minutes=10)
    RecomputeRun.objects.create(
        workspace_id=journey.workspace_id,
        requested_at=long_ago,
        pending_journeys=[journey.pk],
        started_at=long_ago if setup == "restarted" else None,
        interrupted_at=long_ago if setup == "restarted" else None,
    )
    monkeypatch.setattr(views, "jobs_available", lambda: available)
    login(client, manager)

    for url in (URL, URL + "status/"):
        html = client.get(url).content.decode()
        assert text in html
        assert polls in html
        assert "Computing the metrics…" not in html
        assert "Recompute now" not in html
