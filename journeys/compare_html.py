"""The comparison's pairs rendered by Python, as the map's cards are (journeys/map/cards.py):
a template per pair took ten seconds for a 2,400-card map; every label here is translated once
per request and every user-supplied value goes through ``escape``."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from journeys import compare as cmp
from journeys.map.cards import MomentLabels, escape
from journeys.models import Channel, ItemStatus, MotStage, Phase, Touchpoint
from metrics.read.moments import TouchpointNumbers

DESCRIPTION_CHARS = 280


def kind_labels() -> dict[str, str]:
    return {
        cmp.CHANGED: _("Changed"),
        cmp.MOVED: _("Moved"),
        cmp.ADDED: _("Added"),
        cmp.REMOVED: _("Removed"),
        cmp.UNCHANGED: _("Unchanged"),
    }


class PairRenderer:
    """One pair as a list item: its classes and what changed, then the current side (with its
    stored numbers) and the future side, each labelled, so the stacked view says which is
    which to the eye and to a screen reader."""

    def __init__(
        self,
        *,
        names: dict[int, str],
        numbers: dict[int, TouchpointNumbers],
        min_sample: int,
        opportunities: dict[int, list[cmp.OpportunityRow]] | None = None,
    ) -> None:
        self.names, self.numbers, self.min_sample = names, numbers, min_sample
        self.opportunities = opportunities or {}
        self.statuses = {v: escape(label) for v, label in ItemStatus.choices}
        self.kinds = {kind: escape(label) for kind, label in kind_labels().items()}
        self.fields = {
            name: str(Touchpoint._meta.get_field(name.removesuffix("_id")).verbose_name)
            for name in cmp.FIELDS
        }
        self.channels = {v: escape(label) for v, label in Channel.choices}
        self.motes = {v: escape(label) for v, label in MotStage.choices}
        self.phases = {v: escape(label) for v, label in Phase.choices}
        self.t = {
            "current": escape(_("Current")),
            "future": escape(_("Future")),
            "not_current": escape(_("Not in the current state")),
            "not_future": escape(_("Not in the future state")),
            "score": escape(_("Moment score")),
            "nps": escape(_("NPS")),
            "answers": escape(_("Answers")),
            "none": escape(_("No answers yet")),
            "few": escape(_("Not enough answers — %(n)s of %(min)s")),
            "owner": escape(_("Owner: %(name)s")),
            "changed": escape(_("Changed: %(fields)s")),
            "from": escape(_("from stage “%(stage)s”")),
            "created_by": escape(_("Created by these opportunities")),
            "status": escape(_("Status: %(status)s")),
            "no_owner": escape(_("No owner")),
        }

    def render(self, pair: cmp.Pair) -> str:
        kinds = pair.kinds
        status = " ".join(f'<span class="kind kind-{k}">{self.kinds[k]}</span>' for k in kinds)
        if pair.changes:
            fields = escape(", ".join(self.fields[name] for name in pair.changes))
            changed = self.t["changed"] % {"fields": fields}
            status += f' <span class="pair-changes">{changed}</span>'
        if pair.from_stage:
            where = self.t["from"] % {"stage": escape(pair.from_stage)}
            status += f' <span class="pair-from">{where}</span>'
        classes = " ".join(f"pair-{k}" for k in kinds)
        return (
            f'<li class="pair {classes}" data-kinds="{"".join(k + " " for k in kinds)}">'
            f'<p class="pair-status">{status}</p>'
            f"{self._side('current', pair.current)}{self._side('future', pair.future)}</li>"
        )

    def render_all(self, pairs: list[cmp.Pair]) -> SafeString:
        return mark_safe("".join(self.render(p) for p in pairs))  # noqa: S308 (escaped parts)

    def _side(self, side: str, row: cmp.TouchpointRow | None) -> str:
        t = self.t
        head = f'<div class="side side-{side}"><p class="side-label">{t[side]}</p>'
        if row is None:
            missing = t["not_current"] if side == "current" else t["not_future"]
            return f'{head}<p class="hint">{missing}</p></div>'
        meta = ""
        if row.mot_stage:
            meta = (
                f'<span class="mot-badge mot-{row.mot_stage}">{self.motes[row.mot_stage]}</span> '
            )
        meta += (
            f'<span class="chip">{self.channels.get(row.channel, escape(row.channel))}</span> '
            f'<span class="chip">{self.phases.get(row.phase, escape(row.phase))}</span>'
        )
        owner = self.names.get(row.owner_id) if row.owner_id else None
        if owner:
            meta += f' <span class="side-owner">{t["owner"] % {"name": escape(owner)}}</span>'
        html = f'{head}<p class="side-title">{escape(row.title)}</p><p class="side-meta">{meta}</p>'
        if row.description:
            text = row.description
            if len(text) > DESCRIPTION_CHARS:
                text = text[: DESCRIPTION_CHARS - 1] + "…"
            html += f'<p class="side-description">{escape(text)}</p>'
        if side == "current":
            html += self._numbers(self.numbers.get(row.pk))
        elif row.pk in self.opportunities:
            html += (
                f'<div class="side-opportunities"><p class="side-label">{t["created_by"]}</p>'
                f"{self.opportunity_list(self.opportunities[row.pk])}</div>"
            )
        return html + "</div>"

    def opportunity_list(self, rows: list[cmp.OpportunityRow]) -> SafeString:
        """Opportunities as a list: each one's text, status and owner."""
        t, items = self.t, []
        for row in rows:
            status = self.statuses.get(row.status, escape(row.status))
            owner = self.names.get(row.owner_id) if row.owner_id else None
            who = t["owner"] % {"name": escape(owner)} if owner else t["no_owner"]
            items.append(
                f'<li class="opportunity" data-opportunity="{row.pk}">'
                f'<span class="opportunity-text">{escape(row.text)}</span> '
                f'<span class="status-chip status-{escape(row.status)}">'
                f"{t['status'] % {'status': status}}</span> "
                f'<span class="opportunity-owner">{who}</span></li>'
            )
        return mark_safe(f'<ul class="opportunities">{"".join(items)}</ul>')  # noqa: S308

    def _numbers(self, numbers: TouchpointNumbers | None) -> str:
        t = self.t
        score, nps, answers = (
            f'<span class="hint">{t["none"]}</span>',
            '<span class="hint">—</span>',
            0,
        )
        if numbers is not None:
            m, answers = numbers.moment, numbers.answers
            if m.enough and m.score is not None:
                score = MomentLabels.signed(m.score)
            else:
                few = t["few"] % {"n": m.n, "min": self.min_sample}
                score = f'<span class="not-enough">{few}</span>'
            if numbers.nps_enough and numbers.nps is not None:
                nps = MomentLabels.signed(numbers.nps)
        return (
            f'<dl class="side-numbers"><div><dt>{t["score"]}</dt><dd>{score}</dd></div>'
            f"<div><dt>{t['nps']}</dt><dd>{nps}</dd></div>"
            f"<div><dt>{t['answers']}</dt><dd>{answers}</dd></div></dl>"
        )
