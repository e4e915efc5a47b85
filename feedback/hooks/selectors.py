"""An intake's one read per delivery: the intake, its touchpoint as storing an answer needs it,
and its workspace's follow-up rule, in one hand-written statement (as the survey link's,
:mod:`feedback.surveys.selectors`): compiling the joins through the ORM cost a delivery more
than storing its answer (bench/webhook_load.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from django.db import connection

from feedback.followups.models import FollowUpSettings
from feedback.hooks.models import Endpoint, Intake
from feedback.services import TouchpointRef
from journeys.models import Journey, Touchpoint
from mot.sql import Identifiers, Sql, Template, fetch

_RULE_COLUMNS = tuple(f.column for f in FollowUpSettings._meta.concrete_fields)
_RULE_FIELDS = [f.attname for f in FollowUpSettings._meta.concrete_fields]
_NAMES = Identifiers(
    Endpoint._meta.db_table,
    Intake._meta.db_table,
    Touchpoint._meta.db_table,
    Journey._meta.db_table,
    FollowUpSettings._meta.db_table,
    *_RULE_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class Receiving:
    intake: Intake
    touchpoint: TouchpointRef | None  # the intake's fixed touchpoint, if of its workspace
    rule: FollowUpSettings
    has_webhooks: bool = True  # whether the workspace has an enabled outgoing endpoint


@cache
def _names() -> dict[str, Sql]:
    return {
        "rule_columns": _NAMES.each("s.{name}", _RULE_COLUMNS),
        "intakes": _NAMES[Intake._meta.db_table],
        "touchpoints": _NAMES[Touchpoint._meta.db_table],
        "journeys": _NAMES[Journey._meta.db_table],
        "rules": _NAMES[FollowUpSettings._meta.db_table],
        "endpoints": _NAMES[Endpoint._meta.db_table],
    }


# The intake's one read a delivery: the same text every time, built once per process, and
# parsed and planned once per connection (prepared).
_RECEIVING = Template(
    """
    SELECT i.id, i.workspace_id, i.name, i.secret, i.touchpoint_id, i.touchpoint_field,
        i.mapping, t.journey_id, t.owner_id, t.mot_stage, j.workspace_id,
        EXISTS (
            SELECT 1 FROM {endpoints} e WHERE e.workspace_id = i.workspace_id AND e.enabled
        ),
        {rule_columns}
    FROM {intakes} i
    LEFT JOIN {touchpoints} t ON t.id = i.touchpoint_id
    LEFT JOIN {journeys} j ON j.id = t.journey_id
    LEFT JOIN {rules} s ON s.workspace_id = i.workspace_id
    WHERE i.kind = %s AND i.token = %s
    """,
    _names,
)


def receiving(kind: str, token: str) -> Receiving | None:
    rows = fetch(_RECEIVING(kind, token), prepared=True)
    if not rows:
        return None
    pk, workspace, name, secret, tp, tp_field, mapping, journey, owner, stage, tp_ws = rows[0][:11]
    hooks, *rule = rows[0][11:]
    if isinstance(mapping, str):  # SQLite hands JSON over as text
        mapping = json.loads(mapping)
    intake = Intake(
        pk=pk,
        workspace_id=workspace,
        kind=kind,
        name=name,
        token=token,
        secret=secret,
        touchpoint_id=tp,
        touchpoint_field=tp_field,
        mapping=mapping or {},
    )
    intake._state.adding, intake._state.db = False, connection.alias  # a row read, not a new one
    return Receiving(
        intake=intake,
        touchpoint=TouchpointRef(journey, owner, stage) if tp and tp_ws == workspace else None,
        rule=(
            FollowUpSettings(workspace_id=workspace)
            if rule[0] is None
            else FollowUpSettings.from_db(connection.alias, _RULE_FIELDS, rule)
        ),
        has_webhooks=bool(hooks),
    )
