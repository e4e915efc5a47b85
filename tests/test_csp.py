"""The Content-Security-Policy (django-csp, mot/settings.py): every kind of response carries it, and
what it allows is only this origin, with no inline or evaluated script anywhere. The templates and
scripts hold nothing the policy would refuse (inline handlers, hx-on, style attributes, inline
<style>/<script>, htmx trigger filters), so a new one fails here before it fails in a browser.
tests/browser/test_csp.py uses the pages in Chromium under the policy."""

from __future__ import annotations

import importlib.util
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from feedback.models import SurveyLink
from feedback.tokens.services import api_token_create
from journeys.models import Touchpoint
from mot.urls import urlpatterns as mot_urlpatterns
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Content-Security-Policy"

# The hash of "" by another hand than settings.py's, so the hashing itself is checked once.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# This module is also the URLconf of the 500 test: MOT's URLs plus one view that fails.
urlpatterns = [*mot_urlpatterns, path("csp-test-boom/", _boom)]


def directives(response) -> dict[str, list[str]]:
    assert HEADER in response, f"{response.status_code} {response.get('Content-Type')}: no CSP"
    policy = {}
    for part in response[HEADER].split(";"):
        name, *sources = part.split()
        assert name not in policy, f"{name} twice"
        policy[name] = sources
    return policy


def assert_policy(response) -> None:
    policy = directives(response)
    header = response[HEADER]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert "http:" not in header
    assert "https:" not in header
    assert "*" not in header
    assert policy["default-src"] == ["'self'"]
    nonce = re.compile(r"^'nonce-[A-Za-z0-9+/=]+'$")
    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'"
        assert all(nonce.match(source) for source in policy[directive][1:]), policy[directive]
    # Style attributes: only plotly's fixed values, by hash (see test_plotly_style_attributes…).
    assert policy["style-src-attr"] == ["'unsafe-hashes'", *settings.STYLE_ATTRIBUTE_HASHES]
    assert EMPTY_STYLE_HASH in policy["style-src-attr"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "script-src-attr" not in policy
    assert "script-src-elem" not in policy
    assert "style-src-elem" not in policy


def ws_url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"ws": "acme", **kwargs})


# --- Every kind of response ----------------------------------------------------------------


def test_pages_partials_and_redirects_carry_the_policy(client, editor, journey):
    anonymous = Client()
    assert_policy(anonymous.get(reverse("login")))  # a page for anyone
    redirect = anonymous.get(ws_url("journeys:list"))
    assert redirect.status_code == 302
    assert_policy(redirect)
    assert_policy(anonymous.get(reverse("healthz")))

    login(client, editor)
    page = client.get(ws_url("journeys:list"))
    assert page.status_code == 200
    assert_policy(page)
    partial = client.get(ws_url("journeys:rename", pk=journey.pk), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert_policy(partial)
    assert_policy(client.get(ws_url("journeys:map", pk=journey.pk)))
    assert_policy(client.get(ws_url("metrics:dashboard")))
    assert_policy(client.get(ws_url("journeys:owners")))


def test_a_refused_form_answer_carries_the_policy(client, editor, journey):
    login(client, editor)
    refused = client.post(
        ws_url("journeys:rename", pk=journey.pk), {"name": "  "}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422
    assert_policy(refused)


def test_public_survey_pages_carry_the_policy(db, journey):
    link = SurveyLink.objects.create(touchpoint=Touchpoint.objects.filter(journey=journey).first())
    anonymous = Client()
    survey = anonymous.get(reverse("survey", kwargs={"token": link.token}))
    assert survey.status_code == 200
    assert_policy(survey)
    assert_policy(anonymous.get(reverse("survey_thanks", kwargs={"token": link.token})))
    assert_policy(anonymous.get(reverse("survey", kwargs={"token": "no-such-link"})))


def test_the_api_and_its_docs_carry_the_policy(db, admin):
    anonymous = Client()
    docs = anonymous.get("/api/v1/docs")
    assert docs.status_code == 200
    assert_policy(docs)
    assert_policy(anonymous.get("/api/v1/openapi.json"))
    assert_policy(anonymous.get("/api/v1/responses"))  # 401 without a token
    raw = api_token_create(actor=admin, name="csp")[1]
    listed = anonymous.get("/api/v1/responses", headers={"Authorization": f"Bearer {raw}"})
    assert listed.status_code == 200
    assert_policy(listed)


def test_error_pages_carry_the_policy(client, staff, journey):
    login(client, staff)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_policy(not_found)
    forbidden = client.get(ws_url("journeys:new"))
    assert forbidden.status_code == 403
    assert_policy(forbidden)

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_failure = csrf_client.post(reverse("login"), {"username": "x", "password": "y"})
    assert csrf_failure.status_code == 403
    assert_policy(csrf_failure)
    # MOT's own page, not Django's built-in one (which styles itself with an inline <style>).
    assert "<style" not in csrf_failure.content.decode()
    assert "Form expired" in csrf_failure.content.decode()


@pytest.mark.urls("tests.test_csp")
def test_the_server_error_page_carries_the_policy(db):
    failing = Client(raise_request_exception=False)
    response = failing.get("/csp-test-boom/")
    assert response.status_code == 500
    assert_policy(response)


def test_static_files_carry_the_policy(settings):
    # WhiteNoise answers these itself, above the views; here from the finders (no collectstatic).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/mot.js")
    assert response.status_code == 200
    assert_policy(response)


# --- Nothing in the templates and scripts that the policy refuses ----------------------------

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static/js").rglob("*.js"))
REFUSED_MARKUP = {
    "an hx-on handler (evaluated code)": re.compile(r"\b(?:data-)?hx-on", re.I),
    "an inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "an inline <style>": re.compile(r"<style\b", re.I),
    "an htmx trigger filter (evaluated code)": re.compile(r"hx-trigger=[\"'][^\"']*\[", re.I),
    "an evaluated hx-vals/hx-vars": re.compile(r"hx-vars|hx-vals=[\"']\s*(?:js|javascript):", re.I),
}
# An executable <script> must load its code from a file (src=); data blocks are not executed.
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def test_the_template_and_script_lists_are_not_empty():
    assert len(TEMPLATES) > 20
    assert {p.name for p in SCRIPTS} >= {"mot.js", "map.js", "dashboard.js"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_nothing_the_policy_refuses(template):
    text = template.read_text(encoding="utf-8")
    for what, pattern in REFUSED_MARKUP.items():
        match = pattern.search(text)
        assert match is None, f"{what}: {match.group(0)[:80]!r}"
    for attributes in SCRIPT_TAG.findall(text):
        assert re.search(r"\bsrc=", attributes) or 'type="application/json"' in attributes, (
            f"an inline <script{attributes}>: move its code to static/js/"
        )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_evaluate_no_strings_and_set_no_style_attributes(script):
    text = script.read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(|\bFunction\s*\(", text)
    assert not re.search(r"set(?:Timeout|Interval)\s*\(\s*[\"'`]", text)
    assert not re.search(r"setAttribute\(\s*[\"']style", text)


def test_htmx_runs_no_evaluated_code_and_injects_no_styles(client, editor):
    login(client, editor)
    page = client.get(ws_url("journeys:list")).content.decode()
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    config = json.loads(unescape(meta.group(1)))

    assert config["allowEval"] is False  # hx-on, trigger filters and js: values refuse to run
    assert config["includeIndicatorStyles"] is False  # no <style> injected into <head>
    # Settling copies attributes with setAttribute: a style attribute would be an inline style.
    assert "style" not in config["attributesToSettle"]


# --- plotly.js's stylesheet, loaded as a file ---------------------------------------------


def test_plotly_css_holds_the_bundles_own_rules():
    spec = importlib.util.spec_from_file_location("plotly_css", ROOT / "scripts/plotly_css.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bundle = (ROOT / "static/vendor/plotly/plotly-cartesian.min.js").read_text(encoding="utf-8")

    rules = module.rules(bundle)
    assert len(rules) > 50
    assert (".js-plotly-plot .plotly .modebar", "position:absolute;top:2px;right:2px;") in rules
    expected = module.stylesheet(bundle)
    assert (ROOT / "static/vendor/plotly/plotly.css").read_text(encoding="utf-8") == expected, (
        "run: python scripts/plotly_css.py > static/vendor/plotly/plotly.css"
    )


def test_plotly_style_attributes_are_the_bundles_tag_styles():
    """plotly.js writes its text markup (<b>, <i>, <sup>…) as tspans with a fixed style per tag,
    and an empty style on colorbars; the policy allows exactly those values. A plotly update that
    changes them fails here rather than as violations on the dashboard."""
    bundle = (ROOT / "static/vendor/plotly/plotly-cartesian.min.js").read_text(encoding="utf-8")
    tag_map = re.search(r'\{sup:"font-size:70%"[^}]*\}', bundle)
    assert tag_map, "plotly's tag styles not found in the bundle"
    tag_styles = dict(re.findall(r'(\w+):"([^"]*)"', tag_map.group(0)))
    assert {"b", "i", "sup", "sub", "a", "span"} <= tag_styles.keys()

    assert set(settings.PLOTLY_STYLE_ATTRIBUTES) == {"", *tag_styles.values()}
    assert len(settings.STYLE_ATTRIBUTE_HASHES) == len(settings.PLOTLY_STYLE_ATTRIBUTES)


def test_the_dashboard_loads_plotly_css_in_place_of_plotlys_injected_style(client, manager):
    login(client, manager)
    page = client.get(ws_url("metrics:dashboard")).content.decode()
    # plotly.js skips its <style> when this element exists and has this class.
    assert re.search(
        r'<link rel="stylesheet" href="[^"]*vendor/plotly/plotly\.css" '
        r'id="plotly\.js-style-global" class="no-inline-styles">',
        page,
    )
