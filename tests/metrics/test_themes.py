"""Comment themes: terms, ranking on a corpus whose themes are known, storage and the job."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from feedback.models import Response, Source
from metrics.read.dashboard import Period
from metrics.themes import engine
from metrics.themes.models import ThemeCounts, ThemeRun, ThemeTerm, WorkspaceTheme
from metrics.themes.rank import log_odds, themes
from metrics.themes.read import Scope, theme_report, theme_trend
from metrics.themes.stopwords import BY_LANGUAGE
from metrics.themes.text import keyword_stems, language_of, terms, tokens
from tests.metrics import themes_corpus


def test_terms_are_stems_and_pairs_without_stop_words():
    found = dict(terms("pt", "Entrega atrasada e ninguém me avisou."))
    assert found == {
        "entreg": "entrega",
        "entreg atras": "entrega atrasada",
        "atras": "atrasada",
        "avis": "avisou",
    }


def test_stemming_groups_forms_in_each_language():
    assert {t for t, _ in terms("pt", "entregas atrasadas")} == {
        t for t, _ in terms("pt", "entrega atrasada")
    }
    assert {t for t, _ in terms("es", "agentes groseros")} == {
        t for t, _ in terms("es", "agente grosero")
    }
    assert {t for t, _ in terms("ro", "facturile greșite")} == {
        t for t, _ in terms("ro", "facturi greșită")
    }
    assert {t for t, _ in terms("en", "broken boxes")} == {t for t, _ in terms("en", "broken box")}


def test_romanian_cedilla_letters_read_as_comma_below():
    assert terms("ro", "greşită") == terms("ro", "greșită")


def test_stop_words_are_never_terms():
    for language, words in BY_LANGUAGE.items():
        text = " ".join(words.split())
        assert terms(language, text) == (), language


def test_a_pair_needs_two_consecutive_words():
    keys = {t for t, _ in terms("en", "box was broken")}
    assert "box broken" not in keys  # "was" sits between them
    assert keys == {"box", "broken"}


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("pt", "pt"),
        ("pt-BR", "pt"),
        ("PT_br", "pt"),
        ("por", "pt"),
        ("es-ES", "es"),
        ("ro", "ro"),
        ("rum", "ro"),
        ("en-GB", "en"),
        ("fr", ""),
        ("", ""),
    ],
)
def test_language_of_reads_the_primary_subtag(code, language):
    assert language_of(code) == language


def test_tokens_drop_digits_and_single_letters():
    assert tokens("I waited 3 days, didn't I?") == ["waited", "days", "didn't"]


def test_keywords_match_on_stems():
    assert keyword_stems("pt", "entregas, atraso na entrega") == frozenset(
        {"entreg", "atras entreg"}
    )


def test_log_odds_by_hand():
    pain, rest = {"a": 8, "b": 2}, {"a": 2, "b": 8}
    got = log_odds(pain, rest, prior_weight=20)
    # a(w) = 20 * 10 / 20 = 10 for both; n_p = n_r = 10.
    delta = math.log((8 + 10) / (10 + 20 - 8 - 10)) - math.log((2 + 10) / (10 + 20 - 2 - 10))
    z = delta / math.sqrt(1 / 18 + 1 / 12)
    assert got["a"].z == pytest.approx(z)
    assert got["b"].z == pytest.approx(-z)


def test_themes_need_a_count_and_a_z():
    pain = {"late": 30, "rare": 4, "price": 10}
    rest = {"late": 2, "rare": 0, "price": 40}
    names = [s.term for s in themes(pain, rest)]
    assert names == ["late"]  # "rare" is under MIN_COUNT, "price" is not over-represented


def _report(workspace_id, **scope):
    return theme_report(workspace_id=workspace_id, scope=Scope(**scope), period=Period())


@pytest.mark.django_db
def test_known_themes_rank_first_in_each_language(journey):
    tp = journey.touchpoints.first()
    themes_corpus.load(tp)
    engine.recompute_themes(journey.workspace_id, full=True)
    report = _report(journey.workspace_id)
    first = {}
    for theme in report.themes:
        first.setdefault(theme.language, theme)
    assert first["pt"].label == "entrega atrasada"
    assert first["es"].label == "agente grosero"
    assert first["ro"].label == "factură greșită"
    assert first["en"].label == "broken box"
    pt = first["pt"]
    assert pt.pain == 15  # 5 of the 6 comments say it in two words
    assert pt.pain_comments == 18
    assert pt.share == pytest.approx(100 * 15 / 18)
    assert len(pt.examples) == 3
    assert all("atrasad" in e.comment.lower() for e in pt.examples)
    labels = {t.label for t in report.themes}
    # Neutral words (in pain and other comments alike) are no themes, nor are stop words.
    assert not labels & {"preço", "precio", "price", "site", "website", "ninguém", "the"}


@pytest.mark.django_db
def test_workspace_themes_are_counted_exactly(journey):
    tp = journey.touchpoints.first()
    themes_corpus.load(tp)
    theme = WorkspaceTheme.objects.create(
        workspace_id=journey.workspace_id,
        name="Delivery",
        keywords={"pt": "entregas", "en": "box, website"},
    )
    engine.recompute_themes(journey.workspace_id, full=True)
    (own,) = _report(journey.workspace_id).workspace_themes
    # Three times: pt, the pain comments with entrega(s); en, those with box(es) or website.
    pain_pt = sum("entreg" in t.lower() for t in themes_corpus.PAIN["pt"])
    pain_en = sum(("box" in t.lower() or "website" in t.lower()) for t in themes_corpus.PAIN["en"])
    rest_en = sum("website" in t.lower() for t in themes_corpus.REST["en"]) * 2  # twice each
    assert (own.term, own.label) == (theme.key, "Delivery")
    assert own.pain == 3 * (pain_pt + pain_en)
    assert own.rest == 3 * rest_en
    assert own.pain_comments == 3 * (6 + 6)


@pytest.mark.django_db
def test_incremental_run_equals_full_run(journey):
    tp = journey.touchpoints.first()
    ws = journey.workspace_id
    # Five times: every word of the corpus is in the vocabulary from the first run on (a term
    # new to it reaches earlier weeks at the next full run only, see metrics.themes).
    themes_corpus.load(tp, repeat=5)
    engine.recompute_themes(ws, full=True)
    # The first answers came an hour ago and were seen by the full run half an hour ago.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Response.objects.filter(workspace_id=ws).update(created_at=an_hour_ago)
    ThemeRun.objects.filter(workspace_id=ws).update(seen_until=an_hour_ago + timedelta(minutes=30))
    later = themes_corpus.START + timedelta(days=21)
    themes_corpus.load(tp, start=later, prefix="late")
    assert engine.new_weeks(ws, an_hour_ago + timedelta(minutes=20)) == {
        engine.week_of(later.date())
    }
    engine.recompute_themes(ws)
    incremental = _snapshot(ws)
    engine.recompute_themes(ws)  # nothing new: nothing changes
    assert _snapshot(ws) == incremental
    engine.recompute_themes(ws, full=True)
    assert _snapshot(ws) == incremental
    weeks = {row[1] for row in incremental[0]}
    assert engine.week_of(later.date()) in weeks


@pytest.mark.django_db
def test_a_full_run_rewrites_only_the_rows_that_changed(journey):
    tp = journey.touchpoints.first()
    ws = journey.workspace_id
    themes_corpus.load(tp, repeat=3)
    engine.recompute_themes(ws, full=True)
    before = dict(ThemeCounts.objects.filter(workspace_id=ws).values_list("pk", "week"))
    # One week's comments gone, one more answer: its week's rows change, the others stay.
    first = Response.objects.filter(workspace_id=ws).exclude(comment="").earliest("submitted_at")
    week = engine.week_of(first.submitted_at.date())
    Response.objects.filter(pk=first.pk).delete()
    engine.recompute_themes(ws, full=True)
    merged = _snapshot(ws)
    after = dict(ThemeCounts.objects.filter(workspace_id=ws).values_list("pk", "week"))
    assert {pk for pk, w in before.items() if w != week} <= set(after)  # kept, not rewritten
    assert any(pk not in after for pk, w in before.items() if w == week)
    ThemeCounts.objects.filter(workspace_id=ws).delete()
    engine.recompute_themes(ws, full=True)  # from nothing
    assert _snapshot(ws) == merged


@pytest.mark.django_db
def test_window_recompute_is_idempotent(journey):
    ws = journey.workspace_id
    themes_corpus.load(journey.touchpoints.first())
    engine.recompute_themes(ws, full=True)
    before = _snapshot(ws)
    ThemeRun.objects.filter(workspace_id=ws).update(seen_until=datetime(2000, 1, 1, tzinfo=UTC))
    engine.recompute_themes(ws)  # every week again, as a window
    assert _snapshot(ws) == before


def _snapshot(ws):
    rows = sorted(
        ThemeCounts.objects.filter(workspace_id=ws).values_list(
            "touchpoint_id", "week", "language", "term", "pain", "rest", "examples"
        )
    )
    vocab = sorted(
        ThemeTerm.objects.filter(workspace_id=ws).values_list("language", "term", "label")
    )
    return rows, vocab


@pytest.mark.django_db
def test_unknown_languages_are_skipped(journey):
    tp = journey.touchpoints.first()
    Response.objects.create(
        workspace_id=journey.workspace_id,
        touchpoint=tp,
        source=Source.API,
        external_id="fr",
        submitted_at=themes_corpus.START,
        nps=1,
        comment="Livraison en retard",
        language="fr",
    )
    engine.recompute_themes(journey.workspace_id, full=True)
    assert not ThemeCounts.objects.filter(workspace_id=journey.workspace_id).exists()


@pytest.mark.django_db
def test_trend_is_the_weekly_share(journey):
    tp = journey.touchpoints.first()
    themes_corpus.load(tp, repeat=1)
    themes_corpus.load(tp, repeat=1, start=themes_corpus.START + timedelta(days=7), prefix="w2")
    engine.recompute_themes(journey.workspace_id, full=True)
    points = theme_trend(
        workspace_id=journey.workspace_id,
        scope=Scope(),
        period=Period(),
        language="pt",
        term="entreg atras",
    )
    assert [p.week for p in points] == [date(2026, 3, 2), date(2026, 3, 9)]
    assert [p.pain for p in points] == [5, 5]  # of 6 pain comments in Portuguese each week
    assert [p.share for p in points] == pytest.approx([500 / 6, 500 / 6])
