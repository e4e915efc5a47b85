"""Contiguous, unique positions for ordered rows (stages in a journey, touchpoints in a stage).

Positions are 0..n-1 with a unique constraint per container. Writing a new order row by row would
trip that constraint halfway (PostgreSQL checks non-deferred unique constraints per row), so a
renumber runs in two statements: first every affected row is lifted above any live position, then
each row gets its final position. Callers hold row locks on the containers (see services).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models

# Far above any real position; positions are small (a stage holds hundreds, not millions).
_LIFT = 1_000_000


def renumber(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    also: models.Model | None = None,
    fields: Sequence[str] = (),
) -> None:
    """Persist ``rows`` at positions 0..n-1 in the given order.

    Only rows whose position changes are written, plus ``also`` (a row that changed ``fields``,
    such as a touchpoint that moved to another stage).
    """
    changed = []
    for index, row in enumerate(rows):
        original = getattr(row, "_original_position", row.position)
        if original != index or (also is not None and row.pk == also.pk):
            changed.append(row)
        row.position = index
    if not changed:
        return
    lift(model, [row.pk for row in changed])
    model._default_manager.bulk_update(changed, ["position", *fields])


def snapshot_positions(rows: Sequence[models.Model]) -> None:
    """Remember each row's stored position, so renumber() writes only rows that move."""
    for row in rows:
        row._original_position = row.position  # type: ignore[attr-defined]


def clamp(position: int | None, length: int) -> int:
    """A target index within 0..length (None = at the end)."""
    if position is None or position > length:
        return length
    return max(position, 0)


def lift(model: type[models.Model], pks: Sequence[int]) -> None:
    """Move rows above every live position, so the positions they held are free."""
    model._default_manager.filter(pk__in=pks).update(position=models.F("position") + _LIFT)
