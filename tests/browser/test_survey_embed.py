"""A survey embedded on another site, in Chromium: a page served from a different origin (and
site: 127.0.0.1 against the live server's localhost) frames the survey with the Surveys page's
own embed snippet. Listed in the link's origins, the survey shows in the frame and takes an
answer posted from inside it (no CSRF cookie reaches a cross-site frame: SameSite); not listed,
Chromium refuses the frame (frame-ancestors) and nothing is stored. No other MOT page may be
framed by that site."""

from __future__ import annotations

import html
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from feedback.models import Response
from feedback.surveys.services import survey_link_configure, survey_link_create
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class OtherSite:
    """A tiny HTTP server on 127.0.0.1 serving the pages a test puts in ``pages``."""

    def __init__(self) -> None:
        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":  # asked by the browser; the shop has none
                    self.send_response(204)
                    self.end_headers()
                    return
                body = pages.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                content = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, path: str, body_html: str) -> str:
        self.pages[path] = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Shop</title></head><body><h1>Our shop</h1>{body_html}</body></html>"
        )
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_site():
    site = OtherSite()
    yield site
    site.close()


@pytest.fixture
def link(editor, journey):
    touchpoint = journey.touchpoints.order_by("pk").first()
    return survey_link_create(actor=editor, touchpoint=touchpoint)


# What Chromium logs in the embedding page when frame-ancestors refuses a frame: the refusal is
# what these tests expect, so the page fixture's teardown must not fail on exactly these lines.
REFUSED = re.compile(
    r"^\S+: Framing '[^']+' violates the following Content Security Policy directive: "
    r"\"frame-ancestors [^\"]+\"\. The request has been blocked\.\s*$"
)


@pytest.fixture
def refusals(page, console_errors):
    """The refused-frame console lines so far (a function), dropped from ``console_errors`` at
    teardown (requested after ``page``, so this teardown runs before the page's checks)."""
    yield lambda: [line for line in console_errors if REFUSED.match(line)]
    console_errors[:] = [line for line in console_errors if not REFUSED.match(line)]


def embed_snippet(page: Page, live_server, editor, link) -> str:
    """The snippet as the Surveys page offers it to copy."""
    signed_in(page, live_server, editor.user)
    page.goto(reverse("feedback:surveys", kwargs={"ws": "acme"}))
    snippet = page.locator(f"#embed-{link.pk}").input_value()
    assert snippet.startswith(f'<iframe src="{live_server.url}/s/{link.token}/"'), snippet
    page.context.clear_cookies()  # the customer on the shop's page is nobody signed in to MOT
    return snippet


def refused(frame_element) -> bool:
    """Whether Chromium refused to show the frame's document (its error page instead)."""
    frame = frame_element.element_handle().content_frame()
    return frame is not None and frame.url.startswith("chrome-error://")


def until_refused(page: Page, frame_element) -> None:
    """Wait (at most the browser tests' timeout) for Chromium to put its error page in place."""
    for _ in range(150):
        if refused(frame_element):
            return
        page.wait_for_timeout(100)


def test_a_listed_site_shows_the_survey_in_its_frame_and_the_answer_is_stored(
    page: Page, live_server, editor, link, other_site
):
    survey_link_configure(
        actor=editor,
        link=link,
        language="en",
        config={
            "title": {"en": "How was the shop?"},
            "thanks": {"en": "Thanks from the frame."},
            "questions": [{"key": "nps", "required": True}, {"key": "comment"}],
            "frame_origins": [other_site.origin],
        },
    )
    snippet = embed_snippet(page, live_server, editor, link)
    shop = other_site.page("/shop.html", snippet)

    page.goto(shop)
    assert page.evaluate("location.origin") == other_site.origin
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_have_text("How was the shop?")
    # Cross-site: the frame's post carries no CSRF cookie (SameSite=Lax), the Origin instead.
    frame.locator("#id_nps label").nth(9).click()
    frame.locator("textarea[name=comment]").fill("Answered inside the shop's page")
    with page.expect_request(
        lambda request: request.method == "POST" and f"/s/{link.token}/" in request.url
    ) as posted:
        frame.get_by_role("button", name="Send").click()
    headers = posted.value.all_headers()
    assert "csrftoken" not in headers.get("cookie", "")
    assert headers["origin"] == live_server.url

    expect(frame.get_by_text("Thanks from the frame.")).to_be_visible()
    assert page.evaluate("location.href") == shop  # the shop's page never left
    answer = Response.objects.get()
    assert answer.nps == 9
    assert answer.comment == "Answered inside the shop's page"
    assert answer.touchpoint_id == link.touchpoint_id


def test_a_site_not_listed_cannot_frame_the_survey_nor_any_other_mot_page(
    page: Page, live_server, editor, link, other_site, refusals
):
    survey_link_configure(
        actor=editor,
        link=link,
        language="en",
        config={
            "title": {"en": "How was the shop?"},
            "questions": [{"key": "nps", "required": True}],
            "frame_origins": ["https://shop.example"],  # not the other site
        },
    )
    snippet = embed_snippet(page, live_server, editor, link)
    login_url = live_server.url + reverse("login")
    shop = other_site.page(
        "/shop.html",
        snippet.replace("<iframe ", "<iframe id='survey' ")
        + f"<iframe id='login' src='{html.escape(login_url)}' title='Sign in'></iframe>",
    )

    page.goto(shop)

    survey_frame, login_frame = page.locator("#survey"), page.locator("#login")
    for frame_element in (survey_frame, login_frame):
        until_refused(page, frame_element)
    assert refused(survey_frame)
    assert refused(login_frame)
    # Chromium's error page in their place: none of MOT's content.
    assert page.frame_locator("#survey").get_by_text("How was the shop?").count() == 0
    assert page.frame_locator("#survey").locator("input[name=nps]").count() == 0
    assert page.frame_locator("#login").locator("input[type=password]").count() == 0
    lines = refusals()
    assert len(lines) == 2, lines
    assert any("frame-ancestors https://shop.example" in line for line in lines)
    assert any("frame-ancestors 'none'" in line for line in lines)
    assert not Response.objects.exists()
