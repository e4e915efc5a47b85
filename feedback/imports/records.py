"""Records without a score in a file import: which rows are records (a column mapped to
"record kind", or one kind chosen for the whole file), and what a record row must carry (text,
no score; an optional noted experience). The rows module asks here once per row."""

from __future__ import annotations

from django.utils.translation import gettext as _

from feedback.experience import NotedExperience
from feedback.imports.presets import normalize
from feedback.imports.reading import as_text
from feedback.models import Kind

# A cell names a kind by its code or its English label, in any case ("Social post", "call_note").
_KINDS = {normalize(v): v for v in Kind.values} | {normalize(str(k.label)): k.value for k in Kind}
_NOTED = {normalize(v): v for v in NotedExperience.values}


def cell_text(cells: list, index: int) -> str:
    return as_text(cells[index]) if 0 <= index < len(cells) else ""


def kind_of(text: str, file_kind: str) -> str | None:
    """The row's kind: its cell's, else the file's, else a survey answer; None: not a kind."""
    if not text:
        return file_kind or Kind.SURVEY_ANSWER
    return _KINDS.get(normalize(text))


def noted_of(text: str) -> str | None:
    """A record's noted experience from its cell ("unknown" when empty); None: not one."""
    if not text:
        return NotedExperience.UNKNOWN
    return _NOTED.get(normalize(text))


def record_reasons(scores: dict, comment: str) -> list[tuple[str, str]]:
    """(field, reason) for what a record row has and must not, or lacks."""
    reasons = [(f, _("a record has no score")) for f, v in scores.items() if v is not None]
    if not comment:
        reasons.append(("comment", _("a record needs its text (a comment)")))
    return reasons


def unknown_kind() -> str:
    return _("is not a kind: survey answer, complaint, interview note, social post or call note")


def unknown_noted() -> str:
    return _("is not an experience: glory, neutral, pain or unknown")
