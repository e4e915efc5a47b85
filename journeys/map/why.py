"""A card's "why": what lets customers down at the touchpoint over the last 90 days (the four
expectations and what separates pain from glory, metrics/expectations.py), as a closed
``<details>`` under the moment bar. Rendered in Python like the rest of the card
(journeys/map/cards.py): labels translated and escaped once per request, numbers filled in."""

from __future__ import annotations

from html import escape as _html_escape

from django.utils.translation import gettext as _

from metrics.expectations import EXPECTATION_LABELS, Diagnosis
from metrics.models import EXPECTATIONS
from metrics.read.expectations import RECENT_DAYS


def _escape(value: object) -> str:
    return _html_escape(str(value), quote=True)


class WhyRenderer:
    def __init__(self, *, min_sample: int) -> None:
        self.min_sample = min_sample
        self.names = {e: _escape(EXPECTATION_LABELS[e]) for e in EXPECTATIONS}
        self.summary_separator = _escape(
            _(
                "Customers in pain are let down on %(name)s "
                "(%(diff)s points, 95%%: %(low)s to %(high)s)"
            )
        )
        self.summary_weakest = _escape(_("Most often rated low: %(name)s (%(share)s%%)"))
        self.summary_few = _escape(_("Expectations: not enough data (%(n)s of %(min)s ratings)"))
        self.line = _escape(
            _(
                "%(name)s: %(share)s%% rated 1 or 2 (95%%: %(low)s to %(high)s), "
                "mean %(mean)s, n=%(n)s"
            )
        )
        self.line_few = _escape(_("%(name)s: not enough data (%(n)s of %(min)s)"))
        self.period = _escape(_("Last %(days)s days") % {"days": RECENT_DAYS})

    def render(self, diagnosis: Diagnosis | None) -> str:
        """The card's expectations, or "" when nobody rated them in the period."""
        if diagnosis is None or not diagnosis.rated:
            return ""
        separator, weakest = diagnosis.separator, diagnosis.weakest
        if separator is not None:
            summary = self.summary_separator % {
                "name": self.names[separator.expectation],
                "diff": f"{separator.difference:+.0f}",
                "low": f"{separator.low:.0f}",
                "high": f"{separator.high:.0f}",
            }
        elif weakest is not None:
            summary = self.summary_weakest % {
                "name": self.names[weakest.expectation],
                "share": f"{weakest.low_share:.0f}",
            }
        else:
            return (
                '<p class="card-why card-why-few">'
                + self.summary_few % {"n": diagnosis.rated, "min": self.min_sample}
                + "</p>"
            )
        lines = []
        for r in diagnosis.ratings:
            name = self.names[r.expectation]
            if r.enough:
                text = self.line % {
                    "name": name,
                    "share": f"{r.low_share:.0f}",
                    "low": f"{r.low_share_low:.0f}",
                    "high": f"{r.low_share_high:.0f}",
                    "mean": f"{r.mean:.1f}",
                    "n": r.n,
                }
            else:
                text = self.line_few % {"name": name, "n": r.n, "min": self.min_sample}
            lines.append(f"<li>{text}</li>")
        return (
            f'<details class="card-why"><summary>{summary}</summary>'
            f'<p class="card-why-period">{self.period}</p><ul>{"".join(lines)}</ul></details>'
        )
