"""The dashboard's plotly figures, built on the server from the page's numbers (page.py).

Each function returns the figure as plain JSON data (its data and layout through
``plotly.io.to_json``, parsed back so the template's ``json_script`` escapes it; not validated per
request: tests/metrics/test_dashboard_charts.py checks every figure with ``go.Figure``), or ``None``
when there is too little to draw: the page then shows its empty state instead. plotly.js draws the
figures in the browser (static/js/dashboard.js); tables.py gives the same numbers as tables.

Scores below the minimum sample are left out of the lines and cells (a gap, not a number), so a
chart never shows a value that looks trustworthy when it is not. Text that people typed (journey,
stage and touchpoint names) is HTML-escaped: plotly renders a few tags in labels and hover text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape

import plotly.io as pio
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from metrics.compute import Moment
from metrics.models import RetentionCohort
from metrics.read.dashboard import ImpactRow
from metrics.summaries import Heatmap, MomentRow, TrendPoint
from mot.formats import plotly_separators

GLORY = "#1e7a3c"
PAIN = "#b3261e"
NEUTRAL = "#8a93a3"
ACCENT = "#2554c7"
BAND = "rgba(37, 84, 199, 0.15)"
# Red (pain) through white to green (glory), symmetric around a moment score of 0.
DIVERGING = [[0.0, PAIN], [0.5, "#f7f7f7"], [1.0, GLORY]]
SEQUENTIAL = [[0.0, "#f7fbff"], [1.0, ACCENT]]
SCORE_RANGE = [-105, 105]
ARROW = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"  # between stage and touchpoint


def _layout(**extra) -> dict:
    layout = {
        "template": "none",
        "font": {"family": "system-ui, sans-serif", "size": 13},
        "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        "hovermode": "closest",
        "showlegend": False,
        # The active language's decimal mark and thousands separator, in ticks and hover texts
        # alike (plotly's own default is English's ".,").
        "separators": plotly_separators(),
    }
    layout.update(extra)
    return layout


def _json(data: list[dict], layout: dict) -> dict:
    # Not validated here: building a validated go.Figure costs ~10 ms a chart, which every page
    # view would pay; tests/metrics/test_dashboard_charts.py validates every figure instead.
    return json.loads(pio.to_json({"data": data, "layout": layout}, validate=False))


def fullest(moments: Iterable[Moment]) -> int:
    """The most answers behind one point, cell or bar: what an empty chart reports against the
    minimum sample each of them needs ("not enough answers yet — n of 30")."""
    return max((m.n for m in moments), default=0)


def _text(value: str) -> str:
    return escape(value, quote=False)


def trend_figure(points: list[TrendPoint]) -> dict | None:
    """NPS with its margin-of-error band and the moment score, per day, week or month."""
    if not any(p.nps.enough or p.moment.enough for p in points):
        return None
    x = [p.start.isoformat() for p in points]
    nps = [p.nps.score if p.nps.enough else None for p in points]
    upper = [p.nps.score + p.nps.margin if p.nps.enough else None for p in points]
    lower = [p.nps.score - p.nps.margin if p.nps.enough else None for p in points]
    moment = [p.moment.score if p.moment.enough else None for p in points]
    n = [p.counts.answers for p in points]
    return _json(
        [
            {
                "type": "scatter",
                "x": x,
                "y": lower,
                "mode": "lines",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            {
                "type": "scatter",
                "x": x,
                "y": upper,
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": BAND,
                "hoverinfo": "skip",
                "name": _("NPS margin of error (95%)"),
            },
            {
                "type": "scatter",
                "x": x,
                "y": nps,
                "customdata": n,
                "mode": "lines+markers",
                "line": {"color": ACCENT, "width": 2},
                "name": _("NPS"),
                "hovertemplate": _("NPS %{y:.1f} (%{customdata} answers)") + "<extra></extra>",
            },
            {
                "type": "scatter",
                "x": x,
                "y": moment,
                "customdata": n,
                "mode": "lines+markers",
                "line": {"color": GLORY, "width": 2, "dash": "dot"},
                "name": _("Moment score"),
                "hovertemplate": _("Moment score %{y:.1f} (%{customdata} answers)")
                + "<extra></extra>",
            },
        ],
        _layout(
            showlegend=True,
            legend={"orientation": "h", "y": -0.2},
            yaxis={"range": SCORE_RANGE, "zeroline": True, "title": {"text": _("points")}},
            xaxis={"type": "date"},
            margin={"l": 60, "r": 20, "t": 20, "b": 80},
        ),
    )


def colorbar_below(title: str) -> dict:
    """A heatmap's colour bar under the cells, not beside them: on a phone a side bar left the
    columns too narrow for their labels, and Plotly dropped every other one."""
    return {
        "title": {"text": title, "side": "top"},
        "orientation": "h",
        "x": 0.5,
        "xanchor": "center",
        "y": -0.04,
        "yanchor": "top",
        "thickness": 12,
        "len": 0.8,
    }


def heatmap_layout(*, rows: int, row_height: int) -> dict:
    return _layout(
        yaxis={"autorange": "reversed", "automargin": True},
        # automargin: the top margin grows to hold the column labels whole once Plotly
        # tilts them (a narrow chart tilted "No moment" out of the figure).
        xaxis={"side": "top", "automargin": True},
        margin={"l": 20, "r": 20, "t": 40, "b": 20},
        height=max(280, 130 + row_height * rows),
    )


def heatmap_figure(heat: Heatmap, links: dict[tuple[int, str], str], no_moment: str) -> dict | None:
    """Moment score per row (stage or journey) and MOT stage; hover gives n and the shares, a
    click opens the cell's answers (the link travels in customdata)."""
    if not any(c.moment.enough for c in heat.cells.values()):
        return None
    columns = [label or no_moment for _code, label in heat.columns]
    z, text, custom = [], [], []
    for row_id, _label in heat.rows:
        z_row, text_row, custom_row = [], [], []
        for code, _col in heat.columns:
            cell = heat.cell(row_id, code)
            m = cell.moment if cell else None
            z_row.append(m.score if m and m.enough else None)
            text_row.append(f"{m.score:.0f}" if m and m.enough else (f"n={m.n}" if m else ""))
            custom_row.append(
                [
                    m.n if m else 0,
                    m.glory_share if m else None,
                    m.neutral_share if m else None,
                    m.pain_share if m else None,
                    links.get((row_id, code), ""),
                ]
            )
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    hover = _(
        "%{y} · %{x}<br>n = %{customdata[0]}<br>glory %{customdata[1]:.0f}% · "
        "neutral %{customdata[2]:.0f}% · pain %{customdata[3]:.0f}%"
    )
    return _json(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": columns,
                "y": [_text(label) for _id, label in heat.rows],
                "text": text,
                "texttemplate": "%{text}",
                "customdata": custom,
                "hovertemplate": hover + "<extra></extra>",
                "colorscale": DIVERGING,
                "zmin": -100,
                "zmax": 100,
                "zmid": 0,
                "xgap": 2,
                "ygap": 2,
                "colorbar": colorbar_below(_("Moment score")),
            }
        ],
        heatmap_layout(rows=len(heat.rows), row_height=44),
    )


def curve_figure(moments: list[MomentRow], weakest: MomentRow | None) -> dict | None:
    """The emotion curve: each touchpoint's moment score in map order, glory above zero, pain
    below, stage names above the touchpoints, the weakest moment marked."""
    if not any(m.moment.enough for m in moments):
        return None
    x = list(range(len(moments)))
    y = [m.moment.score if m.moment.enough else None for m in moments]
    colours = [GLORY if (s or 0) >= 0 else PAIN for s in y]
    custom = [[m.moment.n, _text(m.touchpoint.stage_name)] for m in moments]
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": 0,
            "y1": 105,
            "fillcolor": "rgba(30,122,60,0.07)",
            "line": {"width": 0},
            "layer": "below",
        },
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": -105,
            "y1": 0,
            "fillcolor": "rgba(179,38,30,0.07)",
            "line": {"width": 0},
            "layer": "below",
        },
    ]
    annotations = []
    previous_stage = None
    for i, m in enumerate(moments):
        if m.touchpoint.stage_id != previous_stage:
            previous_stage = m.touchpoint.stage_id
            annotations.append(
                {
                    "x": i - 0.4,
                    "y": 1.02,
                    "xref": "x",
                    "yref": "paper",
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 12},
                    "text": f"<b>{_text(m.touchpoint.stage_name)}</b>",
                }
            )
            if i:
                shapes.append(
                    {
                        "type": "line",
                        "x0": i - 0.5,
                        "x1": i - 0.5,
                        "yref": "paper",
                        "y0": 0,
                        "y1": 1,
                        "line": {"color": "#d8dce3", "width": 1, "dash": "dot"},
                    }
                )
    if weakest is not None and weakest in moments:
        i = moments.index(weakest)
        annotations.append(
            {
                "x": i,
                "y": weakest.moment.score,
                "text": _("Weakest moment"),
                "showarrow": True,
                "arrowhead": 2,
                "ax": 0,
                "ay": -40,  # the label above the point, clear of the touchpoint names
                "font": {"color": PAIN},
            }
        )
    return _json(
        [
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "customdata": custom,
                "mode": "lines+markers",
                "line": {"color": NEUTRAL, "width": 2, "shape": "spline", "smoothing": 0.6},
                "marker": {"color": colours, "size": 11, "line": {"color": "#fff", "width": 1}},
                "hovertemplate": f"%{{customdata[1]}} {ARROW} %{{text}}<br>"
                + _("moment score %{y:.1f} (%{customdata[0]} answers)")
                + "<extra></extra>",
                "text": [_text(m.touchpoint.title) for m in moments],
            }
        ],
        _layout(
            xaxis={
                "tickmode": "array",
                "tickvals": x,
                "ticktext": [_text(m.touchpoint.title) for m in moments],
                "tickangle": -35,
                "automargin": True,
                "range": [-0.6, len(moments) - 0.4],
            },
            yaxis={
                "range": SCORE_RANGE,
                "zeroline": True,
                "zerolinecolor": "#5b6474",
                "title": {"text": _("moment score")},
            },
            shapes=shapes,
            annotations=annotations,
            margin={"l": 60, "r": 20, "t": 40, "b": 20},
            height=420,
        ),
    )


def cohort_figure(cohorts: Iterable[RetentionCohort], min_sample: int) -> dict | None:
    """Share of each monthly cohort active in each later month; cohorts of fewer customers than
    the minimum sample are left out."""
    rows: dict[str, dict[int, RetentionCohort]] = {}
    for c in cohorts:
        if c.customers >= min_sample:
            # "May 2026" in the active language (the months come in order: not sorted by name).
            rows.setdefault(date_format(c.cohort, "YEAR_MONTH_FORMAT"), {})[c.offset] = c
    if not rows:
        return None
    width = 1 + max(max(r) for r in rows.values())
    z = [[r[o].share if o in r else None for o in range(width)] for r in rows.values()]
    custom = [
        [[r[o].active, r[o].customers] if o in r else [0, 0] for o in range(width)]
        for r in rows.values()
    ]
    labels = [f"{month} ({next(iter(r.values())).customers})" for month, r in rows.items()]
    return _json(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": list(range(width)),
                "y": labels,
                "customdata": custom,
                "colorscale": SEQUENTIAL,
                "zmin": 0,
                "zmax": 100,
                "xgap": 1,
                "ygap": 1,
                "hovertemplate": _(
                    "cohort %{y}, month %{x}: %{z:.1f}% active "
                    "(%{customdata[0]} of %{customdata[1]})"
                )
                + "<extra></extra>",
                "colorbar": {"title": {"text": _("% active")}},
            }
        ],
        _layout(
            xaxis={"title": {"text": _("months since the first activity")}, "dtick": 1},
            yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
            height=max(240, 60 + 22 * len(rows)),
        ),
    )


def impacts_shown(impacts: list[ImpactRow]) -> list[ImpactRow]:
    """The moments the impact chart and its table show: enough customers, largest first."""
    return [r for r in impacts if r.impact.enough]


def impact_figure(impacts: list[ImpactRow]) -> dict | None:
    """Retention of customers whose answer was glory minus pain, per touchpoint, with its 95%
    interval: the top bar is the moment that loses most customers when it goes wrong."""
    shown = impacts_shown(impacts)
    if not shown:
        return None
    shown = shown[::-1]  # plotly draws the first bar at the bottom
    diff = [r.impact.difference for r in shown]
    return _json(
        [
            {
                "type": "bar",
                "x": diff,
                "y": [_text(r.touchpoint.title) for r in shown],
                "orientation": "h",
                "marker": {"color": [PAIN if r.impact.low > 0 else NEUTRAL for r in shown]},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [r.impact.high - r.impact.difference for r in shown],
                    "arrayminus": [r.impact.difference - r.impact.low for r in shown],
                    "color": "#1d2330",
                },
                "customdata": [
                    [r.impact.low, r.impact.high, r.impact.glory_n, r.impact.pain_n] for r in shown
                ],
                "hovertemplate": _(
                    "%{y}: %{x:.1f} points (95%: %{customdata[0]:.1f} to %{customdata[1]:.1f}); "
                    "%{customdata[2]} glory, %{customdata[3]} pain customers"
                )
                + "<extra></extra>",
            }
        ],
        _layout(
            xaxis={"title": {"text": _("retention points, glory minus pain")}, "zeroline": True},
            yaxis={"automargin": True},
            height=max(220, 60 + 30 * len(shown)),
        ),
    )
