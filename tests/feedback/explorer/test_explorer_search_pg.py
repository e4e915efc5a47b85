"""Full-text search of comments on PostgreSQL: stemming in the answer's own language, answers
without a language searched in all four, and the GIN index of migrations 0005 and 0009 in the
plan.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from feedback.explorer.selectors import ExplorerFilter, answer_page, answers
from feedback.models import Response, Source
from journeys.models import Touchpoint

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("require_postgres")]

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INDEX = "response_comment_search"
_ids = itertools.count()


@pytest.fixture
def tp(journey) -> Touchpoint:
    return journey.touchpoints.order_by("pk").first()


def add(tp: Touchpoint, comment: str, language: str) -> Response:
    return Response.objects.create(
        workspace_id=tp.journey.workspace_id,
        touchpoint=tp,
        source=Source.API,
        external_id=f"s{next(_ids)}",
        submitted_at=BASE,
        nps=5,
        comment=comment,
        language=language,
    )


def found(tp: Touchpoint, words: str) -> set[str]:
    qs = answers(workspace_id=tp.journey.workspace_id, filters=ExplorerFilter(q=words))
    return set(qs.values_list("comment", flat=True))


@pytest.mark.parametrize(
    ("language", "comment", "words"),
    [
        ("pt", "entrega atrasada", "entregas"),  # the example
        ("pt", "Os preços estão altos", "preço"),
        ("pt-BR", "A entrega atrasou", "entregas"),  # a regional tag reads as its language
        ("es", "El envío llegó tarde", "envíos"),
        ("es", "Los precios son altos", "precio"),
        ("ro", "Întârzierea livrării", "întârzierile"),
        ("ro", "Curierul a fost amabil", "curierii"),
        ("RO", "Comenzii mele lipsea un produs", "comenzile"),
        ("en", "The delivery was late", "deliveries"),
        ("en_GB", "Friendly people on the phone", "friend"),
    ],
)
def test_words_are_found_in_other_forms_of_the_answers_language(tp, language, comment, words):
    add(tp, comment, language)
    add(tp, "Tudo certo, obrigado", language)

    assert found(tp, words) == {comment}


def test_every_word_must_match(tp):
    add(tp, "entrega atrasada", "pt")

    assert found(tp, "entregas atrasadas") == {"entrega atrasada"}
    assert found(tp, "entregas rápidas") == set()


def test_a_word_does_not_match_through_another_languages_stemming(tp):
    # Portuguese stems "atendimento" to "atend", as Spanish stems "atendieron"; in Spanish the
    # word stays "atendiment". The Spanish answer must not match a search that only the
    # Portuguese stemmer would connect to it.
    spanish = add(tp, "Me atendieron muy bien", "es")
    portuguese = add(tp, "Bom atendimento na loja", "pt")

    assert found(tp, "atendimento") == {portuguese.comment}
    assert spanish.comment not in found(tp, "atendimento")
    assert found(tp, "atendieron") == {spanish.comment}


def test_answers_without_a_language_are_searched_in_all_four(tp):
    add(tp, "entrega atrasada", "")
    add(tp, "livrarea a întârziat", "")
    add(tp, "the deliveries were late", "")

    assert found(tp, "entregas") == {"entrega atrasada"}
    assert found(tp, "livrare") == {"livrarea a întârziat"}
    assert found(tp, "delivery") == {"the deliveries were late"}


def test_other_languages_use_simple_words_without_stemming(tp):
    add(tp, "Livraison rapide", "fr")

    assert found(tp, "livraison") == {"Livraison rapide"}
    assert found(tp, "LIVRAISON rapide") == {"Livraison rapide"}
    assert found(tp, "livraisons") == set()  # no French stemmer: only the word itself


def test_stop_words_alone_find_nothing_but_do_not_fail(tp):
    add(tp, "The delivery was late", "en")

    assert found(tp, "the") == set()
    assert found(tp, "the delivery") == {"The delivery was late"}


def test_search_is_scoped_to_the_workspace(tp, outsider):
    from journeys.services import journey_create, stage_create, touchpoint_create

    journey = journey_create(actor=outsider, name="Theirs")
    theirs = touchpoint_create(
        actor=outsider, stage=stage_create(actor=outsider, journey=journey, name="S"), title="T"
    )
    add(theirs, "entrega atrasada", "pt")

    assert found(tp, "entregas") == set()


# --- the index --------------------------------------------------------------------------------

WORDS = {
    "pt": ["entrega", "atrasada", "produto", "preço", "loja", "atendimento", "rápido", "caro"],
    "es": ["envío", "tarde", "producto", "precio", "tienda", "atención", "rápido", "caro"],
    "ro": ["livrare", "întârziere", "produs", "preț", "magazin", "curier", "rapid", "scump"],
    "en": ["delivery", "late", "product", "price", "store", "support", "fast", "expensive"],
    "": ["entrega", "envío", "livrare", "delivery", "late", "tarde", "produs", "price"],
}


@pytest.fixture
def corpus(tp):
    """5,000 answers in five language settings, with a rare word in 5 of them."""
    rng = random.Random(7)
    languages = list(WORDS)
    rows = []
    for i in range(5000):
        language = languages[i % len(languages)]
        words = rng.sample(WORDS[language], 4)
        if i % 1000 == 0:
            words.append("saudade")
        rows.append(
            Response(
                workspace_id=tp.journey.workspace_id,
                touchpoint=tp,
                source=Source.IMPORT,
                external_id=f"c{i}",
                submitted_at=BASE + timedelta(minutes=i),
                nps=i % 11,
                comment=" ".join(words),
                language=language,
            )
        )
    Response.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE feedback_response")
    return tp


def test_the_gin_index_exists_on_the_search_expression(corpus):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        (definition,) = cursor.fetchone()

    assert "USING gin" in definition
    assert "to_tsvector('portuguese'::regconfig, comment)" in definition
    # Answers without a comment have no entry: no import pays for them (migration 0009).
    assert definition.endswith("WHERE (comment <> ''::text)"), definition


def test_the_planner_uses_the_gin_index_for_a_rare_word(corpus):
    workspace_id = corpus.journey.workspace_id
    qs = answers(workspace_id=workspace_id, filters=ExplorerFilter(q="saudade"))

    count_plan = qs.explain()
    assert INDEX in count_plan, count_plan
    assert qs.count() == 5
    page = answer_page(queryset=qs, cursor=None)
    assert len(page.answers) == 5


def test_the_index_matches_the_query_expression_whatever_the_costs(corpus):
    """With sequential scans priced out, a plan on the index proves the expressions are equal:
    if they were not, PostgreSQL could not use the index at all and would still scan."""
    workspace_id = corpus.journey.workspace_id
    qs = answers(workspace_id=workspace_id, filters=ExplorerFilter(q="entregas atrasadas"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # the btree scans by date, too
        plan = qs.explain()

    assert f"Bitmap Index Scan on {INDEX}" in plan, plan
    assert (
        qs.count()
        == Response.objects.filter(comment__contains="entrega", language__in=["pt", ""])
        .filter(comment__contains="atrasada")
        .count()
    )
