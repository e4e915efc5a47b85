"""Imports that remember: the mapping confirmed for one export is proposed for its next files,
within its workspace only, and confirming an edited one replaces it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from feedback.imports.remember import remember
from feedback.models import ImportJob, ImportMode, Response, SavedMapping
from journeys.models import Touchpoint
from mot.models import Role
from tests.conftest import login
from tests.feedback.imports.test_views import UPLOAD, csv_file, job_of

# The fixtures of the import pages' tests, used here by name.
from tests.feedback.imports.test_views import checkout as checkout
from tests.feedback.imports.test_views import media_root as media_root
from tests.feedback.imports.test_views import start as start

# An export without a touchpoint column: the touchpoint is chosen for the whole file, and the
# comment sits in a column whose name no guess reads as one.
HEADER = ("answer id", "date", "nps", "what else", "customer")
FIRST = [
    ("a1", "2026-03-01 10:00:00", "9", "Rápido", "c1"),
    ("a2", "2026-03-02 11:00:00", "7", "Ok", "c2"),
]
SECOND = [
    ("b1", "2026-04-01 10:00:00", "10", "Perfeito", "c3"),
    ("b2", "2026-04-02 11:00:00", "8", "", "c1"),
]


def upload(client, rows, name="march.csv", header=HEADER):
    return job_of(
        client.post(
            UPLOAD, {"file": csv_file(rows, name=name, header=header), "target": "responses"}
        )
    )


def confirm(start, job, checkout, **changes):
    changes = {"touchpoint_id": str(checkout.pk), "comment": "3", "mode": "valid_rows", **changes}
    response = start(job, **changes)
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return job


def test_a_confirmed_mapping_is_proposed_for_the_next_file_of_the_same_export(
    client, editor, checkout, start
):
    login(client, editor)
    first = upload(client, FIRST)
    assert "comment" not in first.mapping["columns"]  # not guessed: the user chooses it
    assert first.remembered_from == ""
    page = client.get(f"/w/acme/imports/{first.pk}/").content.decode()
    assert "this mapping is remembered" in page
    confirm(start, first, checkout)
    saved = SavedMapping.objects.get()
    assert (saved.source_name, saved.target, saved.tool, saved.saved_by) == (
        "march.csv",
        "responses",
        "generic",
        editor,
    )

    second = upload(client, SECOND, name="april.csv")
    assert second.mapping == first.mapping
    assert second.mapping["touchpoint_id"] == checkout.pk
    assert second.mapping["columns"]["comment"] == 3
    assert second.mode == ImportMode.VALID_ROWS
    assert (second.remembered_from, second.remembered_at) == ("march.csv", saved.saved_at)
    page = client.get(f"/w/acme/imports/{second.pk}/").content.decode()
    assert "Mapping remembered from march.csv on " in page
    assert f'<option value="{checkout.pk}" selected>' in page

    # Imported as proposed: the form posts what it shows, nothing chosen again.
    start(second, touchpoint_id=str(checkout.pk), mode=second.mode)
    assert set(Response.objects.values_list("external_id", flat=True)) == {"a1", "a2", "b1", "b2"}
    assert Response.objects.get(external_id="b1").comment == "Perfeito"


def test_a_dry_run_does_not_remember(client, editor, checkout, start):
    login(client, editor)
    job = upload(client, FIRST)
    confirm(start, job, checkout, action="dry_run")
    assert not SavedMapping.objects.exists()
    assert upload(client, SECOND).remembered_from == ""


def test_editing_and_confirming_updates_the_saved_mapping(client, editor, checkout, start):
    login(client, editor)
    confirm(start, upload(client, FIRST), checkout)
    second = upload(client, SECOND, name="april.csv")
    confirm(start, second, checkout, customer="")  # the user drops the customer column
    assert "customer" not in second.mapping["columns"]
    saved = SavedMapping.objects.get()
    assert saved.source_name == "april.csv"
    assert "customer" not in saved.mapping["columns"]

    third = upload(client, SECOND, name="may.csv")
    assert third.remembered_from == "april.csv"
    assert "customer" not in third.mapping["columns"]


def test_another_export_is_not_given_the_mapping(client, editor, checkout, start):
    login(client, editor)
    confirm(start, upload(client, FIRST), checkout)
    other = upload(client, SECOND, header=("answer id", "date", "nps", "comments", "client"))
    assert other.remembered_from == ""
    assert other.mapping["touchpoint_id"] is None


def test_activities_of_the_same_header_do_not_share_the_answers_mapping(
    client, editor, checkout, start
):
    login(client, editor)
    confirm(start, upload(client, FIRST), checkout)
    response = client.post(
        UPLOAD, {"file": csv_file(SECOND, header=HEADER), "target": "activities"}
    )
    assert job_of(response).remembered_from == ""


def test_a_remembered_touchpoint_since_deleted_is_left_out(client, editor, checkout, start):
    login(client, editor)
    confirm(start, upload(client, FIRST), checkout)
    Touchpoint.objects.filter(pk=checkout.pk).delete()
    second = upload(client, SECOND)
    assert second.remembered_from == "march.csv"
    assert second.mapping["touchpoint_id"] is None
    assert second.mapping["columns"]["comment"] == 3


def test_another_workspace_never_gets_the_mapping(client, editor, outsider, checkout, start):
    login(client, editor)
    confirm(start, upload(client, FIRST), checkout)
    login(client, outsider)
    response = client.post(
        "/w/globex/imports/upload/",
        {"file": csv_file(SECOND, header=HEADER), "target": "responses"},
    )
    theirs = ImportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert theirs.workspace_id == outsider.workspace_id
    assert theirs.remembered_from == ""
    assert theirs.mapping["touchpoint_id"] is None
    assert client.get(f"/w/acme/imports/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.MANAGER, Role.STAFF])
def test_a_role_that_may_not_import_cannot_save_a_mapping(client, personas, checkout, role, start):
    login(client, personas[Role.EDITOR])
    job = upload(client, FIRST)
    with pytest.raises(PermissionDenied):
        remember(actor=personas[role], job=job)
    assert not SavedMapping.objects.exists()


def test_a_member_of_another_workspace_cannot_save_a_mapping(client, editor, outsider, checkout):
    login(client, editor)
    job = upload(client, FIRST)
    with pytest.raises(Http404):
        remember(actor=outsider, job=job)
    assert not SavedMapping.objects.exists()
