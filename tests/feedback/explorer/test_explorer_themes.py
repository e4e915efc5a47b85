"""The explorer's theme filter: the answers whose comment contains a theme's stems, on SQLite
(the themes' own code) and on PostgreSQL (text search), which must agree on the corpus."""

from __future__ import annotations

import pytest

from feedback.explorer.selectors import ExplorerFilter, answers
from feedback.explorer.themes import tsquery_text, wanted_terms
from metrics.themes.models import WorkspaceTheme
from tests.metrics import themes_corpus


def _comments(workspace_id: int, theme: str, **extra) -> set[str]:
    found = answers(workspace_id=workspace_id, filters=ExplorerFilter(theme=theme, **extra))
    return set(found.values_list("comment", flat=True))


CASES = [
    # A ranked theme's pair: side by side only, any form, Portuguese answers only.
    (
        "pt:entreg atras",
        {
            "Entrega atrasada e ninguém me avisou.",
            "Entregas atrasadas outra vez, que chatice.",
            "Mais uma entrega atrasada, o preço é alto.",
            "O site é lento e a entrega atrasada.",
            "Entrega atrasada!",
        },
    ),
    ("es:agent", {c for c in themes_corpus.PAIN["es"] if "gente" in c}),
    # Plain words: stemmed in every language ("broken boxes" finds "broken box").
    ("broken boxes", {c for c in themes_corpus.PAIN["en"] if "roken box" in c}),
    ("ro:greșit", set(themes_corpus.PAIN["ro"])),
]


def _check(journey):
    themes_corpus.load(journey.touchpoints.first(), repeat=1)
    ws = journey.workspace_id
    for key, expected in CASES:
        assert _comments(ws, key) == expected, key
    theme = WorkspaceTheme.objects.create(
        workspace_id=ws, name="Delivery", keywords={"pt": "entregas", "en": "website"}
    )
    assert _comments(ws, theme.key) == {
        *(c for c in themes_corpus.PAIN["pt"] if "ntrega" in c),
        *(c for c in [*themes_corpus.PAIN["en"], *themes_corpus.REST["en"]] if "ebsite" in c),
    }
    assert _comments(ws, theme.key, experience="pain") <= set(themes_corpus.PAIN["pt"]) | set(
        themes_corpus.PAIN["en"]
    )
    assert _comments(ws, "#999999") == set()  # no such theme here
    assert _comments(ws, "the of") == set()  # stop words only: nothing asked, nothing found


@pytest.mark.django_db
def test_theme_filter_on_sqlite_matches_the_stems(journey):
    _check(journey)


@pytest.mark.postgres
@pytest.mark.usefixtures("require_postgres")
def test_theme_filter_on_postgresql_matches_the_same_answers(journey):
    _check(journey)


def test_another_workspaces_theme_is_nothing(db, workspace, other_workspace):
    theme = WorkspaceTheme.objects.create(
        workspace=other_workspace, name="X", keywords={"en": "a b"}
    )
    assert wanted_terms(theme.key, workspace_id=workspace.pk) == []


def test_romanian_lexemes_are_asked_for_in_both_spellings():
    assert tsquery_text(frozenset({"greșit"}), "ro") == "(('greșit' | 'greşit'))"


def test_lexemes_are_quoted_as_they_are():
    assert (
        tsquery_text(frozenset({"entreg atras", "didn't"}))
        == "('didn''t') | ('entreg' <-> 'atras')"
    )
