"""Moment-count rows half a page apart on PostgreSQL (fillfactor 50).

A full recompute rewrites every daily row's counts, ``computed_at`` and window in place
(``metrics.engine``). With room left on its page, PostgreSQL writes each new row version there
and adds no index entry (a HOT update); with full pages every update goes to another page and
adds an entry to each of the table's three indexes, which costs about three times as much.
Storage only: the model does not change. Rows written before this migration move to half-full
pages as the next recompute rewrites them.
"""

from django.db import migrations

TABLE = "metrics_momentcounts"


def half_full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 50)")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_recomputerun_no_message"),
    ]

    operations = [migrations.RunPython(half_full_pages, full_pages)]
