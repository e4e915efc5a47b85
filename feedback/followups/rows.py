"""The rows of My follow-ups and of the team queue, rendered by one Python function.

A list shows up to 500 rows, each with its status form and, on the team queue, a reassignment
form listing every member. Through the template engine (an include per row, its url reversals,
translations and a select of members) a row cost about 1.5 ms, so 120 rows took 190 ms on the
bench (bench/followups.py); here every URL prefix, translated label, the CSRF field and the
members' options are made once per request, and a row is a few string joins (as the map's
cards, journeys/map/cards.py). The same renderer draws a single row again after an htmx change,
so a row looks the same wherever it comes from.

Every user-supplied value goes through ``escape``; the markup around it is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from html import escape as _html_escape

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from feedback.followups.models import Status
from feedback.followups.selectors import Row
from mot.models import Membership

COMMENT_CHARS = 160


def escape(value: object) -> str:
    """HTML-escape text, quotes included (the standard library's: several times cheaper than
    Django's lazy-aware wrapper, called a dozen times a row)."""
    return _html_escape(str(value), quote=True)


class RowRenderer:
    """Draws list rows for one request: one viewer, one list (``kind``: mine or team)."""

    def __init__(
        self, *, ws: str, kind: str, csrf_token: str, members: Sequence[Membership] = ()
    ) -> None:
        self.kind = kind
        # "/w/acme/follow-ups/0/" -> "/w/acme/follow-ups/": every row URL is prefix + id + action.
        self.prefix = reverse("followups:detail", kwargs={"ws": ws, "pk": 0})[:-2]
        self.hidden = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
            f'<input type="hidden" name="row" value="{escape(kind)}">'
        )
        self.status_labels = {value: escape(label) for value, label in Status.choices}
        self.t = {
            key: escape(text)
            for key, text in {
                "overdue": _("Overdue"),
                "queue": _("In the workspace's queue"),
                "new_status": _("New status"),
                "change": _("Change status"),
                "reopen": _("Reopen"),
                "reassign_to": _("Reassign to"),
                "reassign": _("Reassign"),
                "nobody": _("Nobody: the workspace's queue"),
            }.items()
        }
        self.fmt_due = escape(_("Due %(date)s"))
        self.fmt_assigned = escape(_("Assigned to %(name)s"))
        self.fmt_nps = escape(_("NPS %(value)s"))
        self.fmt_csat = escape(_("CSAT %(value)s"))
        self.member_options = "".join(
            f'<option value="{m.pk}">{escape(m.display_name)}</option>' for m in members
        )
        self._dates: dict[date, str] = {}
        self._names: dict[int, str] = {}

    def _due(self, day: date) -> str:
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = self.fmt_due % {"date": escape(date_format(day))}
        return text

    def _assignee(self, row: Row) -> str:
        if row.assignee_id is None:
            return self.t["queue"]
        text = self._names.get(row.assignee_id)
        if text is None:
            name = escape(row.assignee_name)
            text = self._names[row.assignee_id] = self.fmt_assigned % {"name": name}
        return text

    def render(
        self,
        f: Row,
        *,
        message: str = "",
        errors: Iterable[str] = (),
        autofocus: bool = False,
    ) -> str:
        """One row; its ``can_act``, ``can_reassign`` and ``next_statuses`` were set by the view
        through the policy."""
        pk = f.pk
        t = self.t
        overdue = f.is_overdue
        score = (
            self.fmt_nps % {"value": f.nps}
            if f.nps is not None
            else self.fmt_csat % {"value": f.csat}
        )
        comment = (
            f'<q class="followup-comment">{escape(Truncator(f.comment).chars(COMMENT_CHARS))}</q>'
            if f.comment
            else ""
        )
        parts = [
            f'<li id="followup-row-{pk}" class="followup-row">'
            f'<article class="followup-card{" is-overdue" if overdue else ""}" '
            f'data-followup="{pk}" data-row-status="{f.status}" '
            f'aria-labelledby="followup-title-{pk}">',
            f'<p class="notice" role="alert">{escape(message)}</p>' if message else "",
        ]
        errors = list(errors)
        if errors:
            parts.append(
                '<div class="form-errors" role="alert">'
                + "".join(f"<p>{escape(e)}</p>" for e in errors)
                + "</div>"
            )
        parts.append(
            f'<p class="followup-card-head"><span class="followup-status status-{f.status}">'
            f"{self.status_labels[f.status]}</span>"
            + (f' <span class="overdue-badge">{t["overdue"]}</span>' if overdue else "")
            + f' <span class="hint">{self._due(f.due_on)}</span></p>'
            f'<p class="followup-card-title"><a id="followup-title-{pk}" class="followup-open" '
            f'href="{self.prefix}{pk}/"><strong>{escape(f.title)}</strong></a> '
            f'<span class="hint">{escape(f.journey)}</span> '
            f'<span class="followup-score">{score}</span></p>{comment}'
            f'<p class="hint followup-assignee">{self._assignee(f)}</p>'
        )
        reassign = self.kind == "team" and f.can_reassign
        if f.can_act or reassign:
            parts.append('<div class="followup-row-forms">')
            if f.can_act:
                parts.append(self._status_form(f, autofocus))
            if reassign:
                parts.append(self._assign_form(f, autofocus and not f.can_act))
            parts.append("</div>")
        parts.append("</article></li>")
        return "".join(parts)

    def _form(self, f: Row, action: str) -> str:
        url = f"{self.prefix}{f.pk}/{action}/"
        return (
            f'<form method="post" action="{url}" class="followup-row-form" hx-post="{url}" '
            f'hx-target="#followup-row-{f.pk}" hx-swap="outerHTML">{self.hidden}'
            f'<input type="hidden" name="version" value="{f.version}">'
        )

    def _status_form(self, f: Row, autofocus: bool) -> str:
        t = self.t
        focus = " data-autofocus" if autofocus else ""
        if f.is_closed:
            return (
                f'{self._form(f, "status")}<input type="hidden" name="status" value="open">'
                f'<button type="submit" class="secondary"{focus}>{t["reopen"]}</button></form>'
            )
        options = "".join(
            f'<option value="{s.value}">{self.status_labels[s.value]}</option>'
            for s in f.next_statuses
        )
        return (
            f'{self._form(f, "status")}<label for="row-status-{f.pk}">{t["new_status"]}</label>'
            f'<select name="status" id="row-status-{f.pk}"{focus}>{options}</select>'
            f'<button type="submit">{t["change"]}</button></form>'
        )

    def _assign_form(self, f: Row, autofocus: bool) -> str:
        t = self.t
        focus = " data-autofocus" if autofocus else ""
        options = self.member_options
        if f.assignee_id is not None:
            chosen = f'<option value="{f.assignee_id}">'
            options = options.replace(chosen, f'<option value="{f.assignee_id}" selected>', 1)
        return (
            f"{self._form(f, 'assign')}"
            f'<label for="row-assignee-{f.pk}">{t["reassign_to"]}</label>'
            f'<select name="assignee" id="row-assignee-{f.pk}"{focus}>'
            f'<option value="">{t["nobody"]}</option>{options}</select>'
            f'<button type="submit" class="secondary">{t["reassign"]}</button></form>'
        )

    def render_many(self, rows: Iterable[Row]) -> SafeString:
        return mark_safe("".join(self.render(f) for f in rows))  # noqa: S308 (escaped parts)
