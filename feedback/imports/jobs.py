"""File imports as jobs: upload → detected layout and proposed mapping → preview → dry run or
import on a Celery worker → outcome with the rejected rows as CSV.

Views call these functions after the access policy; the Celery task calls :func:`import_run`
with the job's id. Running the same job twice is harmless: answers are stored once per
(workspace, source, external id), so a second import reports them as duplicates.

Progress lives in the cache, not in the job row, because the import writes inside one
transaction and a poller would not see a row updated inside it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from feedback.imports import presets, reading, remember, rows, sniffing, streaming
from feedback.imports.pipeline import ImportOutcome, import_path
from feedback.imports.types import (
    ImportFileError,
    Layout,
    Mapping,
    RawRow,
    RowError,
    Target,
    ValidRow,
)
from feedback.models import ImportJob, ImportMode, ImportStatus
from feedback.touchpoint_refs import TouchpointRefs
from metrics.services import metrics_request
from mot.models import Membership
from mot.policy import Action, require

PREVIEW_ROWS = 20
KEEP_ERRORS = 1000  # row errors kept on the job for the page; the report CSV has more rows


def _progress_key(job_id: int) -> str:
    return f"feedback:import:{job_id}:progress"


def import_progress(job: ImportJob) -> float:
    """0…1 while the job runs (from the cache the worker writes), 1 once it has finished."""
    if job.finished:
        return 1.0
    if job.status != ImportStatus.RUNNING:
        return 0.0
    return float(cache.get(_progress_key(job.pk), 0.0))


# --- upload -----------------------------------------------------------------------------------


def import_upload(*, actor: Membership, upload: UploadedFile, target: str) -> ImportJob:
    """Store the file, detect its layout and propose a mapping. Refuses what it cannot read."""
    require(actor, Action.IMPORT, actor.workspace)
    target = Target(target)
    limit = settings.FEEDBACK_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": too_big_message(upload.size)})
    job = ImportJob(
        workspace_id=actor.workspace_id,
        created_by=actor,
        target=target,
        original_name=os.path.basename(upload.name or "")[:255] or "upload",
        size=upload.size,
        layout={},
    )
    job.file.save("upload", upload, save=False)
    try:
        layout = reading.detect(job.file.path)
    except ImportFileError as exc:
        job.file.delete(save=False)
        raise ValidationError({"file": str(exc.args[0])}) from exc
    job.layout = layout.to_json()
    if not remember.apply_remembered(job, layout):
        job.mapping = Mapping(
            target=target,
            columns=presets.propose_mapping(layout, target),
            date_order=layout.date_order,
            timezone=layout.timezone or "UTC",
            decimal_comma=layout.decimal_comma,
        ).to_json()
    job.save()
    return job


def too_big_message(size: int) -> str:
    return _("This file has %(size)s MB; files up to %(limit)s MB can be imported.") % {
        # In the reader's number format: 5,3 MB in Portuguese.
        "size": number_format(size / 1024 / 1024, decimal_pos=1),
        "limit": number_format(settings.FEEDBACK_IMPORT_MAX_BYTES / 1024 / 1024, decimal_pos=0),
    }


# --- mapping and preview ----------------------------------------------------------------------


def mapping_check(layout: Layout, mapping: Mapping) -> dict[str, str]:
    """Problems of a mapping as a whole (field → message); rows are checked by the dry run."""
    problems: dict[str, str] = {}
    for name, index in mapping.columns.items():
        if not 0 <= index < len(layout.columns):
            problems[name] = _("This column is not in the file.")
    required = [f.name for f in presets.FIELDS[mapping.target] if f.required]
    for name in required:
        if name not in mapping.columns:
            problems[name] = _("Choose the column that holds this.")
    if mapping.target == Target.RESPONSES:
        if "touchpoint" not in mapping.columns and mapping.touchpoint_id is None:
            problems["touchpoint"] = _(
                "Choose the column that names the touchpoint, or one touchpoint for the file."
            )
        if "nps" not in mapping.columns and "csat" not in mapping.columns:
            problems["nps"] = _("Choose the column with the NPS or the CSAT answer.")
    if mapping.timezone not in sniffing.TIME_ZONES:
        problems["timezone"] = sniffing.UNKNOWN_TIME_ZONE
    return problems


def import_configure(
    *, actor: Membership, job: ImportJob, mapping: Mapping, mode: str
) -> ImportJob:
    require(actor, Action.IMPORT, job)
    if not job.finished and job.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This import is running; wait until it has finished."))
    problems = mapping_check(Layout.from_json(job.layout), mapping)
    if (
        mapping.touchpoint_id is not None
        and mapping.touchpoint_id not in TouchpointRefs(job.workspace_id).ids
    ):
        problems["touchpoint_id"] = _("Choose a touchpoint of this workspace.")
    if problems:
        raise ValidationError(problems)
    job.mapping = mapping.to_json()
    job.mode = ImportMode(mode)
    job.save(update_fields=["mapping", "mode"])
    return job


@dataclass(frozen=True)
class PreviewRow:
    line: int
    cells: list[str]
    errors: list[RowError]


def import_preview(*, job: ImportJob, mapping: Mapping) -> list[PreviewRow]:
    """The first rows of the file as the mapping reads them, each with its problems."""
    layout = Layout.from_json(job.layout)
    resolve = TouchpointRefs(job.workspace_id)
    preview = []
    with streaming.open_rows(job.file.path, layout) as stream:
        for raw in stream:
            preview.append(_preview_row(raw, layout, mapping, resolve))
            if len(preview) == PREVIEW_ROWS:
                break
    return preview


def _preview_row(raw: RawRow, layout: Layout, mapping: Mapping, resolve) -> PreviewRow:
    result = rows.validate(raw, layout=layout, mapping=mapping, resolve=resolve)
    cells = ["" if c is None else str(c) for c in raw.cells]
    return PreviewRow(raw.line, cells, [] if isinstance(result, ValidRow) else result)


# --- running ----------------------------------------------------------------------------------


def import_start(*, actor: Membership, job: ImportJob, dry_run: bool) -> ImportJob:
    """Queue a dry run or the import; the worker picks it up once this transaction commits."""
    from feedback.tasks import run_import

    require(actor, Action.IMPORT, job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            raise ValidationError(_("This import is already running."))
        if locked.mapping is None:
            raise ValidationError(_("Choose the columns first."))
        problems = mapping_check(Layout.from_json(locked.layout), Mapping.from_json(locked.mapping))
        if problems:
            raise ValidationError(problems)
        locked.status = ImportStatus.QUEUED
        locked.dry_run = dry_run
        locked.message = ""
        locked.save(update_fields=["status", "dry_run", "message"])
        if not dry_run:  # the user confirmed this mapping: the export's next file gets it
            remember.remember(actor=actor, job=locked)
        run_import.delay_on_commit(locked.pk, get_language())
    return locked


def import_run(job_id: int) -> None:
    """Run a queued job (called by the Celery task). A job that is not queued is left alone, so
    a task delivered twice runs once; one found running was cut off and is redone: its
    transaction never committed, so nothing of it was written."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.finished_at = None
        job.save(update_fields=["status", "started_at", "finished_at"])
    cache.set(_progress_key(job.pk), 0.0, timeout=24 * 3600)

    def progress(fraction: float) -> None:
        cache.set(_progress_key(job.pk), round(fraction, 3), timeout=24 * 3600)

    layout = Layout.from_json(job.layout)
    mapping = Mapping.from_json(job.mapping)
    with tempfile.NamedTemporaryFile(
        "w+", encoding="utf-8", newline="", suffix=".csv", delete=False
    ) as rejected:
        try:
            outcome = import_path(
                workspace_id=job.workspace_id,
                path=job.file.path,
                layout=layout,
                mapping=mapping,
                mode=job.mode,
                dry_run=job.dry_run,
                resolve=TouchpointRefs(job.workspace_id),
                progress=progress,
                rejected=rejected,
                keep_errors=KEEP_ERRORS,
            )
        except (ImportFileError, ValueError, OSError) as exc:
            _finish_failed(job, str(exc.args[0]) if exc.args else str(exc))
            _remove(rejected.name)
            return
    _finish(job, outcome, rejected.name)


def _finish(job: ImportJob, outcome: ImportOutcome, rejected_path: str) -> None:
    old = job.rejected_file.name
    job.rows = outcome.rows
    job.created_count = outcome.created
    job.duplicate_count = outcome.duplicates
    job.followup_count = outcome.followups
    job.rejected_count = outcome.rejected
    job.written = outcome.written
    job.errors = [
        {"line": e.line, "column": e.column, "value": e.value, "reason": e.reason}
        for e in outcome.errors
    ]
    job.message = _outcome_notes(outcome)
    if outcome.rejected:
        with open(rejected_path, "rb") as handle:
            job.rejected_file.save("rejected", File(handle), save=False)
    else:
        job.rejected_file = ""
    _remove(rejected_path)
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save()
    if old and old != job.rejected_file.name:
        job.rejected_file.storage.delete(old)
    cache.delete(_progress_key(job.pk))
    if outcome.written and outcome.created:
        # One recompute for the whole file; activities change retention, hence a full one.
        metrics_request(workspace_id=job.workspace_id, full=job.target == Target.ACTIVITIES)


def _outcome_notes(outcome: ImportOutcome) -> str:
    """What the counts alone do not say: where an import stopped early, how much of the
    rejected rows the report holds (one note a line)."""
    notes = []
    if outcome.stopped_after is not None:
        notes.append(
            ngettext(
                "The import stopped early, after line %(line)s: %(rejected)s row was rejected, "
                "and in “all or nothing” mode one is enough for nothing to be stored. The rows "
                "after that line were not checked; a dry run checks every row.",
                "The import stopped early, after line %(line)s: %(rejected)s rows were rejected, "
                "and in “all or nothing” mode one is enough for nothing to be stored. The rows "
                "after that line were not checked; a dry run checks every row.",
                outcome.rejected,
            )
            % {"line": outcome.stopped_after, "rejected": _number(outcome.rejected)}
        )
    if outcome.reported < outcome.rejected:
        notes.append(
            ngettext(
                "%(reported)s of %(rejected)s rejected row is in the report.",
                "%(reported)s of %(rejected)s rejected rows are in the report.",
                outcome.rejected,
            )
            % {"reported": _number(outcome.reported), "rejected": _number(outcome.rejected)}
        )
    return "\n".join(notes)


def outcome_words(job: ImportJob) -> str:
    """A finished run's counts in a sentence: "212 new answers, 28 already stored, 3 rows
    rejected", "0 new answers: all 240 were already stored"; a dry run says what the import
    would do. Worded when shown, in the reader's language."""
    answers = job.target == Target.RESPONSES
    new, stored, rejected = job.created_count, job.duplicate_count, job.rejected_count
    if not job.dry_run and not job.written:
        new = stored = 0  # all or nothing, and a row was rejected: the counts were rolled back
    if new == 0 and stored and not rejected:
        template = (
            ngettext(
                "0 new answers: %(stored)s answer was already stored.",
                "0 new answers: all %(stored)s were already stored.",
                stored,
            )
            if answers
            else ngettext(
                "0 new activities: %(stored)s activity was already stored.",
                "0 new activities: all %(stored)s were already stored.",
                stored,
            )
        )
        sentence = template % {"stored": _number(stored)}
    else:
        first = (
            ngettext("%(n)s new answer", "%(n)s new answers", new)
            if answers
            else ngettext("%(n)s new activity", "%(n)s new activities", new)
        )
        parts = [first % {"n": _number(new)}]
        if stored:
            parts.append(
                ngettext("%(n)s already stored", "%(n)s already stored", stored)
                % {"n": _number(stored)}
            )
        if rejected:
            parts.append(
                ngettext("%(n)s row rejected", "%(n)s rows rejected", rejected)
                % {"n": _number(rejected)}
            )
        sentence = _("%(counts)s.") % {"counts": ", ".join(parts)}
    if not job.dry_run:
        return sentence
    if job.mode == ImportMode.ALL_OR_NOTHING and rejected:
        return _(
            "%(counts)s This was a dry run: nothing was written. In “all or nothing” mode "
            "the import would write nothing until the rejected rows are fixed."
        ) % {"counts": sentence}
    return _("%(counts)s This was a dry run: nothing was written.") % {"counts": sentence}


def _number(n: int) -> str:
    return number_format(n, force_grouping=True)


def _finish_failed(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.message = message
    job.written = False
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "written", "finished_at"])
    cache.delete(_progress_key(job.pk))


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def import_delete(*, actor: Membership, job: ImportJob) -> None:
    """Forget an import: its file and report go; the answers it stored stay."""
    require(actor, Action.IMPORT, job)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise ValidationError(_("This import is running; wait until it has finished."))
    job.file.delete(save=False)
    if job.rejected_file:
        job.rejected_file.delete(save=False)
    job.delete()
