"""The dashboard's expectations panel and blind spots: the touchpoints x expectations heatmap of
low-rating shares (its figure and its table), the headline of what separates pain from glory in
the scope, and each journey's coverage. Pure: the page's reads come in (metrics/dashboard/page.py).
What every number means: metrics/expectations.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.dashboard.figures import _json, _text, colorbar_below, heatmap_layout
from metrics.expectations import (
    EXPECTATION_LABELS,
    MOSTLY_NEUTRAL_KIND,
    NOT_MEASURED,
    TOO_FEW,
    Coverage,
    Diagnosis,
    Sums,
    blind_spots,
    diagnose,
)
from metrics.models import EXPECTATIONS
from metrics.summaries import MomentRow

BLIND_SPOT_LABELS = {
    NOT_MEASURED: gettext_lazy("no answers"),
    TOO_FEW: gettext_lazy("too few answers"),
    MOSTLY_NEUTRAL_KIND: gettext_lazy("mostly neutral"),
}
MAX_ROWS = 60  # touchpoints in the heatmap: those with the most rated answers, in map order
# White (no low ratings) to the pain red (every rating low).
LOW_SCALE = [[0.0, "#f7f7f7"], [1.0, "#b3261e"]]


@dataclass(frozen=True)
class ExpectationRow:
    moment: MomentRow
    diagnosis: Diagnosis


@dataclass(frozen=True)
class ExpectationPanel:
    rows: list[ExpectationRow]  # map order
    left_out: int  # touchpoints with rated answers beyond MAX_ROWS
    scope: Diagnosis  # all the matching touchpoints together

    @property
    def separator_label(self) -> str:
        s = self.scope.separator
        return str(EXPECTATION_LABELS[s.expectation]) if s else ""


def expectation_panel(
    moments: list[MomentRow], sums: dict[int, Sums], *, min_sample: int, limit: int = MAX_ROWS
) -> ExpectationPanel:
    """``moments``: the touchpoints matching the filters, map order; ``sums``: their period's
    expectation sums (metrics/read/expectations.py)."""
    rated = [m for m in moments if m.touchpoint.pk in sums]
    total = Sums.total(sums[m.touchpoint.pk] for m in rated)
    fullest = sorted(rated, key=lambda m: -sums[m.touchpoint.pk].rated)[:limit]
    kept = {m.touchpoint.pk for m in fullest}
    rows = [
        ExpectationRow(m, diagnose(sums[m.touchpoint.pk], min_sample=min_sample))
        for m in rated
        if m.touchpoint.pk in kept
    ]
    return ExpectationPanel(rows, len(rated) - len(rows), diagnose(total, min_sample=min_sample))


def coverages(moments: list[MomentRow]) -> dict[int, Coverage[int]]:
    """Per journey id, the coverage and blind spots of its matching touchpoints (by id)."""
    by_journey: dict[int, dict] = {}
    for m in moments:
        by_journey.setdefault(m.touchpoint.journey_id, {})[m.touchpoint.pk] = m.moment
    return {journey: blind_spots(scores) for journey, scores in by_journey.items()}


def expectations_figure(panel: ExpectationPanel, links: dict[int, str]) -> dict | None:
    """Low-rating share per touchpoint (rows) and expectation (columns); a click opens the
    touchpoint's answers (the link travels in customdata, as the moment heatmap's)."""
    if not any(r.enough for row in panel.rows for r in row.diagnosis.ratings):
        return None
    z, text, custom = [], [], []
    for row in panel.rows:
        z_row, text_row, custom_row = [], [], []
        for r in row.diagnosis.ratings:
            z_row.append(r.low_share if r.enough else None)
            text_row.append(f"{r.low_share:.0f}%" if r.enough else f"n={r.n}")
            link = links.get(row.moment.touchpoint.pk)
            custom_row.append([r.n, r.mean, r.low_share_low, r.low_share_high, link])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    hover = _(
        "%{y} · %{x}<br>n = %{customdata[0]}<br>rated 1 or 2: %{z:.0f}% "
        "(95%: %{customdata[2]:.0f} to %{customdata[3]:.0f})<br>mean %{customdata[1]:.2f} of 5"
    )
    return _json(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": [str(EXPECTATION_LABELS[e]) for e in EXPECTATIONS],
                "y": [_text(row.moment.touchpoint.title) for row in panel.rows],
                "text": text,
                "texttemplate": "%{text}",
                "customdata": custom,
                "hovertemplate": hover + "<extra></extra>",
                "colorscale": LOW_SCALE,
                "zmin": 0,
                "zmax": 100,
                "xgap": 2,
                "ygap": 2,
                "colorbar": colorbar_below(_("Rated 1 or 2 (%)")),
            }
        ],
        heatmap_layout(rows=len(panel.rows), row_height=30),
    )


def expectations_table(panel: ExpectationPanel, links: dict[int, str], min_sample: int) -> list:
    """(touchpoint title, its link, its cells as HTML) per row: each expectation's low-rating
    share with its interval, mean and n, or "not enough data"."""

    def cell(r) -> str:
        if not r.enough:
            return format_html(
                '<td><span class="not-enough">{}</span></td>',
                _("not enough data (%(n)s of %(min_sample)s)")
                % {"n": r.n, "min_sample": min_sample},
            )
        return format_html(
            '<td>{}% <span class="sub">({}) · {} · n={}</span></td>',
            f"{r.low_share:.0f}",
            _("95%%: %(low).0f to %(high).0f") % {"low": r.low_share_low, "high": r.low_share_high},
            _("mean %(mean).2f") % {"mean": r.mean},
            r.n,
        )

    return [
        (
            row.moment.touchpoint.title,
            links.get(row.moment.touchpoint.pk, ""),
            mark_safe("".join(cell(r) for r in row.diagnosis.ratings)),  # noqa: S308 (format_html)
        )
        for row in panel.rows
    ]
