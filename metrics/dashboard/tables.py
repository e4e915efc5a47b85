"""The dashboard's numbers as tables: the text alternative of each figure (metrics/dashboard/
figures.py), and the page without JavaScript. Cells that the page repeats by the hundred are built
here, escaped with ``format_html``: through the template they cost more than the rest of the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from metrics.dashboard.figures import impacts_shown
from metrics.models import RetentionCohort
from metrics.read.dashboard import ImpactRow
from metrics.summaries import Heatmap, MomentRow, TrendPoint


def impacts_listed(impacts: list[ImpactRow]) -> list[ImpactRow]:
    """The impact table: the chart's moments, or, while no moment has enough customers, the
    largest differences flagged as not enough (so the page still says where to look)."""
    return impacts_shown(impacts) or impacts


def heatmap_table(
    heat: Heatmap, links: dict[tuple[int, str], str], no_moment: str, min_sample: int
) -> dict:
    """Rows of (label, the row's cells as HTML) under the MOT stage columns: a cell links to
    its answers and shows its moment score and n, or "not enough answers"; "—" when no
    touchpoint of the row has answers in that moment.

    The cells are built here with ``format_html`` (every value escaped): through the template
    they were a tenth of the page's time."""
    one = _formatter(1)
    columns = [code for code, _label in heat.columns]

    def cell_html(row_id: int, code: str) -> str:
        cell = heat.cell(row_id, code)
        if cell is None:
            return "<td>—</td>"
        link, m = links.get((row_id, code), ""), cell.moment
        if m.enough:
            return format_html(
                '<td><a href="{}">{}</a> <span class="sub">n={}</span></td>',
                link,
                one(m.score),
                m.n,
            )
        return format_html(
            '<td><a href="{}"><span class="not-enough">{}</span></a></td>',
            link,
            not_enough(m.n, min_sample),
        )

    return {
        "columns": [label or no_moment for _code, label in heat.columns],
        "rows": [
            (label, mark_safe("".join(cell_html(row_id, code) for code in columns)))  # noqa: S308 (format_html above)
            for row_id, label in heat.rows
        ],
    }


def not_enough(n: int, min_sample: int) -> str:
    """The page's "not enough answers" text (the template's own words, one translation)."""
    return _("not enough answers — %(n)s of %(min_sample)s") % {"n": n, "min_sample": min_sample}


@dataclass(frozen=True)
class CohortRow:
    month: date
    customers: int
    shares: list[str | None]  # whole-percent text per month since, None after the data

    @property
    def cells(self) -> str:
        """The shares as table cells (a few hundred of them: built here, not by the template)."""
        return format_html_join("", '<td class="num">{}</td>', ((s or "",) for s in self.shares))


def cohort_table(cohorts: Iterable[RetentionCohort]) -> dict:
    """A CohortRow for every cohort, under the months since (offsets).

    Shares come as whole-percent text ("42%"): a few hundred cells through the template's
    ``floatformat`` cost more than the rest of the page, and whole numbers need no locale."""
    rows: dict = {}
    for c in cohorts:
        rows.setdefault(c.cohort, (c.customers, {}))[1][c.offset] = f"{c.share:.0f}%"
    width = 1 + max((max(shares) for _n, shares in rows.values() if shares), default=-1)
    return {
        "offsets": list(range(width)),
        "rows": [
            CohortRow(month, n, [shares.get(o) for o in range(width)])
            for month, (n, shares) in rows.items()
        ],
    }


def _formatter(digits: int):
    """Numbers as the active language writes them; the page's long tables format hundreds of
    numbers, for which the template's ``floatformat`` costs tens of milliseconds."""
    separator = get_format("DECIMAL_SEPARATOR")
    return lambda value: f"{value:.{digits}f}".replace(".", separator)


@dataclass(frozen=True)
class TrendRow:
    point: TrendPoint
    nps: str  # "12.5 ± 4.1", "" when not enough answers
    moment: str  # "" when not enough answers


def trend_table(points: list[TrendPoint]) -> list[TrendRow]:
    one = _formatter(1)
    return [
        TrendRow(
            p,
            f"{one(p.nps.score)} ± {one(p.nps.margin)}" if p.nps.enough else "",
            one(p.moment.score) if p.moment.enough else "",
        )
        for p in points
    ]


@dataclass(frozen=True)
class CurveRow:
    moment: MomentRow
    score: str  # "" when not enough answers
    shares: str  # "62% · 25% · 13%" (glory, neutral, pain), "" without answers
    weakest: bool


def curve_table(moments: list[MomentRow], weakest: MomentRow | None) -> list[CurveRow]:
    one = _formatter(1)
    weakest_pk = weakest.touchpoint.pk if weakest else None
    rows = []
    for m in moments:
        x = m.moment
        shares = (
            f"{x.glory_share:.0f}% · {x.neutral_share:.0f}% · {x.pain_share:.0f}%" if x.n else ""
        )
        rows.append(
            CurveRow(m, one(x.score) if x.enough else "", shares, m.touchpoint.pk == weakest_pk)
        )
    return rows
