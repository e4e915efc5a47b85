"""The public survey on a phone, and the survey editor's copy button and preview, in Chromium."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from feedback.surveys.services import survey_link_configure, survey_link_create
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def link(editor, journey):
    touchpoint = journey.touchpoints.order_by("pk").first()
    return survey_link_create(actor=editor, touchpoint=touchpoint)


def _tops(page: Page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().top)"
    )


def test_the_0_to_10_scale_fits_one_row_on_a_360_px_phone(page: Page, link):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(reverse("survey", kwargs={"token": link.token}))
    tops = _tops(page, "#id_nps .scale label")
    assert len(tops) == 11
    assert len(set(tops)) == 1, tops
    # Nothing sticks out of the page sideways, and each option is still a fair target.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    widths = page.locator("#id_nps .scale label").evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().width)"
    )
    assert min(widths) >= 24, widths
    # A choice is tappable and shown as chosen.
    page.locator("#id_nps .scale label").nth(10).click()
    expect(page.locator("#id_nps input[value='10']")).to_be_checked()


def test_the_copy_button_copies_the_link(page: Page, live_server, editor, link):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    signed_in(page, live_server, editor.user)
    page.goto(reverse("feedback:surveys", kwargs={"ws": "acme"}))
    button = page.locator(f"button[data-copy='link-url-{link.pk}']")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/s/{link.token}/"


def test_the_preview_shows_the_saved_survey_at_phone_and_desktop_widths(
    page: Page, live_server, editor, link
):
    survey_link_configure(
        actor=editor,
        link=link,
        language="en",
        config={
            "title": {"en": "Your visit <b>today</b>"},
            "questions": [{"key": "ces", "required": True}, {"key": "nps"}],
        },
    )
    signed_in(page, live_server, editor.user)
    page.set_viewport_size({"width": 1500, "height": 900})
    page.goto(reverse("feedback:survey_link_edit", kwargs={"ws": "acme", "pk": link.pk}))
    for selector, width in ((".preview-phone", 360), (".preview-desktop", 1024)):
        frame_element = page.locator(selector)
        frame_element.scroll_into_view_if_needed()
        box = frame_element.bounding_box()
        assert abs(box["width"] - width) <= 2, (selector, box)
        frame = page.frame_locator(selector)
        # Escaped: the editor's markup shows as text.
        expect(frame.locator("h1")).to_have_text("Your visit <b>today</b>")
        expect(frame.locator("fieldset[id^=id_]")).to_have_count(2)
        expect(frame.locator("fieldset[id^=id_]").first).to_have_id("id_ces")
        expect(frame.locator("button[type=submit]")).to_be_disabled()
    # The phone frame keeps the 0-10 scale on one row too.
    phone = page.frame_locator(".preview-phone")
    tops = phone.locator("#id_nps .scale label").evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().top)"
    )
    assert len(set(tops)) == 1, tops


# --- the preview of unsaved edits, and the questions' order ------------------------------------


def _open_editor(page: Page, live_server, editor, link) -> None:
    signed_in(page, live_server, editor.user)
    page.set_viewport_size({"width": 1500, "height": 900})
    page.goto(reverse("feedback:survey_link_edit", kwargs={"ws": "acme", "pk": link.pk}))


# The question keys of a survey page's form, in their order (scales by their fieldset's id,
# the comment and contact by their label).
QUESTION_KEYS = """form => Array.from(form.querySelectorAll("fieldset")).map(
    f => (f.id || f.querySelector("legend label").htmlFor).replace(/^id_/, ""))"""


def _preview_keys(page: Page, selector: str = ".preview-phone") -> list[str]:
    return page.frame_locator(selector).locator("form").evaluate(QUESTION_KEYS)


def _rows(page: Page) -> list[str]:
    return page.locator("tbody[data-question-order] tr").evaluate_all(
        "rows => rows.map(row => row.dataset.question)"
    )


def _orders(page: Page) -> list[str]:
    return page.locator("tbody[data-question-order] input[name^=order_]").evaluate_all(
        "inputs => inputs.map(input => input.name.slice(6) + '=' + input.value)"
    )


def test_typed_texts_show_in_the_preview_without_a_save(
    page: Page, live_server, editor, link, allow_422_console_errors
):
    _open_editor(page, live_server, editor, link)
    heading = page.locator(".survey-previews h2")
    expect(heading).to_have_text("Preview (as saved)")

    page.fill("#id_title_en", "Typed <i>title</i>")
    page.fill("#id_label_nps_en", "Would you tell a friend?")

    expect(heading).to_have_text("Preview of your changes (not saved yet)")
    for selector in (".preview-phone", ".preview-desktop"):
        frame = page.frame_locator(selector)
        expect(frame.locator("h1")).to_have_text("Typed <i>title</i>")
        expect(frame.locator("#id_nps legend")).to_contain_text("Would you tell a friend?")
        expect(frame.locator("button[type=submit]")).to_be_disabled()
    # The frames keep their widths.
    assert abs(page.locator(".preview-phone").bounding_box()["width"] - 360) <= 2
    # Nothing was saved, no open counted.
    link.refresh_from_db()
    assert link.config == {}
    assert link.opens == 0

    # The preview's language, chosen beside it (posted with the form, never saved).
    page.select_option("#preview-language", "pt-br")
    expect(page.frame_locator(".preview-phone").locator("html")).to_have_attribute("lang", "pt-br")
    expect(page.frame_locator(".preview-phone").locator("h1")).to_have_text(
        "Como foi a sua experiência?"
    )
    page.select_option("#preview-language", "en")
    expect(page.frame_locator(".preview-phone").locator("h1")).to_have_text("Typed <i>title</i>")

    # Invalid edits: the preview says why instead.
    page.uncheck("#id_ask_nps")
    page.uncheck("#id_ask_csat")
    alert = page.locator("#survey-preview [role=alert]")
    expect(alert).to_contain_text("Ask NPS or CSAT")
    expect(page.locator("#survey-preview iframe")).to_have_count(0)
    page.check("#id_ask_csat")
    expect(page.frame_locator(".preview-phone").locator("h1")).to_have_text("Typed <i>title</i>")
    assert _preview_keys(page) == [
        "csat", "respect", "solutions", "simplicity", "responsibility", "comment", "contact",
    ]  # fmt: skip
    link.refresh_from_db()
    assert link.config == {}


def _drag(page: Page, handle, target) -> None:
    """A real, stepped mouse drag (SortableJS follows the pointer) onto the top of ``target``."""
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 20, end["y"] + end["height"] / 2, steps=12)
    page.mouse.move(end["x"] + 20, end["y"] + end["height"] * 0.25, steps=6)
    page.mouse.up()


def test_questions_reorder_by_drag_and_by_keyboard_and_the_saved_survey_follows(
    page: Page, live_server, editor, link
):
    _open_editor(page, live_server, editor, link)
    default = ["nps", "csat", "respect", "solutions", "simplicity", "responsibility"]
    assert _rows(page) == [*default, "comment", "contact", "ces"]

    # Drag CSAT's handle above NPS.
    row = page.locator("tr[data-question=csat]")
    _drag(page, row.locator("[data-order-handle]"), page.locator("tr[data-question=nps]"))
    expect(page.locator("tbody[data-question-order] tr").first).to_have_attribute(
        "data-question", "csat"
    )
    assert _orders(page)[:3] == ["csat=1", "nps=2", "respect=3"]
    expect(page.locator("#order-status")).to_have_text("CSAT (1–5) moved to position 1 of 9.")
    expect(page.locator(".survey-previews h2")).to_have_text(
        "Preview of your changes (not saved yet)"
    )
    page.wait_for_function(
        "() => document.querySelector('.preview-phone').contentDocument"
        ".querySelector('fieldset').id === 'id_csat'"
    )

    # By keyboard: Alt+ArrowUp on the Comment's handle, four times; then Move down on NPS.
    handle = page.locator("tr[data-question=comment] [data-order-handle]")
    handle.focus()
    for _ in range(4):
        page.keyboard.press("Alt+ArrowUp")
    expect(handle).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Comment moved to position 3 of 9.")
    page.get_by_role("button", name="Move NPS (0–10) down").click()
    expect(page.locator("#order-status")).to_have_text("NPS (0–10) moved to position 3 of 9.")
    expect(page.get_by_role("button", name="Move NPS (0–10) down")).to_be_focused()
    expected = ["csat", "comment", "nps", "respect", "solutions", "simplicity", "responsibility"]
    assert _rows(page) == [*expected, "contact", "ces"]
    assert _orders(page) == [f"{key}={n}" for n, key in enumerate(_rows(page), start=1)]
    page.wait_for_function(
        "keys => { const form = document.querySelector('.preview-desktop')"
        ".contentDocument.querySelector('form');"
        " return form && Array.from(form.querySelectorAll('fieldset'))"
        ".map(f => f.id || f.querySelector('legend label').htmlFor).join() === keys; }",
        arg=",".join(f"id_{key}" for key in [*expected, "contact"]),
    )
    assert _preview_keys(page, ".preview-phone") == [*expected, "contact"]
    link.refresh_from_db()
    assert link.config == {}  # not saved yet

    page.get_by_role("button", name="Save the survey").click()
    expect(page.locator("#messages")).to_contain_text("Survey saved.")
    assert _rows(page) == [*expected, "contact", "ces"]
    page.goto(reverse("survey", kwargs={"token": link.token}))
    assert page.locator("form").evaluate(QUESTION_KEYS) == [*expected, "contact"]


def test_the_editor_fits_a_390_px_phone(page: Page, live_server, editor, link):
    """The questions' table scrolls inside its own box on a phone; the page does not (a
    fieldset's default min-width once stretched the page to the table's width)."""
    signed_in(page, live_server, editor.user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("feedback:survey_link_edit", kwargs={"ws": "acme", "pk": link.pk}))
    expect(page.locator("table.survey-questions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
