"""A customer's personal data on request: export and erasure, admins only."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse

from feedback.customers import profile_of
from feedback.followups.models import FollowUp, FollowUpEvent
from feedback.followups.services import followup_add_note
from feedback.gdpr import ERASED, customer_erase, customer_export
from feedback.imports.store import store_records
from feedback.imports.types import Target
from feedback.models import Customer, ErasedCustomer, Response, Source
from feedback.services import responses_ingest
from mot.models import Role
from tests.conftest import login
from tests.feedback.test_customers import answer

EMAIL = "ana.private@example.com"


@pytest.fixture
def tp(journey):
    return journey.touchpoints.get(title="Reviews")


@pytest.fixture
def batch(tp):
    """What a file says: two answers of Ana (one a pain answer that opens a follow-up), one of
    Bo."""
    profile = profile_of(email=EMAIL, name="Ana Private", segment="Families", plan="Pro")
    return [
        answer(tp, "r1", customer="ana-7", profile=profile, nps=2, comment="Slow",
               contact=EMAIL),
        answer(tp, "r2", customer="ana-7", nps=9),
        answer(tp, "r3", customer="bo-1", nps=8),
    ]  # fmt: skip


@pytest.fixture
def ana(workspace, batch, admin):
    with transaction.atomic():
        store_records(workspace_id=workspace.pk, target=Target.RESPONSES, records=batch)
    followup = FollowUp.objects.get()
    followup_add_note(actor=admin, followup=followup, note="Called Ana Private at ana-7's number")
    return Customer.objects.get(external_id="ana-7")


def url(name, customer, ws="acme"):
    return reverse(f"customers:{name}", kwargs={"ws": ws, "pk": customer.pk})


def test_the_export_holds_attributes_answers_and_follow_up_notes(admin, ana):
    data = customer_export(actor=admin, customer=ana)
    assert data["customer"]["id"] == "ana-7"
    assert data["customer"]["email"] == EMAIL
    assert data["customer"]["segment"] == "Families"
    assert [a["id"] for a in data["answers"]] == ["r1", "r2"]
    assert data["answers"][0]["submitted_at"].startswith("2026-05-04T10:30")
    assert data["answers"][0]["contact"] == EMAIL
    (followup,) = data["followups"]
    assert followup["answer"] == "r1"
    assert any("Ana Private" in e["note"] for e in followup["events"])


def test_erasing_blanks_personal_data_and_keeps_the_answers(admin, ana, workspace):
    before = Response.objects.count()
    erasure = customer_erase(actor=admin, customer=ana)
    ana.refresh_from_db()
    assert ana.external_id == erasure.pseudonym
    assert ana.external_id.startswith("erased-")
    assert (ana.email, ana.name, ana.attributes) == ("", "", {})
    assert ana.segment == "Families"  # a category, kept for the numbers
    assert ana.erased_at is not None
    assert Response.objects.count() == before
    assert Response.objects.filter(customer=ana).count() == 2
    assert Response.objects.get(external_id="r1").comment == "Slow"
    assert Response.objects.get(external_id="r1").contact == ""
    notes = [e.note for e in FollowUpEvent.objects.exclude(note="")]
    assert notes == [f"Called {ERASED} at {ERASED}'s number"]
    assert (erasure.erased_by, erasure.workspace_id) == (admin.user, workspace.pk)
    # Bo is untouched.
    assert Customer.objects.get(external_id="bo-1").erased_at is None


def test_re_importing_the_same_file_adds_nothing_and_brings_nobody_back(
    admin, ana, workspace, batch
):
    customer_erase(actor=admin, customer=ana)
    with transaction.atomic():
        again = store_records(workspace_id=workspace.pk, target=Target.RESPONSES, records=batch)
    assert (again.created, again.duplicates) == (0, 3)
    assert not Customer.objects.filter(external_id="ana-7").exists()
    assert not Customer.objects.filter(email=EMAIL).exists()
    assert Response.objects.count() == 3


def test_a_new_answer_naming_an_erased_customer_is_stored_without_one(admin, ana, workspace, tp):
    customer_erase(actor=admin, customer=ana)
    profile = profile_of(email=EMAIL)
    for source in (Source.API, Source.IMPORT):
        new = answer(tp, f"new-{source}", customer="ana-7", profile=profile)
        if source == Source.API:
            responses_ingest(workspace_id=workspace.pk, source=source, answers=[new])
        else:
            with transaction.atomic():
                store_records(workspace_id=workspace.pk, target=Target.RESPONSES, records=[new])
        stored = Response.objects.get(external_id=f"new-{source}")
        assert stored.customer_id is None
    assert not Customer.objects.filter(external_id="ana-7").exists()
    assert not Customer.objects.filter(email=EMAIL).exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MANAGER, Role.STAFF])
def test_only_admins_may_export_or_erase_in_the_services(personas, ana, role):
    with pytest.raises(PermissionDenied):
        customer_export(actor=personas[role], customer=ana)
    with pytest.raises(PermissionDenied):
        customer_erase(actor=personas[role], customer=ana)
    assert not ErasedCustomer.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 403), (Role.MANAGER, 403), (Role.STAFF, 403)],
)
def test_the_pages_are_for_admins_only(client, personas, ana, role, status):
    login(client, personas[role])
    assert client.get(reverse("customers:search", kwargs={"ws": "acme"})).status_code == status
    assert client.get(url("export", ana)).status_code == status
    assert client.get(url("erase", ana)).status_code == status
    assert client.post(url("erase", ana)).status_code == (302 if status == 200 else status)
    ana.refresh_from_db()
    assert (ana.erased_at is not None) is (role == Role.ADMIN)


def test_an_outsider_finds_no_customer(client, outsider, ana):
    login(client, outsider)
    for name in ("export", "erase"):
        assert client.get(url(name, ana, ws="acme")).status_code == 404
        assert client.get(url(name, ana, ws=outsider.workspace.slug)).status_code == 404
    assert client.post(url("erase", ana, ws=outsider.workspace.slug)).status_code == 404
    ana.refresh_from_db()
    assert ana.erased_at is None


def test_the_admin_finds_downloads_confirms_and_erases(client, admin, ana):
    login(client, admin)
    search = reverse("customers:search", kwargs={"ws": "acme"})
    page = client.get(search, {"q": EMAIL.upper()}).content.decode()
    assert url("erase", ana) in page
    download = client.get(url("export", ana))
    assert download["Content-Type"].startswith("application/json")
    assert "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert json.loads(download.content)["customer"]["email"] == EMAIL
    confirm = client.get(url("erase", ana)).content.decode()
    assert "This cannot be undone." in confirm
    assert "csrfmiddlewaretoken" in confirm
    ana.refresh_from_db()
    assert ana.erased_at is None  # the confirmation page erases nothing
    done = client.post(url("erase", ana), follow=True).content.decode()
    ana.refresh_from_db()
    assert ana.erased_at is not None
    assert ana.external_id in done  # the audit lists the pseudonym
    assert admin.user.get_full_name() in done


def test_erasing_needs_the_csrf_token(admin, ana):
    client = Client(enforce_csrf_checks=True)
    login(client, admin)
    assert client.post(url("erase", ana)).status_code == 403
    ana.refresh_from_db()
    assert ana.erased_at is None


def test_the_search_page_runs_a_fixed_number_of_queries(
    client, admin, ana, django_assert_num_queries
):
    login(client, admin)
    search = reverse("customers:search", kwargs={"ws": "acme"})
    client.get(search, {"q": "ana-7"})
    customer_erase(actor=admin, customer=Customer.objects.get(external_id="bo-1"))
    with django_assert_num_queries(5):
        assert client.get(search, {"q": "ana-7"}).status_code == 200
