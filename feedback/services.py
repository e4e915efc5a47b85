"""Storing survey answers: one ingestion path for survey links, the API and file imports.

Callers authorize first (a survey link's token, a workspace API token, a member's role through
mot.policy) and pass the workspace that authorization names; this module then checks that every
touchpoint belongs to that workspace, so an answer can never land in another workspace's map.

Idempotent: an answer is stored once per (workspace, source, external id). Re-sending it, also in
the same batch, counts it as a duplicate and writes nothing. A batch is all or nothing: one
statement in autocommit when one suffices (a survey answer, with its follow-up on PostgreSQL),
otherwise one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.core.cache import cache as redis_cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.customers import Profile, customers_get_or_create, profiles_merged
from feedback.followups.alerts import announce_marker, announce_soon
from feedback.followups.models import FollowUpSettings
from feedback.followups.rules import (
    AnswerFacts,
    Opening,
    opening_insert,
    opening_template,
    opening_values,
    rule_selects,
    settings_of,
)
from feedback.models import SCORES, Kind, NotedExperience, Response
from journeys.models import Touchpoint
from metrics.services import metrics_note_keys, metrics_request
from mot.cache import get_many_and_add
from mot.sql import (
    Identifiers,
    Sql,
    Template,
    execute,
    fetch,
    join,
    row_placeholders,
    sql,
    value_list,
)

RATINGS = ("respect", "solutions", "simplicity", "responsibility")


@dataclass(frozen=True)
class AnswerIn:
    """One validated answer (types and ranges already checked by the caller's schema or form)."""

    touchpoint_id: int
    external_id: str
    submitted_at: datetime
    nps: int | None = None
    csat: int | None = None
    respect: int | None = None
    solutions: int | None = None
    simplicity: int | None = None
    responsibility: int | None = None
    ces: int | None = None  # Customer Effort Score, 1-7
    comment: str = ""
    language: str = ""
    customer: str | None = None  # the customer's external id
    contact: str = ""  # an e-mail or phone the customer agreed to be reached at (checked)
    kind: str = Kind.SURVEY_ANSWER  # a record (complaint, interview note…) has no score
    noted_experience: str = ""  # a record's experience as logged; blank: "unknown"
    profile: Profile | None = None  # what the answer says of its customer (checked)


@dataclass(frozen=True)
class Problem:
    index: int  # the answer's place in the batch, from 0
    field: str
    message: str


class AnswersRefused(ValidationError):
    """Some answers cannot be stored; ``problems`` says which and why. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            [
                _("Answer %(n)d, %(field)s: %(message)s")
                % {"n": p.index + 1, "field": p.field, "message": p.message}
                for p in problems
            ]
        )


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    created_ids: list[int] = field(default_factory=list)
    followups: int = 0  # follow-ups the stored answers opened


@dataclass(frozen=True, slots=True)
class TouchpointRef:
    """What storing an answer needs of its touchpoint: its journey (for the recompute), owner
    (the follow-up's assignee) and moment of truth (the follow-up rule may name one)."""

    journey_id: int
    owner_id: int | None
    mot_stage: str


def touchpoints_in(workspace_id: int, ids: set[int]) -> dict[int, TouchpointRef]:
    """These touchpoints, those of the workspace only: another workspace's reads as absent."""
    rows = Touchpoint.objects.filter(pk__in=ids, journey__workspace_id=workspace_id).values_list(
        "pk", "journey_id", "owner_id", "mot_stage"
    )
    return {pk: TouchpointRef(journey, owner, stage) for pk, journey, owner, stage in rows}


# What an answer carries as it is sent, stored as is (AnswerIn's fields of the same names).
ANSWER_VALUES = ("nps", "csat", *RATINGS, "ces", "comment", "language", "contact", "kind")
# The answer's columns an ingest writes; the database fills in the id and the experience.
_COLUMNS = (
    "workspace_id",
    "touchpoint_id",
    "customer_id",
    "source",
    "external_id",
    "submitted_at",
    *ANSWER_VALUES,
    "noted_experience",
    "created_at",
)
_NAMES = Identifiers(Response._meta.db_table, "id", *_COLUMNS)
_INSERT_ROWS = 500  # answers per INSERT statement


@cache
def _answers_names() -> dict[str, Sql]:
    """The statement's identifiers, quoted once per process (the busiest path builds it)."""
    return {
        "table": _NAMES[Response._meta.db_table],
        "columns": _NAMES.each("{name}", _COLUMNS),
        **{key: _NAMES[name] for key, name in _KEYS.items()},
    }


_KEYS = {
    "workspace": "workspace_id",
    "source": "source",
    "external": "external_id",
    "id": "id",
    "touchpoint": "touchpoint_id",
}


def _answers_insert(rows: Sequence[tuple]) -> Sql:
    """INSERT of the rows (values in ``_COLUMNS`` order) that skips an answer stored before, a
    concurrent request's included, and returns the external id, id and touchpoint of each row
    really inserted."""
    if len(rows) == 1:  # one answer (a survey post's): the same text every time, built once
        return Sql(_one_answer_insert(len(rows[0])), tuple(rows[0]))
    return _answers_insert_of(join(", ", (sql("({row})", row=value_list(row)) for row in rows)))


@cache
def _one_answer_insert(width: int) -> str:
    return _answers_insert_of(sql("({row})", row=row_placeholders(width))).text


def _answers_insert_of(values: Sql) -> Sql:
    return sql(
        "INSERT INTO {table} ({columns}) VALUES {values}"
        " ON CONFLICT ({workspace}, {source}, {external}) DO NOTHING"
        " RETURNING {external}, {id}, {touchpoint}",
        values=values,
        **_answers_names(),
    )


_OWNER = "SELECT %s AS ext, CAST(%s AS INTEGER) AS oid"
_CANDIDATES = (
    "SELECT a.id AS rid, a.touchpoint_id AS tid, s.oid AS oid"
    " FROM {stored} a JOIN ({owners}) s ON s.ext = a.external_id"
)


def _candidates(selected: Mapping[str, int | None], stored: Sql) -> Sql:
    """The follow-ups to open, as ``opening_insert`` reads them: each stored answer whose
    external id the rule selected, with its assignee (``stored`` has the columns
    external_id, id, touchpoint_id)."""
    owners = join(" UNION ALL ", (sql(_OWNER, e, o) for e, o in selected.items()))
    return sql(_CANDIDATES, stored=stored, owners=owners)


# PostgreSQL: the answers and their follow-ups in one statement (a data-modifying WITH).
_WITH_FOLLOWUPS = (
    "WITH a AS ({answers}), f AS ({followups} RETURNING 1)"
    " SELECT a.external_id, a.id, (SELECT count(*) FROM f) FROM a"
)
# One answer and its follow-up (a pain answer's survey POST): the same text every time, built
# once. Its values: the answer's row, opening_values, the answer's external id and assignee.
_ONE_WITH_FOLLOWUP = Template(
    _WITH_FOLLOWUPS,
    lambda: {
        "answers": Sql(_one_answer_insert(len(_COLUMNS))),
        "followups": opening_template(
            lambda: sql(_CANDIDATES, stored=sql("a"), owners=Sql(_OWNER))
        ).part,
    },
)


def _with_followups(
    rows: Sequence[tuple], selected: Mapping[str, int | None], workspace_id: int, opening: Opening
) -> Sql:
    """The rows' INSERT, opening the follow-ups of those ``selected`` (external id: assignee)."""
    if len(rows) == 1:
        ((external, owner),) = selected.items()
        return _ONE_WITH_FOLLOWUP(*rows[0], *opening_values(workspace_id, opening), external, owner)
    return sql(
        _WITH_FOLLOWUPS,
        answers=_answers_insert(rows),
        followups=opening_insert(
            workspace_id=workspace_id,
            opening=opening,
            candidates=_candidates(selected, sql("a")),
        ),
    )


def _store(
    *,
    workspace_id: int,
    opening: Opening | None,
    rows: Sequence[tuple],
    selected: Mapping[str, int | None],
) -> tuple[dict[str, int], int]:
    """Insert the answers and open the selected follow-ups; the answers really inserted (by
    external id) and the number of follow-ups opened. On PostgreSQL each 500 rows are one
    statement, follow-ups included (a data-modifying WITH); SQLite takes two."""
    stored: dict[str, int] = {}
    opened = 0
    # One answer's statements are the same text whatever the answer (a survey POST's, an API
    # POST's): prepared once per connection. A batch's vary with its size and run once.
    prepared = len(rows) == 1
    for start in range(0, len(rows), _INSERT_ROWS):
        chunk = rows[start : start + _INSERT_ROWS]
        wanted = {row[4]: selected[row[4]] for row in chunk if row[4] in selected}
        if not wanted:
            found = fetch(_answers_insert(chunk), prepared=prepared)
            stored.update((e, pk) for e, pk, _tp in found)
        elif connection.vendor == "postgresql":
            found = fetch(_with_followups(chunk, wanted, workspace_id, opening), prepared=prepared)
            stored.update((e, pk) for e, pk, _n in found)
            opened += found[0][2] if found else 0
        else:
            inserted = fetch(_answers_insert(chunk))
            stored.update((e, pk) for e, pk, _tp in inserted)
            if inserted:
                now_stored = join(
                    " UNION ALL ",
                    (
                        sql("SELECT %s AS external_id, %s AS id, %s AS touchpoint_id", *row)
                        for row in inserted
                    ),
                )
                opened += execute(
                    opening_insert(
                        workspace_id=workspace_id,
                        opening=opening,
                        candidates=_candidates(wanted, sql("({rows})", rows=now_stored)),
                    )
                )
    return stored, opened


def noted(answer: AnswerIn) -> str:
    """The noted experience stored: a record's ("unknown" when none was given), blank for a
    survey answer (its experience comes from its score)."""
    if answer.kind == Kind.SURVEY_ANSWER:
        return ""
    return answer.noted_experience or NotedExperience.UNKNOWN


def kind_problems(index: int, answer: AnswerIn) -> list[Problem]:
    """What the answer's kind asks for and it lacks: a survey answer a score, a record text
    and no score (the database's ``response_scored_or_record`` check, said field by field)."""
    if answer.kind == Kind.SURVEY_ANSWER:
        if answer.noted_experience:
            return [Problem(index, "experience", _("a survey answer's experience is its score"))]
        if answer.nps is None and answer.csat is None:
            return [Problem(index, "nps", _("an answer needs nps or csat"))]
        return []
    if answer.kind not in Kind.values:
        return [Problem(index, "kind", _("unknown kind"))]
    problems = [
        Problem(index, name, _("a record has no score"))
        for name in SCORES
        if getattr(answer, name) is not None
    ]
    if not answer.comment.strip():
        problems.append(Problem(index, "comment", _("a record needs its text")))
    if answer.noted_experience and answer.noted_experience not in NotedExperience.values:
        problems.append(Problem(index, "experience", _("unknown experience")))
    return problems


def responses_ingest(
    *,
    workspace_id: int,
    source: str,
    answers: Sequence[AnswerIn],
    request_metrics: bool = True,
    open_followups: bool = True,
    rule: FollowUpSettings | None = None,
    touchpoints: Mapping[int, TouchpointRef] | None = None,
) -> IngestResult:
    """Store answers, and open the follow-ups the workspace's rule asks for, all or nothing.
    ``request_metrics=False`` is for callers that ask for one recompute after many batches
    themselves (the file import); ``rule`` for those that load the rule once; ``touchpoints``
    for those whose authorization already named the touchpoint (a survey link names exactly
    one, of its own workspace)."""
    result = IngestResult()
    if not answers:
        return result
    if touchpoints is None:
        touchpoints = touchpoints_in(workspace_id, {a.touchpoint_id for a in answers})
    problems = []
    for i, answer in enumerate(answers):
        problems.extend(kind_problems(i, answer))
        if answer.touchpoint_id not in touchpoints:
            problems.append(Problem(i, "touchpoint", _("unknown touchpoint")))
    if problems:
        raise AnswersRefused(problems)

    fresh: dict[str, AnswerIn] = {}
    for answer in answers:
        fresh.setdefault(answer.external_id, answer)
    selected: dict[str, int | None] = {}
    if open_followups:
        rule = rule if rule is not None else settings_of(workspace_id)
        for a in fresh.values():
            tp = touchpoints[a.touchpoint_id]
            facts = AnswerFacts(
                a.nps, a.csat, a.comment, a.contact, tp.journey_id, tp.mot_stage, noted(a)
            )
            if rule_selects(rule, facts):
                selected[a.external_id] = tp.owner_id
    wanted_customers = {a.customer for a in fresh.values() if a.customer}
    # One statement needs no transaction of its own: a survey answer or a small API batch
    # without customers is a single INSERT (follow-ups included on PostgreSQL).
    single = (
        not wanted_customers
        and len(fresh) <= _INSERT_ROWS
        and (not selected or connection.vendor == "postgresql")
    )
    # No savepoint inside a caller's transaction (a webhook delivery commits its answers with
    # its log line): nothing here is caught and retried within it, every refusal is raised
    # above, before writing, so a failure can only end the caller's transaction too.
    with nullcontext() if single else transaction.atomic(savepoint=False):
        customers = customers_get_or_create(
            workspace_id,
            wanted_customers,
            profiles_merged((a.customer, a.profile) for a in answers if a.profile),
        )
        adapt = connection.ops.adapt_datetimefield_value
        now = adapt(timezone.now())
        stored, result.followups = _store(
            workspace_id=workspace_id,
            opening=Opening.now(rule) if selected else None,
            selected=selected,
            rows=[
                (
                    workspace_id,
                    a.touchpoint_id,
                    customers.get(a.customer) if a.customer else None,
                    source,
                    a.external_id,
                    adapt(a.submitted_at),
                    *(getattr(a, name) for name in ANSWER_VALUES),
                    noted(a),
                    now,
                )
                for a in fresh.values()
            ],
        )
    result.created = len(stored)
    result.duplicates = len(answers) - len(stored)
    result.created_ids = sorted(stored.values())
    journeys = None
    if request_metrics and stored:
        journeys = sorted({touchpoints[a.touchpoint_id].journey_id for a in fresh.values()})
    if journeys or result.followups:
        _after_commit(workspace_id=workspace_id, journeys=journeys, announce=result.followups > 0)
    return result


def _after_commit(*, workspace_id: int, journeys: list[int] | None, announce: bool) -> None:
    """Once the answers have committed: ask for their journeys' metrics, and have the
    follow-ups they opened told of by a task shortly after (one for a burst of answers), in
    one cache round trip for both (a survey answer's only one after storing it). Robust: the
    answers are committed; a failure here is logged, and the metrics watchdog and the
    announcement sweep make up for it, it never turns stored answers into an error page."""

    def run() -> None:
        keys = metrics_note_keys(workspace_id) if journeys else []
        if announce:
            marker, timeout = announce_marker(workspace_id)
            noted, added = get_many_and_add(redis_cache, keys, marker, 1, timeout)
        else:
            noted, added = redis_cache.get_many(keys), None
        try:
            if announce:
                announce_soon(workspace_id=workspace_id, added=added)
        finally:
            if journeys:
                metrics_request(workspace_id=workspace_id, journey_ids=journeys, noted=noted)

    transaction.on_commit(run, robust=True)
