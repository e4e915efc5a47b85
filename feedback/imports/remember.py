"""Imports that remember: the mapping confirmed for one export is proposed for its next files.

A mapping is saved per workspace, header signature (presets.header_signature: the tool and the
normalised header rows) and target when an import is confirmed (not by a dry run), and found
again at upload by the same key. Confirming an edited mapping replaces the saved one. The job
keeps a copy of where its proposal came from, so its page can say so after later imports have
moved the saved mapping on.
"""

from __future__ import annotations

from django.utils import timezone

from feedback.imports.types import Layout, Mapping
from feedback.models import ImportJob, SavedMapping
from journeys.models import Touchpoint
from mot.models import Membership
from mot.policy import Action, require


def remembered(*, workspace_id: int, layout: Layout, target: str) -> SavedMapping | None:
    if not layout.signature:  # a layout detected before signatures existed
        return None
    return SavedMapping.objects.filter(
        workspace_id=workspace_id, signature=layout.signature, target=target
    ).first()


def apply_remembered(job: ImportJob, layout: Layout) -> bool:
    """Give an uploaded job its export's saved mapping, if there is one; whether there was.

    What no longer holds is left out: a column the file does not have, a touchpoint since
    deleted or archived (the user then chooses again, as for a new export)."""
    saved = remembered(workspace_id=job.workspace_id, layout=layout, target=job.target)
    if saved is None:
        return False
    mapping = Mapping.from_json(saved.mapping)
    columns = {f: i for f, i in mapping.columns.items() if 0 <= i < len(layout.columns)}
    touchpoint_id = mapping.touchpoint_id
    if (
        touchpoint_id is not None
        and not Touchpoint.objects.filter(
            pk=touchpoint_id, journey__workspace_id=job.workspace_id, journey__archived=False
        ).exists()
    ):
        touchpoint_id = None
    job.mapping = Mapping(
        target=mapping.target,
        columns=columns,
        touchpoint_id=touchpoint_id,
        date_order=mapping.date_order,
        timezone=mapping.timezone,
        decimal_comma=mapping.decimal_comma,
    ).to_json()
    job.mode = saved.mode
    job.remembered_from = saved.source_name
    job.remembered_at = saved.saved_at
    return True


def remember(*, actor: Membership, job: ImportJob) -> SavedMapping | None:
    """Save the job's mapping for its export's next files (called when an import is confirmed)."""
    require(actor, Action.IMPORT, job)
    layout = Layout.from_json(job.layout)
    if not layout.signature or job.mapping is None:
        return None
    saved, _created = SavedMapping.objects.update_or_create(
        workspace_id=job.workspace_id,
        signature=layout.signature,
        target=job.target,
        defaults={
            "tool": layout.preset.value,
            "mapping": job.mapping,
            "mode": job.mode,
            "source_name": job.original_name,
            "saved_by": actor,
            "saved_at": timezone.now(),
        },
    )
    return saved
