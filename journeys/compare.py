"""A journey's current state beside its future state: which stages and touchpoints match, and
what happened to each (unchanged, changed, moved, added, removed).

Plain functions on plain rows, no database: :func:`compare` classes the pairs from the
``copied_from`` links a duplicate records; :func:`pair_by_content` finds those links for a copy
made before they were recorded (same touchpoint code, then same title within the same stage).
Reading the rows is journeys/compare_views.py's job.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

UNCHANGED, CHANGED, MOVED, ADDED, REMOVED = "unchanged", "changed", "moved", "added", "removed"
KINDS = (CHANGED, MOVED, ADDED, REMOVED, UNCHANGED)
# What a matched pair is compared on, in the order the page lists the changes.
FIELDS = ("title", "mot_stage", "channel", "phase", "owner_id", "description")


@dataclass(frozen=True)
class StageRow:
    pk: int
    name: str
    position: int
    copied_from: int | None = None


@dataclass(frozen=True)
class TouchpointRow:
    pk: int
    stage_id: int
    position: int
    title: str
    mot_stage: str = ""
    channel: str = "other"
    phase: str = "use"
    owner_id: int | None = None
    description: str = ""
    code: str = ""
    copied_from: int | None = None


@dataclass(frozen=True)
class Side:
    """One journey's stages and touchpoints, each list in map order."""

    stages: Sequence[StageRow]
    touchpoints: Sequence[TouchpointRow]


@dataclass(frozen=True)
class OpportunityRow:
    """An opportunity of the future state; ``touchpoint_id`` is the touchpoint it creates."""

    pk: int
    text: str
    status: str
    owner_id: int | None = None
    touchpoint_id: int | None = None


def opportunities_by_touchpoint(
    rows: Iterable[OpportunityRow], touchpoint_ids: Iterable[int]
) -> tuple[dict[int, list[OpportunityRow]], list[OpportunityRow]]:
    """The opportunities beside each future touchpoint they create (in the order given), and
    the ones linked to none of ``touchpoint_ids`` (unlinked), in the same order."""
    known = set(touchpoint_ids)
    linked: dict[int, list[OpportunityRow]] = {}
    unlinked: list[OpportunityRow] = []
    for row in rows:
        if row.touchpoint_id in known:
            linked.setdefault(row.touchpoint_id, []).append(row)  # type: ignore[arg-type]
        else:
            unlinked.append(row)
    return linked, unlinked


def _kinds(current: object, future: object, *, changed: bool, moved: bool) -> tuple[str, ...]:
    if current is None:
        return (ADDED,)
    if future is None:
        return (REMOVED,)
    return (CHANGED,) * changed + (MOVED,) * moved or (UNCHANGED,)


@dataclass
class Pair:
    """A current touchpoint and its future counterpart; one of them is None when it was removed
    or added. A matched pair may be both changed and moved."""

    current: TouchpointRow | None
    future: TouchpointRow | None
    changes: tuple[str, ...] = ()  # names from FIELDS that differ
    moved: bool = False
    from_stage: str = ""  # the current stage's name when the touchpoint changed stage

    @property
    def kinds(self) -> tuple[str, ...]:
        return _kinds(self.current, self.future, changed=bool(self.changes), moved=self.moved)

    @property
    def unchanged(self) -> bool:
        return self.kinds == (UNCHANGED,)


@dataclass
class StagePair:
    current: StageRow | None
    future: StageRow | None
    moved: bool = False
    pairs: list[Pair] = field(default_factory=list)

    @property
    def renamed(self) -> bool:
        return bool(self.current and self.future and self.current.name != self.future.name)

    @property
    def kinds(self) -> tuple[str, ...]:
        return _kinds(self.current, self.future, changed=self.renamed, moved=self.moved)


@dataclass
class Comparison:
    stages: list[StagePair]

    @property
    def counts(self) -> dict[str, int]:
        """Touchpoints per kind; a pair both changed and moved counts in both."""
        counts = dict.fromkeys(KINDS, 0)
        for stage in self.stages:
            for pair in stage.pairs:
                for kind in pair.kinds:
                    counts[kind] += 1
        return counts


def _in_order(seq: Sequence[int]) -> set[int]:
    """Indexes of a longest increasing run of ``seq`` (patience sorting): the items that kept
    their order. The others are the ones that moved, so adding or removing a card does not make
    every card after it count as moved."""
    tails: list[int] = []  # value ending the best run of each length
    tail_index: list[int] = []
    parent = [-1] * len(seq)
    for i, value in enumerate(seq):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[k], tail_index[k] = value, i
        parent[i] = tail_index[k - 1] if k else -1
    keep: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i != -1:
        keep.add(i)
        i = parent[i]
    return keep


def _links(futures: Iterable, currents: Iterable) -> dict[int, int]:
    """future pk -> current pk from the copied_from links that point into the current side;
    a current row claimed twice goes to the first future row in map order."""
    known = {row.pk for row in currents}
    links: dict[int, int] = {}
    taken: set[int] = set()
    for row in futures:
        if row.copied_from in known and row.copied_from not in taken:
            links[row.pk] = row.copied_from
            taken.add(row.copied_from)
    return links


def compare(current: Side, future: Side) -> Comparison:
    """The future side's stages in order, each beside its current stage, with its touchpoints
    beside theirs; a removed stage comes after the stage that preceded it on the current map,
    a removed touchpoint after the card that preceded it in its current stage."""
    stage_links = _links(future.stages, current.stages)
    tp_links = _links(future.touchpoints, current.touchpoints)
    current_stages = {s.pk: s for s in current.stages}
    current_tps = {t.pk: t for t in current.touchpoints}
    stage_rank = {s.pk: i for i, s in enumerate(current.stages)}

    matched_stages = [s for s in future.stages if s.pk in stage_links]
    kept_stages = _in_order([stage_rank[stage_links[s.pk]] for s in matched_stages])
    stage_moved = {s.pk for i, s in enumerate(matched_stages) if i not in kept_stages}

    rows: list[StagePair] = []
    by_current_stage: dict[int, StagePair] = {}
    for stage in future.stages:
        source = current_stages.get(stage_links.get(stage.pk, -1))
        row = StagePair(current=source, future=stage, moved=stage.pk in stage_moved)
        rows.append(row)
        if source is not None:
            by_current_stage[source.pk] = row
    # Removed stages, after the row of the current stage before them.
    for index, stage in enumerate(current.stages):
        if stage.pk in by_current_stage:
            continue
        row = StagePair(current=stage, future=None)
        before = [by_current_stage.get(s.pk) for s in current.stages[:index]]
        anchor = next((r for r in reversed(before) if r is not None), None)
        rows.insert(rows.index(anchor) + 1 if anchor else 0, row)
        by_current_stage[stage.pk] = row

    future_by_stage: dict[int, list[TouchpointRow]] = {}
    for tp in future.touchpoints:
        future_by_stage.setdefault(tp.stage_id, []).append(tp)
    matched_currents = set(tp_links.values())
    for row in rows:
        if row.future is not None:
            row.pairs = _stage_pairs(
                row, future_by_stage.get(row.future.pk, []), tp_links, current_tps, current_stages
            )
        if row.current is not None:
            removed = [
                t
                for t in current.touchpoints
                if t.stage_id == row.current.pk and t.pk not in matched_currents
            ]
            _insert_removed(row, removed)
    return Comparison(stages=rows)


def _stage_pairs(
    row: StagePair,
    futures: list[TouchpointRow],
    tp_links: dict[int, int],
    current_tps: dict[int, TouchpointRow],
    current_stages: dict[int, StageRow],
) -> list[Pair]:
    pairs = []
    staying: list[tuple[int, int]] = []  # (index in pairs, current position) of same-stage cards
    for tp in futures:
        source = current_tps.get(tp_links.get(tp.pk, -1))
        if source is None:
            pairs.append(Pair(current=None, future=tp))
            continue
        changes = tuple(f for f in FIELDS if getattr(source, f) != getattr(tp, f))
        pair = Pair(current=source, future=tp, changes=changes)
        if row.current is None or source.stage_id != row.current.pk:
            pair.moved = True
            pair.from_stage = current_stages[source.stage_id].name
        else:
            staying.append((len(pairs), source.position))
        pairs.append(pair)
    kept = _in_order([position for _index, position in staying])
    for i, (index, _position) in enumerate(staying):
        pairs[index].moved = i not in kept
    return pairs


def _insert_removed(row: StagePair, removed: list[TouchpointRow]) -> None:
    for tp in removed:
        before = [
            i
            for i, p in enumerate(row.pairs)
            if p.current is not None
            and p.current.stage_id == tp.stage_id
            and p.current.position < tp.position
        ]
        row.pairs.insert(before[-1] + 1 if before else 0, Pair(current=tp, future=None))


def pair_by_content(current: Side, future: Side) -> tuple[dict[int, int], dict[int, int]]:
    """Links for a copy made without them (or to a different current journey): future stage
    pk -> current stage pk, future touchpoint pk -> current touchpoint pk.

    Links already pointing into ``current`` are kept. Other stages match by name (ignoring case
    and surrounding spaces), in map order; other touchpoints by code (ignoring case), then by
    title within the matched stage. Nothing else is guessed: an unmatched card is shown as added
    or removed, which the editor can see and fix, where a wrong guess would hide a change.
    """
    stage_links = _links(future.stages, current.stages)
    free_stages = [s for s in current.stages if s.pk not in set(stage_links.values())]
    for stage in future.stages:
        if stage.pk in stage_links:
            continue
        match = next((s for s in free_stages if _key(s.name) == _key(stage.name)), None)
        if match is not None:
            stage_links[stage.pk] = match.pk
            free_stages.remove(match)

    tp_links = _links(future.touchpoints, current.touchpoints)
    taken = set(tp_links.values())
    free = [t for t in current.touchpoints if t.pk not in taken]
    by_code = {_key(t.code): t for t in reversed(free) if t.code}  # first one wins
    for tp in future.touchpoints:
        if tp.pk in tp_links or not tp.code:
            continue
        match = by_code.get(_key(tp.code))
        if match is not None and match.pk not in taken:
            tp_links[tp.pk] = match.pk
            taken.add(match.pk)
    by_title: dict[tuple[int, str], list[TouchpointRow]] = {}
    for t in free:
        if t.pk not in taken:
            by_title.setdefault((t.stage_id, _key(t.title)), []).append(t)
    for tp in future.touchpoints:
        if tp.pk in tp_links or tp.stage_id not in stage_links:
            continue
        candidates = by_title.get((stage_links[tp.stage_id], _key(tp.title)), [])
        if candidates:
            tp_links[tp.pk] = candidates.pop(0).pk
    return stage_links, tp_links


def _key(text: str) -> str:
    return text.strip().casefold()
