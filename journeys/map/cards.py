"""Touchpoint cards on the map: read as plain rows, rendered by one Python function.

A 12-stage map of 2,400 cards has to render in under 100 ms. Model instances and a
template per card cost milliseconds per hundred cards (the template engine's url reversals,
translations and tag dispatch), so the board reads cards with ``values_list`` and renders them
here, with every URL prefix and translated label computed once per request. The same renderer
draws a single card for an htmx swap, so a card looks the same wherever it comes from.

Every user-supplied value goes through ``escape``; the markup around it is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape as _html_escape

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from journeys.map.why import WhyRenderer
from journeys.models import Channel, MotStage, Phase, Touchpoint
from metrics.expectations import Diagnosis
from metrics.read.moments import NO_MOMENTS, JourneyMoments, TouchpointMoment
from mot.models import Membership, initials_of
from mot.sql import Identifiers, Template, fetch


def escape(value: object) -> str:
    """HTML-escape text (quotes included). The standard library's escape on a plain str: Django's
    lazy-aware wrapper costs several times more, and 2,400 cards call this ~50,000 times."""
    return _html_escape(str(value), quote=True)


def around(fmt: str, name: str) -> tuple[str, str]:
    """The text before and after a format's one ``%(name)s`` (``%%`` read as ``%``): a card
    fills the same sentence 2,400 times, and two concatenations cost a third of ``fmt % {…}``."""
    before, _marker, after = (fmt % {name: "\x00"}).partition("\x00")
    return before, after


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
)


class LateHtml:
    """Large fragments (a stage's cards, a lane's cells, the curve) kept out of the template
    engine: the template writes a short marker, and the response puts each fragment in its place
    in one pass (``fill``). Every level of nested template tags copies what it renders, so the
    2 MB of a 2,400-card board, copied at a dozen levels, cost more than drawing the cards.

    The marker is NUL-delimited: no escaped text or template markup contains a NUL."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def put(self, html: str) -> SafeString:
        self._parts.append(html)
        return mark_safe(f"\x00{len(self._parts) - 1}\x00")  # noqa: S308 (a marker)

    def fill(self, text: str) -> str:
        return "".join(self.pieces(text))

    def pieces(self, text: str) -> list[str]:
        """The text cut at its markers, each marker replaced by its fragment: what ``fill``
        joins. A response takes them as they are (HttpResponse encodes each and joins the
        bytes), which spares a whole page's copy as one more string."""
        if not self._parts or "\x00" not in text:
            return [text]
        pieces = text.split("\x00")
        pieces[1::2] = [self._parts[int(key)] for key in pieces[1::2]]
        return pieces


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
    owner_id: int | None  # a membership of the workspace: named by CardRenderer.owners


_COLUMNS = ("id", *_FIELDS[1:])  # the same, as the table's columns
_NAMES = Identifiers(Touchpoint._meta.db_table, "journey_id", *_COLUMNS)
_JOURNEY_CARDS = Template(
    "SELECT {columns} FROM {touchpoints} WHERE {journey} = %s ORDER BY {position}",
    _NAMES.parts(
        columns=_COLUMNS,
        touchpoints=Touchpoint._meta.db_table,
        journey="journey_id",
        position="position",
    ),
)


def journey_cards(journey_id: int) -> list[Card]:
    """Every card of a journey, in position order (the board groups them by stage): one
    statement built once per process and prepared, the board's largest read."""
    return [Card(*row) for row in fetch(_JOURNEY_CARDS(journey_id), prepared=True)]


def card_rows(touchpoints: QuerySet[Touchpoint]) -> list[Card]:
    """The cards of a touchpoint queryset (already filtered and ordered): one query, without
    the owners' names (joining each card to its owner's user doubled the query's cost on a
    2,400-card map; the page reads the workspace's members anyway, see ``owner_names``)."""
    return [Card(*row) for row in touchpoints.values_list(*_FIELDS)]


def owner_names(members: Iterable[Membership]) -> dict[int, str]:
    """Membership id -> the name a card or an item shows for its owner (an owner is always a
    member of the touchpoint's workspace)."""
    return {m.pk: m.display_name for m in members}


class Drawn:
    """Markup drawn before, in this process, by everything it is drawn from: a scope (what the
    request decides: the language, the workspace's URLs, the viewer's permissions) holding
    drawings by their own inputs. Keyed by all of them, a drawing is never stale: a change to
    any input is another key, drawn anew, and nothing has to be invalidated.

    A map is read far more often than it changes: its 2,400 closed cards (``DRAWN``, see
    ``CardRenderer.render``) and 800 lane items (journeys/map/lanes.py) are looked up, ~1 us
    each, rather than drawn again, ~5 us a card.

    Bounded: at most ``SCOPES`` scopes of ``PER_SCOPE`` drawings each (a card and its key take
    ~1.7 KB, an item about half: ~20 MB of cards and ~10 MB of items at most); a full scope, or
    a new scope past the limit, starts again empty."""

    SCOPES = 4
    PER_SCOPE = 3_000

    def __init__(self) -> None:
        self._scopes: dict[tuple, dict[tuple, str]] = {}

    def scope(self, key: tuple) -> dict[tuple, str]:
        drawn = self._scopes.get(key)
        if drawn is None:
            if len(self._scopes) >= self.SCOPES:
                self._scopes.clear()
            drawn = self._scopes[key] = {}
        return drawn

    def clear(self) -> None:
        self._scopes.clear()

    @classmethod
    def keep(cls, drawn: dict[tuple, str], key: tuple, html: str) -> str:
        """Store a drawing in its scope (emptied first when full); the drawing."""
        if len(drawn) >= cls.PER_SCOPE:
            drawn.clear()
        drawn[key] = html
        return html


DRAWN = Drawn()  # closed cards


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

    @staticmethod
    def percents(m: TouchpointMoment) -> tuple[int, int, int]:
        """Glory, neutral and pain as whole percents, rounded half up (int arithmetic:
        formatting floats costs more)."""
        n = m.n
        return (
            (200 * m.glory + n) // (2 * n),
            (200 * m.neutral + n) // (2 * n),
            (200 * m.pain + n) // (2 * n),
        )

    def shares(self, m: TouchpointMoment, percents: tuple[int, int, int] | None = None) -> str:
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
        glory, neutral, pain = percents or self.percents(m)
        return fmt % {"glory": glory, "neutral": neutral, "pain": pain, "n": m.n}

    @staticmethod
    def signed(score: float) -> str:
        """A moment score as a whole number of points with its sign: +14, -8, 0."""
        rounded = round(score)
        if rounded > 0:
            return f"+{rounded}"
        return f"\N{MINUS SIGN}{-rounded}" if rounded < 0 else "0"


# Focus on one of these draws the card with its menu open (the control is in the menu).
MENU_FOCUS = frozenset({"edit", "owner", "up", "down", "prev", "next", "record", "delete"})


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
        owners: Mapping[int, str] | None = None,
    ) -> None:
        self.can_edit = can_edit
        self.owners = owners or {}  # membership id -> name (owner_names)
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
                "menu": _("Actions"),
                "find_member": _("Find a member"),
                "matches": _("Members shown: %(n)s"),
            }.items()
        }
        # Per-card sentences: translated and escaped once here, filled in per card with the
        # escaped title (escaping is per character, so escape(f % t) == escape(f) % escape(t)).
        self.fmt_change_owner = escape(_("Change who owns %(title)s"))
        self.fmt_owner_of = escape(_("Owner of %(title)s"))
        self.fmt_confirm_delete = escape(_("Delete the touchpoint “%(title)s”?"))
        self.fmt_delete = escape(_("Delete %(title)s"))
        self.fmt_log_record = escape(_("Log a record on %(title)s"))
        self.fmt_menu = escape(_("Actions for %(title)s"))
        self.menu_label = around(self.fmt_menu, "title")
        self.nobody_search = escape(_("Nobody").casefold())
        self.fmt_close = escape(_("Close the actions of %(title)s"))
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
        # A card that may be dragged: static/js/map.js posts to prefix + id + "move/" (the
        # board's help paragraph carries the prefix), CSS draws its drag handle.
        self.movable = " data-movable" if can_reorder else ""
        # The closed card's one control (``_menu_button``): the menu, or without JavaScript
        # the page of the one thing the viewer may do.
        self.menu_page = "edit/" if can_edit else "owner/" if can_assign else "record/"
        # The fragments the page's template only marks (filled by journeys/map/responses.py).
        self.late = LateHtml()
        self._meta_cache: dict[tuple[str, str, str], str] = {}
        self._owner_cache: dict[int | None, str] = {}
        # Everything of the request a closed card depends on (Drawn).
        self._drawn = DRAWN.scope(
            (
                get_language(),
                self.prefix,
                followups_url,
                can_edit,
                can_assign,
                can_reorder,
                log_any,
                log_owner,
                min_sample,
            )
        )

    def render(
        self,
        card: Card,
        where: Neighbours,
        *,
        members: Sequence[Membership] = (),
        owner_form: bool = False,
    ) -> str:
        """One card. Closed (the board's default), it carries what it shows and one button,
        "Actions", that opens its menu in place (edit, owner, moves, delete, log a record: what
        the viewer may do): under 1 KB a card on a 2,400-card map, where every card carrying
        its controls and a CSRF token weighed ~2.7 KB. Focus on one of the menu's controls (the
        menu was opened, or a keyboard move, an edit or an owner set returns there) draws it
        open; ``owner_form`` draws the owner picker instead.

        A closed card without a "why" is looked up (``Drawn``) by all it shows: its row, its
        owner's name, its moment's counts and score, whether it is the weakest, its open
        follow-ups; the renderer's scope holds the rest."""
        pk = card.pk
        if owner_form or self.focus_tp == pk or pk in self.diagnoses:
            return self._draw(card, where, members=members, owner_form=owner_form)
        m = self.moments.moments.get(pk)
        key = (
            pk,
            card.title,
            card.description,
            card.channel,
            card.mot_stage,
            card.phase,
            card.owner_id,
            self.owners.get(card.owner_id) if card.owner_id else None,
            None if m is None else (m.glory, m.neutral, m.pain, m.score),
            pk == self.moments.weakest,
            self.followups.get(pk),
        )
        html = self._drawn.get(key)
        if html is None:
            html = Drawn.keep(self._drawn, key, self._draw(card, where))
        return html

    def _draw(
        self,
        card: Card,
        where: Neighbours,
        *,
        members: Sequence[Membership] = (),
        owner_form: bool = False,
    ) -> str:
        pk = card.pk
        title = escape(card.title)
        focused = self.focus if self.focus_tp == pk else ""
        # Focusable when focus goes to the card itself (static/js/map.js adds it for a link
        # to the card): 2,400 tabindex attributes otherwise.
        focus = ' tabindex="-1" data-autofocus' if focused == "card" else ""
        weakest = pk == self.moments.weakest
        parts = [
            f'<li class="card" id="tp-{pk}"{self.movable}{focus}'
            f"{' data-weakest' if weakest else ''}>"
            # The title is the drag handle (.card-head, static/js/map.js): no wrapper element.
            f'<h3 class="card-title card-head">{title}</h3>'
            f"{self._meta(card)}{self._moment(pk, weakest)}"
            f"{self.why.render(self.diagnoses.get(pk)) if self.diagnoses else ''}"
            f"{self._followups(pk) if self.followups else ''}",
            f'<p class="card-description">{escape(card.description)}</p>'
            if card.description
            else "",
            self._owner(card),
        ]
        may_log = self.log_any or (self.log_owner is not None and card.owner_id == self.log_owner)
        if owner_form and self.can_assign:
            parts.append(self._owner_picker(card, title, members))
        elif self.can_edit or self.can_assign or may_log:
            parts.append(
                self._tools(card, title, where, focused, may_log)
                if focused in MENU_FOCUS
                else self._menu_button(pk, title, focused)
            )
        parts.append("</li>")
        return "".join(parts)

    def _record_link(self, pk: int, title: str, focused: str) -> str:
        url = f"{self.prefix}{pk}/record/"
        return (
            f'<a class="button secondary small record-open" href="{url}" hx-get="{url}" '
            f'aria-label="{self.fmt_log_record % {"title": title}}"'
            f"{' data-autofocus' if focused == 'record' else ''}>{self.t['log_record']}</a>"
        )

    def _menu_button(self, pk: int, title: str, focused: str) -> str:
        """Opens the card's menu in place (static/js/map.js, ``initCardMenus``: a GET of the
        card with ``?focus=edit``); without JavaScript, the touchpoint's edit page (or its owner
        page, for a member who may only set owners)."""
        before, after = self.menu_label
        return (
            f'<a class="card-menu" href="{self.prefix}{pk}/{self.menu_page}" data-menu '
            f'aria-expanded="false" aria-label="{before}{title}{after}"'
            f"{' data-autofocus' if focused == 'menu' else ''}>{self.t['menu']}</a>"
        )

    def _meta(self, card: Card) -> str:
        """Badge and chips: the same few combinations recur on a board, so each is built once."""
        key = (card.mot_stage, card.channel, card.phase)
        html = self._meta_cache.get(key)
        if html is None:
            # What each chip is (moment, channel, phase) is told by the legend and the
            # filters above the board: no title per chip on 2,400 cards.
            badge = (
                f'<span class="mot-badge mot-{card.mot_stage}">'
                f"{self.mot_labels[card.mot_stage]}</span>"
                if card.mot_stage
                else ""
            )
            html = self._meta_cache[key] = (
                f'<p class="card-meta">{badge}'
                f'<span class="chip">{self.channel_labels[card.channel]}'
                f'</span><span class="chip">{self.phase_labels[card.phase]}'
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
        # One element, drawn by CSS (static/css/mot.css: glory from the left, pain to the right,
        # neutral between), to the whole percent its title states: an inline <svg> per card
        # costs Chromium a clip and a transform each, and on 2,400 cards seconds of compositing.
        percents = labels.percents(m)
        return (
            f'<div class="moment"><span class="moment-bar g{percents[0]} p{percents[2]}" '
            f'role="img" title="{labels.shares(m, percents)}"></span>'
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
            owner = self.owners.get(card.owner_id) if card.owner_id else None
            if owner is not None:
                name = escape(owner)
                html = (
                    f'<p class="owner"><span class="avatar" aria-hidden="true">'
                    f"{escape(initials_of(owner))}</span> "
                    f'<span class="visually-hidden">{self.t["owner"]}</span> {name}</p>'
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

    def _owner_picker(self, card: Card, title: str, members: Sequence[Membership]) -> str:
        """The owner picker: the workspace's members as radio buttons (name and e-mail), a
        search box that filters them as one types (static/js/map.js: ``initOwnerPicker``; the
        picker opens through htmx only, the page without JavaScript is touchpoint_owner.html),
        Set owner and Cancel. Arrow keys move between the members, Enter sets the one chosen."""
        pk = card.pk
        url = f"{self.prefix}{pk}/owner/"
        label = self.fmt_owner_of % {"title": title}
        checked = " checked" if card.owner_id is None else ""
        options = [
            f'<li data-search="{self.nobody_search}"><label class="check">'
            f'<input type="radio" name="owner" value=""'
            f'{checked}> <span class="owner-option-name">{self.t["nobody"]}</span></label></li>'
        ]
        for m in members:
            name, email = m.display_name, m.user.email
            checked = " checked" if m.pk == card.owner_id else ""
            search = escape(f"{name} {email}".casefold())
            mail = (
                f' <span class="owner-option-email">{escape(email)}</span>'
                if email and email != name
                else ""
            )
            options.append(
                f'<li data-search="{search}"><label class="check"><input type="radio" '
                f'name="owner" value="{m.pk}"{checked}> <span class="owner-option-name">'
                f"{escape(name)}</span>{mail}</label></li>"
            )
        return (
            f'<form method="post" action="{url}" class="stack owner-picker" hx-post="{url}" '
            f'hx-target="#tp-{pk}" hx-swap="outerHTML" data-cancel-on-escape data-owner-picker>'
            f"{self.csrf}"
            f'<div class="owner-search"><label for="owner-search-{pk}">'
            f'{self.t["find_member"]}</label><input type="search" id="owner-search-{pk}" '
            f'autocomplete="off" aria-controls="owner-list-{pk}" data-owner-search '
            f'data-autofocus><p class="hint" role="status" aria-live="polite" '
            f'data-owner-count data-template="{self.t["matches"]}"></p></div>'
            f'<fieldset><legend>{label}</legend><ul class="owner-options" id="owner-list-{pk}">'
            f'{"".join(options)}</ul></fieldset><div class="actions">'
            f'<button type="submit" class="set-owner">{self.t["set_owner"]}</button>'
            f'<a class="button secondary small" href="{self.prefix}{pk}/" data-cancel '
            f'hx-get="{self.prefix}{pk}/?focus=owner" hx-target="#tp-{pk}" hx-swap="outerHTML">'
            f"{self.t['cancel']}</a></div></form>"
        )

    def _tools(self, card: Card, title: str, where: Neighbours, focused: str, may_log: bool) -> str:
        """The open menu: close, edit, owner, the arrows and delete (one form; each button posts
        its own action), log a record; each as the viewer may."""
        t, pk = self.t, card.pk
        url = f"{self.prefix}{pk}/"
        parts = self._menu_open(card, title, focused)
        if self.can_edit:
            parts.append(
                f'<form method="post" action="{url}move/" hx-post="{url}move/" hx-swap="none">'
            )
            parts.append(self.csrf)
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
                f'title="{t["delete"]}">&times;</button></form>'
            )
        if may_log:
            parts.append(self._record_link(pk, title, focused))
        parts.append("</div>")
        return "".join(parts)

    def _menu_open(self, card: Card, title: str, focused: str) -> list[str]:
        """The open menu's first controls: the button that closes it, Edit, Owner…"""
        t, pk = self.t, card.pk
        url = f"{self.prefix}{pk}/"
        parts = [
            # Escape closes it (static/js/mot.js clicks its [data-cancel] control).
            f'<div class="card-tools" role="group" data-cancel-on-escape '
            f'aria-label="{self.fmt_menu % {"title": title}}">'
            f'<a class="card-menu" href="{url}" data-cancel '
            f'hx-get="{url}?focus=menu" aria-expanded="true" '
            f'aria-label="{self.fmt_close % {"title": title}}">{t["menu"]}</a>'
        ]
        if self.can_edit:
            # Edit sits outside the moves' form: the form's hx-swap="none" (moves and deletes
            # answer with out-of-band columns) must not reach it; it swaps its card for the
            # edit form.
            parts.append(
                f'<a href="{url}edit/" class="button secondary small" hx-get="{url}edit/"'
                f"{' data-autofocus' if focused == 'edit' else ''}>"
                f'{t["edit"]}<span class="visually-hidden"> {title}</span></a>'
            )
        if self.can_assign:
            parts.append(self._owner_button(card, title, focused))
        return parts
