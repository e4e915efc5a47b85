"""The comment-search GIN index covers only the answers that have a comment (PostgreSQL only).

An answer without a comment can never match a search, yet the full index gave each one an
entry (GIN's "empty item") and evaluated the vector for it, on every insert: a cost that every
import paid for nothing. The expression is migration 0005's, unchanged; the explorer's search
adds ``comment <> ''`` so the planner can use the partial index (feedback.explorer).
"""

import importlib

from django.db import migrations

INDEX = "response_comment_search"
VECTOR = importlib.import_module("feedback.migrations.0005_explorer_indexes").VECTOR
PREDICATE = "comment <> ''"


def _recreate(schema_editor, where: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON feedback_response USING gin (({VECTOR})){where}"
    )


def partial(apps, schema_editor):
    _recreate(schema_editor, f" WHERE {PREDICATE}")


def whole(apps, schema_editor):
    _recreate(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0008_importjob_progress_in_cache_only"),
    ]

    operations = [
        migrations.RunPython(partial, whole, elidable=False),
    ]
