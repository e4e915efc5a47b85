"""The emotion curve per persona: one line per persona of the journey, drawn over the curve of
all customers (journeys/map/curve.py), when the curve lane's "By persona" toggle is on.

A persona is drawn from the answers of the customers in its segment (feedback.models.Customer),
counted on demand by one grouped query for all the journey's personas
(metrics.read.segments.segments_period_counts: touchpoint x segment, survey answers only, all
time like the stored rows the main curve is drawn from). They are not stored per segment: a
customer's segment can change. The query runs only while the toggle is on, so the map's query
count stays pinned either way (tests/journeys/test_map_queries.py).

Each persona's line follows the main curve's rules: a touchpoint under the workspace's minimum
sample is a gap in the line, never a zero; the persona's weakest moment is marked (a ring in
the persona's colour). The colours come from a small palette of CSS classes (no inline styles);
past its end the lines are dashed, so two personas never look the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.map.cards import MomentLabels, escape
from journeys.map.curve import Stages, polyline_points
from journeys.map.lanes import PersonaChip
from journeys.map.selectors import Outline
from metrics import compute
from metrics.read.dashboard import Period
from metrics.read.moments import JourneyMoments, TouchpointMoment
from metrics.read.segments import segments_period_counts

CURVE_BY = "curve_by"  # the toggle's query parameter: ?curve_by=persona
BY_PERSONA = "persona"
COLOURS = 6  # static/css/lanes.css: .curve-persona.p0 to .p5


@dataclass(frozen=True, slots=True)
class PersonaLine:
    persona: PersonaChip
    colour: str  # CSS classes: "p0" .. "p5", then "p0 dashed" ..
    moments: JourneyMoments


@dataclass(frozen=True)
class PersonaCurves:
    lines: list[PersonaLine]  # the journey's personas with a segment, in name order
    unsegmented: list[PersonaChip]  # the journey's personas without one: not drawn


def colour_of(index: int) -> str:
    return f"p{index % COLOURS}" + (" dashed" if (index // COLOURS) % 2 else "")


def persona_curves(
    *,
    workspace_id: int,
    journey_id: int,
    personas: Sequence[PersonaChip],
    order: Sequence[int],
    min_sample: int,
) -> PersonaCurves:
    """Each chosen persona's moments on the journey's touchpoints: one query if any chosen
    persona has a segment, none otherwise."""
    chosen = [p for p in personas if p.chosen]
    drawn = [p for p in chosen if p.segment]
    counts = (
        segments_period_counts(
            workspace_id=workspace_id,
            journey_id=journey_id,
            period=Period(),
            segments=[p.segment for p in drawn],
        )
        if drawn
        else {}
    )
    min_sample = max(min_sample, 1)  # as metrics.read.moments: no answers is never enough
    lines = []
    for index, persona in enumerate(drawn):
        found = counts.get(persona.segment, {})
        moments = {pk: _moment(found[pk], min_sample) for pk in order if pk in found}
        lines.append(
            PersonaLine(
                persona,
                colour_of(index),
                JourneyMoments(moments=moments, weakest=compute.weakest(moments)),
            )
        )
    return PersonaCurves(lines=lines, unsegmented=[p for p in chosen if not p.segment])


def _moment(counts: compute.Counts, min_sample: int) -> TouchpointMoment:
    m = compute.moment(counts, min_sample=min_sample)
    return TouchpointMoment(counts.glory, counts.neutral, counts.pain, m.score, m.n, m.enough)


class PersonaDrawer:
    """Draws the personas' lines in the curve's cells, their columns of the curve's table and
    the legend, for one request."""

    def __init__(self, *, labels: MomentLabels) -> None:
        self.labels = labels
        self.weakest_note = escape(_("Weakest moment"))
        self.fmt_head = escape(_("%(name)s (segment %(segment)s)"))
        self.fmt_weakest = escape(_("Weakest moment for %(name)s"))

    def overlays(self, outline: Outline, curves: PersonaCurves) -> list[tuple[str, str]]:
        """Per stage: the lines and dots for the cell's plot, and the weakest moments' rings."""
        plots = [[] for _stage in outline.stages]
        marks = [[] for _stage in outline.stages]
        for line in curves.lines:
            stages = Stages(outline, line.moments)
            pk, colour = line.persona.pk, line.colour
            name = escape(line.persona.name)
            for i in range(len(outline.stages)):
                points, pieces = stages.points[i], stages.pieces[i]
                if not points and not pieces:
                    continue
                polylines = "".join(
                    f'<polyline class="curve-persona-line" points="{polyline_points(piece)}" '
                    'vector-effect="non-scaling-stroke"/>'
                    for piece in pieces
                )
                dots = "".join(f"M{p[2]} {p[3]}h0" for p in points)
                plots[i].append(
                    f'<g class="curve-persona {colour}" data-persona="{pk}">{polylines}'
                    + (
                        f'<path class="curve-persona-dots" d="{dots}" '
                        'vector-effect="non-scaling-stroke"/>'
                        if dots
                        else ""
                    )
                    + "</g>"
                )
                mark = next((p for p in points if p[4] == line.moments.weakest), None)
                if mark is not None:
                    marks[i].append(
                        f'<circle class="curve-persona-weakest {colour}" data-persona="{pk}" '
                        f'cx="{mark[2]}%" cy="{mark[3]}%" r="5">'
                        f"<title>{self.fmt_weakest % {'name': name}}</title></circle>"
                    )
        return [("".join(p), "".join(m)) for p, m in zip(plots, marks, strict=True)]

    def columns(self, outline: Outline, curves: PersonaCurves) -> list[tuple[str, Mapping]]:
        """One column per persona for the curve's table: its score (or why there is none),
        and how many of its customers' answers it rests on."""
        columns = []
        for line in curves.lines:
            head = self.fmt_head % {
                "name": escape(line.persona.name),
                "segment": escape(line.persona.segment),
            }
            cells = {}
            for pk, _stage, _title in outline.touchpoints:
                m = line.moments.of(pk)
                if m is None or not m.n:
                    text = self.labels.none
                elif not m.enough or m.score is None:
                    text = self.labels.few(m.n)
                else:
                    answers = escape(ngettext("%(n)s answer", "%(n)s answers", m.n) % {"n": m.n})
                    text = f"{self.labels.signed(m.score)} ({answers})"
                if pk == line.moments.weakest:
                    text += f' <strong class="weakest-note">{self.weakest_note}</strong>'
                cells[pk] = text
            columns.append((head, cells))
        return columns

    @staticmethod
    def legend(outline: Outline, curves: PersonaCurves) -> list[dict[str, object]]:
        """The legend's entries after "All customers": each persona's colour, name, segment
        and how many of the journey's touchpoints its line draws (plain text: the template
        escapes it)."""
        total = len(outline.touchpoints)
        entries = []
        for line in curves.lines:
            drawn = sum(1 for m in line.moments.moments.values() if m.enough)
            entries.append(
                {
                    "pk": line.persona.pk,
                    "colour": line.colour,
                    "name": line.persona.name,
                    "segment": line.persona.segment,
                    "drawn": ngettext(
                        "%(drawn)s of %(total)s touchpoint drawn",
                        "%(drawn)s of %(total)s touchpoints drawn",
                        total,
                    )
                    % {"drawn": drawn, "total": total},
                }
            )
        return entries
