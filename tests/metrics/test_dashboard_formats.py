"""The dashboard in the visitor's language: decimal marks on the page and in the charts, and
plotly's locale file for month names (the CSV: tests/mot/test_csvformat.py).

The numbers' formats come from Django's own format modules, which exist without MOT's catalogs:
these tests hold whatever the translators have done so far.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from metrics.dashboard.figures import trend_figure
from metrics.dashboard.recovery import recovery_figure
from metrics.models import MomentCounts, RecomputeRun, Scope
from mot.formats import PLOTLY_LOCALES, plotly_locale, plotly_separators
from tests.conftest import login
from tests.marked_language import browse_in
from tests.metrics.test_dashboard import URL, add_day, march, tps
from tests.metrics.test_views import answer_all

# Spanish groups thousands with a non-breaking space (Django's es format, after the RAE).
SEPARATORS = {"en": ".,", "pt-br": ",.", "pt-pt": ",.", "es": ",\xa0", "ro": ",."}
MARCH = {"period": "custom", "date_from": "2026-03-02", "date_to": "2026-03-31"}


def add_twelve_and_a_half(journey):
    """NPS 12.5 at Checkout in March: 10 promoters, 25 passives, 5 detractors."""
    t = tps(journey)
    add_day(t["Checkout"], date(2026, 3, 10), promoters=10, passives=25, detractors=5)
    return journey


@pytest.fixture
def twelve_and_a_half(journey):
    return add_twelve_and_a_half(journey)


def nps_tile(html: str) -> str:
    return html.split('id="kpi-nps"')[1].split("</div>")[0]


@pytest.mark.parametrize(("language", "shown"), [("en", "12.5"), ("pt-br", "12,5"), ("ro", "12,5")])
def test_the_dashboard_writes_numbers_with_the_languages_decimal_mark(
    client, settings, manager, twelve_and_a_half, language, shown
):
    login(browse_in(client, settings, language), manager)
    html = client.get(URL, MARCH).content.decode()
    assert f'<html lang="{language}"' in html
    tile = nps_tile(html)
    assert shown in tile
    assert ("12.5" if shown == "12,5" else "12,5") not in tile


@pytest.mark.parametrize(("language", "separators"), list(SEPARATORS.items()))
def test_figures_carry_the_languages_separators(twelve_and_a_half, language, separators):
    with translation.override(language):
        assert plotly_separators() == separators
        data = march(twelve_and_a_half, granularity="week")
        figure = trend_figure(data.trend)
        panel = recovery_figure(data.recovery) if data.recovery.rows else None
    assert figure["layout"]["separators"] == separators
    assert panel is None or panel["layout"]["separators"] == separators


def test_every_plotly_locale_is_a_vendored_file_registering_that_locale():
    for language, locale in PLOTLY_LOCALES.items():
        with translation.override(language):
            assert plotly_locale() == locale
        path = finders.find(f"vendor/plotly/plotly-locale-{locale.lower()}.js")
        assert path, locale
        with open(path, encoding="utf-8") as vendored:
            text = vendored.read()
        assert f'name:"{locale}"' in text  # the name config.locale asks for
        assert "http" not in text  # nothing in it reaches another host
    with translation.override("en"):
        assert plotly_locale() is None  # plotly's own


@pytest.mark.parametrize(("language", "locale"), [("pt-br", "pt-BR"), ("es", "es"), ("en", None)])
def test_the_dashboard_loads_its_languages_plotly_locale(
    client, settings, manager, twelve_and_a_half, language, locale
):
    login(browse_in(client, settings, language), manager)
    html = client.get(URL, MARCH).content.decode()
    if locale is None:
        assert "plotly-locale" not in html
        return
    tag = (
        f'<script src="/static/vendor/plotly/plotly-locale-{locale.lower()}.js" '
        f'data-plotly-locale="{locale}" defer></script>'
    )
    assert html.count(tag) == 1
    # After plotly.js itself (both deferred: they run in order), so the file registers at once.
    assert html.index("plotly-cartesian.min.js") < html.index(tag)


def test_the_page_costs_the_same_queries_in_every_language(
    client, settings, manager, twelve_and_a_half, django_assert_num_queries
):
    login(browse_in(client, settings, "en"), manager)
    client.get(URL, MARCH)  # session warm
    with CaptureQueriesContext(connection) as english:  # pinned by test_dashboard.py
        client.get(URL, MARCH)
    for language in ("pt-br", "ro"):
        browse_in(client, settings, language)
        with django_assert_num_queries(len(english.captured_queries)):
            assert client.get(URL, MARCH).status_code == 200


@pytest.mark.parametrize("language", ["en", "pt-br", "es", "ro"])
def test_the_last_computation_says_how_long_ago_in_the_language(
    client, settings, manager, journey, language
):
    finished = timezone.now() - timedelta(hours=3, minutes=5)
    RecomputeRun.objects.create(workspace_id=journey.workspace_id, finished_at=finished)
    login(browse_in(client, settings, language), manager)
    with translation.override(language):
        ago = naturaltime(finished)  # Django's own catalogs: "3 hours ago", "há 3 horas"…
        when = date_format(timezone.localtime(finished), "DATETIME_FORMAT")
    assert "3" in ago
    for url in (URL, "/w/acme/metrics/"):
        html = client.get(url).content.decode()
        assert f'<span class="ago">({escape(ago)})</span>' in html, url
        assert escape(when) in html, url


@pytest.mark.parametrize(("language", "mark"), [("en", "."), ("pt-pt", ","), ("es", ",")])
def test_the_metrics_page_writes_scores_with_the_languages_decimal_mark(
    client, settings, manager, journey, language, mark
):
    answer_all(journey, 40)
    row = MomentCounts.objects.get(scope=Scope.JOURNEY, key=str(journey.pk), day=None)
    login(browse_in(client, settings, language), manager)
    html = client.get("/w/acme/metrics/").content.decode()
    assert f"{row.nps:.1f}".replace(".", mark) in html
    assert f"± {row.nps_margin:.1f}".replace(".", mark) in html
