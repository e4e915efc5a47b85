"""The emotion curve per persona (journeys/map/persona_curve.py): one line per persona of the
journey, from its segment's answers, with the main curve's rules (gaps under the minimum sample,
the weakest moment marked), behind the curve lane's "By persona" toggle."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from feedback.customers import profile_of
from feedback.services import AnswerIn, responses_ingest
from journeys.models import Journey, Persona, Touchpoint
from metrics.engine.counts import recompute_counts
from tests.conftest import login

# Hand-computed, minimum sample 3 (glory: NPS 9-10, neutral 7-8, pain 0-6; score = glory% - pain%)
#   smb         Reviews 10 9 3 -> 2 glory 1 pain of 3: +33.3   Product page 2 5 8 -> 0/1/2: -66.7
#               Checkout 10 10 10 7 -> 3 glory 1 neutral: +75  (weakest: Product page)
#   enterprise  Reviews 9 9 9 -> +100   Product page 10 -> 1 answer, under 3: a gap
#               Checkout 0 9 8 -> 1/1/1: 0                     (weakest: Checkout)
#   consumer    Product page 0 0 0: no persona has this segment, drawn by none
ANSWERS = {
    ("smb", "Reviews"): [10, 9, 3],
    ("SMB", "Product page"): [2, 5, 8],  # the stored spelling differs in case: still smb's
    ("smb", "Checkout"): [10, 10, 10, 7],
    ("Enterprise", "Reviews"): [9, 9, 9],
    ("Enterprise", "Product page"): [10],
    ("Enterprise", "Checkout"): [0, 9, 8],
    ("consumer", "Product page"): [0, 0, 0],
}


def _ingest(journey: Journey) -> dict[str, int]:
    tps = {tp.title: tp.pk for tp in Touchpoint.objects.filter(journey=journey)}
    answers, i = [], 0
    when = datetime(2026, 3, 2, 12, tzinfo=UTC)
    for (segment, title), scores in ANSWERS.items():
        for nps in scores:
            i += 1
            answers.append(
                AnswerIn(
                    touchpoint_id=tps[title],
                    external_id=f"a{i}",
                    submitted_at=when + timedelta(hours=i),
                    nps=nps,
                    customer=f"c{i}",
                    profile=profile_of(segment=segment),
                )
            )
    responses_ingest(
        workspace_id=journey.workspace_id, source="api", answers=answers, request_metrics=False
    )
    recompute_counts(journey.workspace_id)
    return tps


@pytest.fixture
def mapped(journey, workspace):
    workspace.min_sample = 3
    workspace.save()
    tps = _ingest(journey)
    smb = Persona.objects.create(workspace=workspace, name="Sofia SMB", segment="smb")
    enterprise = Persona.objects.create(
        workspace=workspace, name="Erik Enterprise", segment="enterprise"
    )
    walk_in = Persona.objects.create(workspace=workspace, name="Walk-in", segment="")
    consumer = Persona.objects.create(workspace=workspace, name="Other journey", segment="consumer")
    for persona in (smb, enterprise, walk_in):
        persona.journeys.add(journey)
    return journey, tps, smb, enterprise, consumer


def _map(client, journey: Journey, query: str = "", **headers) -> str:
    url = reverse("journeys:map", kwargs={"ws": journey.workspace.slug, "pk": journey.pk})
    response = client.get(url + query, **headers)
    assert response.status_code == 200
    return response.content.decode()


def _groups(html: str, persona: Persona) -> list[str]:
    return re.findall(rf'<g class="curve-persona [^"]*" data-persona="{persona.pk}">.*?</g>', html)


def test_by_persona_draws_one_line_per_persona_with_gaps_and_weakest(client, manager, mapped):
    journey, _tps, smb, enterprise, consumer = mapped
    login(client, manager)

    html = _map(client, journey, "?curve_by=persona")

    # smb: Reviews alone in its stage (x 50), Product page and Checkout share the second
    # (x 26.5 and 73.5); y = 50 - 0.44 x score.
    smb_cells = _groups(html, smb)
    assert len(smb_cells) == 2
    assert 'd="M50 35.3h0"' in smb_cells[0]
    assert 'd="M26.5 79.3h0M73.5 17h0"' in smb_cells[1]
    assert "<polyline" in smb_cells[1]  # measured throughout: one unbroken line
    # enterprise: Product page has 1 answer of 3, a gap: no dot there, no line through it.
    ent_cells = _groups(html, enterprise)
    assert 'd="M50 6h0"' in ent_cells[0]
    assert 'd="M73.5 50h0"' in ent_cells[1]
    assert "26.5" not in ent_cells[1]
    assert "<polyline" not in "".join(ent_cells)
    # Each persona's weakest moment is marked in its colour.
    weakest = dict(
        re.findall(
            r'<circle class="curve-persona-weakest ([^"]*)" data-persona="\d+" '
            r'cx="([^"]*)"',
            html,
        )
    )
    assert weakest == {"p0": "73.5%", "p1": "26.5%"}  # colours in name order: Erik, Sofia
    assert f'data-persona="{consumer.pk}"' not in html  # not this journey's persona
    # The legend names each drawn persona beside its colour; the one without a segment is said.
    legend = re.search(r'<ul class="curve-legend".*?</ul>', html, re.S).group(0)
    assert "All customers" in legend
    assert re.search(r'class="curve-swatch p1".*Sofia SMB.*3 of 3 touchpoints drawn', legend)
    assert re.search(r'class="curve-swatch p0".*Erik Enterprise.*2 of 3 touchpoints drawn', legend)
    assert "Not drawn (no segment): Walk-in." in html
    # The curve of all customers stays.
    assert html.count('class="curve-line"') >= 1


def test_the_toggle_off_draws_no_persona_line(client, manager, mapped):
    journey, *_ = mapped
    login(client, manager)

    html = _map(client, journey)

    assert "curve-persona" not in html
    assert "curve-legend" not in html
    assert re.search(r'name="curve_by" value="persona" aria-pressed="false"', html)


def _table_rows(html: str) -> dict[str, list[str]]:
    rows = re.findall(r"<tr><td>[^<]*</td><td><a [^>]*>([^<]*)</a></td>(.*?)</tr>", html)
    return {title: re.findall(r"<td>(.*?)</td>", cells) for title, cells in rows}


def test_the_table_gives_each_personas_numbers(client, manager, mapped):
    journey, *_ = mapped
    login(client, manager)

    html = _map(client, journey, "?curve_by=persona&curve=table")

    assert "Erik Enterprise (segment enterprise)" in html
    assert "Sofia SMB (segment smb)" in html
    rows = _table_rows(html)
    weakest = ' <strong class="weakest-note">Weakest moment</strong>'
    # score, answers (all customers), then Erik (name order), then Sofia
    assert rows["Reviews"][2:] == ["+100 (3 answers)", "+33 (3 answers)"]
    assert rows["Product page"][2:] == [
        "Not enough answers — 1 of 3",
        "\N{MINUS SIGN}67 (3 answers)" + weakest,
    ]
    assert rows["Checkout"][2:] == ["0 (3 answers)" + weakest, "+75 (4 answers)"]
    # all customers: Product page has smb's 3, enterprise's 1 and consumer's 3 answers
    assert rows["Product page"][1] == "7"


def test_the_tables_fragment_follows_the_toggle(client, manager, mapped):
    journey, *_ = mapped
    login(client, manager)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "curve-table-body"}

    on = _map(client, journey, "?curve=table&curve_by=persona", **headers)
    off = _map(client, journey, "?curve=table", **headers)

    assert "Sofia SMB (segment smb)" in on
    assert "Sofia SMB" not in off
    assert _table_rows(on)["Checkout"][2:] == [
        '0 (3 answers) <strong class="weakest-note">Weakest moment</strong>',
        "+75 (4 answers)",
    ]


def test_the_toggle_swaps_the_board_and_keeps_the_filters(client, manager, mapped):
    journey, *_ = mapped
    login(client, manager)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board", "HTTP_HX_TRIGGER": "curve-by"}

    html = _map(client, journey, "?channel=website&curve_by=persona", **headers)

    assert 'aria-pressed="true" data-autofocus' in html
    assert '<input type="hidden" name="channel" value="website">' in html
    assert '<input type="hidden" name="curve_by" value="persona" form="map-filters">' in html
    assert len(re.findall(r'<g class="curve-persona ', html)) == 4


def test_no_persona_with_a_segment_says_so(client, manager, journey):
    login(client, manager)

    html = _map(client, journey, "?curve_by=persona")

    assert "No persona of this journey has a segment" in html
    assert "curve-persona" not in html


def test_an_outsider_sees_no_persona_curve(client, outsider, mapped):
    journey, *_ = mapped
    login(client, outsider)
    url = reverse("journeys:map", kwargs={"ws": journey.workspace.slug, "pk": journey.pk})

    assert client.get(url + "?curve_by=persona").status_code == 404


def test_saving_the_personas_redraws_a_curve_drawn_by_persona(client, editor, mapped):
    journey, _tps, smb, enterprise, _consumer = mapped
    login(client, editor)
    url = reverse(
        "journeys:journey_personas", kwargs={"ws": journey.workspace.slug, "pk": journey.pk}
    )
    page = reverse("journeys:map", kwargs={"ws": journey.workspace.slug, "pk": journey.pk})
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "personas"}

    # Drawn by persona: Erik leaves the journey, and the curve's row and head come along out of
    # band without his line and legend entry.
    by_persona = {**hx, "HTTP_HX_CURRENT_URL": f"http://testserver{page}?curve_by=persona"}
    html = client.post(url, {"personas": [smb.pk]}, **by_persona).content.decode()
    assert '<div class="curve-row" id="curve"' in html
    assert 'id="curve-head" hx-swap-oob="true"' in html
    assert _groups(html, smb)
    assert not _groups(html, enterprise)
    legend = re.search(r'<ul class="curve-legend".*?</ul>', html, re.S).group(0)
    assert "Sofia SMB" in legend
    assert "Erik Enterprise" not in legend

    # Not drawn by persona: the curve of all customers did not change, nothing else is sent.
    plain = {**hx, "HTTP_HX_CURRENT_URL": f"http://testserver{page}"}
    html = client.post(url, {"personas": [smb.pk, enterprise.pk]}, **plain).content.decode()
    assert 'id="curve"' not in html
    assert "curve-head" not in html
