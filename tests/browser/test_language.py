"""Switching the language in a real browser: the header's switch (a visitor, a member) and the
public survey's links.

Until the translators' catalogs are merged, most labels stay English: these tests check the
page's ``lang`` attribute and the selected language, and one label whose translation exists
today, the sign-in page's "Password" (Django's own catalogs, which ours override once merged),
read through gettext so that either catalog passes.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from feedback.surveys.services import survey_link_create
from mot.models import Profile
from tests.browser.conftest import open_nav, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch_to(page: Page, name: str) -> None:
    """Keyboard-reachable plain form: choose, then press the button (no script involved)."""
    open_nav(page)  # on a phone a member's header folds behind its Menu button
    select = page.locator("#language-switch")
    select.focus()
    select.select_option(label=name)
    page.locator(".language-switch button").press("Enter")


def test_a_visitor_switches_the_header_language(page: Page):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("label[for=id_password]")).to_have_text("Password")

    _switch_to(page, "Română")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.locator("#language-switch")).to_have_value("ro")
    with translation.override("ro"):
        password = translation.gettext("Password")
    assert password != "Password"
    expect(page.locator("label[for=id_password]")).to_have_text(password)


def test_a_member_switches_and_the_choice_is_stored(page: Page, live_server, staff, journey):
    signed_in(page, live_server, staff.user)
    page.goto("/w/acme/journeys/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    _switch_to(page, "Português (Portugal)")

    expect(page).to_have_url(re.compile(r"/w/acme/journeys/$"))
    expect(page.locator("html")).to_have_attribute("lang", "pt-pt")
    expect(page.locator("#language-switch")).to_have_value("pt-pt")
    assert Profile.objects.get(user=staff.user).language == "pt-pt"


def test_a_customer_switches_the_survey_language(page: Page, editor, journey):
    touchpoint = journey.touchpoints.order_by("pk").first()
    link = survey_link_create(actor=editor, touchpoint=touchpoint, language="")
    page.goto(f"/s/{link.token}/?c=cust-1")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser's (en-US)
    token = page.locator("input[name=submission]").input_value()

    page.locator(".survey-languages").get_by_role("link", name="Español").click()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    current = page.locator(".survey-languages a[aria-current=true]")
    expect(current).to_have_text("Español")
    expect(page.locator("input[name=submission]")).to_have_value(token)
    expect(page.locator("input[name=customer]")).to_have_value("cust-1")

    page.locator("label[for=id_nps_9]").click()
    page.locator("form button[type=submit]").click()
    # The thanks page also gets the submission (counted for the link's response rate).
    expect(page).to_have_url(re.compile(r"/thanks/\?s=[0-9a-f-]+&lang=es$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")


@pytest.mark.parametrize("width", [390, 1440])
def test_the_switch_fits_the_header(page: Page, live_server, staff, journey, width):
    page.set_viewport_size({"width": width, "height": 800})
    signed_in(page, live_server, staff.user)
    page.goto("/w/acme/journeys/")
    _switch_to(page, "Română")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    open_nav(page)
    button = page.locator(".language-switch button").bounding_box()
    select = page.locator("#language-switch").bounding_box()
    assert button["x"] + button["width"] <= width
    assert select["x"] >= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
