"""Touchpoint cards on the map: read as plain rows, rendered by one Python function.

A 12-stage map of 2,400 cards has to render in under 100 ms. Model instances and a
template per card cost milliseconds per hundred cards (the template engine's url reversals,
translations and tag dispatch), so the board reads cards with ``values_list`` and renders them
here, with every URL prefix and translated label computed once per request. The same renderer
draws a single card for an htmx swap, so a card looks the same wherever it comes from.

Every user-supplied value goes through ``escape``; the markup around it is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape as _html_escape

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.map.why import WhyRenderer
from journeys.models import Channel, MotStage, Phase, Touchpoint
from metrics.expectations import Diagnosis
from metrics.read.moments import NO_MOMENTS, JourneyMoments, TouchpointMoment
from mot.models import Membership, initials_of, person_name


def escape(value: object) -> str:
    """HTML-escape text (quotes included). The standard library's escape on a plain str: Django's
    lazy-aware wrapper costs several times more, and 2,400 cards call this ~50,000 times."""
    return _html_escape(str(value), quote=True)


_FIELDS = (
    "pk",
    "stage_id",
    "position",
    "title",
    "description",
    "channel",
    "mot_stage",
    "phase",
    "owner_id",
    "owner__user__first_name",
    "owner__user__last_name",
    "owner__user__email",
    "owner__user__username",
)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 6x, on 2,400 cards
class Card:
    pk: int
    stage_id: int
    position: int
    title: str
    description: str
    channel: str
    mot_stage: str
    phase: str
    owner_id: int | None
    owner_name: str


def card_rows(touchpoints: QuerySet[Touchpoint]) -> list[Card]:
    """The cards of a touchpoint queryset (already filtered and ordered): one query."""
    cards = []
    for row in touchpoints.values_list(*_FIELDS):
        (pk, stage_id, position, title, description, channel, mot, phase, owner_id) = row[:9]
        first, last, email, username = row[9:]
        name = person_name(first or "", last or "", email or "", username or "") if owner_id else ""
        cards.append(
            Card(pk, stage_id, position, title, description, channel, mot, phase, owner_id, name)
        )
    return cards


class MomentLabels:
    """A moment's texts, translated once per request: the card overlay and the curve's table
    say the same thing the same way."""

    def __init__(self, *, min_sample: int) -> None:
        self.min_sample = min_sample
        self.none = escape(_("No answers yet"))
        # Escaped once; only numbers are filled in.
        self._few = escape(_("Not enough answers — %(n)s of %(min)s"))
        self._shares: dict[int, str] = {}

    def few(self, n: int) -> str:
        return self._few % {"n": n, "min": self.min_sample}

    def shares(self, m: TouchpointMoment) -> str:
        """ "Glory 42%, neutral 30%, pain 28% of 57 answers"."""
        fmt = self._shares.get(m.n)
        if fmt is None:
            fmt = self._shares[m.n] = escape(
                ngettext(
                    "Glory %(glory)s%%, neutral %(neutral)s%%, pain %(pain)s%% of %(n)s answer",
                    "Glory %(glory)s%%, neutral %(neutral)s%%, pain %(pain)s%% of %(n)s answers",
                    m.n,
                )
            )
        # Whole percents, rounded half up (int arithmetic: formatting floats costs more).
        return fmt % {
            "glory": int(m.glory_share + 0.5),
            "neutral": int(m.neutral_share + 0.5),
            "pain": int(m.pain_share + 0.5),
            "n": m.n,
        }

    @staticmethod
    def signed(score: float) -> str:
        """A moment score as a whole number of points with its sign: +14, -8, 0."""
        rounded = round(score)
        if rounded > 0:
            return f"+{rounded}"
        return f"\N{MINUS SIGN}{-rounded}" if rounded < 0 else "0"


@dataclass(frozen=True, slots=True)
class Neighbours:
    """What a card's move controls need to know about its stage."""

    total: int  # cards in the stage, shown or not
    previous_stage: int | None
    next_stage: int | None


class CardRenderer:
    """Renders cards for one request: one viewer, one workspace, one set of permissions."""

    def __init__(
        self,
        *,
        ws: str,
        csrf_token: str,
        can_edit: bool,
        can_assign: bool,
        can_reorder: bool,
        focus: str = "",
        focus_tp: int | None = None,
        min_sample: int,
        moments: JourneyMoments = NO_MOMENTS,
        followups_url: str = "",
        log_any: bool = False,
        log_owner: int | None = None,
    ) -> None:
        self.can_edit = can_edit
        # Who may log a record on a card (mot.policy's LOG_RECORD): on every card, or (staff)
        # on the cards this membership owns.
        self.log_any = log_any
        self.log_owner = log_owner
        self.can_assign = can_assign
        self.can_reorder = can_reorder
        self.focus = focus
        self.focus_tp = focus_tp
        # "/w/acme/touchpoints/0/" → "/w/acme/touchpoints/": every card URL is prefix + id + action.
        self.prefix = reverse("journeys:touchpoint_card", kwargs={"ws": ws, "pk": 0})[:-2]
        # The answers behind a card's numbers: the explorer filtered to the touchpoint.
        self.answers_url = reverse("explorer:list", kwargs={"ws": ws}) + "?touchpoint="
        self.moments = moments
        # Active follow-ups per touchpoint (metrics.read.followups), and where the viewer reads
        # a touchpoint's ("" when their role has no list of them: the count alone).
        self.followups: dict[int, int] = {}
        self.followups_url = escape(followups_url)
        self._followup_labels: dict[int, str] = {}
        self.labels = MomentLabels(min_sample=min_sample)
        # Each touchpoint's expectations over the last 90 days (metrics.read.expectations).
        self.diagnoses: dict[int, Diagnosis] = {}
        self.why = WhyRenderer(min_sample=min_sample)
        self.csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        self.mot_labels = {value: escape(label) for value, label in MotStage.choices}
        self.channel_labels = {value: escape(label) for value, label in Channel.choices}
        self.phase_labels = {value: escape(label) for value, label in Phase.choices}
        self.t = {
            key: escape(text)
            for key, text in {
                "drag": _("Drag to move"),
                "moment": _("Moment of truth"),
                "channel": _("Channel"),
                "phase": _("Phase"),
                "owner": _("Owner:"),
                "no_owner": _("No owner"),
                "change_owner": _("Owner…"),
                "edit": _("Edit"),
                "up": _("Move up"),
                "down": _("Move down"),
                "prev": _("Move to the previous stage"),
                "next": _("Move to the next stage"),
                "delete": _("Delete"),
                "set_owner": _("Set owner"),
                "nobody": _("Nobody"),
                "cancel": _("Cancel"),
                "score": _("Moment score"),
                "weakest": _("Weakest moment"),
                "weakest_title": _("The lowest moment score of the journey"),
                "log_record": _("Log a record"),
            }.items()
        }
        # Per-card sentences: translated and escaped once here, filled in per card with the
        # escaped title (escaping is per character, so escape(f % t) == escape(f) % escape(t)).
        self.fmt_change_owner = escape(_("Change who owns %(title)s"))
        self.fmt_owner_of = escape(_("Owner of %(title)s"))
        self.fmt_confirm_delete = escape(_("Delete the touchpoint “%(title)s”?"))
        self.fmt_delete = escape(_("Delete %(title)s"))
        self.fmt_log_record = escape(_("Log a record on %(title)s"))
        t = self.t
        self.arrows = {
            direction: (
                f'<button type="submit" name="direction" value="{direction}" '
                f'class="icon move-{direction}" aria-label="{t[direction]}: ',
                f'" title="{t[direction]}"',
                f">{symbol}</button>",
            )
            for direction, symbol in (("up", "↑"), ("down", "↓"), ("prev", "←"), ("next", "→"))
        }
        self.handle = (
            f'<span class="drag-handle" aria-hidden="true" title="{self.t["drag"]}">⠿</span>'
            if can_reorder
            else ""
        )
        self._meta_cache: dict[tuple[str, str, str], str] = {}
        self._owner_cache: dict[int | None, str] = {}

    def _focus_of(self, card: Card) -> str:
        """Which of the card's controls takes focus ("" for none): checked once per card."""
        return self.focus if self.focus_tp == card.pk else ""

    def render(
        self,
        card: Card,
        where: Neighbours,
        *,
        members: Sequence[Membership] = (),
        owner_form: bool = False,
    ) -> str:
        pk = card.pk
        title = escape(card.title)
        focused = self._focus_of(card)
        focus = " data-autofocus" if focused == "card" else ""
        move_url = f' data-move-url="{self.prefix}{pk}/move/"' if self.can_reorder else ""
        weakest = pk == self.moments.weakest
        parts = [
            f'<li class="card" id="tp-{pk}" tabindex="-1" data-tp-id="{pk}"{move_url}{focus}'
            f"{' data-weakest' if weakest else ''}>"
            f'<div class="card-head">{self.handle}<h3 class="card-title">{title}</h3></div>'
            f"{self._meta(card)}{self._moment(pk, weakest)}"
            f"{self.why.render(self.diagnoses.get(pk))}{self._followups(pk)}",
            f'<p class="card-description">{escape(card.description)}</p>'
            if card.description
            else "",
            self._owner(card),
        ]
        if self.can_assign:
            parts.append(
                self._owner_form(card, title, members)
                if owner_form
                else self._owner_button(card, title, focused)
            )
        if self.log_any or (self.log_owner is not None and card.owner_id == self.log_owner):
            url = f"{self.prefix}{pk}/record/"
            parts.append(
                f'<a class="button secondary small record-open" href="{url}" hx-get="{url}" '
                f'hx-target="#tp-{pk}" hx-swap="outerHTML" '
                f'aria-label="{self.fmt_log_record % {"title": title}}"'
                f"{' data-autofocus' if focused == 'record' else ''}>{self.t['log_record']}</a>"
            )
        if self.can_edit:
            parts.append(self._tools(card, title, where, focused))
        parts.append("</li>")
        return "".join(parts)

    def _meta(self, card: Card) -> str:
        """Badge and chips: the same few combinations recur on a board, so each is built once."""
        key = (card.mot_stage, card.channel, card.phase)
        html = self._meta_cache.get(key)
        if html is None:
            t = self.t
            badge = (
                f'<span class="mot-badge mot-{card.mot_stage}" title="{t["moment"]}">'
                f"{self.mot_labels[card.mot_stage]}</span>"
                if card.mot_stage
                else ""
            )
            html = self._meta_cache[key] = (
                f'<p class="card-meta">{badge}'
                f'<span class="chip" title="{t["channel"]}">{self.channel_labels[card.channel]}'
                f'</span><span class="chip" title="{t["phase"]}">{self.phase_labels[card.phase]}'
                "</span></p>"
            )
        return html

    def _moment(self, pk: int, weakest: bool) -> str:
        """The glory/neutral/pain bar and the moment score, or why there is none."""
        m = self.moments.of(pk)
        labels = self.labels
        if m is None or not m.n:
            return f'<p class="moment moment-none">{labels.none}</p>'
        url = f"{self.answers_url}{pk}"
        if not m.enough or m.score is None:
            return f'<p class="moment moment-few"><a href="{url}">{labels.few(m.n)}</a></p>'
        t = self.t
        tone = "glory" if m.score > 0 else "pain" if m.score < 0 else "even"
        badge = (
            f'<span class="weakest-badge" title="{t["weakest_title"]}">{t["weakest"]}</span>'
            if weakest
            else ""
        )
        # One unit of the bar's width per answer (the drawing is stretched to the card): exact
        # proportions from whole numbers. Neutral is the bar's own colour, between the glory
        # segment (from the left) and the pain one (to the right).
        return (
            f'<div class="moment"><svg class="moment-bar" role="img" viewBox="0 0 {m.n} 1" '
            f'preserveAspectRatio="none"><title>{labels.shares(m)}</title>'
            f'<rect class="bar-glory" width="{m.glory}" height="1"/>'
            f'<rect class="bar-pain" x="{m.n - m.pain}" width="{m.pain}" height="1"/></svg>'
            f'<a class="moment-score score-{tone}" href="{url}">'
            f"{t['score']} <strong>{labels.signed(m.score)}</strong></a>{badge}</div>"
        )

    def _followups(self, pk: int) -> str:
        n = self.followups.get(pk)
        if not n:
            return ""
        text = self._followup_labels.get(n)
        if text is None:
            text = self._followup_labels[n] = escape(
                ngettext("%(n)d open follow-up", "%(n)d open follow-ups", n) % {"n": n}
            )
        inner = f'<a href="{self.followups_url}{pk}">{text}</a>' if self.followups_url else text
        return f'<p class="card-followups followup-count" data-followups="{n}">{inner}</p>'

    def _owner(self, card: Card) -> str:
        html = self._owner_cache.get(card.owner_id)
        if html is None:
            if card.owner_id:
                name = escape(card.owner_name)
                html = (
                    f'<p class="owner"><span class="avatar" title="{name}">'
                    f'{escape(initials_of(card.owner_name))}</span> <span class="owner-name">'
                    f'<span class="visually-hidden">{self.t["owner"]}</span> {name}</span></p>'
                )
            else:
                html = f'<p class="owner"><span class="unassigned">{self.t["no_owner"]}</span></p>'
            self._owner_cache[card.owner_id] = html
        return html

    def _owner_button(self, card: Card, title: str, focused: str) -> str:
        url = f"{self.prefix}{card.pk}/owner/"
        label = self.fmt_change_owner % {"title": title}
        return (
            f'<a class="button secondary small owner-open" href="{url}" hx-get="{url}" '
            f'aria-label="{label}"'
            f"{' data-autofocus' if focused == 'owner' else ''}>{self.t['change_owner']}</a>"
        )

    def _owner_form(self, card: Card, title: str, members: Sequence[Membership]) -> str:
        url = f"{self.prefix}{card.pk}/owner/"
        label = self.fmt_owner_of % {"title": title}
        options = [f'<option value="">{self.t["nobody"]}</option>']
        for m in members:
            selected = " selected" if m.pk == card.owner_id else ""
            options.append(f'<option value="{m.pk}"{selected}>{escape(m.display_name)}</option>')
        return (
            f'<form method="post" action="{url}" class="inline owner-form" hx-post="{url}" '
            f'hx-target="#tp-{card.pk}" hx-swap="outerHTML" data-cancel-on-escape>{self.csrf}'
            f'<label class="visually-hidden" for="owner-{card.pk}">{label}</label>'
            f'<select name="owner" id="owner-{card.pk}" data-autofocus>{"".join(options)}</select>'
            f'<button type="submit" class="secondary set-owner">{self.t["set_owner"]}</button>'
            f'<a class="button secondary small" href="{self.prefix}{card.pk}/" data-cancel '
            f'hx-get="{self.prefix}{card.pk}/" hx-target="#tp-{card.pk}" hx-swap="outerHTML">'
            f"{self.t['cancel']}</a></form>"
        )

    def _tools(self, card: Card, title: str, where: Neighbours, focused: str) -> str:
        """Edit, the arrows and delete: one form per card; each button posts its own action."""
        t, pk = self.t, card.pk
        url = f"{self.prefix}{pk}/"
        parts = [
            # Edit sits outside the form: the form's hx-swap="none" (moves and deletes answer
            # with out-of-band columns) must not reach it; it swaps its card for the edit form.
            '<div class="card-tools">',
            f'<a href="{url}edit/" class="button secondary small" hx-get="{url}edit/"'
            f"{' data-autofocus' if focused == 'edit' else ''}>"
            f'{t["edit"]}<span class="visually-hidden"> {title}</span></a>',
            f'<form method="post" action="{url}move/" hx-post="{url}move/" hx-swap="none">',
            self.csrf,
        ]
        if self.can_reorder:
            arrows = (
                ("up", card.position > 0),
                ("down", card.position < where.total - 1),
                ("prev", where.previous_stage is not None),
                ("next", where.next_stage is not None),
            )
            for direction, shown in arrows:
                if shown:
                    start, end, close = self.arrows[direction]
                    focus = " data-autofocus" if focused == direction else ""
                    parts.append(f"{start}{title}{end}{focus}{close}")
        confirm = self.fmt_confirm_delete % {"title": title}
        delete_label = self.fmt_delete % {"title": title}
        parts.append(
            f'<button type="submit" formaction="{url}delete/" hx-post="{url}delete/" '
            f'hx-confirm="{confirm}" class="icon danger" aria-label="{delete_label}" '
            f'title="{t["delete"]}">&times;</button></form></div>'
        )
        return "".join(parts)

    def render_many(self, cards: Iterable[Card], where: Neighbours) -> SafeString:
        return mark_safe("".join(self.render(card, where) for card in cards))  # noqa: S308
