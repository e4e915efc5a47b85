"""The Imports page in the navigation, the outcome said in words, and what the pages cost."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feedback.followups.models import FollowUp
from feedback.imports.jobs import outcome_words
from feedback.models import Customer, ImportJob, ImportMode, ImportStatus, Response
from mot.models import Role
from tests.conftest import login
from tests.expectations import MAP_EDITORS

# The fixtures of the import pages' tests, used here by name.
from tests.feedback.imports.test_views import BAD, GOOD, job_of, upload
from tests.feedback.imports.test_views import checkout as checkout
from tests.feedback.imports.test_views import media_root as media_root
from tests.feedback.imports.test_views import start as start

LIST = "/w/acme/imports/"


# --- navigation and the Imports page -----------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_the_nav_links_imports_for_roles_that_may_import(client, personas, journey, role):
    login(client, personas[role])
    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()
    assert (f'href="{LIST}"' in page) is (role in MAP_EDITORS)


def test_the_imports_page_lists_past_imports_with_tool_who_when_and_outcome(
    client, editor, checkout, start
):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    start(job)
    page = client.get(LIST).content.decode()
    assert "<h1>Imports</h1>" in page
    assert 'href="#new-import"' in page
    assert 'id="new-import"' in page
    row = page[page.index(f'href="/w/acme/imports/{job.pk}/"') :]
    row = row[: row.index("</tr>")]
    assert "answers.csv" in row
    assert "a spreadsheet or another tool" in row
    assert editor.display_name in row
    assert "3 new answers." in row


def test_the_imports_page_names_the_tool_that_wrote_the_file(client, editor, journey):
    from tests.feedback.imports.test_presets import FIXTURES

    login(client, editor)
    with open(FIXTURES / "surveymonkey_weblink.csv", "rb") as file:
        job_of(client.post("/w/acme/imports/upload/", {"file": file, "target": "responses"}))
    page = client.get(LIST).content.decode()
    assert "<td>SurveyMonkey</td>" in page
    assert "<td>Uploaded</td>" in page  # not run yet: its status, no outcome


@pytest.mark.parametrize("n", [1, 6])
def test_the_imports_page_costs_a_fixed_number_of_queries(
    client, editor, checkout, start, n, django_assert_num_queries
):
    login(client, editor)
    for _ in range(n):
        start(job_of(upload(client, GOOD)))
    # session, user, membership (with the unread count), the jobs with their members
    with django_assert_num_queries(4):
        page = client.get(LIST).content.decode()
    assert page.count("/w/acme/imports/") >= n


def test_the_import_page_and_its_status_cost_a_fixed_number_of_queries(
    client, editor, checkout, start, django_assert_num_queries
):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    start(job)
    url = f"/w/acme/imports/{job.pk}/"
    # session, user, membership, the job; the touchpoints of the form and of the preview; the
    # survey links of the form (how many were invited to one)
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert "3 new answers." in page
    with django_assert_num_queries(4):  # session, user, membership, the job
        assert "3 new answers." in client.get(url + "status/").content.decode()


# --- the outcome in words -----------------------------------------------------------------------


def outcome_of(client, job) -> str:
    page = client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    start_at = page.index('id="import-outcome"')
    return page[page.index(">", start_at) + 1 : page.index("</p>", start_at)]


def test_the_outcome_counts_new_stored_and_rejected_answers_in_words(
    client, editor, checkout, start
):
    login(client, editor)
    first = job_of(upload(client, GOOD[:2]))
    start(first)
    assert outcome_of(client, first) == "2 new answers."

    mixed = job_of(upload(client, BAD))
    start(mixed, mode="valid_rows")
    assert outcome_of(client, mixed) == "1 new answer, 2 already stored, 1 row rejected."

    again = job_of(upload(client, GOOD))
    start(again)
    assert outcome_of(client, again) == "0 new answers: all 3 were already stored."

    one = job_of(upload(client, GOOD[:1]))
    start(one)
    assert outcome_of(client, one) == "0 new answers: 1 answer was already stored."


def test_an_all_or_nothing_import_with_a_rejected_row_counts_nothing_new(
    client, editor, checkout, start
):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job)
    assert outcome_of(client, job) == "0 new answers, 1 row rejected."
    assert "Nothing was written" in client.get(f"/w/acme/imports/{job.pk}/").content.decode()


def test_a_dry_run_says_what_the_import_would_do_and_keeps_nothing(client, editor, checkout, start):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job, action="dry_run")
    assert outcome_of(client, job) == (
        "3 new answers, 1 row rejected. This was a dry run: nothing was written. In “all or "
        "nothing” mode the import would write nothing until the rejected rows are fixed."
    )
    # It stored and rolled back: no answer, customer or follow-up is left.
    assert (Response.objects.count(), Customer.objects.count(), FollowUp.objects.count()) == (
        0,
        0,
        0,
    )

    start(job_of(upload(client, GOOD)))
    again = job_of(upload(client, GOOD))
    start(again, action="dry_run")
    assert outcome_of(client, again) == (
        "0 new answers: all 3 were already stored. This was a dry run: nothing was written."
    )
    assert (
        'data-count="duplicates">3<' in client.get(f"/w/acme/imports/{again.pk}/").content.decode()
    )


def test_outcome_words_use_grouped_numbers_and_name_activities(editor):
    job = ImportJob(
        workspace=editor.workspace,
        target="responses",
        status=ImportStatus.DONE,
        written=True,
        created_count=1212,
        duplicate_count=28,
        rejected_count=3,
        mode=ImportMode.VALID_ROWS,
    )
    assert outcome_words(job) == "1,212 new answers, 28 already stored, 3 rows rejected."
    activities = ImportJob(
        workspace=editor.workspace,
        target="activities",
        status=ImportStatus.DONE,
        written=True,
        duplicate_count=240,
    )
    assert outcome_words(activities) == "0 new activities: all 240 were already stored."
