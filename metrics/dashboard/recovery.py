"""The dashboard's recovery chart: the follow-ups opened in the period at each touchpoint, by
where they stand (plotly JSON, like metrics/dashboard/figures.py; the template's table gives the
same numbers with the times and the overdue count)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from metrics.dashboard.figures import ACCENT, GLORY, NEUTRAL, PAIN, _json, _layout, _text
from metrics.summaries import RecoveryPanel


def _share(share: float | None) -> str:
    return "—" if share is None else f"{share:.0f}%"


def recovery_figure(panel: RecoveryPanel) -> dict | None:
    """A stacked bar per touchpoint (most follow-ups on top): recovered, not recovered, no
    action needed, still open; the hover gives the share recovered and its n."""
    if not panel.rows:
        return None
    rows = panel.rows[::-1]  # plotly draws the first bar at the bottom
    y = [_text(r.touchpoint.title) for r in rows]
    custom = [
        [r.figures.opened, _share(r.figures.recovered_share), r.figures.with_outcome] for r in rows
    ]
    hover = _(
        "%{y}: %{x} %{fullData.name}<br>%{customdata[0]} opened · recovered "
        "%{customdata[1]} of %{customdata[2]} closed with an outcome"
    )
    parts = [
        (_("Recovered"), GLORY, [r.figures.recovered for r in rows]),
        (_("Not recovered"), PAIN, [r.figures.not_recovered for r in rows]),
        (_("No action needed"), NEUTRAL, [r.figures.no_action for r in rows]),
        (_("Open or in progress"), ACCENT, [r.figures.opened - r.figures.closed for r in rows]),
    ]
    return _json(
        [
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": x,
                "y": y,
                "marker": {"color": colour},
                "customdata": custom,
                "hovertemplate": hover + "<extra></extra>",
            }
            for name, colour, x in parts
        ],
        _layout(
            barmode="stack",
            showlegend=True,
            legend={"orientation": "h", "y": -0.25},
            xaxis={"title": {"text": _("follow-ups opened in the period")}},
            yaxis={"automargin": True},
            margin={"l": 60, "r": 20, "t": 20, "b": 90},
            height=max(260, 110 + 30 * len(rows)),
        ),
    )
