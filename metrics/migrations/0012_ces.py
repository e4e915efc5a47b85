"""Customer Effort Score (CES, 1-7) in the stored counts: ``ces_answers``, ``ces_easy`` (answers
of 5-7) and ``ces_sum`` in the daily and monthly counts, and the derived ``ces_easy_share`` and
``ces_mean`` on the all-time rows.

Rows computed before this migration get 0 counts and no derived numbers (CES shown as "no
answers"); the next full recompute (``manage.py recompute_metrics`` or any full run of the
metrics jobs) fills them from the answers. Only the columns are added here: counting every
answer again inside a migration would hold the tables locked for minutes on a large workspace.
"""

from django.db import migrations, models


def _count(model: str, name: str, field: models.Field) -> migrations.AddField:
    return migrations.AddField(model_name=model, name=name, field=field)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0011_expectationcounts_fingerprint"),
    ]

    operations = [
        *(
            op
            for model in ("momentcounts", "monthcounts")
            for op in (
                _count(model, "ces_answers", models.PositiveIntegerField(default=0)),
                _count(model, "ces_easy", models.PositiveIntegerField(default=0)),
                _count(model, "ces_sum", models.PositiveBigIntegerField(default=0)),
            )
        ),
        migrations.AddField(
            model_name="momentcounts",
            name="ces_easy_share",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="momentcounts",
            name="ces_mean",
            field=models.FloatField(blank=True, null=True),
        ),
    ]
