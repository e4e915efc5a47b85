"""Moments on the journey map: each card's glory/neutral/pain bar and score (or why there is
none), the weakest moment's badge, and the emotion curve above the board with its table.

The numbers come from hand-built MomentCounts rows (as the engine stores them), never from a
recompute, so each expected figure is worked out here from the counts.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.map.curve import y_of
from journeys.models import Journey, Stage, Touchpoint
from journeys.services import stage_create, touchpoint_create
from metrics import compute
from metrics.models import MomentCounts, Scope
from mot.models import Role
from tests.conftest import login
from tests.journeys.test_map_htmx import HX, card_of, fragment, text_of

SCRIPT = "<script>alert(1)</script>"


def moment_row(
    tp_id: int,
    journey: Journey,
    glory: int,
    neutral: int,
    pain: int,
    *,
    day: date | None = None,
    min_sample: int = 30,
) -> MomentCounts:
    """A touchpoint's MomentCounts row as the engine writes it (unsaved): every answer with an
    NPS value (glory = promoters, neutral = passives, pain = detractors), the derived numbers
    (metrics.compute) on the all-time row only. Also used by bench/map_page.py."""
    counts = compute.Counts(
        answers=glory + neutral + pain,
        promoters=glory,
        passives=neutral,
        detractors=pain,
        glory=glory,
        neutral=neutral,
        pain=pain,
    )
    derived = {}
    if day is None:
        nps = compute.nps(counts, min_sample=min_sample)
        moment = compute.moment(counts, min_sample=min_sample)
        derived = {
            "nps": nps.score,
            "nps_margin": nps.margin,
            "glory_share": moment.glory_share,
            "neutral_share": moment.neutral_share,
            "pain_share": moment.pain_share,
            "moment_score": moment.score,
            "enough": moment.enough,
        }
    fields = {f: getattr(counts, f) for f in ("answers", "promoters", "passives", "detractors")}
    return MomentCounts(
        workspace_id=journey.workspace_id,
        journey_id=journey.pk,
        scope=Scope.TOUCHPOINT,
        key=str(tp_id),
        day=day,
        glory=glory,
        neutral=neutral,
        pain=pain,
        computed_at=timezone.now(),
        **fields,
        **derived,
    )


def store_moment(
    tp: Touchpoint, glory: int, neutral: int, pain: int, *, day: date | None = None
) -> MomentCounts:
    row = moment_row(tp.pk, tp.journey, glory, neutral, pain, day=day)
    row.save()
    return row


def map_url(journey: Journey) -> str:
    return reverse("journeys:map", kwargs={"ws": journey.workspace.slug, "pk": journey.pk})


def tps(journey: Journey) -> dict[str, Touchpoint]:
    return {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}


def page(client, journey: Journey, query: str = "") -> str:
    response = client.get(map_url(journey) + query)
    assert response.status_code == 200
    return response.content.decode()


def bar_text(card: str) -> str:
    match = re.search(r'<span class="moment-bar [^"]*" role="img" title="([^"]*)"></span>', card)
    assert match, "no bar on:\n" + card
    return html_lib.unescape(match.group(1))


def overlay(card: str) -> str:
    match = re.search(r'<(div|p) class="moment.*?</\1>', card, re.S)
    assert match, "no moment on:\n" + card
    return match.group(0)


def weakest_cards(html: str) -> list[str]:
    return re.findall(r'<li class="card" id="(tp-\d+)"[^>]*\sdata-weakest>', html)


@pytest.fixture
def scored(journey):
    """Reviews: 12 answers (not enough); Product page: 30 glory, 15 neutral, 12 pain; Checkout:
    no answers."""
    t = tps(journey)
    store_moment(t["Reviews"], 2, 0, 10)
    store_moment(t["Product page"], 30, 15, 12)
    return t


def test_card_shows_its_bar_and_score_linked_to_its_answers(client, manager, journey, scored):
    login(client, manager)
    card = card_of(page(client, journey), scored["Product page"])

    # 57 answers: glory 30/57 = 52.6%, neutral 15/57 = 26.3%, pain 12/57 = 21.1%; score +31.6.
    assert bar_text(card) == "Glory 53%, neutral 26%, pain 21% of 57 answers"
    # Three segments in proportion, to the whole percent the title states: glory 53% from the
    # left, pain 21% to the right (CSS classes g53 and p21), neutral the 26% between.
    assert '<span class="moment-bar g53 p21" role="img"' in card
    score = re.search(r'<a class="moment-score score-glory" href="([^"]+)"[^>]*>(.*?)</a>', card)
    assert score, card
    assert text_of(score.group(2)) == "Moment score +32"
    assert score.group(1) == f"/w/acme/answers/?touchpoint={scored['Product page'].pk}"
    # The link is the explorer's real filter: it lists exactly this touchpoint's answers.
    explorer = client.get(score.group(1))
    assert explorer.status_code == 200
    assert explorer.context["form"].filters().touchpoint_id == scored["Product page"].pk


def test_below_the_minimum_sample_the_card_says_so_and_shows_no_number(
    client, manager, journey, scored
):
    login(client, manager)
    html = page(client, journey)
    few = card_of(html, scored["Reviews"])
    assert "Not enough answers — 12 of 30" in text_of(few)
    assert "moment-bar" not in few
    assert "Moment score" not in few
    assert f"?touchpoint={scored['Reviews'].pk}" in few  # the 12 answers are still one click away
    none = card_of(html, scored["Checkout"])
    assert "No answers yet" in text_of(none)
    assert "moment-bar" not in none
    assert "href" not in none.split("No answers yet")[0][-80:]


def test_the_workspace_minimum_sample_decides_what_is_enough(client, manager, journey, scored):
    workspace = journey.workspace
    workspace.min_sample = 10
    workspace.save()
    login(client, manager)
    html = page(client, journey)

    # 12 answers are enough now (the stored flag was computed against 30): -66.7 is the weakest.
    reviews = card_of(html, scored["Reviews"])
    assert "Moment score \N{MINUS SIGN}67" in text_of(reviews)
    assert weakest_cards(html) == [f"tp-{scored['Reviews'].pk}"]

    workspace.min_sample = 100
    workspace.save()
    html = page(client, journey)
    assert "Not enough answers — 57 of 100" in text_of(card_of(html, scored["Product page"]))
    assert weakest_cards(html) == []


def test_weakest_moment_is_the_lowest_score_with_enough_answers(
    client, editor, staff, journey, scored
):
    buy = Stage.objects.get(journey=journey, name="Buy")
    worse = touchpoint_create(actor=editor, stage=buy, title="Returns", channel="website")
    store_moment(worse, 10, 10, 20)  # -25.0, enough; Reviews (-66.7) has too few answers
    login(client, staff)
    html = page(client, journey)

    assert weakest_cards(html) == [f"tp-{worse.pk}"]
    card = card_of(html, worse)
    assert "Weakest moment" in text_of(card)
    assert "Weakest moment" not in text_of(card_of(html, scored["Reviews"]))
    assert text_of(card).count("Weakest moment") == 1


def test_a_tie_for_the_weakest_goes_to_the_earlier_moment_on_the_map(client, editor, journey):
    t = tps(journey)
    store_moment(t["Checkout"], 10, 10, 20)  # Buy, position 1
    store_moment(t["Reviews"], 10, 10, 20)  # Research, position 0: first on the map
    store_moment(t["Product page"], 20, 10, 10)
    login(client, editor)
    assert weakest_cards(page(client, journey)) == [f"tp-{t['Reviews'].pk}"]


def test_rows_of_touchpoints_no_longer_on_the_map_are_ignored(client, editor, journey, scored):
    ghost = MomentCounts.objects.get(key=str(scored["Product page"].pk))
    ghost.pk, ghost.key, ghost.moment_score = None, "999999", -100.0
    ghost.save()
    login(client, editor)
    html = page(client, journey)
    assert weakest_cards(html) == [f"tp-{scored['Product page'].pk}"]
    assert "999999" not in html


def test_a_filtered_map_keeps_the_journeys_weakest_moment_and_curve(
    client, editor, journey, scored
):
    login(client, editor)
    full = page(client, journey)
    # Only the website cards: Product page (the weakest, and only, moment with enough answers).
    website = page(client, journey, "?channel=website")
    assert weakest_cards(website) == weakest_cards(full) == [f"tp-{scored['Product page'].pk}"]
    # (A filtered board has no move controls; the moment part is the same.)
    assert overlay(card_of(website, scored["Product page"])) == overlay(
        card_of(full, scored["Product page"])
    )
    assert curve_row(website) == curve_row(full)
    # Only review sites: the weakest card is not shown, and no other card takes its badge.
    reviews = page(client, journey, "?channel=review_site")
    assert f'id="tp-{scored["Product page"].pk}"' not in reviews
    assert weakest_cards(reviews) == []
    assert "Not enough answers — 12 of 30" in text_of(card_of(reviews, scored["Reviews"]))


def curve_row(html: str) -> str:
    match = re.search(
        r'<div class="curve-row" id="curve"[^>]*>(?:<div class="curve-cell".*?</svg></div>)*</div>',
        html,
        re.S,
    )
    assert match, "no curve row"
    return match.group(0)


def cells(html: str) -> list[tuple[int, str]]:
    return [
        (int(stage), body)
        for stage, body in re.findall(
            r'<div class="curve-cell" data-stage-id="(\d+)">(.*?)</div>', curve_row(html), re.S
        )
    ]


def polyline(cell: str) -> list[tuple[float, float]]:
    match = re.search(r'<polyline class="curve-line" points="([^"]+)"', cell)
    if not match:
        return []
    return [tuple(float(v) for v in pair.split(",")) for pair in match.group(1).split()]


def test_curve_has_one_cell_per_stage_with_glory_above_and_pain_below(client, editor, journey):
    t = tps(journey)
    store_moment(t["Reviews"], 40, 0, 0)  # +100
    store_moment(t["Product page"], 0, 10, 30)  # -75
    store_moment(t["Checkout"], 20, 10, 10)  # +25
    login(client, editor)
    html = page(client, journey)
    research, buy = journey.stages.order_by("position")

    row = cells(html)
    assert [stage for stage, _ in row] == [research.pk, buy.pk]
    (_, first), (_, second) = row
    # Research: one slot, in the middle of the drawing; Buy: two slots.
    assert "M50 6h0" in first
    assert 'class="curve-dots glory"' in first
    assert y_of(-75) == pytest.approx(83)
    assert y_of(25) == pytest.approx(39)
    assert re.search(r'class="curve-dots pain" d="M26\.5 83h0"', second)
    assert re.search(r'class="curve-dots glory" d="M73\.5 39h0"', second)
    # Weakest marked in its stage's cell, as a labelled circle.
    assert '<circle class="curve-weakest" cx="26.5%" cy="83%" r="6"/>' in second
    assert "Weakest" in second
    assert "curve-weakest" not in first


def test_curve_pieces_meet_between_the_stages(client, editor, journey):
    t = tps(journey)
    store_moment(t["Reviews"], 40, 0, 0)  # +100, y 6, at x 0.5 (stage 0)
    store_moment(t["Product page"], 0, 10, 30)  # -75, y 83, at x 1.265
    login(client, editor)
    (_, first), (_, second) = cells(page(client, journey))

    left, right = polyline(first), polyline(second)
    assert left[0] == (50, 6)  # no line before the first point
    # At the boundary (x = 1), between (0.5, 6) and (1.265, 83): 6 + 0.5 / 0.765 * 77 = 56.33
    # (written to three digits).
    assert left[-1] == (100, 56.3)
    assert right[0] == (0, 56.3)
    assert right[-1] == (26.5, 83)  # and nothing after the last point


def table_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="table curve-numbers">.*?</table>', html, re.S).group(0)
    return [
        [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)
    ]


CURVE_TABLE = {**HX, "HX-Target": "curve-table-body"}
# session, user, membership (+ workspace), journey, the journey's outline, its moments
CURVE_TABLE_QUERIES = 6


def test_curve_table_gives_the_same_numbers_as_text(
    client, manager, journey, scored, django_assert_num_queries
):
    product = scored["Product page"]
    product.title = SCRIPT
    product.save()
    login(client, manager)
    expected = [
        ["Research", "Reviews", "Not enough answers — 12 of 30", "12"],
        ["Buy", SCRIPT, "+32 Weakest moment", "57"],  # (text of the escaped title)
        ["Buy", "Checkout", "No answers yet", "0"],
    ]

    # The map loads without the table; its disclosure fetches it when opened (htmx) ...
    html = page(client, journey)
    assert "curve-numbers" not in html
    assert "1 of 3 touchpoints have enough answers to be drawn." in text_of(html)
    details = re.search(r'<details class="curve-table"[^>]*>', html).group(0)
    assert f'hx-get="{map_url(journey)}?curve=table"' in details
    assert 'hx-trigger="toggle once"' in details
    with django_assert_num_queries(CURVE_TABLE_QUERIES):
        fragment = client.get(map_url(journey) + "?curve=table", headers=CURVE_TABLE)
    assert fragment.status_code == 200
    assert table_rows(fragment.content.decode()) == expected
    # ... and, without JavaScript, its link reloads the map with the table open, filters kept.
    link = re.search(r'<div id="curve-table-body"><a href="([^"]+)"', html).group(1)
    assert link == f"{map_url(journey)}?curve=table#curve-head"
    filtered = page(client, journey, "?channel=website")
    assert f"{map_url(journey)}?channel=website&amp;curve=table#curve-head" in filtered
    opened = page(client, journey, "?curve=table")
    assert '<details class="curve-table" open>' in opened
    assert table_rows(opened) == expected
    assert SCRIPT not in opened + fragment.content.decode()
    assert html_lib.escape(SCRIPT) in opened


def test_curve_without_enough_answers_says_so(client, editor, journey):
    login(client, editor)
    html = page(client, journey)
    assert "No touchpoint has 30 answers yet, so there is no curve to draw." in text_of(html)
    assert len(cells(html)) == 2
    assert "curve-line" not in curve_row(html)
    assert "curve-dots" not in curve_row(html)


def test_a_map_without_stages_has_no_curve(client, editor):
    from journeys.services import journey_create

    empty = journey_create(actor=editor, name="Empty")
    login(client, editor)
    html = page(client, empty)
    assert 'id="curve"' not in html
    assert "Emotion curve" not in html


# --- cards rendered alone (htmx) ----------------------------------------------------------------


def url(name: str, pk: int) -> str:
    return reverse(f"journeys:{name}", kwargs={"ws": "acme", "pk": pk})


def test_a_card_swapped_alone_shows_the_same_overlay(client, editor, journey, scored):
    login(client, editor)
    full = card_of(page(client, journey), scored["Product page"])
    alone = card_of(
        fragment(client.get(url("touchpoint_card", scored["Product page"].pk), headers=HX)),
        scored["Product page"],
    )
    assert overlay(alone) == overlay(full)
    assert " data-weakest" in alone
    assert "Weakest moment" in alone


def test_staff_setting_an_owner_keeps_the_overlay(client, staff, journey, scored):
    login(client, staff)
    html = fragment(
        client.post(
            url("touchpoint_owner", scored["Product page"].pk), {"owner": staff.pk}, headers=HX
        )
    )
    card = card_of(html, scored["Product page"])
    assert bar_text(card) == "Glory 53%, neutral 26%, pain 21% of 57 answers"
    assert "Weakest moment" in card


def test_saving_an_edit_updates_the_card_and_the_curve_table(client, editor, journey, scored):
    login(client, editor)
    tp = scored["Product page"]
    html = fragment(
        client.post(
            url("touchpoint_edit", tp.pk),
            {
                "title": "Product page v2",
                "description": "",
                "channel": "website",
                "mot_stage": "fmot",
                "phase": "purchase",
                "code": "",
            },
            headers=HX,
        )
    )
    card = card_of(html, tp)
    assert "Moment score +32" in text_of(card)
    assert re.search(r'<div class="curve-head" id="curve-head" hx-swap-oob="true">', html)
    assert re.search(r'<div class="curve-row" id="curve"[^>]* hx-swap-oob="true">', html)
    # The table comes back closed, so an open one never shows the old title; opened again, it
    # has the new one.
    assert f'hx-get="{map_url(journey)}?curve=table"' in html
    table = client.get(map_url(journey), headers=CURVE_TABLE).content.decode()
    assert ["Buy", "Product page v2", "+32 Weakest moment", "57"] in table_rows(table)


def test_moving_a_card_redraws_the_curve(client, editor, journey, scored):
    login(client, editor)
    tp = scored["Product page"]
    research = Stage.objects.get(journey=journey, name="Research")
    html = fragment(client.post(url("touchpoint_move", tp.pk), {"direction": "prev"}, headers=HX))

    assert 'id="curve" ' in html
    assert 'hx-swap-oob="true"' in html
    row = dict(cells(html))
    assert "curve-weakest" in row[research.pk]  # the weakest moment moved with its card
    assert " data-weakest" in card_of(html, tp)


def test_a_new_card_says_it_has_no_answers_yet(client, editor, journey, scored):
    login(client, editor)
    buy = Stage.objects.get(journey=journey, name="Buy")
    html = fragment(
        client.post(
            url("touchpoint_create", buy.pk),
            {"title": "Gift wrap", "channel": "store", "mot_stage": "", "phase": "purchase"},
            headers=HX,
        )
    )
    new = Touchpoint.objects.get(title="Gift wrap")
    assert "No answers yet" in text_of(card_of(html, new))
    assert "Weakest moment" in text_of(card_of(html, scored["Product page"]))
    assert "2 of 4 touchpoints" not in text_of(html)
    assert "1 of 4 touchpoints have enough answers to be drawn." in text_of(html)  # OOB head


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.MANAGER, Role.STAFF])
def test_every_role_sees_the_overlays(client, personas, journey, scored, role):
    login(client, personas[role])
    html = page(client, journey)
    assert "Moment score +32" in text_of(card_of(html, scored["Product page"]))
    assert 'id="curve"' in html


def test_outsider_gets_404_for_the_map_and_a_card(client, outsider, journey, scored):
    login(client, outsider)
    assert client.get(map_url(journey)).status_code == 404
    assert (
        client.get(url("touchpoint_card", scored["Product page"].pk), headers=HX).status_code == 404
    )


def test_another_workspaces_rows_never_reach_the_map(client, editor, outsider, journey, scored):
    """Rows are read by the journey's id; a row another workspace wrote for a key that happens
    to match is not this journey's."""
    other = stage_create(
        actor=outsider,
        journey=Journey.objects.create(workspace=outsider.workspace, name="Theirs"),
        name="S",
    )
    theirs = touchpoint_create(actor=outsider, stage=other, title="Theirs", channel="website")
    row = store_moment(theirs, 0, 0, 40)
    row.key = str(scored["Checkout"].pk)
    row.save()
    login(client, editor)
    assert "No answers yet" in text_of(card_of(page(client, journey), scored["Checkout"]))


@pytest.mark.parametrize("min_sample", [30, 45])
def test_a_card_drawn_alone_finds_the_same_weakest_moment_as_the_board(
    client, editor, journey, min_sample
):
    """Drawn alone, a card reads only its own row and the rows tied for the lowest score: the
    weakest moment must still be the board's, through ties, too few answers and stale rows."""
    workspace = journey.workspace
    workspace.min_sample = min_sample
    workspace.save()
    t = tps(journey)
    store_moment(t["Checkout"], 10, 10, 20)  # -25, 40 answers: Buy, second
    store_moment(t["Reviews"], 10, 10, 20)  # -25, 40 answers: Research, first on the map
    store_moment(t["Product page"], 25, 10, 15)  # +20, 50 answers
    moment_row(999999, journey, 0, 0, 40).save()  # -100: a touchpoint deleted since
    login(client, editor)
    board = page(client, journey)
    expected = weakest_cards(board)
    # 30: the two at -25 tie, the earlier wins; 45: only Product page has enough.
    assert expected == [f"tp-{t['Reviews' if min_sample == 30 else 'Product page'].pk}"]

    for tp in t.values():
        alone = fragment(client.get(url("touchpoint_card", tp.pk), headers=HX))
        marked = weakest_cards(alone)
        assert marked == ([f"tp-{tp.pk}"] if [f"tp-{tp.pk}"] == expected else [])
        assert overlay(card_of(alone, tp)) == overlay(card_of(board, tp))


def test_moments_read_for_the_map_agree_with_the_engines_maths(journey):
    """The map reads counts and the stored score; its shares must be compute's, to the bit."""
    from metrics.read.moments import journey_moments

    t = tps(journey)
    counts = {"Reviews": (1, 2, 4), "Product page": (30, 15, 12), "Checkout": (7, 0, 93)}
    for title, (g, n, p) in counts.items():
        store_moment(t[title], g, n, p)
    order = [t["Reviews"].pk, t["Product page"].pk, t["Checkout"].pk]
    read = journey_moments(journey_id=journey.pk, order=order, min_sample=5)
    for title, (g, n, p) in counts.items():
        expected = compute.moment(compute.Counts(answers=g + n + p, glory=g, neutral=n, pain=p))
        m = read.of(t[title].pk)
        got = (m.glory_share, m.neutral_share, m.pain_share, m.score, m.n)
        assert got == (
            expected.glory_share,
            expected.neutral_share,
            expected.pain_share,
            expected.score,
            expected.n,
        )
        assert m.enough == (m.n >= 5)
    assert read.weakest == t["Checkout"].pk
