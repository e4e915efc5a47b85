"""File import pages: upload, mapping with preview, dry run / import with progress, outcome."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.access import get_import_job_for
from feedback.imports import jobs, presets
from feedback.imports.forms import MappingForm, UploadForm
from feedback.imports.types import Layout, Mapping, Target
from feedback.models import ImportJob, ImportStatus
from feedback.surveys.services import survey_link_set_invited
from mot.csvformat import CsvFormat, csv_format
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import Action, get_workspace_for

RECENT_JOBS = 30
PAGE = "feedback/imports/job.html"
WORKBENCH = f"{PAGE}#workbench"


class CappedUploadHandler(FileUploadHandler):
    """Skips a file as soon as it passes the cap, so a huge upload never lands on disk.

    Django's own handlers come after this one and store what it lets through.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.request.upload_too_big = True  # type: ignore[attr-defined]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _list_page(
    request: HttpRequest, membership: Membership, form: UploadForm | None = None, status=200
) -> HttpResponse:
    recent = list(
        ImportJob.objects.filter(workspace_id=membership.workspace_id)
        .select_related("created_by__user")
        .order_by("-created_at")[:RECENT_JOBS]
    )
    for job in recent:
        job.tool = presets.tool_label(job.layout.get("preset"))
        job.outcome = jobs.outcome_words(job) if job.status == ImportStatus.DONE else ""
    return render(
        request,
        "feedback/imports/list.html",
        {
            "membership": membership,
            "jobs": recent,
            "form": form or UploadForm(),
            "limit_mb": settings.FEEDBACK_IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
@require_GET
def import_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.IMPORT)
    return _list_page(request, membership)


@csrf_exempt  # CSRF is checked below, after the upload handler is in place (Django's recipe)
@login_required
@require_POST
def import_upload(request: HttpRequest, ws: str) -> HttpResponse:
    request.upload_handlers.insert(
        0, CappedUploadHandler(request, settings.FEEDBACK_IMPORT_MAX_BYTES)
    )
    return _import_upload(request, ws)


@csrf_protect
def _import_upload(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.IMPORT)
    form = UploadForm(request.POST, request.FILES)
    if getattr(request, "upload_too_big", False):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error(
            "file",
            _("This file is larger than %(limit)d MB, the most that can be imported.")
            % {"limit": settings.FEEDBACK_IMPORT_MAX_BYTES // (1024 * 1024)},
        )
        return _list_page(request, membership, form, status=413)
    if form.is_valid():
        try:
            job = jobs.import_upload(
                actor=membership,
                upload=form.cleaned_data["file"],
                target=form.cleaned_data["target"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("imports:detail", ws=ws, pk=job.pk)
    return _list_page(request, membership, form, status=422)


def _mapping_form(job: ImportJob, data=None) -> MappingForm:
    mapping = Mapping.from_json(job.mapping)
    return MappingForm(
        data,
        initial=MappingForm.initial_from(mapping, job.mode),
        layout=Layout.from_json(job.layout),
        target=Target(job.target),
        workspace_id=job.workspace_id,
    )


def _detail(
    request: HttpRequest,
    membership: Membership,
    job: ImportJob,
    form: MappingForm,
    *,
    mapping: Mapping | None = None,
    status: int = 200,
    template: str = PAGE,
    oob: bool = False,
) -> HttpResponse:
    mapping = mapping or Mapping.from_json(job.mapping)
    preview = jobs.import_preview(job=job, mapping=mapping) if job.file else []
    mapped = sorted(mapping.columns.items(), key=lambda item: item[1])
    labels = {name: form.fields[name].label for name, _i in mapped}
    return render(
        request,
        template,
        {
            "membership": membership,
            "job": job,
            "layout": Layout.from_json(job.layout),
            "tool": presets.tool_label(job.layout.get("preset")),
            "form": form,
            "preview": [
                {
                    "line": row.line,
                    "cells": [row.cells[i] if i < len(row.cells) else "" for _n, i in mapped],
                    "errors": row.errors,
                }
                for row in preview
            ],
            "preview_headers": [labels[name] for name, _i in mapped],
            "oob": oob,
            **_status(job),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """GET: the mapping, preview and last outcome. POST: save the mapping, then preview it,
    dry-run it or import (the button pressed says which)."""
    membership, job = get_import_job_for(request, ws, pk, Action.IMPORT)
    if request.method == "GET":
        return _detail(request, membership, job, _mapping_form(job))
    template = WORKBENCH if request.htmx else PAGE
    form = _mapping_form(job, request.POST)
    mapping = form.mapping() if form.is_valid() else None
    action = request.POST.get("action", "preview")
    try:
        if mapping is None:
            raise ValidationError([])  # the form's own errors are shown
        jobs.import_configure(
            actor=membership, job=job, mapping=mapping, mode=form.cleaned_data["mode"]
        )
        if action in ("dry_run", "import"):
            job = jobs.import_start(actor=membership, job=job, dry_run=action == "dry_run")
        invitation = form.invitation()
        if action == "import" and invitation is not None:
            link, invited = invitation
            survey_link_set_invited(actor=membership, link=link, invited=invited)
            messages.success(request, _("Number invited saved."))
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _detail(
            request, membership, job, form, mapping=mapping, status=422, template=template
        )
    if action in ("dry_run", "import"):
        job.refresh_from_db()
        if not request.htmx:  # under HTMX the status section, swapped in, says it instead
            messages.success(
                request, _("Dry run started.") if action == "dry_run" else _("Import started.")
            )
            return redirect("imports:detail", ws=ws, pk=job.pk)
    # Under HTMX the status section comes along out of band: a run shows its progress at once.
    return _detail(
        request, membership, job, _mapping_form(job), mapping=mapping, template=template, oob=True
    )


@login_required
@require_GET
def import_status(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The progress bar while the job runs (polled by HTMX), the outcome once it has finished."""
    membership, job = get_import_job_for(request, ws, pk, Action.IMPORT)
    return render(request, f"{PAGE}#status", {"membership": membership, "job": job, **_status(job)})


def _status(job: ImportJob) -> dict:
    """What the status section shows: the progress while running, the outcome in words after."""
    done = job.status == ImportStatus.DONE
    return {
        "progress": jobs.import_progress(job),
        "outcome": jobs.outcome_words(job) if done else "",
    }


@login_required
@require_GET
def import_rejected(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    _membership, job = get_import_job_for(request, ws, pk, Action.IMPORT)
    if not job.rejected_file:
        raise Http404
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    filename = f"{stem}-rejected-rows.csv"
    delimiter = csv_format(request.GET).delimiter
    if delimiter == ",":  # as it was written
        return FileResponse(
            job.rejected_file.open("rb"),
            as_attachment=True,
            filename=filename,
            content_type="text/csv; charset=utf-8",
        )
    # The rows are the file's own text, so only the separator changes (not the decimal mark).
    text = io.TextIOWrapper(job.rejected_file.open("rb"), encoding="utf-8", newline="")
    lines = CsvFormat(delimiter=delimiter, decimal=".").lines(csv.reader(text))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_POST
def import_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, job = get_import_job_for(request, ws, pk, Action.IMPORT)
    try:
        jobs.import_delete(actor=membership, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:detail", ws=ws, pk=pk)
    messages.success(request, _("Import “%(name)s” removed.") % {"name": job.original_name})
    return redirect("imports:list", ws=ws)
