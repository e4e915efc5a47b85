"""Importing a survey export through the UI in a real browser: upload, see how the file was read,
choose the touchpoint, dry-run (a bad row is listed), import the valid rows while the progress bar
runs, fix the rejected row and import it, then find the answers in the explorer.

With REDIS_URL set (CI) the import runs on a real Celery worker consuming Redis, so the page
polls a live progress bar; without it, tasks run eagerly and the outcome shows at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import uuid

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from feedback.models import ImportJob, Response
from journeys.models import Touchpoint
from tests.browser.conftest import open_nav, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = 20_000  # enough rows that the worker takes a moment and the bar is seen moving


def sign_in(page: Page, live_server, member) -> None:
    signed_in(page, live_server, member.user)


@pytest.fixture
def worker(request, settings, tmp_path):
    """A real worker on its own Redis queue when REDIS_URL is set; eager tasks otherwise."""
    from celery.contrib.testing.worker import start_worker

    from mot.celery import app as celery_app

    settings.MEDIA_ROOT = tmp_path
    if not settings.REDIS_URL:
        request.getfixturevalue("celery_eager")
        yield False
        return
    queue = f"mot-test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=[queue],
            perform_ping_check=False,
            shutdown_timeout=30,
        ):
            yield True
    finally:
        celery_app.conf.task_default_queue = previous
        with contextlib.suppress(Exception):
            celery_app.connection_for_write().default_channel.client.delete(queue)


def survey_export(tmp_path, rows: list[tuple]) -> str:
    """A Google Forms download: Timestamp + question texts, one header row, no answer id."""
    path = tmp_path / "Checkout survey (Responses).csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Timestamp",
            "Email Address",
            "How likely are you to recommend us to a friend?",
            "Anything else you'd like to tell us?",
        ]
    )
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def test_import_a_survey_export_through_the_ui(
    page: Page, live_server, editor, journey, worker, tmp_path, allow_422_console_errors
):
    checkout = Touchpoint.objects.get(journey=journey, title="Checkout")
    rows = [
        (f"3/{1 + i % 28}/2026 10:{i % 60:02d}:{i % 59:02d}", f"c{i}@example.com", str(i % 11), "")
        for i in range(ROWS - 2)
    ]
    rows.append(("3/2/2026 11:00:00", "ana@example.com", "3", "A entrega atrasada estragou tudo"))
    rows.append(("3/2/2026 12:00:00", "bad@example.com", "eleven", "typo in the score"))
    path = survey_export(tmp_path, rows)

    sign_in(page, live_server, editor)
    page.goto("/w/acme/imports/")
    page.set_input_files("input[type=file]", path)
    page.get_by_role("button", name="Upload and read the file").click()

    expect(page.locator(".import-facts")).to_contain_text("Google Forms")
    page.get_by_label("…or one touchpoint for the whole file").select_option(str(checkout.pk))
    page.get_by_label("Comment").select_option(label="Anything else you'd like to tell us?")
    page.get_by_role("button", name="Update the preview").click()
    expect(page.locator(".import-preview tbody tr").first).to_contain_text("OK")

    page.get_by_role("button", name="Dry run: check every row").click()
    outcome = page.locator("#import-outcome")
    expect(outcome).to_contain_text("nothing was written", timeout=60_000)
    errors = page.locator(".import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("eleven")
    assert Response.objects.count() == 0

    page.get_by_label("Import the valid rows, list the others").check()
    page.get_by_role("button", name="Import", exact=True).click()
    if worker:  # a real worker: the bar is on screen while it imports
        expect(page.locator("#import-progress")).to_be_visible()
    # The dry run's result showed the same counts (what the import would add): wait for the
    # import's own.
    expect(page.locator("#import-status h2")).to_have_text("Import result", timeout=90_000)
    expect(page.locator('[data-count="created"]')).to_have_text(str(ROWS - 1))
    expect(page.locator("#import-progress")).to_have_count(0)
    assert Response.objects.count() == ROWS - 1
    job = ImportJob.objects.latest("pk")
    assert job.rejected_count == 1

    # The user fixes the rejected row from the list and imports the file again: only it is new.
    rows[-1] = ("3/2/2026 12:00:00", "bad@example.com", "10", "typo in the score")
    path = survey_export(tmp_path, rows)
    page.goto("/w/acme/imports/")
    page.set_input_files("input[type=file]", path)
    page.get_by_role("button", name="Upload and read the file").click()
    page.get_by_label("…or one touchpoint for the whole file").select_option(str(checkout.pk))
    page.get_by_label("Comment").select_option(label="Anything else you'd like to tell us?")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator('[data-count="created"]')).to_have_text("1", timeout=90_000)
    expect(page.locator('[data-count="duplicates"]')).to_have_text(str(ROWS - 1))
    assert Response.objects.count() == ROWS

    # The answers are in the explorer: a word of the Portuguese comment finds it. PostgreSQL
    # searches by language ("entregas" finds "entrega"); SQLite matches the word as written.
    page.get_by_role("link", name="See the imported answers").click()
    expect(page.get_by_role("heading", name="Answers", level=1)).to_be_visible()
    word = "entregas" if connection.vendor == "postgresql" else "entrega"
    page.get_by_label("Search comments").fill(word)
    results = page.locator("#explorer-results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("A entrega atrasada estragou tudo")


def test_a_file_cut_off_mid_row_is_refused_alike_by_the_preview_and_the_dry_run(
    page: Page, live_server, editor, journey, worker, tmp_path
):
    checkout = Touchpoint.objects.get(journey=journey, title="Checkout")
    rows = [
        ("3/1/2026 10:00:00", "ana@example.com", "9", "Fast"),
        ("3/1/2026 11:00:00", "rui@example.com", "10", "Great"),
    ]
    path = survey_export(tmp_path, rows)
    with open(path, "rb+") as file:  # cut off inside the last answer's NPS of 10
        data = file.read()
        file.truncate(data.rindex(b"rui@example.com,1") + len(b"rui@example.com,1"))
    reason = "row has 3 of 4 columns: the file may be cut off"

    sign_in(page, live_server, editor)
    page.goto("/w/acme/imports/")
    page.set_input_files("input[type=file]", path)
    page.get_by_role("button", name="Upload and read the file").click()
    page.get_by_label("…or one touchpoint for the whole file").select_option(str(checkout.pk))
    page.get_by_role("button", name="Update the preview").click()
    preview = page.locator(".import-preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.nth(0)).to_contain_text("OK")
    expect(preview.nth(1)).to_contain_text(reason)

    page.get_by_role("button", name="Dry run: check every row").click()
    expect(page.locator("#import-outcome")).to_contain_text("nothing was written", timeout=60_000)
    errors = page.locator(".import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")
    expect(errors.first).to_contain_text(reason)
    expect(page.locator('[data-count="rejected"]')).to_have_text("1")
    assert Response.objects.count() == 0


def custom_export(tmp_path, name: str, rows: list[tuple]) -> str:
    """A tool's export whose comment column no guess reads as one ("What else?")."""
    path = tmp_path / name
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["answer id", "date", "nps", "What else?"])
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("width", [1440, 390])
def test_the_second_file_of_an_export_gets_the_mapping_confirmed_for_the_first(
    page: Page, live_server, editor, journey, worker, tmp_path, width
):
    """From the navigation's Imports entry: import a file choosing the touchpoint and the
    comment; the next file of the same export comes with both chosen, saying where from."""
    checkout = Touchpoint.objects.get(journey=journey, title="Checkout")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, editor)
    page.goto("/w/acme/journeys/")
    nav = page.get_by_role("navigation", name="Main")
    # The header, with one entry more, still fits a phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    open_nav(page)  # on a phone the links fold behind the Menu button
    expect(nav.get_by_role("link", name="Imports")).to_be_visible()

    nav.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Imports", level=1)).to_be_visible()
    page.get_by_role("link", name="Start an import").click()
    first = custom_export(
        tmp_path,
        "march.csv",
        [("m1", "2026-03-01 10:00", "9", "Quick"), ("m2", "2026-03-02 10:00", "6", "Slow")],
    )
    page.set_input_files("input[type=file]", first)
    page.get_by_role("button", name="Upload and read the file").click()
    expect(page.locator(".import-workbench")).to_contain_text("this mapping is remembered")
    page.get_by_label("…or one touchpoint for the whole file").select_option(str(checkout.pk))
    page.get_by_label("Comment").select_option(label="What else?")
    page.get_by_label("Import the valid rows, list the others").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-outcome")).to_have_text("2 new answers.", timeout=60_000)

    open_nav(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.locator(".import-list tbody tr").first).to_contain_text("2 new answers.")
    second = custom_export(
        tmp_path,
        "april.csv",
        [("m2", "2026-03-02 10:00", "6", "Slow"), ("a1", "2026-04-01 10:00", "10", "Great")],
    )
    page.set_input_files("input[type=file]", second)
    page.get_by_role("button", name="Upload and read the file").click()
    expect(page.locator("#mapping-remembered")).to_contain_text("Mapping remembered from march.csv")
    expect(page.get_by_label("…or one touchpoint for the whole file")).to_have_value(
        str(checkout.pk)
    )
    expect(page.get_by_label("Comment")).to_have_value("3")
    expect(page.get_by_label("Import the valid rows, list the others")).to_be_checked()
    page.get_by_role("button", name="Import", exact=True).click()  # nothing chosen again
    expect(page.locator("#import-outcome")).to_have_text(
        "1 new answer, 1 already stored.", timeout=60_000
    )
    great = Response.objects.get(external_id="a1")
    assert (great.touchpoint_id, great.comment) == (checkout.pk, "Great")
