"""File import pages: who may use them, upload limits, mapping, preview, dry run, import, outcome.

Celery runs eagerly here (the celery_eager fixture), so a started job has finished when the request
returns;
tests/test_celery_worker.py runs an import on a real worker.
"""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from feedback.imports.jobs import too_big_message
from feedback.models import ImportJob, ImportStatus, Response, Source
from journeys.models import Touchpoint
from mot.models import Role
from tests.conftest import login
from tests.expectations import MAP_EDITORS
from tests.marked_language import browse_in, marked_language

LIST = "/w/acme/imports/"
UPLOAD = "/w/acme/imports/upload/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, celery_eager):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def checkout(journey, editor):
    tp = Touchpoint.objects.get(journey=journey, title="Checkout")
    tp.code = "CHK"
    tp.save(update_fields=["code"])
    return tp


def csv_file(
    rows, name="answers.csv", header=("answer id", "touchpoint", "date", "nps", "comment")
):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode()
    upload = io.BytesIO(data)
    upload.name = name
    return upload


GOOD = [
    ("a1", "CHK", "2026-03-01 10:00:00", "9", "Rápido e fácil"),
    ("a2", "Reviews", "2026-03-02 11:00:00", "3", "A entrega atrasou"),
    ("a3", "chk", "2026-03-03 12:00:00", "7", ""),
]


def upload(client, rows, **extra):
    return client.post(UPLOAD, {"file": csv_file(rows), "target": "responses", **extra})


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


@pytest.fixture
def start(client, django_capture_on_commit_callbacks):
    """Post the mapping form and run what it queued on commit (the test's transaction never
    commits, so the on-commit dispatch is run by hand)."""

    def post(job: ImportJob, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/w/acme/imports/{job.pk}/", mapping_post(job, **changes))

    return post


def mapping_post(job: ImportJob, **changes):
    data = {name: str(index) for name, index in job.mapping["columns"].items()}
    data.update(
        date_order=job.mapping["date_order"],
        timezone="UTC",
        mode="all_or_nothing",
        action="import",
    )
    data.update(changes)
    return data


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_import_pages_follow_the_role_matrix(client, personas, role, journey):
    login(client, personas[role])
    expected = 200 if role in MAP_EDITORS else 403
    assert client.get(LIST).status_code == expected
    response = upload(client, GOOD)
    assert response.status_code == (302 if role in MAP_EDITORS else 403)


def test_outsider_cannot_reach_imports_or_jobs_of_another_workspace(
    client, editor, outsider, checkout
):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    login(client, outsider)
    assert client.get(LIST).status_code == 404
    for url in (
        f"/w/acme/imports/{job.pk}/",
        f"/w/globex/imports/{job.pk}/",
        f"/w/globex/imports/{job.pk}/status/",
        f"/w/globex/imports/{job.pk}/rejected.csv",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/w/globex/imports/{job.pk}/", mapping_post(job)).status_code == 404
    assert client.post(f"/w/globex/imports/{job.pk}/delete/").status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()
    assert not Response.objects.exists()


def test_anonymous_is_sent_to_login(client, journey):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_upload_needs_the_csrf_token(editor, journey):
    client = Client(enforce_csrf_checks=True)
    login(client, editor)
    assert upload(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


# --- upload -----------------------------------------------------------------------------------


def test_a_file_over_the_cap_is_refused_and_not_kept(client, editor, settings, media_root, journey):
    settings.FEEDBACK_IMPORT_MAX_BYTES = 100
    login(client, editor)
    response = upload(client, GOOD * 5)
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not any(files for _root, _dirs, files in os.walk(media_root))


def test_an_unreadable_file_is_refused_with_a_reason(client, editor, media_root, journey):
    login(client, editor)
    junk = io.BytesIO(b"PK\x03\x04 not really a workbook" + bytes(range(256)) * 4)
    junk.name = "answers.xlsx"
    response = client.post(UPLOAD, {"file": junk, "target": "responses"})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not any(files for _root, _dirs, files in os.walk(media_root))


def test_upload_detects_the_layout_and_proposes_a_mapping(client, editor, checkout):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    assert job.layout["kind"] == "csv"
    assert job.layout["delimiter"] == ","
    assert job.mapping["columns"] == {
        "external_id": 0,
        "touchpoint": 1,
        "submitted_at": 2,
        "nps": 3,
        "comment": 4,
    }
    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    assert "Rápido e fácil" in page  # the preview
    assert page.count('class="row-ok"') == 3


# --- running ----------------------------------------------------------------------------------


def test_import_stores_the_answers_and_a_second_import_adds_nothing(
    client, editor, checkout, start
):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    response = start(job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.duplicate_count, job.rejected_count) == (
        ImportStatus.DONE,
        3,
        0,
        0,
    )
    assert job.written
    assert Response.objects.filter(source=Source.IMPORT).count() == 3
    assert Response.objects.get(external_id="a3").touchpoint_id == checkout.pk
    # a2, a pain answer with a comment, opened a follow-up (issue 14); the outcome says so.
    assert job.followup_count == 1
    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    assert 'data-count="followups">1<' in page

    again = job_of(upload(client, GOOD))
    start(again)
    again.refresh_from_db()
    assert (again.created_count, again.duplicate_count, again.followup_count) == (0, 3, 0)
    assert Response.objects.count() == 3
    page = client.get(f"/w/acme/imports/{again.pk}/").content.decode()
    assert 'data-count="duplicates">3<' in page


BAD = [*GOOD, ("a4", "Nowhere", "2026-03-04 10:00:00", "11", '=HYPERLINK("http://x")')]


def test_all_or_nothing_with_one_bad_row_writes_nothing_and_lists_it(
    client, editor, checkout, start
):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job)
    job.refresh_from_db()
    assert not job.written
    assert Response.objects.count() == 0
    assert job.rejected_count == 1
    assert {(e["line"], e["column"]) for e in job.errors} >= {(5, "touchpoint"), (5, "nps")}
    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    assert "Nothing was written" in page
    rejected = client.get(f"/w/acme/imports/{job.pk}/rejected.csv")
    assert rejected.status_code == 200
    body = b"".join(rejected.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2
    assert rows[1][0] == "a4"
    assert rows[1][4].startswith("'=")  # formula neutralised


def test_valid_rows_mode_writes_exactly_the_valid_rows(client, editor, checkout, start):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job, mode="valid_rows")
    job.refresh_from_db()
    assert job.written
    assert (job.created_count, job.rejected_count) == (3, 1)
    assert set(Response.objects.values_list("external_id", flat=True)) == {"a1", "a2", "a3"}


def test_dry_run_checks_every_row_and_writes_nothing(client, editor, checkout, start):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job, action="dry_run")
    job.refresh_from_db()
    assert job.dry_run
    assert (job.rows, job.rejected_count, job.written) == (4, 1, False)
    assert not Response.objects.exists()
    page = client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    assert "dry run" in page
    assert "Nowhere" in page


def test_one_touchpoint_for_the_whole_file(client, editor, checkout, start):
    login(client, editor)
    rows = [(r[0], "ignored", r[2], r[3], r[4]) for r in GOOD]
    job = job_of(upload(client, rows))
    start(job, touchpoint_id=str(checkout.pk))
    assert set(Response.objects.values_list("touchpoint_id", flat=True)) == {checkout.pk}


def test_a_touchpoint_of_another_workspace_cannot_be_chosen(client, editor, outsider, checkout):
    from journeys.services import journey_create, stage_create, touchpoint_create

    theirs = stage_create(
        actor=outsider, journey=journey_create(actor=outsider, name="T"), name="S"
    )
    foreign = touchpoint_create(actor=outsider, stage=theirs, title="Theirs")
    login(client, editor)
    job = job_of(upload(client, GOOD))
    response = client.post(
        f"/w/acme/imports/{job.pk}/", mapping_post(job, touchpoint_id=str(foreign.pk))
    )
    assert response.status_code == 422
    assert not Response.objects.exists()


def test_the_import_sets_how_many_were_invited_to_a_survey_link(client, editor, checkout, start):
    from feedback.surveys.services import survey_link_create

    link = survey_link_create(actor=editor, touchpoint=checkout)
    login(client, editor)
    page = client.get(f"/w/acme/imports/{job_of(upload(client, GOOD)).pk}/").content.decode()
    assert f'<option value="{link.pk}">Online shop \u203a Checkout ({link.token[:6]}' in page
    job = job_of(upload(client, GOOD))
    start(job, action="dry_run", survey_link=str(link.pk), invited="250")
    link.refresh_from_db()
    assert link.invited is None  # a dry run writes nothing
    response = start(job, survey_link=str(link.pk), invited="250")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.invited == 250
    assert Response.objects.count() == 3
    assert "Number invited saved." in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    "changes",
    [{"invited": "250"}, {"survey_link": "mine"}, {"survey_link": "mine", "invited": "-1"},
     {"survey_link": "revoked", "invited": "9"}, {"survey_link": "theirs", "invited": "9"}],
)  # fmt: skip
def test_an_invited_count_needs_a_link_of_the_workspace_and_a_number(
    client, editor, outsider, checkout, start, changes
):
    from feedback.surveys.services import survey_link_create, survey_link_revoke
    from journeys.services import journey_create, stage_create, touchpoint_create

    theirs = touchpoint_create(
        actor=outsider,
        stage=stage_create(
            actor=outsider, journey=journey_create(actor=outsider, name="T"), name="S"
        ),
        title="Theirs",
    )
    links = {
        "mine": survey_link_create(actor=editor, touchpoint=checkout),
        "revoked": survey_link_revoke(
            actor=editor, link=survey_link_create(actor=editor, touchpoint=checkout)
        ),
        "theirs": survey_link_create(actor=outsider, touchpoint=theirs),
    }
    if "survey_link" in changes:
        changes["survey_link"] = str(links[changes["survey_link"]].pk)
    login(client, editor)
    job = job_of(upload(client, GOOD))
    assert start(job, **changes).status_code == 422
    assert not Response.objects.exists()
    assert all(link.invited is None for link in type(links["mine"]).objects.all())


def test_a_mapping_without_a_score_column_is_refused_with_the_field_named(client, editor, checkout):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    data = mapping_post(job)
    del data["nps"]
    response = client.post(f"/w/acme/imports/{job.pk}/", data)
    assert response.status_code == 422
    assert "NPS or the CSAT" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_htmx_preview_swaps_the_workbench(client, editor, checkout):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    response = client.post(
        f"/w/acme/imports/{job.pk}/", mapping_post(job, action="preview"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="workbench"')
    assert 'id="import-status"' in html
    assert 'hx-swap-oob="true"' in html


def test_removing_an_import_keeps_its_answers(client, editor, checkout, media_root, start):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    start(job)
    assert client.post(f"/w/acme/imports/{job.pk}/delete/").status_code == 302
    assert not ImportJob.objects.exists()
    assert Response.objects.count() == 3
    assert not any(files for _root, _dirs, files in os.walk(media_root))


def test_activities_import_creates_customers_once(client, editor, journey, start):
    from feedback.models import Activity, Customer

    login(client, editor)
    rows = [
        ("p1", "cust-1", "2026-03-01", "purchase", "1.234,50"),
        ("p2", "cust-1", "2026-04-01", "purchase", "99,90"),
        ("p3", "cust-2", "2026-04-02", "renewal", ""),
    ]
    upload_file = csv_file(rows, header=("order id", "customer id", "date", "kind", "value"))
    response = client.post(UPLOAD, {"file": upload_file, "target": "activities"})
    job = job_of(response)
    assert job.mapping["columns"] == {
        "external_id": 0,
        "customer": 1,
        "occurred_at": 2,
        "kind": 3,
        "value": 4,
    }
    start(job, decimal_comma="on")
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count) == (3, 0), job.errors
    assert Customer.objects.count() == 2
    assert sorted(Activity.objects.values_list("value", flat=True), key=str) == sorted(
        [Decimal("1234.50"), Decimal("99.90"), None], key=str
    )


def test_the_service_refuses_a_file_over_the_cap_whoever_calls_it(editor, settings, media_root):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from feedback.imports.jobs import import_upload

    settings.FEEDBACK_IMPORT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as exc:
        import_upload(
            actor=editor, upload=SimpleUploadedFile("a.csv", b"x" * 11), target="responses"
        )
    assert "files up to" in exc.value.message_dict["file"][0]
    assert not ImportJob.objects.exists()
    assert not any(files for _root, _dirs, files in os.walk(media_root))


# --- files cut off ------------------------------------------------------------------------------


def cut_file(rows, after: bytes):
    data = csv_file(rows).getvalue()
    upload = io.BytesIO(data[: data.rindex(after) + len(after)])
    upload.name = "answers.csv"
    return upload


def test_the_preview_and_the_dry_run_refuse_a_row_cut_off_alike(client, editor, checkout, start):
    login(client, editor)
    upload = cut_file(GOOD, b"a3,chk,2026-03-03 12:00:00")  # its NPS and comment are lost
    job = job_of(client.post(UPLOAD, {"file": upload, "target": "responses"}))
    reason = "row has 3 of 5 columns: the file may be cut off"

    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    assert page.count('class="row-ok"') == 2
    assert page.count('class="row-bad"') == 1
    assert reason in page

    start(job, action="dry_run")
    job.refresh_from_db()
    assert job.errors == [{"line": 4, "column": "", "value": "", "reason": reason}]
    assert reason in client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()

    start(job, mode="valid_rows")
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count) == (2, 1)
    assert set(Response.objects.values_list("external_id", flat=True)) == {"a1", "a2"}


# --- reports kept small ------------------------------------------------------------------------


def test_the_page_says_where_an_import_stopped_and_how_much_the_report_holds(
    client, editor, checkout, start, monkeypatch
):
    from feedback.imports import pipeline

    monkeypatch.setattr(pipeline, "REPORT_ROWS", 2)
    monkeypatch.setattr(pipeline, "STOP_AFTER_REJECTED", 3)
    login(client, editor)
    bad = [(f"b{i}", "CHK", "2026-03-01 10:00:00", "11", "") for i in range(5)]
    job = job_of(upload(client, [GOOD[0], *bad]))

    start(job)  # all or nothing
    job.refresh_from_db()
    assert (job.rows, job.rejected_count, job.written) == (4, 3, False)
    page = client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    assert "The import stopped early, after line 5: 3 rows were rejected" in page
    assert "2 of 3 rejected rows are in the report." in page
    rejected = client.get(f"/w/acme/imports/{job.pk}/rejected.csv")
    rows = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode())))
    assert [r[0] for r in rows[1:3]] == ["b0", "b1"]
    assert rows[3][-1] == "1 more rejected row is not in this report: it lists the first 2."

    start(job, action="dry_run")  # checks every row
    job.refresh_from_db()
    assert (job.rows, job.rejected_count) == (6, 5)
    page = client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    assert "stopped early" not in page
    assert "2 of 5 rejected rows are in the report." in page


# --- messages that say what is wrong -------------------------------------------------------------


def test_a_file_with_nul_bytes_is_refused_saying_where(client, editor, media_root, journey):
    login(client, editor)
    damaged = io.BytesIO(b"id,comment\n1,ok\n2," + b"\x00" * 40 + b"\n3,ok\n")
    damaged.name = "answers.csv"
    response = client.post(UPLOAD, {"file": damaged, "target": "responses"})
    assert response.status_code == 422
    assert (
        "The file contains a NUL byte at line 3 (byte offset 18): it is not a text export."
        in response.content.decode()
    )
    assert not ImportJob.objects.exists()


# --- time zones -------------------------------------------------------------------------------


def test_the_time_zone_list_offers_canonical_places_only(client, editor, checkout):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    for offered in ("UTC", "Europe/Lisbon", "America/Denver", "Asia/Kolkata", "Europe/Amsterdam"):
        assert f'<option value="{offered}"' in page
    for alias in ("Factory", "localtime", "W-SU", "US/Eastern", "Etc/GMT+3", "GMT", "Zulu"):
        assert f'<option value="{alias}"' not in page


@pytest.mark.parametrize("alias", ["Factory", "localtime", "W-SU", "US/Eastern", "Etc/GMT+3"])
def test_a_legacy_time_zone_alias_is_refused_saying_what_to_choose(client, editor, checkout, alias):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    response = client.post(f"/w/acme/imports/{job.pk}/", mapping_post(job, timezone=alias))
    assert response.status_code == 422
    assert "legacy names such as US/Eastern or W-SU are not offered" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_a_canonical_time_zone_is_still_accepted(client, editor, checkout, start):
    login(client, editor)
    job = job_of(upload(client, GOOD))
    response = start(job, timezone="Europe/Lisbon")
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    assert job.mapping["timezone"] == "Europe/Lisbon"


def test_the_rejected_rows_download_with_semicolons_says_the_same(client, editor, checkout, start):
    login(client, editor)
    job = job_of(upload(client, BAD))
    start(job)
    url = f"/w/acme/imports/{job.pk}/rejected.csv"
    as_written = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    response = client.get(url, {"csv_sep": "semicolon"})
    assert response["Content-Disposition"] == 'attachment; filename="answers-rejected-rows.csv"'
    semicolons = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(semicolons), delimiter=";")) == list(
        csv.reader(io.StringIO(as_written))
    )
    assert ";" in semicolons.splitlines()[0]
    page = client.get(f"/w/acme/imports/{job.pk}/").content.decode()
    form = page.split(f'<form method="get" action="{url}" class="csv-download')[1]
    assert 'name="csv_sep"' in form.split("</form>")[0]
    assert 'name="csv_decimal"' not in form.split("</form>")[0]  # the rows' own text


@pytest.mark.parametrize(("language", "size"), [("en", "1.5 MB"), ("pt-br", "1,5 MB")])
def test_the_too_big_message_writes_the_size_in_the_readers_number_format(settings, language, size):
    settings.FEEDBACK_IMPORT_MAX_BYTES = 1024 * 1024
    with translation.override(language):
        assert size in too_big_message(1024 * 1024 * 3 // 2)


def test_the_job_runs_in_the_language_of_whoever_started_it(
    client, settings, editor, checkout, django_capture_on_commit_callbacks
):
    """The rejected rows' reasons are stored as text: a worker in English would write them in
    English for a Brazilian editor. Here the queued task runs in an English thread."""
    login(browse_in(client, settings, "pt-br"), editor)  # before: it resets the catalogs
    with marked_language("pt-br", activate=False):
        job = job_of(upload(client, BAD))
        with django_capture_on_commit_callbacks() as queued:
            client.post(f"/w/acme/imports/{job.pk}/", mapping_post(job))
        with translation.override("en"):
            for run in queued:
                run()
    job.refresh_from_db()
    assert job.rejected_count == 1
    reasons = [error["reason"] for error in job.errors]
    assert reasons
    assert all(reason.startswith("[pt-br] ") for reason in reasons), reasons
