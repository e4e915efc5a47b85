"""The board's stage columns and the stage bar above the lanes, drawn by Python like the cards
(journeys/map/cards.py) and the lanes (journeys/map/lanes.py).

Each of a 12-stage board's columns carried its header (name, size, the rename, move and delete
forms) and its "Add a touchpoint" form through the template engine: ~60 template nodes a stage,
about 8 ms of a 2,400-card page. Drawn here, with every label translated and escaped once per
request, they cost a tenth of that. The map's template keeps the partials the fragments use
(``stage_column``, ``stage_head``); each calls this renderer, so a column swapped alone is exactly
what the board shows.

Every user-supplied value (a stage's name, an error) goes through ``escape``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.map.cards import CardRenderer, escape
from journeys.map.selectors import MapStage


class StageRenderer:
    """Draws stage columns for one request (one viewer, one set of permissions)."""

    def __init__(
        self,
        *,
        cards: CardRenderer,
        stage_prefix: str,
        can_edit: bool,
        filtered: bool,
        add_options: Mapping[str, str],
    ) -> None:
        self.cards = cards
        self.prefix = stage_prefix  # "/w/acme/stages/": prefix + id + "/move/"
        self.can_edit = can_edit
        self.filtered = filtered
        self.add_options = add_options
        self.csrf = cards.csrf
        self.t = {
            key: escape(text)
            for key, text in {
                "edit_help": _(
                    "Drag to move the stage, or press Alt with the left or right arrow key"
                ),
                "stage_name": _("Stage name"),
                "rename": _("Rename"),
                "left": _("Move left"),
                "right": _("Move right"),
                "delete": _("Delete stage and its touchpoints"),
                "add": _("Add a touchpoint"),
                "title": _("Title"),
                "channel": _("Channel"),
                "mot": _("Moment of truth"),
                "phase": _("Phase"),
                "add_button": _("Add touchpoint"),
                "empty": _("No touchpoint here matches the filters.")
                if filtered
                else _("No touchpoints yet: add the first one below.")
                if can_edit
                else _("No touchpoints in this stage yet."),
            }.items()
        }
        self.fmt_move = escape(_("Move stage %(name)s (position %(position)s of %(total)s)"))
        self.fmt_edit = escape(_("Edit stage %(name)s"))
        self.fmt_in = escape(_("Touchpoints in %(name)s"))

    # --- the stage bar ------------------------------------------------------------------------

    def bar(self, columns: Sequence[MapStage], *, focus: str = "", focus_stage: Any = None) -> str:
        """The stage bar's cells: each stage's name and, for an editor, its drag handle."""
        total = len(columns)
        cells = []
        for index, column in enumerate(columns, start=1):
            pk, name = column.stage.pk, escape(column.stage.name)
            if self.can_edit:
                autofocus = " data-autofocus" if focus == "stage-grip" and focus_stage == pk else ""
                move = self.fmt_move % {"name": name, "position": index, "total": total}
                cells.append(
                    f'<li class="stage-bar-cell" data-stage-id="{pk}" '
                    f'data-stage-move-url="{self.prefix}{pk}/move/">'
                    '<button type="button" class="stage-grip" '
                    f'aria-describedby="stage-order-help" title="{self.t["edit_help"]}"'
                    f'{autofocus}><span aria-hidden="true">⠿</span>'
                    f'<span class="visually-hidden">{move}</span></button>'
                    f'<span class="stage-bar-name">{name}</span></li>'
                )
            else:
                cells.append(
                    f'<li class="stage-bar-cell" data-stage-id="{pk}">'
                    f'<span class="stage-bar-name">{name}</span></li>'
                )
        return "".join(cells)

    # --- a stage column -----------------------------------------------------------------------

    def column(
        self,
        column: MapStage,
        *,
        focus: str = "",
        focus_stage: Any = None,
        errors: Sequence[str] = (),
        oob: bool = False,
    ) -> str:
        """A stage's section: its header, its cards, its "Add a touchpoint" form."""
        pk, name = column.stage.pk, escape(column.stage.name)
        here = focus_stage == pk
        where = column.neighbours
        cards = "".join([self.cards.render(card, where) for card in column.cards])
        if not column.cards:
            cards = f'<li class="empty-stage">{self.t["empty"]}</li>'
        oob_attr = ' hx-swap-oob="true"' if oob else ""
        return (
            f'<section class="stage" id="stage-{pk}" data-stage-id="{pk}" '
            f'aria-labelledby="stage-title-{pk}"{oob_attr}>'
            f"{self.head(column, focus=focus if here else '', errors=errors if here else ())}"
            # Card controls swap their own card: hx-target/hx-swap are inherited from here.
            f'<ol class="cards" data-stage-id="{pk}" hx-target="closest .card" '
            f'hx-swap="outerHTML" aria-label="{self.fmt_in % {"name": name}}">{cards}</ol>'
            f"{self._add_form(pk, focus == 'add-title' and here) if self.can_edit else ''}"
            "</section>"
        )

    def head(self, column: MapStage, *, focus: str = "", errors: Sequence[str] = ()) -> str:
        """A stage's header: its name, its size and (for an editor) its tools. ``focus`` and
        ``errors`` are this stage's (the caller passes them only to the stage they concern)."""
        pk, name = column.stage.pk, escape(column.stage.name)
        n = column.total
        count = escape(ngettext("%(n)s touchpoint", "%(n)s touchpoints", n) % {"n": n})
        title_focus = " data-autofocus" if focus == "stage-title" else ""
        tools = self._tools(column, pk, name, focus, errors) if self.can_edit else ""
        return (
            f'<header class="stage-head" id="stage-head-{pk}">'
            f'<h2 id="stage-title-{pk}" tabindex="-1"{title_focus}>{name}</h2>'
            f'<span class="count">{count}</span>{tools}</header>'
        )

    def _tools(
        self, column: MapStage, pk: int, name: str, focus: str, errors: Sequence[str]
    ) -> str:
        t, url = self.t, f"{self.prefix}{pk}/"
        naming = focus == "stage-name"
        invalid = (
            f' data-autofocus aria-invalid="true" aria-describedby="stage-name-error-{pk}"'
            if naming
            else ""
        )
        error = (
            f'<p class="errorlist" id="stage-name-error-{pk}">'
            f"{' '.join(escape(e) for e in errors)}</p>"
            if errors
            else ""
        )
        moves = "".join(
            f'<form method="post" action="{url}move/" hx-post="{url}move/" hx-target="#board" '
            f'hx-swap="innerHTML">{self.csrf}'
            f'<input type="hidden" name="position" value="{neighbour.position}">'
            f'<button type="submit" class="secondary">{label}</button></form>'
            for neighbour, label in ((column.previous, t["left"]), (column.next, t["right"]))
            if neighbour is not None
        )
        n = column.total
        confirm = escape(
            ngettext(
                "Delete the stage “%(name)s” and its %(n)s touchpoint?",
                "Delete the stage “%(name)s” and its %(n)s touchpoints?",
                n,
            )
            % {"name": column.stage.name, "n": n}
        )
        return (
            f'<details class="stage-tools"{" open" if naming else ""}>'
            f"<summary>{self.fmt_edit % {'name': name}}</summary>"
            f'<form method="post" action="{url}rename/" class="stack" hx-post="{url}rename/" '
            f'hx-target="#stage-head-{pk}" hx-swap="outerHTML">{self.csrf}'
            f'<label for="stage-name-{pk}">{t["stage_name"]}</label>'
            f'<input id="stage-name-{pk}" name="name" value="{name}" maxlength="120" required'
            f"{invalid}>{error}"
            f'<button type="submit">{t["rename"]}</button></form>'
            f'<div class="actions">{moves}'
            f'<form method="post" action="{url}delete/" hx-post="{url}delete/" hx-target="#board" '
            f'hx-swap="innerHTML" hx-confirm="{confirm}">{self.csrf}'
            f'<button type="submit" class="danger">{t["delete"]}</button></form></div></details>'
        )

    def _add_form(self, pk: int, is_open: bool) -> str:
        t, options, url = self.t, self.add_options, f"{self.prefix}{pk}/touchpoints/"
        return (
            f'<details class="add-touchpoint"{" open" if is_open else ""}>'
            f"<summary>{t['add']}</summary>"
            f'<form method="post" action="{url}" class="stack" hx-post="{url}" hx-swap="none">'
            f'{self.csrf}<label for="tp-title-{pk}">{t["title"]}</label>'
            f'<input id="tp-title-{pk}" name="title" maxlength="160" required'
            f"{' data-autofocus' if is_open else ''}>"
            f'<label for="tp-channel-{pk}">{t["channel"]}</label>'
            f'<select id="tp-channel-{pk}" name="channel">{options["channel"]}</select>'
            f'<label for="tp-mot-{pk}">{t["mot"]}</label>'
            f'<select id="tp-mot-{pk}" name="mot_stage">{options["mot_stage"]}</select>'
            f'<label for="tp-phase-{pk}">{t["phase"]}</label>'
            f'<select id="tp-phase-{pk}" name="phase">{options["phase"]}</select>'
            f'<button type="submit">{t["add_button"]}</button></form></details>'
        )
