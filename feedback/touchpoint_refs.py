"""Finding a workspace's touchpoint from what a file or an API client calls it.

A reference is a touchpoint's id, its code (case-insensitive) or its exact title. Only the
workspace's own touchpoints are candidates, so a reference can never reach another workspace's
map. A title shared by two touchpoints is refused as ambiguous rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Upper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.models import Touchpoint


def ids_by_code(workspace_id: int, codes: Iterable[str]) -> dict[str, int]:
    """Upper-cased code → touchpoint id, for the given codes that exist in the workspace."""
    wanted = {c.strip().upper() for c in codes if c and c.strip()}
    if not wanted:
        return {}
    return dict(
        Touchpoint.objects.filter(journey__workspace_id=workspace_id)
        .annotate(code_upper=Upper("code"))
        .filter(code_upper__in=wanted)
        .values_list("code_upper", "pk")
    )


class TouchpointRefs:
    """Resolves file cells to touchpoint ids; loads the workspace's touchpoints once.

    Memory grows with the workspace's touchpoints (hundreds), not with the file's rows; each
    distinct cell text is resolved once.
    """

    def __init__(self, workspace_id: int) -> None:
        self.ids: set[int] = set()
        self.codes: dict[str, int] = {}
        self.titles: dict[str, list[int]] = {}
        rows = Touchpoint.objects.filter(journey__workspace_id=workspace_id).values_list(
            "pk", "code", "title"
        )
        for pk, code, title in rows:
            self.ids.add(pk)
            if code:
                self.codes[code.upper()] = pk
            self.titles.setdefault(title, []).append(pk)
        self._cache: dict[str, int | str] = {}

    def __call__(self, text: str) -> int:
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self._resolve(text)
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def _resolve(self, text: str) -> int | str:
        ref = str(text).strip()
        if not ref:
            return _("no touchpoint given")
        if ref.isdigit() and int(ref) in self.ids:
            return int(ref)
        if ref.upper() in self.codes:
            return self.codes[ref.upper()]
        matches = self.titles.get(ref, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            return ngettext(
                "%(n)d touchpoint is titled “%(title)s”; give the touchpoint's code or id",
                "%(n)d touchpoints are titled “%(title)s”; give the touchpoint's code or id",
                len(matches),
            ) % {"n": len(matches), "title": ref}
        return _("no touchpoint in this workspace has this id, code or title")
