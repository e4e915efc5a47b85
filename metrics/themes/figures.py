"""The Themes page's plotly figure: a theme's share of the pain comments, week by week (built on
the server as plain JSON like the dashboard's figures; drawn by static/js/dashboard.js)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from metrics.dashboard.figures import PAIN, _json, _layout, _text
from metrics.themes.read import SharePoint


def share_figure(points: list[SharePoint], label: str) -> dict | None:
    """The share line (None without a week to draw)."""
    if not points:
        return None
    return _json(
        [
            {
                "type": "scatter",
                "x": [p.week.isoformat() for p in points],
                "y": [p.share for p in points],
                "customdata": [[p.pain, p.pain_comments] for p in points],
                "mode": "lines+markers",
                "line": {"color": PAIN, "width": 2},
                "name": _text(label),
                "hovertemplate": _(
                    "%{y:.1f} % of pain comments (%{customdata[0]} of %{customdata[1]})"
                )
                + "<extra></extra>",
            }
        ],
        _layout(
            xaxis={"type": "date", "title": {"text": _("Week")}},
            yaxis={"title": {"text": _("Share of pain comments (%)")}, "rangemode": "tozero"},
        ),
    )
