"""Monthly touchpoint counts (``MonthCounts``), filled from the daily rows already stored; the
moment counts' index for some touchpoints' days (without the two single-column indexes that
the composite ones already cover).

The engine keeps them from now on; here the months of the touchpoint daily rows computed before
this migration are added up once, so a dashboard reads the same numbers before the next
recompute as after it.
"""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models
from django.db.models import Sum
from django.db.models.functions import TruncMonth

COUNTS = (
    "answers",
    "promoters",
    "passives",
    "detractors",
    "csat_answers",
    "csat_top2",
    "csat_sum",
    "glory",
    "neutral",
    "pain",
)


def fill_months(apps, schema_editor):
    MomentCounts = apps.get_model("metrics", "MomentCounts")
    MonthCounts = apps.get_model("metrics", "MonthCounts")
    Touchpoint = apps.get_model("journeys", "Touchpoint")
    alias = schema_editor.connection.alias
    touchpoints = {str(pk) for pk in Touchpoint.objects.using(alias).values_list("pk", flat=True)}
    months = (
        MomentCounts.objects.using(alias)
        .filter(scope="touchpoint", day__isnull=False, journey__isnull=False)
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values("workspace_id", "journey_id", "key", "month")
        .annotate(**{name: Sum(name) for name in COUNTS})
    )
    batch = []
    for row in months.iterator(chunk_size=5000):
        if row["key"] not in touchpoints:  # a deleted touchpoint's rows, gone at next recompute
            continue
        month = row["month"]
        batch.append(
            MonthCounts(
                workspace_id=row["workspace_id"],
                journey_id=row["journey_id"],
                touchpoint_id=int(row["key"]),
                month=month.date() if hasattr(month, "date") else month,
                **{name: row[name] for name in COUNTS},
            )
        )
        if len(batch) >= 5000:
            MonthCounts.objects.using(alias).bulk_create(batch)
            batch = []
    MonthCounts.objects.using(alias).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0002_touchpoint_code"),
        ("metrics", "0004_momentcounts_fillfactor"),
        ("mot", "0002_workspace_min_sample"),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("answers", models.PositiveIntegerField(default=0)),
                ("promoters", models.PositiveIntegerField(default=0)),
                ("passives", models.PositiveIntegerField(default=0)),
                ("detractors", models.PositiveIntegerField(default=0)),
                ("csat_answers", models.PositiveIntegerField(default=0)),
                ("csat_top2", models.PositiveIntegerField(default=0)),
                ("csat_sum", models.PositiveBigIntegerField(default=0)),
                ("glory", models.PositiveIntegerField(default=0)),
                ("neutral", models.PositiveIntegerField(default=0)),
                ("pain", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "monthly touchpoint counts",
                "verbose_name_plural": "monthly touchpoint counts",
            },
        ),
        migrations.AlterField(
            model_name="momentcounts",
            name="journey",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="journeys.journey",
            ),
        ),
        migrations.AlterField(
            model_name="momentcounts",
            name="workspace",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mot.workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="momentcounts",
            index=models.Index(
                fields=["workspace", "scope", "key", "day"], name="metrics_mom_workspa_04a9d0_idx"
            ),
        ),
        migrations.AddField(
            model_name="monthcounts",
            name="journey",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="journeys.journey",
            ),
        ),
        migrations.AddField(
            model_name="monthcounts",
            name="touchpoint",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="journeys.touchpoint",
            ),
        ),
        migrations.AddField(
            model_name="monthcounts",
            name="workspace",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mot.workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="monthcounts",
            index=models.Index(
                fields=["workspace", "month"], name="metrics_mon_workspa_dfdda0_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="monthcounts",
            constraint=models.UniqueConstraint(
                fields=("touchpoint", "month"), name="monthcounts_one_per_touchpoint_month"
            ),
        ),
        migrations.AddConstraint(
            model_name="monthcounts",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "answers",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("glory"), "+", models.F("neutral")
                            ),
                            "+",
                            models.F("pain"),
                        ),
                    )
                ),
                name="monthcounts_experiences_add_up",
            ),
        ),
        migrations.RunPython(fill_months, migrations.RunPython.noop),
    ]
