"""Every journey gets the two lanes it had before lanes existed: the emotion curve above the
touchpoint cards (the touchpoint lane is always present, exactly one per journey)."""

from django.db import migrations


def add_default_lanes(apps, schema_editor):
    Journey = apps.get_model("journeys", "Journey")
    Lane = apps.get_model("journeys", "Lane")
    have = set(Lane.objects.filter(kind="touchpoints").values_list("journey_id", flat=True))
    rows = []
    for journey_id in Journey.objects.exclude(pk__in=have).values_list("pk", flat=True).iterator():
        rows.append(Lane(journey_id=journey_id, kind="emotion", position=0))
        rows.append(Lane(journey_id=journey_id, kind="touchpoints", position=1))
    Lane.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("journeys", "0004_lanes_and_personas")]

    operations = [migrations.RunPython(add_default_lanes, migrations.RunPython.noop)]
