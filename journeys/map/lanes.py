"""The map's lanes: read (one query for the lanes with this member's folds, one for every
item of the journey) and drawn as one string per lane, like the cards (journeys/map/cards.py):
a map of 4 lanes x 200 items must not cost a template render per item.

The touchpoint lane's cells are the stage columns of cards and the emotion lane's the curve
(both drawn by the page's template); item lanes and the metrics lane are drawn here, one cell
per stage, each exactly as wide as a stage column so the lanes line up with the stages when the
board scrolls.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from journeys.map.cards import MENU_FOCUS, Drawn, MomentLabels, escape
from journeys.models import (
    ITEM_KINDS,
    SINGLE_KINDS,
    ItemStatus,
    Journey,
    Lane,
    LaneFold,
    LaneItem,
    LaneKind,
    Persona,
)
from journeys.services.lanes import default_lanes
from metrics.read.moments import StageNumbers, stage_numbers
from mot.models import Membership, initials_of
from mot.sql import Identifiers, Template, fetch


@dataclass(slots=True)
class Item:
    pk: int
    lane_id: int
    stage_id: int
    position: int
    text: str
    status: str
    owner_id: int | None  # a membership of the workspace: named by LaneRenderer.owners


@dataclass
class MapLane:
    lane: Lane
    folded: bool = False
    first: bool = False
    last: bool = False
    html: str = ""  # the cells, for lanes drawn here
    count: int = 0  # items in the lane

    @property
    def pk(self) -> int | None:
        return self.lane.pk

    @property
    def kind(self) -> str:
        return self.lane.kind

    @property
    def label(self) -> str:
        return self.lane.label

    @property
    def holds_items(self) -> bool:
        return self.lane.kind in ITEM_KINDS

    @property
    def stored(self) -> bool:
        """A lane of a journey made before lanes is drawn from the defaults until it is edited:
        it has no controls of its own until then."""
        return self.lane.pk is not None


_LANE_COLUMNS = ("id", "journey_id", "kind", "name", "position")
_LANE_NAMES = Identifiers(
    Lane._meta.db_table, LaneFold._meta.db_table, "lane_id", "membership_id", *_LANE_COLUMNS
)
_JOURNEY_LANES = Template(
    "SELECT {columns}, EXISTS (SELECT 1 FROM {folds} f WHERE f.{lane} = l.{id} "
    "AND f.{membership} = %s) FROM {lanes} l WHERE l.{journey} = %s ORDER BY l.{position}",
    _LANE_NAMES.parts(
        columns=_LANE_COLUMNS,
        folds=LaneFold._meta.db_table,
        lanes=Lane._meta.db_table,
        lane="lane_id",
        membership="membership_id",
        id="id",
        journey="journey_id",
        position="position",
    ),
)


def map_lanes(*, journey: Journey, membership: Membership) -> list[MapLane]:
    """The journey's lanes in order, each folded or not for this member: one statement, built
    once per process and prepared."""
    alias = connection.alias
    rows = []
    for row in fetch(_JOURNEY_LANES(membership.pk, journey.pk), prepared=True):
        lane = Lane.from_db(alias, _LANE_COLUMNS, row[:5])
        lane.folded = bool(row[5])
        rows.append(lane)
    if not any(lane.kind == LaneKind.TOUCHPOINTS for lane in rows):
        rows = default_lanes(journey) if not rows else [*rows, *default_lanes(journey)[1:]]
    lanes = [MapLane(lane=lane, folded=getattr(lane, "folded", False)) for lane in rows]
    lanes[0].first = lanes[-1].last = True
    return lanes


DRAWN_ITEMS = Drawn()  # closed lane items

_ITEM_FIELDS = (
    "pk",
    "lane_id",
    "stage_id",
    "position",
    "text",
    "status",
    "owner_id",
)


_ITEM_NAMES = Identifiers(LaneItem._meta.db_table, "id", "journey_id", *_ITEM_FIELDS[1:])
_JOURNEY_ITEMS = Template(
    "SELECT {columns} FROM {items} WHERE {journey} = %s ORDER BY {position}",
    _ITEM_NAMES.parts(
        columns=("id", *_ITEM_FIELDS[1:]),
        items=LaneItem._meta.db_table,
        journey="journey_id",
        position="position",
    ),
)


def lane_items(
    *, journey_id: int, lane_ids: Collection[int] | None = None
) -> dict[int, list[Item]]:
    """Items by lane, in stage then position order (the caller groups them by stage): one
    statement, built once per process and prepared, the owners named from the workspace's
    members (cards.owner_names). ``lane_ids``: only those lanes' (every item of the journey is
    read, as few as a map has; a list would change the statement's text)."""
    wanted = None if lane_ids is None else set(lane_ids)
    by_lane: dict[int, list[Item]] = {}
    for row in fetch(_JOURNEY_ITEMS(journey_id), prepared=True):
        if wanted is None or row[1] in wanted:
            by_lane.setdefault(row[1], []).append(Item(*row))
    return by_lane


@dataclass
class LaneRenderer:
    """Draws item and metrics lanes for one request."""

    ws: str
    csrf_token: str
    can_edit: bool
    stages: list[tuple[int, str]]  # (stage id, name) in order
    min_sample: int
    focus: str = ""
    focus_item: int | None = None
    owners: Mapping[int, str] = field(default_factory=dict)  # membership id -> name
    t: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.item_prefix = reverse("journeys:item_card", kwargs={"ws": self.ws, "pk": 0})[:-2]
        self.lane_prefix = reverse("journeys:lane_rename", kwargs={"ws": self.ws, "pk": 0})[
            : -len("0/rename/")
        ]
        self.csrf = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(self.csrf_token)}">'
        )
        self.status_labels = {value: escape(label) for value, label in ItemStatus.choices}
        self.labels = MomentLabels(min_sample=self.min_sample)
        self.t = {
            key: escape(text)
            for key, text in {
                "add": _("Add an item"),
                "text": _("Text"),
                "add_button": _("Add"),
                "edit": _("Edit"),
                "up": _("Move up"),
                "down": _("Move down"),
                "prev": _("Move to the previous stage"),
                "next": _("Move to the next stage"),
                "delete": _("Delete"),
                "owner": _("Owner:"),
                "status": _("Status:"),
                "empty": _("Nothing here yet."),
                "score": _("Moment score"),
                "nps": _("NPS"),
                "csat": _("CSAT"),
                "ces": _("CES (5–7)"),
                "no_numbers": _("No answers yet"),
                "menu": _("Actions"),
                "expand": _("Expand"),
                "collapse": _("Collapse"),
                "lane_name": _("Lane name"),
                "rename": _("Rename"),
                "remove": _("Remove lane"),
            }.items()
        }
        self.fmt_edit_lane = escape(_("Edit lane %(name)s"))
        self.fmt_confirm = escape(_("Delete the item “%(text)s”?"))
        self.fmt_menu = escape(_("Actions for %(title)s"))
        self.fmt_close = escape(_("Close the actions of %(title)s"))
        self.fmt_cell = escape(_("%(lane)s in %(stage)s"))
        self.fmt_few = escape(_("%(n)s answers, fewer than %(min)s"))
        # Closed items drawn before (cards.Drawn), by what the request decides of them.
        self._drawn = DRAWN_ITEMS.scope((get_language(), self.item_prefix, self.can_edit))

    # --- item lanes ---------------------------------------------------------------------------

    def item_cells(self, lane: MapLane, items: list[Item]) -> str:
        by_stage: dict[int, list[Item]] = {stage_id: [] for stage_id, _name in self.stages}
        for item in items:
            by_stage[item.stage_id].append(item)
        label = escape(lane.label)
        opportunities = lane.kind == LaneKind.OPPORTUNITIES
        cells = []
        for index, (stage_id, name) in enumerate(self.stages):
            own = by_stage[stage_id]
            where = (index > 0, index + 1 < len(self.stages), len(own))
            rendered = "".join(self.item(item, where, opportunities) for item in own)
            aria = self.fmt_cell % {"lane": label, "stage": escape(name)}
            movable = ' data-can-move="1"' if self.can_edit and lane.stored else ""
            cells.append(
                f'<div class="lane-cell" data-stage-id="{stage_id}">'
                f'<ol class="lane-items" data-lane-id="{lane.pk}" data-stage-id="{stage_id}"'
                f'{movable} aria-label="{aria}">{rendered}</ol>'
                f"{self._add_form(lane, stage_id, aria) if self.can_edit and lane.stored else ''}"
                "</div>"
            )
        return f'<div class="lane-row">{"".join(cells)}</div>'

    def item(self, item: Item, where: tuple[bool, bool, int], opportunities: bool) -> str:
        """An item; closed, looked up by all it shows (its text, status and, in the
        opportunities lane, its owner's name)."""
        if self.focus_item == item.pk:
            return self._draw_item(item, where, opportunities)
        owner = self.owners.get(item.owner_id) if opportunities and item.owner_id else None
        key = (item.pk, item.text, item.status, opportunities, owner)
        html = self._drawn.get(key)
        if html is None:
            html = Drawn.keep(self._drawn, key, self._draw_item(item, where, opportunities))
        return html

    def _draw_item(self, item: Item, where: tuple[bool, bool, int], opportunities: bool) -> str:
        pk = item.pk
        text = escape(item.text)
        focused = self.focus if self.focus_item == pk else ""
        has_prev, has_next, total = where
        shown = {
            "up": item.position > 0,
            "down": item.position < total - 1,
            "prev": has_prev,
            "next": has_next,
        }
        if focused in shown and not shown[focused]:
            focused = "item"  # the arrow pressed is gone (first of its cell): the item instead
        url = f"{self.item_prefix}{pk}/"
        # static/js/map.js posts a drop to the item's URL + "move/", taken from its id.
        attrs = " data-movable" if self.can_edit else ""
        if focused == "item":
            attrs += ' tabindex="-1" data-autofocus'
        parts = [
            f'<li class="lane-item status-{item.status}" id="item-{pk}"'
            f'{attrs}><p class="lane-item-text">{text}</p>'
        ]
        if opportunities:
            parts.append(self._opportunity(item))
        if self.can_edit:
            # Like a card's (journeys/map/cards.py), the item's controls load on demand: its
            # menu opens when asked for, or when focus returns to one of its controls.
            parts.append(
                self._tools(item, text, url, shown, focused)
                if focused in MENU_FOCUS
                else self._menu_button(text, url, focused)
            )
        parts.append("</li>")
        return "".join(parts)

    def _opportunity(self, item: Item) -> str:
        t = self.t
        owner = ""
        name = self.owners.get(item.owner_id) if item.owner_id else None
        if name is not None:
            shown = escape(name)
            owner = (
                f' <span class="visually-hidden">{t["owner"]}</span>'
                f'<span class="avatar" title="{shown}">{escape(initials_of(name))}</span>'
                f" {shown}"
            )
        return (
            f'<p class="lane-item-meta"><span class="visually-hidden">{t["status"]}</span>'
            f'<span class="status-chip status-{item.status}">{self.status_labels[item.status]}'
            f"</span>{owner}</p>"
        )

    def _menu_button(self, text: str, url: str, focused: str) -> str:
        """Opens the item's menu (static/js/map.js, ``initCardMenus``: the lane comes back out
        of band with it open); without JavaScript, the item's edit page."""
        return (
            f'<a class="card-menu" href="{url}edit/" data-menu aria-expanded="false" '
            f'aria-label="{self.fmt_menu % {"title": text[:60]}}"'
            f"{' data-autofocus' if focused == 'menu' else ''}>{self.t['menu']}</a>"
        )

    def _tools(self, item: Item, text: str, url: str, shown: dict[str, bool], focused: str) -> str:
        t = self.t
        arrows = (("up", "↑"), ("down", "↓"), ("prev", "←"), ("next", "→"))
        label = self.fmt_menu % {"title": text[:60]}
        parts = [
            # Escape closes the menu (static/js/mot.js clicks its [data-cancel] control).
            f'<div class="card-tools" role="group" data-cancel-on-escape aria-label="{label}">'
            f'<a class="card-menu" href="{url}" data-cancel '
            f'hx-get="{url}?focus=menu" hx-swap="none" aria-expanded="true" '
            f'aria-label="{self.fmt_close % {"title": text[:60]}}">{t["menu"]}</a>',
            f'<a href="{url}edit/" class="button secondary small" hx-get="{url}edit/" '
            f'hx-target="#item-{item.pk}" hx-swap="outerHTML"'
            f"{' data-autofocus' if focused == 'edit' else ''}>"
            f'{t["edit"]}<span class="visually-hidden"> {text[:60]}</span></a>',
            f'<form method="post" action="{url}move/" hx-post="{url}move/" hx-swap="none">',
            self.csrf,
        ]
        for direction, symbol in arrows:
            if shown[direction]:
                focus = " data-autofocus" if focused == direction else ""
                parts.append(
                    f'<button type="submit" name="direction" value="{direction}" '
                    f'class="icon move-{direction}" aria-label="{t[direction]}: {text[:60]}" '
                    f'title="{t[direction]}"{focus}>{symbol}</button>'
                )
        confirm = self.fmt_confirm % {"text": text[:60]}
        parts.append(
            f'<button type="submit" formaction="{url}delete/" hx-post="{url}delete/" '
            f'hx-confirm="{confirm}" class="icon danger" aria-label="{t["delete"]}: {text[:60]}" '
            f'title="{t["delete"]}">&times;</button></form></div>'
        )
        return "".join(parts)

    def _add_form(self, lane: MapLane, stage_id: int, aria: str) -> str:
        t = self.t
        url = f"{self.lane_prefix}{lane.pk}/items/"
        field_id = f"item-text-{lane.pk}-{stage_id}"
        is_open = self.focus == "add-item" and self.focus_item == (lane.pk, stage_id)
        return (
            f'<details class="add-item"{" open" if is_open else ""}>'
            f'<summary>{t["add"]}<span class="visually-hidden">: {aria}</span></summary>'
            f'<form method="post" action="{url}" class="stack" hx-post="{url}" hx-swap="none">'
            f'{self.csrf}<input type="hidden" name="stage" value="{stage_id}">'
            f'<label for="{field_id}">{t["text"]}</label>'
            f'<textarea id="{field_id}" name="text" rows="2" maxlength="1000" required'
            f"{' data-autofocus' if is_open else ''}></textarea>"
            f'<button type="submit">{t["add_button"]}</button></form></details>'
        )

    # --- a lane's header ----------------------------------------------------------------------

    def head(self, lane: MapLane, *, focus: str = "", focus_lane: object = None) -> str:
        """A lane's header: its name, its size (a lane of items) and, once stored, its fold
        button and (for an editor) its tools: rename, move up or down, remove."""
        t, pk = self.t, lane.pk
        key = pk or lane.kind  # a lane drawn from the defaults has no id yet
        label = escape(lane.label)
        here = focus_lane == pk
        parts = [
            '<header class="lane-head"><h2 class="lane-title" '
            f'id="lane-title-{key}" tabindex="-1"'
            f"{' data-autofocus' if focus == 'lane-title' and here else ''}>{label}</h2>"
        ]
        if lane.holds_items:
            n = lane.count
            count = escape(ngettext("%(n)s item", "%(n)s items", n) % {"n": n})
            parts.append(f'<span class="count">{count}</span>')
        if lane.stored:
            url = f"{self.lane_prefix}{pk}/"
            board = 'hx-target="#board" hx-swap="innerHTML"'
            folded = lane.folded
            parts.append(
                f'<form method="post" action="{url}fold/" class="inline lane-fold-form" '
                f'hx-post="{url}fold/" {board}>{self.csrf}'
                f'<input type="hidden" name="folded" value="{"" if folded else "on"}">'
                '<button type="submit" class="secondary small lane-fold" '
                f'aria-expanded="{"false" if folded else "true"}" aria-controls="lane-body-{pk}"'
                f"{' data-autofocus' if focus == 'fold' and here else ''}>"
                f"{t['expand'] if folded else t['collapse']}"
                f'<span class="visually-hidden"> {label}</span></button></form>'
            )
            if self.can_edit:
                parts.append(self._lane_tools(lane, url, label, board))
        parts.append("</header>")
        return "".join(parts)

    def _lane_tools(self, lane: MapLane, url: str, label: str, board: str) -> str:
        t, pk, position = self.t, lane.pk, lane.lane.position
        moves = "".join(
            f'<form method="post" action="{url}move/" hx-post="{url}move/" {board}>{self.csrf}'
            f'<input type="hidden" name="position" value="{position + step}">'
            f'<button type="submit" class="secondary lane-{name}">{t[name]}</button></form>'
            for shown, step, name in ((not lane.first, -1, "up"), (not lane.last, 1, "down"))
            if shown
        )
        remove = ""
        if lane.kind not in (LaneKind.TOUCHPOINTS, LaneKind.EMOTION):
            n = lane.count
            confirm = escape(
                ngettext(
                    "Remove the lane “%(name)s” and its %(n)s item?",
                    "Remove the lane “%(name)s” and its %(n)s items?",
                    n,
                )
                % {"name": lane.label, "n": n}
            )
            remove = (
                f'<form method="post" action="{url}delete/" hx-post="{url}delete/" {board} '
                f'hx-vals=\'{{"confirm": "yes"}}\' hx-confirm="{confirm}">{self.csrf}'
                f'<button type="submit" class="danger lane-remove">{t["remove"]}</button></form>'
            )
        return (
            f'<details class="lane-tools"><summary>{self.fmt_edit_lane % {"name": label}}'
            f'</summary><form method="post" action="{url}rename/" class="inline" '
            f'hx-post="{url}rename/" {board}>{self.csrf}'
            f'<label for="lane-name-{pk}">{t["lane_name"]}</label>'
            f'<input id="lane-name-{pk}" name="name" value="{escape(lane.lane.name)}" '
            f'maxlength="80" placeholder="{label}">'
            f'<button type="submit" class="secondary">{t["rename"]}</button></form>'
            f'<div class="actions">{moves}{remove}</div></details>'
        )

    # --- the metrics lane ---------------------------------------------------------------------

    def metrics_cells(self, numbers: dict[int, StageNumbers]) -> str:
        """Each stage's stored numbers; under the minimum sample a number is not shown."""
        t, labels = self.t, self.labels
        cells = []
        for stage_id, _name in self.stages:
            found = numbers.get(stage_id)
            if found is None or not found.moment.n:
                body = f'<p class="metric-none">{t["no_numbers"]}</p>'
            else:
                m = found.moment
                score = (
                    labels.signed(m.score) if m.enough and m.score is not None else labels.few(m.n)
                )
                rows = [f"<dt>{t['score']}</dt><dd>{score}</dd>"]
                if m.enough:
                    rows.append(f"<dd class='metric-shares'>{labels.shares(m)}</dd>")
                for key, n, enough, value in (
                    ("nps", found.nps_answers, found.nps_enough, found.nps),
                    ("csat", found.csat_answers, found.csat_enough, found.csat_share),
                    ("ces", found.ces_answers, found.ces_enough, found.ces_share),
                ):
                    if not n:
                        continue
                    if not enough or value is None:
                        shown = self.fmt_few % {"n": n, "min": self.min_sample}
                    elif key == "nps":
                        shown = labels.signed(value)
                    else:  # a share of answers, in whole percents
                        shown = f"{int(value + 0.5)}%"
                    rows.append(f"<dt>{t[key]}</dt><dd>{shown}</dd>")
                body = f'<dl class="metric-list">{"".join(rows)}</dl>'
            cells.append(
                f'<div class="lane-cell metric-cell" data-stage-id="{stage_id}">{body}</div>'
            )
        return f'<div class="lane-row">{"".join(cells)}</div>'


# --- the page's lanes -------------------------------------------------------------------------


def add_lanes(
    context: dict[str, Any],
    *,
    membership: Membership,
    journey: Journey,
    stages: list[tuple[int, str]],
    only: Sequence[int] | None = None,
) -> None:
    """The lanes for the page's context, drawn: one query for the lanes, one for their items if
    a lane holds items, one for the stages' numbers if there is a metrics lane (``only``: just
    those lanes, for a fragment)."""
    lanes = map_lanes(journey=journey, membership=membership)
    if only is not None:
        lanes = [lane for lane in lanes if lane.pk in only]
    stored = [lane.pk for lane in lanes if lane.holds_items and lane.stored]
    items = lane_items(journey_id=journey.pk, lane_ids=stored) if stored else {}
    numbers: dict[int, StageNumbers] = {}
    if any(lane.kind == LaneKind.METRICS for lane in lanes):
        numbers = stage_numbers(journey_id=journey.pk, min_sample=membership.workspace.min_sample)
    renderer = LaneRenderer(
        ws=context["ws"],
        csrf_token=context["csrf_token_value"],
        can_edit=context["can_edit"],
        stages=stages,
        min_sample=membership.workspace.min_sample,
        focus=context.get("focus", ""),
        focus_item=context.get("focus_item"),
        owners=context["card_renderer"].owners,
    )
    context["lane_renderer"] = renderer  # the lanes' headers (templatetags/map_cards.py)
    late = context["card_renderer"].late  # the cells go in after the template (LateHtml)
    for lane in lanes:
        if lane.holds_items:
            own = items.get(lane.pk, [])
            lane.count = len(own)
            lane.html = late.put(renderer.item_cells(lane, own))
        elif lane.kind == LaneKind.METRICS:
            lane.html = late.put(renderer.metrics_cells(numbers))
    context["lanes"] = lanes
    kinds = {lane.kind for lane in lanes}
    context["addable_kinds"] = [
        (value, label)
        for value, label in LaneKind.choices
        if value != LaneKind.TOUCHPOINTS and not (value in SINGLE_KINDS and value in kinds)
    ]
    context["item_prefix"] = renderer.item_prefix  # where static/js/map.js posts a dropped item


@dataclass(frozen=True, slots=True)
class PersonaChip:
    pk: int
    name: str
    quote: str
    segment: str
    has_picture: bool
    version: int  # changes when the persona is saved: the picture's URL changes with it
    chosen: bool

    @property
    def initials(self) -> str:
        return initials_of(self.name)


def journey_personas(*, journey: Journey, every: bool) -> list[PersonaChip]:
    """The journey's personas (``every``: the workspace's, each marked chosen or not, for the
    picker): one query, pictures left in the database."""
    links = Persona.journeys.through.objects.filter(
        persona_id=OuterRef("pk"), journey_id=journey.pk
    )
    rows = Persona.objects.filter(workspace_id=journey.workspace_id).annotate(
        chosen=Exists(links),
        has_picture=ExpressionWrapper(Q(picture__isnull=False), output_field=BooleanField()),
    )
    if not every:
        rows = rows.filter(chosen=True)
    return [
        PersonaChip(pk, name, quote, segment, bool(has_picture), int(updated.timestamp()), chosen)
        for pk, name, quote, segment, has_picture, updated, chosen in rows.order_by(
            "name", "pk"
        ).values_list("pk", "name", "quote", "segment", "has_picture", "updated_at", "chosen")
    ]
