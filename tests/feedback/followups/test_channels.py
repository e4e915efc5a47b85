"""Every way an answer arrives opens its follow-up once: survey link, API, file import,
re-import, in any order; the contact travels with the answer."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.followups.models import FollowUp
from feedback.imports import presets, reading, store
from feedback.imports.pipeline import import_path
from feedback.imports.store import store_records
from feedback.imports.types import Mapping, Target
from feedback.models import ImportMode, Response, Source, SurveyLink
from feedback.tokens.services import api_token_create
from feedback.touchpoint_refs import TouchpointRefs
from tests.feedback.followups.conftest import answer

# --- the survey link -------------------------------------------------------------------------


def _survey(client, reviews, **fields):
    link = SurveyLink.objects.create(touchpoint=reviews)
    data = {"nps": "3", "submission": str(uuid.uuid4()), **fields}
    return client.post(reverse("survey", kwargs={"token": link.token}), data)


def test_survey_contact_is_stored_and_opens_a_follow_up(client, reviews):
    response = _survey(client, reviews, contact=" ana@example.com ")

    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.contact == "ana@example.com"
    assert FollowUp.objects.get().response == stored


def test_survey_refuses_a_contact_that_is_neither_mail_nor_phone(client, reviews):
    response = _survey(client, reviews, contact="call me maybe")

    assert response.status_code == 422
    assert "e-mail address or a phone number" in response.content.decode()
    assert not Response.objects.exists()


def test_survey_page_asks_may_we_contact_you(client, reviews):
    link = SurveyLink.objects.create(touchpoint=reviews)

    page = client.get(reverse("survey", kwargs={"token": link.token})).content.decode()

    assert "May we contact you about your answer?" in page
    assert 'name="contact"' in page


# --- the API ---------------------------------------------------------------------------------


def _api(client, token, *items):
    return client.post(
        "/api/v1/responses/batch",
        json.dumps({"responses": list(items)}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _item(tp, external_id, **extra):
    return {"external_id": external_id, "touchpoint": tp.pk,
            "submitted_at": "2026-03-01T10:00:00Z", "nps": 1, **extra}  # fmt: skip


def test_api_contact_field_is_stored_and_the_answer_says_what_it_opened(client, admin, reviews):
    token = api_token_create(actor=admin, name="crm")[1]

    first = _api(client, token, _item(reviews, "a", contact="+40 721 000 111"), _item(reviews, "b"))
    again = _api(client, token, _item(reviews, "a", contact="+40 721 000 111"))

    assert first.status_code == 200, first.content
    assert (first.json()["followups"], again.json()["followups"]) == (1, 0)
    assert Response.objects.get(external_id="a").contact == "+40 721 000 111"


def test_api_refuses_a_bad_contact_by_index_and_field(client, admin, reviews):
    token = api_token_create(actor=admin, name="crm")[1]

    response = _api(client, token, _item(reviews, "a"), _item(reviews, "b", contact="nope"))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, "contact")
    assert not Response.objects.exists()


# --- file imports ----------------------------------------------------------------------------

HEADER = "touchpoint,answer id,date,nps,comment,contact\n"


def _import(workspace, path):
    layout = reading.detect(path)
    mapping = Mapping(
        target=Target.RESPONSES, columns=presets.propose_mapping(layout, Target.RESPONSES)
    )
    assert mapping.columns["contact"] == 5  # proposed from the header
    return import_path(
        workspace_id=workspace.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        mode=ImportMode.VALID_ROWS,
        dry_run=False,
        resolve=TouchpointRefs(workspace.pk),
    )


def test_import_maps_a_contact_column_and_counts_the_follow_ups_it_opened(
    workspace, reviews, tmp_path
):
    path = tmp_path / "answers.csv"
    path.write_text(
        HEADER
        + f"{reviews.pk},r1,2026-05-01,2,,ana@example.com\n"
        + f"{reviews.pk},r2,2026-05-01,9,Great,\n"
        + f"{reviews.pk},r3,2026-05-01,1,,not a contact\n",
        encoding="utf-8",
    )

    outcome = _import(workspace, path)
    again = _import(workspace, path)

    assert (outcome.created, outcome.rejected, outcome.followups) == (2, 1, 1)
    assert "neither an e-mail address nor a phone number" in outcome.errors[0].reason
    assert (again.created, again.followups) == (0, 0)
    assert FollowUp.objects.get().response.contact == "ana@example.com"


def _records(reviews, n: int, prefix: str):
    return [answer(reviews, f"{prefix}{i}", comment="Slow" if i % 2 else "") for i in range(n)]


def test_import_opens_follow_ups_in_bulk_per_batch_without_per_row_queries(
    workspace, reviews, monkeypatch
):
    monkeypatch.setattr(store, "BATCH", 10)

    def queries(rows: int, prefix: str) -> int:
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            store_records(
                workspace_id=workspace.pk,
                target=Target.RESPONSES,
                records=iter(_records(reviews, rows, prefix)),
            )
        return len(captured)

    one, two, four = queries(10, "a"), queries(20, "b"), queries(40, "c")

    # Each batch of 10 costs the same queries, and so each row none of its own.
    assert four - two == 2 * (two - one)
    assert FollowUp.objects.count() == (10 + 20 + 40) // 2


def test_postgres_import_opens_follow_ups_with_one_query_a_chunk(
    require_postgres, workspace, reviews, monkeypatch
):
    monkeypatch.setattr(store, "CHUNK", 10)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        result = store_records(
            workspace_id=workspace.pk,
            target=Target.RESPONSES,
            records=iter(_records(reviews, 40, "a")),
        )
    # COPY and the INSERTs go through psycopg's own cursor; what Django sees is the rule,
    # read once, and per chunk one INSERT … SELECT of follow-ups, then their assignees and one
    # INSERT … SELECT of the notifications telling them (feedback/followups/alerts.py).
    orm = [q["sql"] for q in captured if "followup" in q["sql"].lower()]
    assert len(orm) == 1 + 4 * 3, orm
    assert (result.created, result.followups) == (40, 20)
    assert FollowUp.objects.count() == 20


# --- any mix, any order: once each -----------------------------------------------------------

ANSWERS = [
    {"nps": 2, "comment": "Slow"},  # opens
    {"nps": 0, "contact": "+351 912 345 678"},  # opens
    {"nps": 4},  # silent pain: does not open under the default rule
    {"nps": 10, "comment": "Great"},  # glory: does not open
]
# The survey page stores an answer under the id of the form it was posted from.
SUBMISSIONS = [str(uuid.UUID(int=i + 1, version=4)) for i in range(len(ANSWERS))]
CHANNELS = ("survey", "api", "import")
SOURCE = {"survey": Source.SURVEY_LINK, "api": Source.API, "import": Source.IMPORT}


@pytest.fixture
def channels(client, settings, admin, reviews):
    """Send answer ``i`` again by a channel: the survey page and the API over HTTP, the file
    import through the store its jobs call (twice in one file, as a repeated row)."""
    settings.SURVEY_RATE_LIMIT = "100000/m"
    survey_url = reverse(
        "survey", kwargs={"token": SurveyLink.objects.create(touchpoint=reviews).token}
    )
    token = api_token_create(actor=admin, name="hypothesis")[1]

    def send(channel: str, i: int) -> None:
        if channel == "survey":
            data = {**ANSWERS[i], "submission": SUBMISSIONS[i]}
            assert client.post(survey_url, data).status_code == 302
        elif channel == "api":
            item = {**_item(reviews, SUBMISSIONS[i]), **ANSWERS[i]}
            assert _api(client, token, item).status_code == 200
        else:
            record = answer(reviews, SUBMISSIONS[i], **ANSWERS[i])
            with transaction.atomic():
                store_records(workspace_id=reviews.journey.workspace_id, target=Target.RESPONSES,
                              records=iter([record, record]))  # fmt: skip

    return send


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sends=st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(0, 3)), max_size=12))
def test_any_sequence_of_resent_answers_opens_each_follow_up_once(channels, sends):
    Response.objects.all().delete()  # each example starts from no answers

    for channel, index in sends:
        channels(channel, index)

    expected = {(SOURCE[c], SUBMISSIONS[i]) for c, i in sends if i in (0, 1)}
    opened = list(FollowUp.objects.values_list("response__source", "response__external_id"))
    assert sorted(opened) == sorted(expected)  # each once: no duplicates in the list
    assert Response.objects.count() == len({(c, i) for c, i in sends})
