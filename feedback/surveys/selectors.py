"""The public survey's one read: its link, with what storing an answer needs.

A customer's post is the busiest request MOT serves (``bench/survey_load.py``), so the link,
its touchpoint, journey, workspace language and rule come in one hand-written statement:
compiling the same five-table join through the ORM cost the request more than storing the
answer, and it is prepared once per connection (planning it cost the database more than
running it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from django.db import connection

from feedback.followups.models import FollowUpSettings
from feedback.hooks.models import Endpoint
from feedback.models import SurveyBranding, SurveyLink
from feedback.services import TouchpointRef
from feedback.surveys.config import Survey, survey_of
from journeys.models import Journey, Touchpoint
from mot.models import Workspace
from mot.sql import Identifiers, Sql, Template, fetch

_RULE_COLUMNS = tuple(f.column for f in FollowUpSettings._meta.concrete_fields)
_RULE_FIELDS = [f.attname for f in FollowUpSettings._meta.concrete_fields]
_NAMES = Identifiers(
    SurveyLink._meta.db_table,
    Touchpoint._meta.db_table,
    Journey._meta.db_table,
    Workspace._meta.db_table,
    FollowUpSettings._meta.db_table,
    Endpoint._meta.db_table,
    SurveyBranding._meta.db_table,
    *_RULE_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class PublicLink:
    token: str
    revoked: bool
    touchpoint_id: int
    title: str  # the touchpoint's: internal, never shown to the customer
    touchpoint: TouchpointRef
    workspace_id: int
    language: str  # the link's fixed language, "" for the visitor's browser
    workspace_language: str  # the workspace's default: for a browser asking for none we have
    rule: FollowUpSettings  # the workspace's follow-up rule (its defaults when never set)
    survey: Survey  # what the survey asks and says (the link's editor)
    logo_hash: str  # the workspace's survey logo ("" for none), part of its URL
    accent: str  # the workspace's accent colour, "#rrggbb" or ""
    # Whether the workspace has an enabled outgoing webhook: without one (most workspaces), a
    # stored answer has no event to send and the request does not ask the cache which.
    has_webhooks: bool


@cache
def _names() -> dict[str, Sql]:
    """The statement's identifiers, quoted once per process."""
    return {
        "rule_columns": _NAMES.each("s.{name}", _RULE_COLUMNS),
        "links": _NAMES[SurveyLink._meta.db_table],
        "touchpoints": _NAMES[Touchpoint._meta.db_table],
        "journeys": _NAMES[Journey._meta.db_table],
        "workspaces": _NAMES[Workspace._meta.db_table],
        "rules": _NAMES[FollowUpSettings._meta.db_table],
        "endpoints": _NAMES[Endpoint._meta.db_table],
        "brandings": _NAMES[SurveyBranding._meta.db_table],
    }


# The link's SELECT: its text built once per process, its one value the token.
_LINK = Template(
    """
    SELECT l.token, l.revoked_at IS NOT NULL, t.id, t.title, t.journey_id, t.owner_id,
        t.mot_stage, j.workspace_id, l.language, w.default_language, l.config,
        b.logo_hash, b.accent,
        EXISTS (
            SELECT 1 FROM {endpoints} e WHERE e.workspace_id = j.workspace_id AND e.enabled
        ),
        {rule_columns}
    FROM {links} l
    JOIN {touchpoints} t ON t.id = l.touchpoint_id
    JOIN {journeys} j ON j.id = t.journey_id
    JOIN {workspaces} w ON w.id = j.workspace_id
    LEFT JOIN {rules} s ON s.workspace_id = j.workspace_id
    LEFT JOIN {brandings} b ON b.workspace_id = j.workspace_id
    WHERE l.token = %s
    """,
    _names,
)


def public_link(token: str) -> PublicLink | None:
    # The request's first statement: it checks the kept connection too (mot.sql.fetch).
    rows = fetch(_LINK(token[:64]), prepared=True, read_only=True)
    if not rows:
        return None
    row = rows[0]
    token, revoked, tp, title, journey, owner, stage, workspace, language, default = row[:10]
    config, logo_hash, accent, hooks, *rule = row[10:]
    return PublicLink(
        token=token,
        revoked=bool(revoked),
        touchpoint_id=tp,
        title=title,
        touchpoint=TouchpointRef(journey, owner, stage),
        workspace_id=workspace,
        language=language,
        workspace_language=default,
        rule=(
            FollowUpSettings(workspace_id=workspace)
            if rule[0] is None
            else FollowUpSettings.from_db(connection.alias, _RULE_FIELDS, rule)
        ),
        # psycopg decodes the jsonb column; SQLite hands over its text.
        survey=survey_of(json.loads(config) if isinstance(config, str) else config),
        logo_hash=logo_hash or "",
        accent=_colour(accent),
        has_webhooks=bool(hooks),
    )


_HEX = re.compile(r"#[0-9a-f]{6}")


def _colour(value: str | None) -> str:
    """The accent colour as the survey's stylesheet URL takes it ("#rrggbb"), "" if none."""
    value = (value or "").lower()
    return value if _HEX.fullmatch(value) else ""
