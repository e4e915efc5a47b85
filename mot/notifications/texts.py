"""How each kind of notification reads: worded when shown, in the reader's language.

A notification keeps only parameters (:mod:`mot.notifications.models`); these functions turn
them into a headline and a detail line for the list page and the e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mot.notifications.models import Kind


@dataclass(frozen=True)
class Wording:
    headline: str
    detail: str


def _day(value: object) -> str:
    try:
        return date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return ""


def _points(value: object) -> str:
    try:
        return str(abs(round(float(value))))
    except (TypeError, ValueError):
        return "?"


def _count(value: object) -> int:
    """The number that picks a plural form; 0 (a plural in English) when it is not one."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def _score(value: object) -> str:
    try:
        return str(round(float(value)))
    except (TypeError, ValueError):
        return "?"


def overdue_item(item: dict) -> Wording:
    """One follow-up listed in an overdue digest e-mail."""
    return Wording(
        str(item.get("touchpoint", "")),
        _("%(journey)s · due %(due)s")
        % {"journey": item.get("journey", ""), "due": _day(item.get("due_on"))},
    )


def wording(kind: str, params: dict) -> Wording:
    if kind == Kind.FOLLOWUP_NEW:
        touchpoint = params.get("touchpoint", "")
        if params.get("queue"):
            headline = _("New follow-up in the workspace queue: %(touchpoint)s")
        else:
            headline = _("New follow-up for you: %(touchpoint)s")
        return Wording(
            headline % {"touchpoint": touchpoint},
            _("%(journey)s · due %(due)s")
            % {"journey": params.get("journey", ""), "due": _day(params.get("due_on"))},
        )
    if kind == Kind.FOLLOWUPS_OVERDUE:
        count = int(params.get("count", 0))
        if params.get("workspace_wide"):
            headline = ngettext(
                "%(count)d follow-up of the workspace is overdue",
                "%(count)d follow-ups of the workspace are overdue",
                count,
            )
        else:
            headline = ngettext(
                "%(count)d of your follow-ups is overdue",
                "%(count)d of your follow-ups are overdue",
                count,
            )
        return Wording(
            headline % {"count": count},
            _("Digest of %(day)s") % {"day": _day(params.get("day"))},
        )
    if kind == Kind.MOMENT_TURN:
        points = _points(params.get("change"))
        margin = _points(params.get("margin"))
        margin = ngettext("±%(n)s point", "±%(n)s points", _count(margin)) % {"n": margin}
        return Wording(
            ngettext(
                "%(touchpoint)s dropped %(points)s point",
                "%(touchpoint)s dropped %(points)s points",
                _count(points),
            )
            % {"touchpoint": params.get("touchpoint", ""), "points": points},
            ngettext(
                "%(journey)s: moment score %(previous)s → %(current)s, the last %(days)s day "
                "against the %(days)s before (beyond the margin of %(margin)s)",
                "%(journey)s: moment score %(previous)s → %(current)s, the last %(days)s days "
                "against the %(days)s before (beyond the margin of %(margin)s)",
                _count(params.get("days")),
            )
            % {
                "journey": params.get("journey", ""),
                "previous": _score(params.get("previous")),
                "current": _score(params.get("current")),
                "days": params.get("days", ""),
                "margin": margin,
            },
        )
    if kind == Kind.WEBHOOK_DISABLED:
        return Wording(
            _("Webhook endpoint “%(name)s” was disabled") % {"name": params.get("name", "")},
            _("Disabled after %(n)d deliveries in a row failed.") % {"n": _count(params.get("n"))},
        )
    return Wording(str(Kind(kind).label) if kind in Kind.values else kind, "")
