"""An admin maps a Typeform intake from the submission it received: the sample's fields show
with their types and values, the admin says which is which, and Typeform's next delivery is
stored with that mapping."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from feedback.hooks.intake import intake_for, receive_typeform, typeform_signature
from feedback.hooks.models import IntakeKind
from feedback.hooks.services import intake_create
from feedback.models import Response
from tests.browser.conftest import signed_in
from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY, delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_maps_typeform_fields_from_a_received_sample(page, live_server, admin, journey):
    intake, secret = intake_create(actor=admin, kind=IntakeKind.TYPEFORM, name="Delivery survey")
    raw = json.dumps(DELIVERY_SURVEY).encode()
    found = intake_for(IntakeKind.TYPEFORM, intake.token)
    first = receive_typeform(found, raw, typeform_signature(secret, raw))
    assert first.status == 422  # nothing mapped yet: kept as the sample

    signed_in(page, live_server, admin.user)
    page.goto("/w/acme/webhooks/")
    page.get_by_role("link", name="Delivery survey").click()
    table = page.get_by_role("table", name="Fields")
    expect(table).to_contain_text("opinion_scale")
    expect(table).to_contain_text("How likely are you to recommend us to a friend?")
    expect(table).to_contain_text("The parcel came two days late <b>and</b> wet.")

    page.get_by_label("nps_recommend", exact=True).select_option("nps")
    page.get_by_label("csat_delivery", exact=True).select_option("csat")
    page.get_by_label("comment_long", exact=True).select_option("comment")
    page.get_by_label("hidden:customer_id", exact=True).select_option("customer")
    page.get_by_label("Touchpoint of every answer").select_option(label="Online shop · Checkout")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_text("Mapping saved.")).to_be_visible()
    expect(page.get_by_label("nps_recommend", exact=True)).to_have_value("nps")

    body = json.dumps(delivery(token="second-submission", nps_recommend=9)).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}/hooks/typeform/{intake.token}/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_signature(secret, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.load(response) == {"outcome": "stored", "stored": 1}
    answer = Response.objects.get()
    assert (answer.nps, answer.csat, answer.touchpoint.title) == (9, 2, "Checkout")
    assert answer.customer.external_id == "C-1042"

    page.reload()
    log = page.get_by_role("table", name="Last deliveries")
    expect(log).to_contain_text("Stored")
    expect(log).to_contain_text("Refused: does not match the mapping")
