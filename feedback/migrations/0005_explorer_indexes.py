"""The explorer's full-text index of comments (PostgreSQL only).

A GIN index on the comment's vector in the answer's own text search configuration. The
expression must stay exactly the one feedback.explorer.VECTOR_SQL builds, or the planner stops
using the index (tests/feedback/test_explorer.py compares the two; test_explorer_search_pg.py
checks the plan). The explorer's btree indexes live in Response.Meta.

Built inside the migration's transaction (writes to answers wait while it builds; about a
minute per million answers on a small machine): simpler and safe to retry, unlike CONCURRENTLY.
SQLite has no such index; the explorer falls back to a plain search there.
"""

from django.db import migrations

INDEX = "response_comment_search"

VECTOR = """
CASE
  WHEN lower(split_part(replace(language, '_', '-'), '-', 1)) IN ('en', 'eng')
    THEN to_tsvector('english'::regconfig, comment)
  WHEN lower(split_part(replace(language, '_', '-'), '-', 1)) IN ('pt', 'por')
    THEN to_tsvector('portuguese'::regconfig, comment)
  WHEN lower(split_part(replace(language, '_', '-'), '-', 1)) IN ('es', 'spa')
    THEN to_tsvector('spanish'::regconfig, comment)
  WHEN lower(split_part(replace(language, '_', '-'), '-', 1)) IN ('ro', 'ron', 'rum')
    THEN to_tsvector('romanian'::regconfig, comment)
  WHEN lower(split_part(replace(language, '_', '-'), '-', 1)) = ''
    THEN (to_tsvector('english'::regconfig, comment) || to_tsvector('portuguese'::regconfig, comment) || to_tsvector('spanish'::regconfig, comment) || to_tsvector('romanian'::regconfig, comment))
  ELSE to_tsvector('simple'::regconfig, comment)
END
"""


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("feedback", "Response")._meta.db_table)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (({VECTOR}))")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0004_importjob"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
