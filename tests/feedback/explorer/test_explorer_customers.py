"""The explorer and customers: the segment filter, and e-mail and name only for the roles that
may act on answers (on the page and in the CSV download)."""

from __future__ import annotations

import pytest

from feedback.models import Customer
from journeys.models import Touchpoint
from tests.conftest import login
from tests.feedback.explorer.test_explorer import (
    HTMX,
    LIST_QUERIES,
    answer,
    export_rows,
    listed,
    url,
)

EMAIL = "ana.personal@example.com"
NAME = "Ana Personal"


@pytest.fixture
def tps(journey) -> dict[str, Touchpoint]:
    return {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}


@pytest.fixture
def customers(workspace):
    families = Customer.objects.create(
        workspace=workspace, external_id="c-fam", segment="Families", email=EMAIL, name=NAME
    )
    business = Customer.objects.create(workspace=workspace, external_id="c-biz", segment="Business")
    return families, business


def test_the_segment_filter_keeps_the_customers_of_that_segment(client, staff, tps, customers):
    families, business = customers
    fam = answer(tps["Reviews"], customer=families)
    answer(tps["Reviews"], customer=business)
    answer(tps["Reviews"])  # anonymous: in no segment
    login(client, staff)

    assert listed(client, "?segment=families") == [fam.pk]  # case aside
    page = client.get(url("list") + "?segment=Families").content.decode()
    assert "Only customers of the segment “Families”." in page
    assert len(listed(client)) == 3
    assert "Only customers of the segment" not in client.get(url("list")).content.decode()


def test_the_segment_filter_costs_no_extra_query(
    client, staff, tps, customers, django_assert_num_queries
):
    answer(tps["Reviews"], customer=customers[0])
    login(client, staff)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url("list") + "?segment=Families").status_code == 200
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url("list") + "?segment=Families", headers=HTMX).status_code == 200


@pytest.mark.parametrize(
    ("role", "sees"),
    [("admin", True), ("manager", True), ("editor", False), ("staff", False)],
)
def test_email_and_name_show_only_to_roles_that_act_on_answers(
    client, personas, tps, customers, role, sees
):
    answer(tps["Reviews"], customer=customers[0])  # nobody owns Reviews
    login(client, personas[role])
    page = client.get(url("list")).content.decode()
    assert (EMAIL in page) is sees
    assert (NAME in page) is sees
    assert "Families" in page  # the segment is no personal data


def test_staff_see_email_and_name_on_their_own_touchpoints_only(client, staff, tps, customers):
    own = tps["Checkout"]
    own.owner = staff
    own.save(update_fields=["owner"])
    other = Customer.objects.create(
        workspace=staff.workspace, external_id="c-2", email="bo@example.com", name="Bo Other"
    )
    answer(own, customer=customers[0])
    answer(tps["Reviews"], customer=other)
    login(client, staff)
    page = client.get(url("list")).content.decode()
    assert EMAIL in page
    assert NAME in page
    assert "bo@example.com" not in page
    assert "Bo Other" not in page


@pytest.mark.parametrize(("role", "sees"), [("admin", True), ("manager", True), ("editor", False)])
def test_the_csv_has_email_and_name_only_for_roles_that_may_read_them(
    client, personas, tps, customers, role, sees
):
    answer(tps["Reviews"], customer=customers[0])
    login(client, personas[role])
    header, row = export_rows(client)
    assert ("Customer's e-mail" in header) is sees
    assert ("Customer's name" in header) is sees
    assert (EMAIL in row) is sees
    assert (NAME in row) is sees
    assert row[header.index("Segment")] == "Families"


def test_the_csv_follows_the_segment_filter(client, admin, tps, customers):
    answer(tps["Reviews"], customer=customers[0])
    answer(tps["Reviews"], customer=customers[1])
    login(client, admin)
    header, *rows = export_rows(client, "?segment=Business")
    assert [r[header.index("Customer")] for r in rows] == ["c-biz"]
