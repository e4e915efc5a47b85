"""A copy remembers its source: the journey, each stage and each touchpoint (issue 16)."""

from __future__ import annotations

from journeys.models import Journey, JourneyState, Stage, Touchpoint
from journeys.services import journey_duplicate


def test_duplicate_links_the_copy_its_stages_and_touchpoints_to_their_sources(editor, journey):
    copy = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)

    assert copy.copied_from == journey
    for stage in copy.stages.all():
        source = stage.copied_from
        assert (source.journey_id, source.name, source.position) == (
            journey.pk,
            stage.name,
            stage.position,
        )
    for tp in Touchpoint.objects.filter(journey=copy).select_related("copied_from__stage"):
        source = tp.copied_from
        assert source.journey_id == journey.pk
        assert (source.title, source.position) == (tp.title, tp.position)
        assert source.stage.pk == tp.stage.copied_from_id


def test_deleting_the_source_keeps_the_copy_and_clears_its_links(editor, journey):
    copy = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)

    journey.delete()

    copy = Journey.objects.get(pk=copy.pk)
    assert copy.copied_from is None
    assert not Stage.objects.filter(journey=copy, copied_from__isnull=False).exists()
    assert not Touchpoint.objects.filter(journey=copy, copied_from__isnull=False).exists()
    assert Touchpoint.objects.filter(journey=copy).count() == 3
