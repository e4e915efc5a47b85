"""The journey's emotion curve, a lane of the map: each touchpoint's moment score in map order,
glory above the zero line, pain below, the area between the line and zero shaded, the weakest
moment marked, and touchpoints without enough answers shown as gaps in the line.

The curve is a row of cells inside the board's scrolling container, one cell per stage column
and exactly as wide (same width variable, same gap), so it stays aligned with the columns when
the board scrolls. A stage's touchpoints take evenly spaced slots across its cell; only moments
with enough answers are drawn (a score under the minimum sample is never shown as a number);
the others get a tick on the zero line and break the line there.

Each cell's drawing overhangs its cell by half the gap on both sides, and the line's height at a
cell's edge is interpolated between the neighbouring points, so the pieces of adjacent cells
meet in the middle of the gap: the line reads as one curve across the stages. The drawing is an
SVG in percentages (no inline styles); inside it a stretched plot draws the line and the dots
(non-scaling strokes keep them round), and the weakest moment is a true circle with a label.

The same numbers are given as a table (a disclosure above the board): the text alternative. It
is drawn when asked for (the disclosure fetches it when opened; without JavaScript its link
reloads the page with it), as a 2,400-touchpoint table would weigh on every map load.
Everything is built as one string per request, like the cards (journeys/map/cards.py): a board of
2,400 touchpoints must still render in under 100 ms.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.map.cards import MomentLabels, escape
from journeys.map.selectors import Outline
from metrics import compute
from metrics.expectations import MOSTLY_NEUTRAL_KIND, blind_spots
from metrics.read.moments import JourneyMoments, TouchpointMoment

NAMED = 10  # blind spots named in the map's header; the others are counted

# Slots use the middle 94% of a drawing, so points stay inside their column (the drawing
# overhangs the column by half a gap, about 3% of it, on each side).
SLOT_START, SLOT_SPAN = 0.03, 0.94


def y_of(score: float) -> float:
    """Percent from the top: +100 at 6%, 0 at 50%, -100 at 94%."""
    return 50 - 0.44 * score


def num(value: float) -> str:
    """A coordinate to three significant digits (a tenth of a percent of a cell): 26.5, 100."""
    return f"{value:.3g}"


# A drawn point: x (percent of its stage's drawing), y (percent from the top), both formatted
# (each is written twice, in the line and as a dot), the touchpoint, glory (score >= 0) or not.
# Plain tuples: a large board draws thousands.
_Point = tuple[float, float, str, str, int, bool]
# A point of the line, formatted in its cell's percent: x, y.
Vertex = tuple[str, str]


class Stages:
    """Each stage's drawn points and gaps, and each stage's pieces of the line.

    A touchpoint without enough answers (or none) is a gap: the line stops before it and starts
    again after it, so a reader never sees a trend drawn through a moment nobody measured. Runs
    of measured moments are cut at the stage boundaries; each cell draws its pieces, whose
    vertices are the points' own formatted coordinates (a point is formatted once, for its dot
    and for the line) and, where a run crosses into the next stage, the line's height at the
    cells' edge.
    """

    def __init__(self, outline: Outline, moments: JourneyMoments) -> None:
        found = moments.moments
        slots: dict[int, list[tuple[int, TouchpointMoment | None]]] = {
            sid: [] for sid, _ in outline.stages
        }
        for pk, stage_id, _title in outline.touchpoints:
            slots[stage_id].append((pk, found.get(pk)))
        self.points: list[list[_Point]] = []
        self.gaps: list[list[str]] = []  # formatted x of each gap, per stage
        self.pieces: list[list[list[Vertex]]] = [[] for _ in outline.stages]
        # The last measured point since the last gap: its cell, board x (stage index +
        # fraction), y and vertex. The line goes on from it to the next measured point.
        last: tuple[int, float, float, Vertex] | None = None
        for i, (stage_id, _name) in enumerate(outline.stages):
            own = slots[stage_id]
            points: list[_Point] = []
            gaps: list[str] = []
            pieces = self.pieces[i]
            for (pk, m), (x, xs) in zip(own, _slots(len(own)), strict=True):
                if m is None or not m.enough or m.score is None:
                    gaps.append(xs)
                    last = None  # a gap: the line stops here
                    continue
                y = y_of(m.score)
                vertex = (xs, num(y))
                points.append((x, y, xs, vertex[1], pk, m.score >= 0))
                if last is not None:
                    if last[0] == i:  # most pairs: both points in this cell, as drawn
                        if pieces and pieces[-1][-1] is last[3]:
                            pieces[-1].append(vertex)
                        else:
                            pieces.append([last[3], vertex])
                    else:
                        self._cross(last, (i, i + x / 100, y, vertex))
                last = (i, i + x / 100, y, vertex)
            self.points.append(points)
            self.gaps.append(gaps)

    def _cross(
        self, a: tuple[int, float, float, Vertex], b: tuple[int, float, float, Vertex]
    ) -> None:
        """The line from point ``a`` to point ``b`` of a later stage: to the edge of ``a``'s
        cell, across the cells between (stages without touchpoints), from the edge of ``b``'s
        cell, each piece in its cell's own percent, meeting at the same height."""
        first, ax, ay, start = a
        last, bx, by, end = b
        pieces = self.pieces[first]
        edge = _edge(first, first + 1, ax, ay, bx, by)
        if pieces and pieces[-1][-1] is start:
            pieces[-1].append(edge)
        else:
            pieces.append([start, edge])
        for cell in range(first + 1, last):
            self.pieces[cell].append(
                [_edge(cell, cell, ax, ay, bx, by), _edge(cell, cell + 1, ax, ay, bx, by)]
            )
        self.pieces[last].append([_edge(last, last, ax, ay, bx, by), end])


@functools.lru_cache(maxsize=64)
def _slots(count: int) -> tuple[tuple[float, str], ...]:
    """The x of each of a stage's ``count`` evenly spaced slots, and its formatted text: the
    same for every stage of that size, so a 12 x 200 map formats 200, not 2,400."""
    step = 100 * SLOT_SPAN / count if count else 0.0
    start = 100 * SLOT_START + step / 2
    return tuple((x, num(x)) for x in (start + step * j for j in range(count)))


def _edge(cell: int, x: float, ax: float, ay: float, bx: float, by: float) -> Vertex:
    """The line from (ax, ay) to (bx, by) where it meets board x ``x`` (a cell's edge), in the
    cell's percent."""
    return num((x - cell) * 100), num(ay + (x - ax) / (bx - ax) * (by - ay))


def polyline_points(piece: list[Vertex]) -> str:
    """A piece of a line as an SVG polyline's points: "26.5,40.2 29.8,38"."""
    return " ".join([f"{x},{y}" for x, y in piece])


class CurveRenderer:
    """Draws the curve's cells and its table for one request."""

    def __init__(self, *, min_sample: int, labels: MomentLabels | None = None) -> None:
        self.min_sample = min_sample
        self.labels = labels or MomentLabels(min_sample=min_sample)
        self.t = {
            key: escape(text)
            for key, text in {
                "weakest": _("Weakest"),
                "weakest_moment": _("Weakest moment"),
                "stage": _("Stage"),
                "touchpoint": _("Touchpoint"),
                "score": _("Moment score"),
                "answers": _("Answers"),
                "caption": _("Moment score of each touchpoint, in map order"),
            }.items()
        }

    def cells(
        self,
        outline: Outline,
        moments: JourneyMoments,
        overlays: Sequence[tuple[str, str]] = (),
    ) -> str:
        """The curve's cells; ``overlays``: per stage, more drawing for its plot and for its
        marks (the curves per persona, journeys/map/persona_curve.py)."""
        stages = Stages(outline, moments)
        return "".join(
            self._cell(
                stage_id,
                stages.points[i],
                stages.pieces[i],
                stages.gaps[i],
                moments.weakest,
                overlays[i] if overlays else ("", ""),
            )
            for i, (stage_id, _name) in enumerate(outline.stages)
        )

    def _cell(
        self,
        stage_id: int,
        own: list[_Point],
        pieces: list[list[Vertex]],
        gaps: list[str],
        weakest: int | None,
        overlay: tuple[str, str] = ("", ""),
    ) -> str:
        glory = "".join(f"M{p[2]} {p[3]}h0" for p in own if p[5])
        pain = "".join(f"M{p[2]} {p[3]}h0" for p in own if not p[5])
        lines = [polyline_points(piece) for piece in pieces]
        # The area between the line and the zero line, shaded glory above and pain below: each
        # half is a nested drawing that clips the same shape to its half.
        areas = [
            f"{line} {piece[-1][0]},50 {piece[0][0]},50"
            for piece, line in zip(pieces, lines, strict=True)
        ]
        plot = [
            '<svg class="curve-plot" viewBox="0 0 100 100" preserveAspectRatio="none" '
            'width="100%" height="100%">'
        ]
        if areas:
            shapes = "".join(f'<polygon points="{a}"/>' for a in areas)
            plot.append(
                '<svg class="curve-area glory" width="100" height="50" viewBox="0 0 100 50" '
                f'preserveAspectRatio="none">{shapes}</svg>'
                '<svg class="curve-area pain" y="50" width="100" height="50" '
                f'viewBox="0 50 100 50" preserveAspectRatio="none">{shapes}</svg>'
            )
        plot.append(
            '<line class="curve-zero" x1="0" y1="50" x2="100" y2="50" '
            'vector-effect="non-scaling-stroke"/>'
        )
        plot.extend(
            f'<polyline class="curve-line" points="{line}" vector-effect="non-scaling-stroke"/>'
            for line in lines
        )
        if gaps:
            d = "".join(f"M{x} 47V53" for x in gaps)
            plot.append(f'<path class="curve-gap" d="{d}" vector-effect="non-scaling-stroke"/>')
        for cls, d in (("glory", glory), ("pain", pain)):
            if d:
                plot.append(
                    f'<path class="curve-dots {cls}" d="{d}" vector-effect="non-scaling-stroke"/>'
                )
        plot.append(overlay[0])
        plot.append("</svg>")
        plot.append(overlay[1])
        mark = next((p for p in own if p[4] == weakest), None)
        if mark is not None:
            x, y = mark[2], mark[3]
            # The label sits on the side away from the line's extreme, inside the drawing.
            dy = "-0.8em" if mark[1] > 50 else "1.6em"
            plot.append(
                f'<circle class="curve-weakest" cx="{x}%" cy="{y}%" r="6"/>'
                f'<text class="curve-weakest-label" x="{x}%" y="{y}%" dy="{dy}" '
                f'text-anchor="middle">{self.t["weakest"]}</text>'
            )
        return (
            f'<div class="curve-cell" data-stage-id="{stage_id}">'
            '<svg class="curve-drawing" aria-hidden="true" focusable="false">'
            f"{''.join(plot)}</svg></div>"
        )

    def table(
        self,
        outline: Outline,
        moments: JourneyMoments,
        columns: Sequence[tuple[str, Mapping[int, str]]] = (),
    ) -> str:
        """The curve's numbers; ``columns``: more of them, each a header and a cell per
        touchpoint id (escaped HTML both), after the journey's own."""
        t = self.t
        names = {stage_id: escape(name) for stage_id, name in outline.stages}
        heads = "".join(f'<th scope="col">{head}</th>' for head, _cells in columns)
        rows = []
        for pk, stage_id, title in outline.touchpoints:
            m = moments.of(pk)
            score = self._score_text(m)
            if pk == moments.weakest:
                score = f'{score} <strong class="weakest-note">{t["weakest_moment"]}</strong>'
            rows.append(
                f'<tr><td>{names[stage_id]}</td><td><a href="#tp-{pk}">{escape(title)}</a></td>'
                f"<td>{score}</td><td>{m.n if m is not None else 0}</td>"
                + "".join(f"<td>{cells[pk]}</td>" for _head, cells in columns)
                + "</tr>"
            )
        return (
            f'<table class="table curve-numbers">'
            f'<caption class="visually-hidden">{t["caption"]}</caption><thead><tr>'
            f'<th scope="col">{t["stage"]}</th><th scope="col">{t["touchpoint"]}</th>'
            f'<th scope="col">{t["score"]}</th><th scope="col">{t["answers"]}</th>{heads}'
            "</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def _score_text(self, m: TouchpointMoment | None) -> str:
        if m is None or not m.n:
            return self.labels.none
        if not m.enough or m.score is None:
            return self.labels.few(m.n)
        return self.labels.signed(m.score)

    def summary(self, outline: Outline, moments: JourneyMoments) -> str:
        """One sentence under the curve's title: how many moments it draws."""
        drawn = sum(1 for pk in outline.order if (m := moments.of(pk)) and m.enough)
        total = len(outline.touchpoints)
        if not drawn:
            return escape(
                _("No touchpoint has %(min)s answers yet, so there is no curve to draw.")
                % {"min": self.min_sample}
            )
        return escape(
            ngettext(
                "%(drawn)s of %(total)s touchpoint has enough answers to be drawn.",
                "%(drawn)s of %(total)s touchpoints have enough answers to be drawn.",
                total,
            )
            % {"drawn": drawn, "total": total}
        )

    def coverage(self, outline: Outline, moments: JourneyMoments) -> str:
        """The map header's blind spots (metrics/expectations.py): the weakest measured moment,
        the moments not measured enough to compare and the mostly neutral ones, by name, and
        the journey's coverage. A touchpoint without answers is named, not skipped."""
        titles = {pk: title for pk, _stage, title in outline.touchpoints}
        none = compute.Moment(None, None, None, None, 0, False)
        found = blind_spots({pk: moments.of(pk) or none for pk in outline.order})
        parts = []
        if found.weakest is not None:
            parts.append(
                _("Weakest measured moment: %(title)s.") % {"title": titles[found.weakest]}
            )
        else:
            parts.append(_("No measured moment yet."))
        unmeasured = [titles[b.key] for b in found.blind_spots if b.kind != MOSTLY_NEUTRAL_KIND]
        neutral = [titles[b.key] for b in found.blind_spots if b.kind == MOSTLY_NEUTRAL_KIND]
        if unmeasured:
            parts.append(
                ngettext(
                    "%(n)s moment not measured enough to compare: %(names)s.",
                    "%(n)s moments not measured enough to compare: %(names)s.",
                    len(unmeasured),
                )
                % {"n": len(unmeasured), "names": _named(unmeasured)}
            )
        if neutral:
            parts.append(_("Mostly neutral: %(names)s.") % {"names": _named(neutral)})
        if found.share is not None:
            parts.append(
                _(
                    "Coverage: %(share)s%% (%(covered)s of %(total)s touchpoints "
                    "with enough answers)."
                )
                % {
                    "share": f"{found.share:.0f}",
                    "covered": found.covered,
                    "total": found.touchpoints,
                }
            )
        return escape(" ".join(parts))


def _named(titles: list[str]) -> str:
    shown = ", ".join(titles[:NAMED])
    if len(titles) > NAMED:
        return _("%(names)s and %(more)s more") % {"names": shown, "more": len(titles) - NAMED}
    return shown
