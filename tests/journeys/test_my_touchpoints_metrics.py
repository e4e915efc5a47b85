"""My touchpoints with numbers: each owned touchpoint's moment score, NPS, answers and trend from
hand-built metric rows, and its latest pain answers from real answers."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response, Source
from journeys.models import Journey, Touchpoint
from metrics import compute
from metrics.models import ExpectationCounts, MomentCounts
from metrics.read.answers import latest_pain_answers
from metrics.read.moments import STEADY, Trend, trend_periods
from mot.models import Role
from tests.conftest import login
from tests.journeys.test_map_htmx import text_of
from tests.journeys.test_map_overlays import SCRIPT, store_moment, tps
from tests.journeys.test_owners import MY_QUERIES, build_journeys

_ids = itertools.count()


def url(ws: str = "acme") -> str:
    return reverse("journeys:my_touchpoints", kwargs={"ws": ws})


def page(client) -> str:
    response = client.get(url())
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, tp: Touchpoint) -> str:
    match = re.search(
        rf'<tbody class="owned-touchpoint" id="owned-{tp.pk}">(.*?)</tbody>', html, re.S
    )
    assert match, f"no row for {tp.title!r}"
    return match.group(1)


def cells(row: str) -> list[str]:
    first = row.split("</tr>")[0]
    return [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", first, re.S)]


def answer(tp: Touchpoint, at: datetime, *, nps: int | None = 2, csat=None, comment="") -> Response:
    return Response.objects.create(
        workspace_id=tp.journey.workspace_id,
        touchpoint=tp,
        source=Source.API,
        external_id=f"r{next(_ids)}",
        submitted_at=at,
        nps=nps,
        csat=csat,
        comment=comment,
    )


@pytest.fixture
def mine(journey, staff):
    """The staff persona owns Reviews and Product page; Checkout is the editor's."""
    t = tps(journey)
    Touchpoint.objects.filter(pk__in=[t["Reviews"].pk, t["Product page"].pk]).update(owner=staff)
    return t


def test_numbers_come_from_the_stored_rows(client, staff, mine):
    store_moment(mine["Product page"], 30, 15, 12)
    login(client, staff)
    row = row_of(page(client), mine["Product page"])

    # 57 answers, all with NPS: score (30 - 12) / 57 = +31.6; NPS the same, with its margin.
    nps = compute.nps(compute.Counts(answers=57, promoters=30, passives=15, detractors=12))
    assert cells(row)[3:6] == ["+32", f"+32 ± {nps.margin:.0f}", "57"]
    assert f'href="/w/acme/answers/?touchpoint={mine["Product page"].pk}"' in row


def test_few_answers_and_no_answers_are_said_not_scored(client, staff, mine):
    store_moment(mine["Reviews"], 2, 0, 10)
    login(client, staff)
    html = page(client)

    few = cells(row_of(html, mine["Reviews"]))
    assert few[3:6] == ["Not enough answers — 12 of 30", "Not enough answers — 12 of 30", "12"]
    none = row_of(html, mine["Product page"])
    assert cells(none)[3:7] == ["No answers yet", "—", "0", "Too few answers to compare"]
    assert "pain-row" not in none  # nothing to list


def daily(tp: Touchpoint, day: date, glory: int, neutral: int, pain: int) -> None:
    store_moment(tp, glory, neutral, pain, day=day)


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [
        # +50 against -16.7: +66.7, margin 29.8 -> up
        ((40, 10, 10), (20, 10, 30), "↑ up 67 points"),
        ((20, 10, 30), (40, 10, 10), "↓ down 67 points"),
        # +16.7 against +23.3: -6.7 within a margin of 31.8 -> steady
        ((30, 10, 20), (32, 10, 18), "→ steady (\N{MINUS SIGN}7, within ± 32)"),
    ],
)
def test_trend_compares_the_last_30_days_with_the_30_before(
    client, staff, mine, recent, previous, expected
):
    tp = mine["Product page"]
    store_moment(tp, 100, 40, 60)
    first, recent_start, today = trend_periods(timezone.localdate())
    # Each period's counts split over days, summed by the page's query.
    daily(tp, today, recent[0] - 5, recent[1], recent[2])
    daily(tp, recent_start, 5, 0, 0)
    daily(tp, recent_start - timedelta(days=1), previous[0], previous[1] - 2, previous[2])
    daily(tp, first, 0, 2, 0)
    # Outside both periods: ignored.
    daily(tp, first - timedelta(days=1), 0, 0, 500)
    daily(tp, today + timedelta(days=1), 500, 0, 0)
    login(client, staff)

    assert cells(row_of(page(client), tp))[6] == expected


def test_trend_needs_enough_answers_in_both_periods(client, staff, mine):
    tp = mine["Product page"]
    store_moment(tp, 100, 40, 60)
    first, _recent_start, today = trend_periods(timezone.localdate())
    daily(tp, today, 40, 10, 10)
    daily(tp, first, 5, 10, 14)  # 29 answers: one short
    login(client, staff)
    assert cells(row_of(page(client), tp))[6] == "Too few answers to compare"

    daily(tp, first + timedelta(days=3), 0, 0, 1)
    # Previous: 5 glory, 10 neutral, 15 pain (-33.3); recent +50.0: up 83.3 points.
    assert cells(row_of(page(client), tp))[6] == "↑ up 83 points"


def test_trend_direction_is_steady_within_the_margin_of_error():
    def moment(g, n, p):
        return compute.Counts(answers=g + n + p, glory=g, neutral=n, pain=p)

    trend = Trend(recent=moment(30, 10, 20), previous=moment(32, 10, 18))
    assert trend.change == pytest.approx(-6.667, abs=1e-3)
    # Each period: variance g + p - (g - p)^2 over n, summed; 1.96 x its root.
    v1 = (0.5 + 1 / 3 - (0.5 - 1 / 3) ** 2) / 60
    v2 = (32 / 60 + 0.3 - (32 / 60 - 0.3) ** 2) / 60
    assert trend.margin == pytest.approx(compute.Z95 * (v1 + v2) ** 0.5 * 100)
    assert trend.direction == STEADY
    assert Trend(recent=moment(10, 0, 50), previous=moment(50, 0, 10)).direction == "down"


def test_latest_pain_answers_are_listed_newest_first_with_links(client, staff, mine):
    tp = mine["Product page"]
    store_moment(tp, 1, 0, 5)
    base = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    for i in range(5):
        answer(tp, base + timedelta(days=i), nps=i, comment=f"late {i}" if i != 3 else "")
    answer(tp, base + timedelta(days=9), nps=10, comment="lovely")  # glory: not listed
    answer(tp, base + timedelta(days=8), nps=None, csat=1, comment="broken")  # pain by CSAT
    answer(mine["Checkout"], base + timedelta(days=9), comment="not mine")
    login(client, staff)
    row = row_of(page(client), tp)

    pains = re.findall(r"<li>(.*?)</li>", row, re.S)
    assert [text_of(p) for p in pains] == [
        "March 18, 2026 CSAT 1 broken",
        "March 14, 2026 NPS 4 late 4",
        "March 13, 2026 NPS 3 No comment",
    ]
    answers = f"/w/acme/answers/?touchpoint={tp.pk}&amp;experience=pain"
    assert f'href="{answers}&amp;date_from=2026-03-18&amp;date_to=2026-03-18"' in pains[0]
    assert f'href="{answers}"' in row
    assert "lovely" not in row
    assert "not mine" not in page(client)


def test_pain_links_open_the_explorer_on_those_answers(client, staff, mine):
    tp = mine["Product page"]
    store_moment(tp, 0, 0, 3)
    answer(tp, datetime(2026, 3, 10, 12, tzinfo=UTC), comment="first")
    answer(tp, datetime(2026, 3, 12, 12, tzinfo=UTC), comment="second")
    login(client, staff)
    row = row_of(page(client), tp)
    link = re.search(r'<li><a href="([^"]+)"', row).group(1).replace("&amp;", "&")

    explorer = client.get(link)
    assert explorer.status_code == 200
    assert [r.comment for r in explorer.context["page"].answers] == ["second"]


def test_user_text_is_escaped(client, staff, mine):
    tp = mine["Product page"]
    Touchpoint.objects.filter(pk=tp.pk).update(title=SCRIPT)
    store_moment(tp, 0, 0, 1)
    answer(tp, datetime(2026, 3, 10, 12, tzinfo=UTC), comment=SCRIPT)
    login(client, staff)
    html = page(client)
    assert SCRIPT not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, comment, link


def test_another_workspaces_answers_and_rows_never_show(client, staff, outsider, mine):
    tp = mine["Product page"]
    # Rows and answers carrying this touchpoint's id but another workspace's.
    store_moment(tp, 40, 0, 0)
    MomentCounts.objects.filter(key=str(tp.pk)).update(workspace_id=outsider.workspace_id)
    Response.objects.create(
        workspace_id=outsider.workspace_id,
        touchpoint=tp,
        source=Source.API,
        external_id="theirs",
        submitted_at=datetime(2026, 3, 10, tzinfo=UTC),
        nps=0,
        comment="their secret",
    )
    login(client, staff)
    html = page(client)
    assert "their secret" not in html
    assert cells(row_of(html, tp))[3] == "No answers yet"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.MANAGER, Role.STAFF])
def test_every_role_sees_the_numbers_of_what_it_owns(client, personas, journey, role):
    tp = tps(journey)["Checkout"]
    Touchpoint.objects.filter(pk=tp.pk).update(owner=personas[role])
    store_moment(tp, 30, 0, 10)
    login(client, personas[role])
    assert cells(row_of(page(client), tp))[3] == "+50"


def test_outsider_gets_404(client, outsider, mine):
    login(client, outsider)
    assert client.get(url()).status_code == 404


def test_queries_stay_the_same_for_one_touchpoint_and_for_300(
    client, staff, django_assert_num_queries
):
    def fill(journey_ids):
        day = timezone.localdate()
        for tp in Touchpoint.objects.filter(journey_id__in=journey_ids):
            store_moment(tp, 30, 10, 5)
            store_moment(tp, 20, 5, 5, day=day)
            store_moment(tp, 20, 5, 5, day=day - timedelta(days=40))
            answer(tp, datetime(2026, 3, 10, tzinfo=UTC), comment="slow")
            ExpectationCounts.objects.create(
                workspace_id=tp.journey.workspace_id,
                journey_id=tp.journey_id,
                touchpoint=tp,
                day=day,
                simplicity_pain_n=40,
                simplicity_pain_low=30,
                simplicity_pain_sum=70,
                simplicity_squares=130,
                computed_at=timezone.now(),
            )

    build_journeys(staff.workspace, journeys=1, stages=1, per_stage=2, owner=staff)
    Touchpoint.objects.filter(position=0).delete()  # exactly one, owned
    fill(Journey.objects.values_list("pk", flat=True))
    login(client, staff)
    with django_assert_num_queries(MY_QUERIES):
        small = client.get(url()).content.decode()
    assert small.count("↑") + small.count("→") + small.count("↓") == 1

    Journey.objects.all().delete()
    build_journeys(staff.workspace, journeys=3, stages=4, per_stage=25, owner=staff)
    owned = Touchpoint.objects.filter(owner=staff)
    fill(Journey.objects.values_list("pk", flat=True))
    with django_assert_num_queries(MY_QUERIES):
        large = client.get(url()).content.decode()
    assert large.count('class="owned-touchpoint"') == owned.count() > 100
    assert large.count('<q class="pain-comment">slow</q>') == owned.count()
    assert large.count('class="trend trend-steady"') == owned.count()
    assert large.count("<strong>Simplicity</strong>") == owned.count()


def test_latest_pain_answers_reads_a_bounded_number_per_touchpoint(journey):
    t = tps(journey)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    Response.objects.bulk_create(
        Response(
            workspace_id=journey.workspace_id,
            touchpoint=tp,
            source=Source.IMPORT,
            external_id=f"b{tp.pk}-{i}",
            submitted_at=base + timedelta(hours=i % 7),  # ties in time: the higher id first
            nps=i % 11,
        )
        for tp in t.values()
        for i in range(60)
    )
    found = latest_pain_answers(
        workspace_id=journey.workspace_id,
        touchpoint_ids=[t["Reviews"].pk, t["Checkout"].pk],
        per_touchpoint=4,
    )
    assert sorted(found) == sorted([t["Reviews"].pk, t["Checkout"].pk])
    for pk, answers in found.items():
        expected = list(
            Response.objects.filter(touchpoint_id=pk, experience="pain")
            .order_by("-submitted_at", "-pk")
            .values_list("pk", flat=True)[:4]
        )
        assert [a.pk for a in answers] == expected
        assert all(a.nps <= 6 for a in answers)
    assert latest_pain_answers(workspace_id=journey.workspace_id, touchpoint_ids=[]) == {}


@pytest.mark.postgres
def test_latest_pain_answers_walks_the_touchpoint_index_on_postgresql(require_postgres, journey):
    """30,000 answers over 60 touchpoints: each asked touchpoint's index entries are read
    newest first and only until its third pain answer (no sequential scan, no sort of all)."""
    stage = journey.stages.first()
    many = Touchpoint.objects.bulk_create(
        Touchpoint(journey=journey, stage=stage, position=10 + i, title=f"T{i}") for i in range(60)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_response (source, external_id, submitted_at, nps, comment,
                language, created_at, touchpoint_id, workspace_id)
            SELECT 'import', 'g' || g, now() - g * interval '1 minute', g %% 11, '', 'en', now(),
                   (%s::bigint[])[1 + g %% 60], %s
            FROM generate_series(1, 30000) AS g
            """,
            [[tp.pk for tp in many], journey.workspace_id],
        )
        cursor.execute("ANALYZE feedback_response")
    ids = [tp.pk for tp in many[:5]]
    with CaptureQueriesContext(connection) as ctx:
        found = latest_pain_answers(workspace_id=journey.workspace_id, touchpoint_ids=ids)
    assert sum(len(v) for v in found.values()) == 15
    (query,) = ctx.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
        plan = cursor.fetchone()[0][0]["Plan"]

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    scans = [n for n in nodes(plan) if n.get("Relation Name") == "feedback_response"]
    assert scans, plan
    for scan in scans:
        assert scan["Node Type"] == "Index Scan", scan
        assert scan["Index Name"].startswith("feedback_re_touchpo"), scan
        assert scan["Scan Direction"] == "Backward", scan
        # Bounded: a few entries per touchpoint (7 in 11 are pain), never its 500.
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        assert read * scan["Actual Loops"] < 60, scan


def test_a_pain_record_is_listed_as_a_record_without_a_score(client, staff, mine):
    tp = mine["Product page"]
    store_moment(tp, 1, 0, 5)
    Response.objects.create(
        workspace_id=tp.journey.workspace_id,
        touchpoint=tp,
        source=Source.MEMBER,
        external_id="rec-1",
        submitted_at=datetime(2026, 3, 20, 12, 0, tzinfo=UTC),
        kind="complaint",
        noted_experience="pain",
        comment="Parcel soaked",
    )
    login(client, staff)
    pains = re.findall(r"<li>(.*?)</li>", row_of(page(client), tp), re.S)
    assert [text_of(p) for p in pains] == ["March 20, 2026 Record, no score Parcel soaked"]
