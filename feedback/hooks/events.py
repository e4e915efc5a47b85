"""Which events a workspace sends out, read from the cache on the busy paths.

A survey post must not slow down or pay a query for webhooks it does not have: each
workspace's listened events live in the cache (no expiry), written whenever one of its
endpoints is saved, disabled or removed, and written again for every workspace by a beat task
(:func:`refresh_all`, every minute) in case the cache lost them. No key reads as "no
endpoint", so a survey post costs one cache read and no query; an answer stored while the cache
had been emptied and not yet refilled (at most a minute) sends no event.

When the workspace listens, one task per stored answer (ids in) is enqueued once the answer has
committed; a broker that is away loses those events (logged), never the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction

from feedback.hooks.models import Endpoint, Event

logger = logging.getLogger(__name__)

ANSWER_EVENTS = frozenset({Event.ANSWER_STORED, Event.ANSWER_PAIN, Event.FOLLOWUP_CHANGED})


def _key(workspace_id: int) -> str:
    # The database's name too: two installations (or test runs) may share one Redis.
    return f"webhooks:events:{connection.settings_dict['NAME']}:{workspace_id}"


def listened(workspace_id: int) -> frozenset[str]:
    return frozenset(cache.get(_key(workspace_id)) or ())


def _events_by_workspace(workspace_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    rows = Endpoint.objects.filter(enabled=True)
    if workspace_ids is not None:
        rows = rows.filter(workspace_id__in=list(workspace_ids))
    found: dict[int, set[str]] = {}
    for workspace_id, names in rows.values_list("workspace_id", "events"):
        found.setdefault(workspace_id, set()).update(n for n in names or () if isinstance(n, str))
    return found


def refresh(workspace_id: int) -> None:
    """Write the workspace's listened events (after one of its endpoints changed)."""
    events = _events_by_workspace([workspace_id]).get(workspace_id, set())
    cache.set(_key(workspace_id), sorted(events), timeout=None)


def refresh_all() -> int:
    """Write every listening workspace's events (beat); returns how many workspaces."""
    found = _events_by_workspace()
    cache.set_many({_key(ws): sorted(events) for ws, events in found.items()}, timeout=None)
    return len(found)


def _enqueue_on_commit(task, args_list: list[tuple]) -> None:
    def send() -> None:
        for args in args_list:
            task.delay(*args)

    # Robust: the answer is committed; an event that cannot be queued is logged, never an error.
    transaction.on_commit(send, robust=True)


def answers_stored(*, workspace_id: int, ids: Iterable[int], has_webhooks: bool = True) -> None:
    """After answers were stored: one task per answer, if the workspace listens to answers (or
    to the follow-ups they open). ``has_webhooks=False``: the caller read in the database, in
    a statement it ran anyway, that the workspace has no enabled endpoint (the survey page):
    no cache read."""
    ids = list(ids)
    if not ids or not has_webhooks or not (listened(workspace_id) & ANSWER_EVENTS):
        return
    from feedback.tasks import webhooks_answer

    _enqueue_on_commit(webhooks_answer, [(pk,) for pk in ids])


def followup_changed(*, workspace_id: int, followup_id: int, version: int) -> None:
    if Event.FOLLOWUP_CHANGED not in listened(workspace_id):
        return
    from feedback.tasks import webhooks_followup

    _enqueue_on_commit(webhooks_followup, [(followup_id, version)])


def moment_alerts(*, workspace_id: int, turns: dict[int, int]) -> None:
    """Touchpoints (id → how many times it turned down) whose moment alert just went out."""
    if not turns or Event.MOMENT_ALERT not in listened(workspace_id):
        return
    from feedback.tasks import webhooks_moment

    _enqueue_on_commit(webhooks_moment, [(workspace_id, pk, n) for pk, n in turns.items()])
