"""The journey's emotion curve above the map: each touchpoint's moment score in map order, glory
above the zero line, pain below, the weakest moment marked.

The curve is a row of cells inside the board's scrolling container, one cell per stage column
and exactly as wide (same width variable, same gap), so it stays aligned with the columns when
the board scrolls. A stage's touchpoints take evenly spaced slots across its cell; only moments
with enough answers are drawn (a score under the minimum sample is never shown as a number).

Each cell's drawing overhangs its cell by half the gap on both sides, and the line's height at a
cell's edge is interpolated between the neighbouring points, so the pieces of adjacent cells
meet in the middle of the gap: the line reads as one curve across the stages. The drawing is an
SVG in percentages (no inline styles); inside it a stretched plot draws the line and the dots
(non-scaling strokes keep them round), and the weakest moment is a true circle with a label.

The same numbers are given as a table (a disclosure above the board): the text alternative.
Everything is built as one string per request, like the cards (journeys/cards.py): a board of
2,400 touchpoints must still render in under 100 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.cards import MomentLabels, escape
from journeys.selectors import Outline
from metrics.compute import Moment
from metrics.moments import JourneyMoments

# Slots use the middle 94% of a drawing, so points stay inside their column (the drawing
# overhangs the column by half a gap, about 3% of it, on each side).
SLOT_START, SLOT_SPAN = 0.03, 0.94


def y_of(score: float) -> float:
    """Percent from the top: +100 at 6%, 0 at 50%, -100 at 94%."""
    return round(50 - 0.44 * score, 2)


@dataclass(frozen=True, slots=True)
class _Point:
    x: float  # stage index + fraction of its cell
    y: float
    touchpoint_id: int
    glory: bool


def _points(outline: Outline, moments: JourneyMoments) -> tuple[list[_Point], dict[int, int]]:
    """The drawn points in map order, and each stage's index."""
    index = {stage_id: i for i, (stage_id, _name) in enumerate(outline.stages)}
    sizes: dict[int, int] = {}
    for _pk, stage_id, _title in outline.touchpoints:
        sizes[stage_id] = sizes.get(stage_id, 0) + 1
    slot: dict[int, int] = {}
    points = []
    for pk, stage_id, _title in outline.touchpoints:
        j = slot.get(stage_id, 0)
        slot[stage_id] = j + 1
        m = moments.of(pk)
        if m is None or not m.enough or m.score is None:
            continue
        x = index[stage_id] + SLOT_START + SLOT_SPAN * (j + 0.5) / sizes[stage_id]
        points.append(_Point(x, y_of(m.score), pk, m.score >= 0))
    return points, index


def _edge_y(points: list[_Point], x: float) -> float | None:
    """The line's height at x, between the last point before it and the first after it."""
    before = after = None
    for p in points:
        if p.x <= x:
            before = p
        elif after is None:
            after = p
            break
    if before is None or after is None:
        return None
    t = (x - before.x) / (after.x - before.x)
    return round(before.y + t * (after.y - before.y), 2)


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


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
                "toggle": _("Show the emotion curve as a table"),
                "stage": _("Stage"),
                "touchpoint": _("Touchpoint"),
                "score": _("Moment score"),
                "answers": _("Answers"),
                "caption": _("Moment score of each touchpoint, in map order"),
            }.items()
        }

    def cells(self, outline: Outline, moments: JourneyMoments) -> str:
        points, index = _points(outline, moments)
        by_stage: dict[int, list[_Point]] = {}
        for p in points:
            by_stage.setdefault(int(p.x), []).append(p)
        parts = []
        for stage_id, _name in outline.stages:
            i = index[stage_id]
            parts.append(self._cell(stage_id, i, by_stage.get(i, []), points, moments.weakest))
        return "".join(parts)

    def _cell(
        self, stage_id: int, i: int, own: list[_Point], points: list[_Point], weakest: int | None
    ) -> str:
        line = []
        left, right = _edge_y(points, i), _edge_y(points, i + 1)
        if left is not None:
            line.append(f"0,{_pct(left)}")
        line.extend(f"{_pct((p.x - i) * 100)},{_pct(p.y)}" for p in own)
        if right is not None:
            line.append(f"100,{_pct(right)}")
        glory = "".join(f"M{_pct((p.x - i) * 100)} {_pct(p.y)}h0" for p in own if p.glory)
        pain = "".join(f"M{_pct((p.x - i) * 100)} {_pct(p.y)}h0" for p in own if not p.glory)
        plot = [
            '<svg class="curve-plot" viewBox="0 0 100 100" preserveAspectRatio="none" '
            'width="100%" height="100%">'
            '<line class="curve-zero" x1="0" y1="50" x2="100" y2="50" '
            'vector-effect="non-scaling-stroke"/>'
        ]
        if len(line) > 1:
            plot.append(
                f'<polyline class="curve-line" points="{" ".join(line)}" '
                'vector-effect="non-scaling-stroke"/>'
            )
        for cls, d in (("glory", glory), ("pain", pain)):
            if d:
                plot.append(
                    f'<path class="curve-dots {cls}" d="{d}" vector-effect="non-scaling-stroke"/>'
                )
        plot.append("</svg>")
        mark = next((p for p in own if p.touchpoint_id == weakest), None)
        if mark is not None:
            x, y = _pct((mark.x - i) * 100), _pct(mark.y)
            # The label sits on the side away from the line's extreme, inside the drawing.
            dy = "-0.8em" if mark.y > 50 else "1.6em"
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

    def table(self, outline: Outline, moments: JourneyMoments) -> str:
        t = self.t
        names = {stage_id: escape(name) for stage_id, name in outline.stages}
        rows = []
        for pk, stage_id, title in outline.touchpoints:
            m = moments.of(pk)
            score = self._score_text(m)
            if pk == moments.weakest:
                score = f'{score} <strong class="weakest-note">{t["weakest_moment"]}</strong>'
            rows.append(
                f'<tr><td>{names[stage_id]}</td><td><a href="#tp-{pk}">{escape(title)}</a></td>'
                f"<td>{score}</td><td>{m.n if m is not None else 0}</td></tr>"
            )
        return (
            f'<summary>{t["toggle"]}</summary><table class="table curve-numbers">'
            f'<caption class="visually-hidden">{t["caption"]}</caption><thead><tr>'
            f'<th scope="col">{t["stage"]}</th><th scope="col">{t["touchpoint"]}</th>'
            f'<th scope="col">{t["score"]}</th><th scope="col">{t["answers"]}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def _score_text(self, m: Moment | None) -> str:
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
