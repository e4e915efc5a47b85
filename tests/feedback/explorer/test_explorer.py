"""The feedback explorer: who reads and exports answers, every filter, keyset pages, the CSV.

Runs on SQLite and PostgreSQL; the language-aware search has its own PostgreSQL tests
(test_explorer_search_pg.py). Here, search is only checked where both backends agree, plus the
SQLite fallback on SQLite.
"""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from feedback.explorer import selectors as explorer
from feedback.models import Customer, Response, Source
from journeys.models import Journey, Touchpoint
from journeys.services import journey_create, stage_create, touchpoint_create
from tests.conftest import login
from tests.expectations import ALL, EXPORTERS, MAP_EDITORS

HTMX = {"HX-Request": "true"}
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# session, user, membership (+ workspace), the touchpoints for the filter choices (+ journey,
# stage), the count of matching answers, the page's rows (+ touchpoint, journey, stage, customer)
LIST_QUERIES = 6
_ids = itertools.count()


def url(name: str, ws: str = "acme") -> str:
    return reverse(f"explorer:{name}", kwargs={"ws": ws})


def answer(tp: Touchpoint, *, at: datetime = BASE, **fields) -> Response:
    if "nps" not in fields and "csat" not in fields:
        fields["nps"] = 9
    customer = fields.pop("customer", None)
    if isinstance(customer, str):
        customer, _ = Customer.objects.get_or_create(
            workspace_id=tp.journey.workspace_id, external_id=customer
        )
    return Response.objects.create(
        workspace_id=tp.journey.workspace_id,
        touchpoint=tp,
        customer=customer,
        source=fields.pop("source", Source.API),
        external_id=f"a{next(_ids)}",
        submitted_at=at,
        **fields,
    )


def many(tp: Touchpoint, n: int, *, at: datetime = BASE, step: timedelta = timedelta(minutes=1)):
    """n answers in one statement, newest last; ``step=0`` gives them all the same time."""
    return Response.objects.bulk_create(
        Response(
            workspace_id=tp.journey.workspace_id,
            touchpoint=tp,
            source=Source.IMPORT,
            external_id=f"m{next(_ids)}",
            submitted_at=at + step * i,
            nps=i % 11,
            comment=f"comment {i}",
        )
        for i in range(n)
    )


def listed(client, query: str = "", **headers) -> list[int]:
    response = client.get(url("list") + query, headers=headers)
    assert response.status_code == 200
    return [a.pk for a in response.context["page"].answers]


def export_rows(client, query: str = "") -> list[list[str]]:
    response = client.get(url("export") + query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


@pytest.fixture
def tps(journey) -> dict[str, Touchpoint]:
    return {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}


@pytest.fixture
def theirs(outsider) -> Touchpoint:
    journey = journey_create(actor=outsider, name="Globex map")
    stage = stage_create(actor=outsider, journey=journey, name="Only")
    return touchpoint_create(actor=outsider, stage=stage, title="Globex secret")


# --- who ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ALL))
def test_every_role_reads_the_answers(client, personas, tps, role):
    answer(tps["Reviews"], comment="Great reviews")
    login(client, personas[role])

    response = client.get(url("list"))

    assert response.status_code == 200
    assert "Great reviews" in response.content.decode()
    # The way to the import pages is shown to the roles that may import (editors and admins).
    assert ("/w/acme/imports/" in response.content.decode()) == (role in MAP_EDITORS)


@pytest.mark.parametrize("role", sorted(ALL))
def test_export_follows_the_policy(client, personas, tps, role):
    answer(tps["Reviews"], comment="Great reviews")
    login(client, personas[role])

    response = client.get(url("export"))
    page = client.get(url("list")).content.decode()

    assert response.status_code == (200 if role in EXPORTERS else 403)
    assert (url("export") in page) == (role in EXPORTERS)


@pytest.mark.parametrize("name", ["list", "export"])
def test_outsider_gets_404(client, outsider, tps, name):
    answer(tps["Reviews"])
    login(client, outsider)

    assert client.get(url(name)).status_code == 404


@pytest.mark.parametrize("name", ["list", "export"])
def test_anonymous_user_is_sent_to_sign_in(client, tps, name):
    response = client.get(url(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", ["list", "export"])
def test_post_is_refused(client, admin, name):
    login(client, admin)

    assert client.post(url(name)).status_code == 405


def test_the_explorer_links_from_the_main_navigation(client, staff, journey):
    login(client, staff)

    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()

    nav = re.search(r"<nav aria-label=\"Main\">(.*?)</nav>", page, re.S).group(1)
    assert f'href="{url("list")}">Answers</a>' in nav


def test_another_workspaces_answers_are_never_listed_or_exported(client, admin, tps, theirs):
    answer(tps["Reviews"], comment="ours")
    answer(theirs, comment="Globex private words")
    login(client, admin)

    page = client.get(url("list")).content.decode()
    rows = export_rows(client)

    assert "ours" in page
    assert "Globex" not in page
    assert [r[13] for r in rows[1:]] == ["ours"]


# --- rows -----------------------------------------------------------------------------------------


def test_a_row_shows_where_what_and_who(client, staff, tps, journey):
    tp = tps["Product page"]
    answer(tp, nps=3, csat=2, comment="Too slow", customer="CUST-42", language="en")
    login(client, staff)

    html = client.get(url("list")).content.decode()

    map_url = reverse("journeys:map", kwargs={"ws": "acme", "pk": journey.pk})
    assert f'href="{map_url}#tp-{tp.pk}">Product page</a>' in html
    assert "Online shop \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} Buy" in html
    assert '<span class="mot-badge mot-fmot">FMOT</span>' in html
    assert re.search(r'<span class="xp xp-pain">.*Pain</span>', html)  # text, not colour alone
    assert "Too slow" in html
    assert "CUST-42" in html
    assert "API" in html  # the source's label
    assert "1 answer" in html


def test_experience_badges_name_glory_neutral_and_pain(client, staff, tps):
    for nps in (10, 7, 0):
        answer(tps["Reviews"], nps=nps)
    login(client, staff)

    html = client.get(url("list")).content.decode()

    for name in ("Glory", "Neutral", "Pain"):
        assert re.search(rf'<span class="xp xp-{name.lower()}">.*{name}</span>', html)


def test_long_comments_are_truncated_with_the_full_text_at_hand(client, staff, tps):
    long = "word " * 100 + "THE-END"
    answer(tps["Reviews"], comment=long)
    login(client, staff)

    html = client.get(url("list")).content.decode()

    summary = re.search(r"<summary>(.*?)</summary>", html, re.S).group(1)
    assert summary.endswith("…")
    assert "THE-END" not in summary
    assert "THE-END" in html


def test_user_text_is_escaped(client, staff, editor):
    journey = journey_create(actor=editor, name=SCRIPT)
    tp = touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=journey, name=SCRIPT), title=SCRIPT
    )
    answer(tp, comment=SCRIPT, customer=SCRIPT, language="en")
    login(client, staff)

    full = client.get(url("list")).content.decode()
    partial = client.get(url("list"), headers=HTMX).content.decode()

    assert full.count(ESCAPED) >= 5  # journey, stage, touchpoint, comment, customer (+ choices)
    assert SCRIPT not in full + partial


def test_the_count_is_grouped_in_thousands(client, staff, tps):
    many(tps["Reviews"], 1001)
    login(client, staff)

    assert "1,001 answers" in client.get(url("list")).content.decode()


def test_empty_workspace_and_empty_filter_say_so(client, staff, tps):
    login(client, staff)
    assert "No answers yet." in client.get(url("list")).content.decode()

    answer(tps["Reviews"], nps=10)
    html = client.get(url("list") + "?experience=pain").content.decode()
    assert "No answer matches these filters." in html
    assert "0 answers" in html


# --- filters --------------------------------------------------------------------------------------


@pytest.fixture
def spread(tps, editor):
    """One answer per interesting case, by name."""
    other = Journey.objects.create(workspace=editor.workspace, name="Other")
    else_tp = touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=other, name="S"), title="Else"
    )
    return {
        "reviews_glory": answer(tps["Reviews"], nps=10, comment="Loved the reviews"),
        "product_pain": answer(tps["Product page"], nps=2, at=BASE + timedelta(days=1)),
        "checkout_csat": answer(
            tps["Checkout"], csat=3, at=BASE + timedelta(days=2), customer="C-1", language="pt"
        ),
        "else_neutral": answer(
            else_tp, nps=8, at=BASE + timedelta(days=3), source=Source.SURVEY_LINK, language="ro"
        ),
    }


def ids(*answers: Response) -> list[int]:
    return sorted(a.pk for a in answers)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?mot_stage=zmot", ["reviews_glory"]),
        ("?mot_stage=fmot", ["product_pain"]),
        ("?mot_stage=none", ["checkout_csat", "else_neutral"]),
        ("?experience=glory", ["reviews_glory"]),
        ("?experience=neutral", ["checkout_csat", "else_neutral"]),
        ("?experience=pain", ["product_pain"]),
        ("?nps_min=8", ["reviews_glory", "else_neutral"]),
        ("?nps_max=8", ["product_pain", "else_neutral"]),
        ("?nps_min=3&nps_max=9", ["else_neutral"]),
        ("?csat_min=3&csat_max=3", ["checkout_csat"]),
        ("?csat_min=4", []),
        ("?date_from=2026-03-02", ["product_pain", "checkout_csat", "else_neutral"]),
        ("?date_to=2026-03-02", ["reviews_glory", "product_pain"]),
        ("?date_from=2026-03-02&date_to=2026-03-03", ["product_pain", "checkout_csat"]),
        ("?has_comment=on", ["reviews_glory"]),
        ("?customer=C-1", ["checkout_csat"]),
        ("?customer=C-", []),  # exact, not a prefix
        ("?source=survey_link", ["else_neutral"]),
        ("?source=api", ["reviews_glory", "product_pain", "checkout_csat"]),
        ("?language=PT", ["checkout_csat"]),
        ("?language=ro", ["else_neutral"]),
        ("?q=reviews", ["reviews_glory"]),
        ("?experience=neutral&language=ro", ["else_neutral"]),
    ],
)
def test_each_filter(client, staff, spread, query, expected):
    login(client, staff)

    assert sorted(listed(client, query)) == ids(*(spread[name] for name in expected))


def test_journey_stage_and_touchpoint_filters(client, staff, spread, tps, journey):
    login(client, staff)
    buy = tps["Checkout"].stage

    assert sorted(listed(client, f"?journey={journey.pk}")) == ids(
        spread["reviews_glory"], spread["product_pain"], spread["checkout_csat"]
    )
    assert sorted(listed(client, f"?stage={buy.pk}")) == ids(
        spread["product_pain"], spread["checkout_csat"]
    )
    assert listed(client, f"?touchpoint={tps['Reviews'].pk}") == [spread["reviews_glory"].pk]


def test_the_date_range_is_read_in_the_time_zone(client, staff, tps, settings):
    settings.TIME_ZONE = "America/Sao_Paulo"  # UTC-3
    late = answer(tps["Reviews"], at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC))  # 1 March, 22:30
    login(client, staff)

    assert listed(client, "?date_to=2026-03-01") == [late.pk]
    assert listed(client, "?date_from=2026-03-02") == []


def test_the_filter_choices_are_the_workspaces_own(client, staff, tps, theirs):
    login(client, staff)

    form = client.get(url("list")).context["form"]

    touchpoints = [
        pk for _group, choices in form.fields["touchpoint"].choices[1:] for pk, _ in choices
    ]
    assert sorted(touchpoints) == sorted(tp.pk for tp in tps.values())
    assert theirs.journey_id not in dict(form.fields["journey"].choices)
    assert theirs.stage_id not in dict(form.fields["stage"].choices)


@pytest.mark.parametrize("field", ["journey", "stage", "touchpoint"])
def test_another_workspaces_ids_are_ignored_with_an_error(client, staff, spread, theirs, field):
    answer(theirs, comment="Globex private words")
    foreign = {"journey": theirs.journey_id, "stage": theirs.stage_id, "touchpoint": theirs.pk}
    login(client, staff)

    response = client.get(url("list") + f"?{field}={foreign[field]}")

    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(a.pk for a in response.context["page"].answers) == ids(*spread.values())
    assert "These filters were ignored:" in html
    assert "Select a valid choice." in html
    assert "Globex" not in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?nps_min=abc", "nps_min", "Enter a whole number."),
        ("?nps_max=11", "nps_max", "Ensure this value is less than or equal to 10."),
        ("?csat_min=0", "csat_min", "Ensure this value is greater than or equal to 1."),
        ("?nps_min=9&nps_max=3", "nps_max", "Must not be below “NPS from”."),
        ("?date_from=yesterday", "date_from", "Enter a valid date."),
        ("?date_from=2026-03-05&date_to=2026-03-01", "date_to", "Must not be below"),
        ("?experience=joy", "experience", "Select a valid choice."),
        ("?mot_stage=xmot", "mot_stage", "Select a valid choice."),
        ("?journey=abc", "journey", "Select a valid choice."),
        ("?q=" + "x" * 201, "q", "Ensure this value has at most 200 characters"),
    ],
)
def test_invalid_filter_values_are_ignored_and_the_error_shown(
    client, staff, spread, query, field, message
):
    login(client, staff)

    response = client.get(url("list") + query)
    partial = client.get(url("list") + query, headers=HTMX)

    assert response.status_code == partial.status_code == 200
    assert len(response.context["page"].answers) == len(spread)  # the bad filter is left out
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html  # next to the field, which is aria-invalid
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    assert message in partial.content.decode()  # and in the swapped results


def test_a_valid_filter_still_applies_beside_an_invalid_one(client, staff, spread):
    login(client, staff)

    assert listed(client, "?nps_min=abc&experience=pain") == [spread["product_pain"].pk]


def test_search_finds_a_word_in_the_comment_on_every_backend(client, staff, tps):
    hit = answer(tps["Reviews"], comment="A entrega atrasada", language="pt")
    answer(tps["Reviews"], comment="Tudo certo")
    login(client, staff)

    assert listed(client, "?q=atrasada") == [hit.pk]
    assert listed(client, "?q=entrega+atrasada") == [hit.pk]
    assert listed(client, "?q=entrega+rapida") == []  # every word must match
    assert listed(client, "?q=+++") == [a.pk for a in Response.objects.order_by("-pk")]


def test_sqlite_search_falls_back_to_case_insensitive_words(client, staff, tps):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite fallback; PostgreSQL searches by language")
    hit = answer(tps["Reviews"], comment="Entrega ATRASADA outra vez", language="pt")
    answer(tps["Reviews"], comment="Tudo certo")
    login(client, staff)

    assert listed(client, "?q=atrasad+ENTREGA") == [hit.pk]  # parts of words, any case, any order
    assert listed(client, "?q=atrasada+nunca") == []


# --- htmx -----------------------------------------------------------------------------------------


def test_htmx_request_gets_only_the_results(client, staff, spread):
    login(client, staff)

    response = client.get(url("list") + "?experience=pain", headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.count('id="explorer-results"') == 1
    assert '<p id="explorer-status" hx-swap-oob="innerHTML">1 answer</p>' in html
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_works_without_js_and_swaps_with_it(client, staff):
    login(client, staff)

    page = client.get(url("list")).content.decode()

    form = re.search(r'<form method="get"[^>]*>', page, re.S).group(0)
    assert f'action="{url("list")}"' in form
    assert f'hx-get="{url("list")}"' in form
    assert 'hx-target="#explorer-results"' in form
    assert 'hx-push-url="true"' in form
    assert "css/explorer.css" in page


def test_history_restore_gets_the_whole_page(client, staff):
    login(client, staff)

    response = client.get(url("list"), headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


# --- keyset pages ---------------------------------------------------------------------------------


def _cursor(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="[^"]*cursor=([^"&]+)"', html)
    return match.group(1) if match else None


def test_pages_walk_every_answer_once_with_ties_broken_by_id(client, staff, tps):
    # 130 answers in 4 timestamps: most of them tie, so only the id orders them.
    for k in range(4):
        many(tps["Reviews"], [40, 40, 40, 10][k], at=BASE + timedelta(hours=k), step=timedelta(0))
    expected = list(Response.objects.order_by("-submitted_at", "-pk").values_list("pk", flat=True))
    login(client, staff)

    seen, pages, cursor = [], [], None
    while True:
        response = client.get(
            url("list") + "?has_comment=on" + (f"&cursor={cursor}" if cursor else "")
        )
        pages.append(response.content.decode())
        seen += [a.pk for a in response.context["page"].answers]
        cursor = _cursor(pages[-1], "next")
        if cursor is None:
            break

    assert seen == expected
    assert [len(p) for p in (expected[:50], expected[50:100], expected[100:])] == [50, 50, 30]
    assert len(pages) == 3
    assert _cursor(pages[0], "prev") is None
    assert "has_comment=on&amp;cursor=" in pages[1]  # the filters travel with the cursor

    # And back: Previous from the last page gives the middle page, then the first.
    back = client.get(url("list") + f"?has_comment=on&cursor={_cursor(pages[2], 'prev')}")
    assert [a.pk for a in back.context["page"].answers] == expected[50:100]
    first = client.get(url("list") + f"?cursor={_cursor(back.content.decode(), 'prev')}")
    assert [a.pk for a in first.context["page"].answers] == expected[:50]
    assert _cursor(first.content.decode(), "prev") is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "YTEyMw",  # "a123" (no id)
        "eDEyMy40NQ",  # "x123.45" (unknown direction)
        "YTk5OTk5OTk5OTk5OTk5OTk5OS4x",  # a time out of range
        "A" * 500,
        "8J-YgA",  # not ASCII
    ],
)
def test_a_tampered_cursor_shows_the_first_page(client, staff, tps, cursor):
    many(tps["Reviews"], 60)
    login(client, staff)

    response = client.get(url("list") + f"?cursor={cursor}")

    assert response.status_code == 200
    newest = list(Response.objects.order_by("-submitted_at", "-pk").values_list("pk", flat=True))
    assert [a.pk for a in response.context["page"].answers] == newest[:50]


def test_a_cursor_past_the_end_shows_the_first_page(client, staff, tps):
    many(tps["Reviews"], 3)
    login(client, staff)
    stale = explorer.Cursor(BASE - timedelta(days=400), 1).encode()

    response = client.get(url("list") + f"?cursor={stale}")

    assert len(response.context["page"].answers) == 3


def test_cursors_round_trip():
    cursor = explorer.Cursor(datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC), 42, before=True)

    assert explorer.Cursor.decode(cursor.encode()) == cursor


# --- query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?experience=pain&nps_max=6&has_comment=on", "?q=comment&customer=x"]
)
def test_the_list_runs_the_same_queries_for_5_answers_and_for_500(
    client, staff, tps, django_assert_num_queries, query
):
    many(tps["Reviews"], 5)
    login(client, staff)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url("list") + query).status_code == 200

    many(tps["Checkout"], 495)
    with django_assert_num_queries(LIST_QUERIES):
        full = client.get(url("list") + query)
    with django_assert_num_queries(LIST_QUERIES):
        partial = client.get(url("list") + query, headers=HTMX)
    cursor = _cursor(client.get(url("list")).content.decode(), "next")
    with django_assert_num_queries(LIST_QUERIES):
        second = client.get(url("list") + f"?cursor={cursor}")

    assert full.status_code == partial.status_code == second.status_code == 200
    if not query:
        assert len(full.context["page"].answers) == 50
        assert full.content.decode().count("#tp-") == 50  # rows shown with their touchpoints
        assert "500 answers" in full.content.decode()


# --- CSV export -----------------------------------------------------------------------------------


def test_export_streams_every_filtered_answer_with_a_translated_header(client, manager, tps):
    many(tps["Reviews"], 120)
    answer(tps["Checkout"], nps=1, csat=2, comment="Slow", customer="C-7", language="pt")
    login(client, manager)

    response = client.get(url("export"))
    rows = export_rows(client)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="mot-answers-acme-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    assert rows[0][:4] == ["Submitted at", "Journey", "Stage", "Touchpoint"]
    assert len(rows) == 1 + 121  # every answer, not just one page
    slow = next(r for r in rows if r[13] == "Slow")
    header = rows[0]
    assert dict(zip(header, slow, strict=True)) | {"Submitted at": "-"} == {
        "Submitted at": "-",
        "Journey": "Online shop",
        "Stage": "Buy",
        "Touchpoint": "Checkout",
        "Touchpoint code": "",
        "Moment of truth": "",
        "NPS": "1",
        "CSAT": "2",
        "Respect": "",
        "Solutions": "",
        "Simplicity": "",
        "Responsibility": "",
        "Experience": "pain",
        "Comment": "Slow",
        "Customer": "C-7",
        "Segment": "",
        "Country": "",
        "Plan": "",
        "Language": "pt",
        "Source": "api",
        "Kind": "survey_answer",
        "Answer id": Response.objects.get(comment="Slow").external_id,
        # A manager may read customers' personal data: the file has it too.
        "Customer's e-mail": "",
        "Customer's name": "",
    }
    assert datetime.fromisoformat(slow[0]) == BASE


def test_export_honours_the_filters(client, editor, spread):
    login(client, editor)

    rows = export_rows(client, "?experience=neutral&language=ro")
    searched = export_rows(client, "?q=reviews")

    assert [r[13] for r in searched[1:]] == ["Loved the reviews"]
    assert len(rows) == 2
    assert rows[1][3] == "Else"


@pytest.mark.parametrize(
    "comment",
    ['=HYPERLINK("http://evil.test","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_export_neutralises_spreadsheet_formulas(client, admin, tps, comment):
    answer(tps["Reviews"], comment=comment, customer="=1+1")
    login(client, admin)

    row = export_rows(client)[1]

    assert row[13] == "'" + comment
    assert row[14] == "'=1+1"


def test_the_export_link_carries_the_pages_filters(client, editor, spread):
    login(client, editor)

    html = client.get(url("list") + "?experience=pain&cursor=abc&evil=1").content.decode()

    form = html.split('<form method="get" action="' + url("export") + '" class="csv-download')[1]
    form = form.split("</form>")[0]
    # A GET form drops its action's query string: the filters travel as hidden fields.
    assert re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form) == [
        ("experience", "pain")
    ]


# --- the index migration --------------------------------------------------------------------------


def test_the_migration_indexes_exactly_the_search_expression():
    migration = importlib.import_module("feedback.migrations.0005_explorer_indexes")
    ours = explorer.VECTOR_SQL.replace("{language}", "language").replace("{comment}", "comment")

    assert " ".join(migration.VECTOR.split()) == " ".join(ours.split())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?language=pt", ["pt", "pt-br", "pt_PT"]),
        ("?language=PT-BR", ["pt-br"]),
        ("?language=pt_pt", ["pt_PT"]),
        ("?language=p", []),  # a language, not a prefix of one
    ],
)
def test_a_language_filter_finds_its_regional_variants(client, staff, tps, query, expected):
    by_code = {
        code: answer(tps["Reviews"], nps=9, language=code) for code in ("pt", "pt-br", "pt_PT")
    }
    answer(tps["Reviews"], nps=9, language="es")
    login(client, staff)

    assert sorted(listed(client, query)) == ids(*(by_code[code] for code in expected))
