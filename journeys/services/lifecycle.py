"""A journey as a whole: create it (blank or from a template), edit its details, archive, delete
or duplicate it. What is on its map is changed by journeys/services/map_edits.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from journeys.blueprints import BLUEPRINTS, blueprint_document
from journeys.compare import pair_by_content
from journeys.exchange import Document, journey_import
from journeys.models import Journey, JourneyState, Lane, LaneItem, Stage, Touchpoint
from journeys.selectors import journey_side
from journeys.services.fields import clean_choice, clean_text
from journeys.services.lanes import default_lanes
from mot.models import Membership
from mot.policy import Action, require


def journey_create(
    *,
    actor: Membership,
    name: str,
    persona: str = "",
    description: str = "",
    state: str = JourneyState.CURRENT,
) -> Journey:
    require(actor, Action.EDIT_MAP, actor.workspace)
    journey = Journey(
        workspace_id=actor.workspace_id,
        name=clean_text(name, field="name", max_length=120),
        persona=clean_text(persona, field="persona", max_length=120, required=False),
        description=clean_text(description, field="description", max_length=4000, required=False),
        state=clean_choice(state, field="state", choices=JourneyState.values),
    )
    journey.save()
    Lane.objects.bulk_create(default_lanes(journey))
    return journey


def journey_update(
    *,
    actor: Membership,
    journey: Journey,
    name: str | None = None,
    persona: str | None = None,
    description: str | None = None,
    state: str | None = None,
) -> Journey:
    require(actor, Action.EDIT_MAP, journey)
    if name is not None:
        journey.name = clean_text(name, field="name", max_length=120)
    if persona is not None:
        journey.persona = clean_text(persona, field="persona", max_length=120, required=False)
    if description is not None:
        journey.description = clean_text(
            description, field="description", max_length=4000, required=False
        )
    if state is not None:
        journey.state = clean_choice(state, field="state", choices=JourneyState.values)
    journey.save()
    return journey


def journey_set_archived(*, actor: Membership, journey: Journey, archived: bool) -> Journey:
    require(actor, Action.EDIT_MAP, journey)
    journey.archived = archived
    journey.save(update_fields=["archived", "updated_at"])
    return journey


def journey_delete(*, actor: Membership, journey: Journey) -> None:
    require(actor, Action.EDIT_MAP, journey)
    journey.delete()


@transaction.atomic
def journey_duplicate(
    *,
    actor: Membership,
    journey: Journey,
    state: str = JourneyState.FUTURE,
    name: str | None = None,
) -> Journey:
    """Copy a journey with its stages, touchpoints, lanes, lane items and personas (e.g. a
    future-state version to design).

    The copy and each of its stages and touchpoints point at their source (``copied_from``), so
    the comparison (journeys/compare.py) matches them whatever is renamed or moved later."""
    require(actor, Action.EDIT_MAP, journey)
    state = clean_choice(state, field="state", choices=JourneyState.values)
    if name is None:
        suffix = _("future state") if state == JourneyState.FUTURE else _("copy")
        name = f"{journey.name} ({suffix})"[:120]
    copy = Journey.objects.create(
        workspace_id=journey.workspace_id,
        name=clean_text(name, field="name", max_length=120),
        persona=journey.persona,
        description=journey.description,
        state=state,
        copied_from=journey,
    )
    stages = list(journey.stages.order_by("position"))
    new_stages = Stage.objects.bulk_create(
        [Stage(journey=copy, name=s.name, position=s.position, copied_from=s) for s in stages]
    )
    by_old = {old.pk: new for old, new in zip(stages, new_stages, strict=True)}
    old_touchpoints = list(
        Touchpoint.objects.filter(journey=journey).order_by("stage_id", "position")
    )
    new_touchpoints = Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                journey=copy,
                stage=by_old[tp.stage_id],
                position=tp.position,
                title=tp.title,
                description=tp.description,
                channel=tp.channel,
                mot_stage=tp.mot_stage,
                phase=tp.phase,
                owner_id=tp.owner_id,
                copied_from=tp,
            )
            for tp in old_touchpoints
        ]
    )
    # An opportunity of the copy creates the copy's touchpoint, not the original's.
    touchpoint_of = {
        old.pk: new.pk for old, new in zip(old_touchpoints, new_touchpoints, strict=True)
    }
    lanes = list(Lane.objects.filter(journey=journey).order_by("position")) or default_lanes(
        journey
    )
    new_lanes = Lane.objects.bulk_create(
        [
            Lane(journey=copy, kind=lane.kind, name=lane.name, position=i)
            for i, lane in enumerate(lanes)
        ]
    )
    lane_of = {old.pk: new for old, new in zip(lanes, new_lanes, strict=True)}
    LaneItem.objects.bulk_create(
        [
            LaneItem(
                journey=copy,
                lane=lane_of[item.lane_id],
                stage=by_old[item.stage_id],
                position=item.position,
                text=item.text,
                status=item.status,
                owner_id=item.owner_id,
                touchpoint_id=touchpoint_of.get(item.touchpoint_id),
            )
            for item in LaneItem.objects.filter(journey=journey)
        ],
        batch_size=500,
    )
    copy.personas.set(journey.personas.all())
    return copy


@transaction.atomic
def journey_pair(*, actor: Membership, journey: Journey, current: Journey) -> Journey:
    """Make ``journey`` the future state of ``current``: for a copy made before copies recorded
    their source, or one to compare with another journey. Its stages and touchpoints are linked
    by journeys.compare.pair_by_content (links already into ``current`` are kept); the ones
    left unmatched lose their link, so they show as added."""
    require(actor, Action.EDIT_MAP, journey)
    if current.workspace_id != journey.workspace_id:
        raise ValidationError({"current": _("Choose a journey of this workspace.")})
    if current.pk == journey.pk:
        raise ValidationError({"current": _("A journey cannot be compared with itself.")})
    # Locked, so two editors pairing at once end with one whole set of links, not a mix.
    Journey.objects.select_for_update().filter(pk=journey.pk).first()
    stage_links, tp_links = pair_by_content(
        journey_side(journey_id=current.pk), journey_side(journey_id=journey.pk)
    )
    journey.copied_from = current
    journey.save(update_fields=["copied_from", "updated_at"])
    for model, links in ((Stage, stage_links), (Touchpoint, tp_links)):
        rows = list(model.objects.filter(journey=journey).only("pk", "copied_from"))
        for row in rows:
            row.copied_from_id = links.get(row.pk)
        model.objects.bulk_update(rows, ["copied_from"], batch_size=500)
    return journey


def journey_create_from_blueprint(
    *, actor: Membership, key: str, name: str | None = None
) -> Journey:
    """Create a journey from one of the built-in templates (journeys/blueprints.py): the
    template is a document like an imported file, created by the same code."""
    require(actor, Action.EDIT_MAP, actor.workspace)
    if key not in BLUEPRINTS:
        raise ValidationError({"template": _("Unknown template.")})
    document = Document.model_validate(blueprint_document(key))
    return journey_import(actor=actor, document=document, name=name or None)
