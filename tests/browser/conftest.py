"""Playwright (sync API) driving Debian's Chromium against pytest-django's ``live_server``.

Every page a test opens records the browser's console errors, uncaught exceptions and
Content-Security-Policy violations (``securitypolicyviolation`` events); any of them fails the test
at teardown. A test that fails leaves a screenshot in ``test-results/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Without the networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
# Generous for a 2-core machine running the suite; a passing test never waits this long.
TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# Playwright's sync API keeps an asyncio loop running in this thread while it is started, so
# Django would refuse ORM calls from the tests and fixtures ("SynchronousOnlyOperation"). They are
# plain synchronous code; the loop only ever runs Playwright's own I/O. Set for as long as
# Playwright runs, not for the whole suite, where the check should keep guarding real async code.
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


class _Launcher:
    """One Chromium per module, started on first use, so a test skipped by ``require_chromium``
    (Chromium missing, outside CI) never tries to launch it."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._saved_env: str | None = None

    def get(self, executable_path: str):
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._saved_env = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self._playwright = sync_playwright().start()
        if self._browser is None:
            self._browser = self._playwright.chromium.launch(
                executable_path=executable_path, args=CHROMIUM_ARGS, headless=True
            )
        return self._browser

    def close(self) -> None:
        if self._playwright is None:
            return
        try:
            if self._browser is not None:
                self._browser.close()
            self._playwright.stop()
        finally:
            if self._saved_env is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._saved_env


@pytest.fixture(scope="module")
def _chromium_launcher():
    # Module scope: the Playwright loop stays out of the rest of the suite (asyncio.run and
    # async_to_sync refuse to run inside a running loop).
    launcher = _Launcher()
    yield launcher
    launcher.close()


@pytest.fixture
def browser(require_chromium, _chromium_launcher):
    return _chromium_launcher.get(require_chromium)


@pytest.fixture
def console_errors() -> list[str]:
    return []


# Runs in every document before its own scripts (Playwright injects it past the page's CSP) and
# reports each violation to the test, including those of documents navigated away from since.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__motCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}:${event.columnNumber}` +
      (event.sample ? ` (${event.sample})` : "")
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(request, browser, live_server, console_errors, csp_violations):
    """A fresh browser context (no cookies) with a page whose base URL is the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding(
        "__motCspViolation",
        lambda source, text: csp_violations.append(f"{source['page'].url}: {text}"),
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: msg.type == "error" and console_errors.append(f"{page.url}: {msg.text}"),
    )
    page.on("pageerror", lambda exc: console_errors.append(f"{page.url}: uncaught {exc}"))
    yield page
    try:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            RESULTS_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
    finally:
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))
    if console_errors:
        pytest.fail("console errors in the browser:\n" + "\n".join(console_errors))


# Chromium logs every 4xx answer as a console error. A test that submits invalid input on purpose
# gets 422s (the form with its errors) and requests this fixture to accept exactly those lines.
EXPECTED_422 = re.compile(
    r"^\S+: Failed to load resource: the server responded with a status of 422 "
    r"\(Unprocessable Entity\)$"
)


@pytest.fixture
def allow_422_console_errors(page, console_errors):
    """Requested after ``page``, so its teardown runs first and drops only the 422 lines."""
    yield
    console_errors[:] = [line for line in console_errors if not EXPECTED_422.match(line)]


def signed_in(page, live_server, user) -> None:
    """Give the browser a session of ``user``, made on the server (the login form has its own
    test in test_demo_login.py)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="mot.auth.EmailOrUsernameBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def open_nav(page) -> None:
    """Open the header's folded navigation (a narrow screen); nothing to do on a wide one."""
    toggle = page.locator("[data-nav-toggle]")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
