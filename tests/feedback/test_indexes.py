"""The answer and follow-up tables carry no index that another already provides.

Every survey answer inserts a row into the answers table, and a pain answer one into the
follow-ups table too: each index on them is written by every insert. An index whose columns
lead another index (a foreign key's own, say, beside a composite index that starts with it)
serves no lookup the longer one does not, and only slows the insert.
"""

from __future__ import annotations

import pytest
from django.db import connection

from feedback.followups.models import FollowUp
from feedback.models import Response


def _indexes(model) -> dict[str, dict]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    # A partial index covers some rows only: it stands in for no other, nor another for it.
    partial = {index.name for index in model._meta.indexes if index.condition is not None}
    return {
        name: c
        for name, c in found.items()
        if (c["index"] or c["unique"] or c["primary_key"])
        and name not in partial
        and c["columns"]
        and None not in c["columns"]  # an expression's index (the comment search)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Response, FollowUp], ids=["answers", "followups"])
def test_no_index_leads_another(model):
    indexes = _indexes(model)
    redundant = [
        (name, other)
        for name, c in indexes.items()
        # A unique index or the primary key is a constraint, not only a path to rows.
        if not (c["unique"] or c["primary_key"])
        for other, o in indexes.items()
        if other != name and o["columns"][: len(c["columns"])] == c["columns"]
    ]
    assert redundant == []


@pytest.mark.django_db
def test_each_followup_foreign_key_leads_an_index():
    """Dropping the foreign keys' own indexes left each one leading a composite index: the
    queue's lookups by workspace, touchpoint and assignee (and the deletes that cascade along
    them) still find their rows through an index."""
    leading = {c["columns"][0] for c in _indexes(FollowUp).values()}
    assert {"workspace_id", "touchpoint_id", "assignee_id", "response_id"} <= leading
