"""Importing records without a score: a complaints file as one kind, a record-kind column, and
the rejected rows saying what a record lacks or must not have. On SQLite and PostgreSQL (COPY)."""

from __future__ import annotations

import dataclasses

from feedback.followups.models import FollowUp
from feedback.imports import presets, reading
from feedback.imports.forms import MappingForm
from feedback.imports.pipeline import import_path
from feedback.imports.types import Mapping, Target
from feedback.models import ImportMode, Kind, Response
from feedback.touchpoint_refs import TouchpointRefs
from tests.feedback.imports.test_pipeline import tps as tps
from tests.feedback.imports.test_pipeline import write as write


def run(workspace, path, **mapping_fields):
    layout = reading.detect(path)
    mapping = Mapping(
        target=Target.RESPONSES,
        columns=presets.propose_mapping(layout, Target.RESPONSES),
        **mapping_fields,
    )
    return import_path(
        workspace_id=workspace.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        mode=ImportMode.VALID_ROWS,
        dry_run=False,
        resolve=TouchpointRefs(workspace.pk),
    )


def test_a_complaints_file_imported_as_one_kind(workspace, write, tps):
    a, b, _c = (tp.pk for tp in tps)
    path = write(
        "touchpoint,id,date,comment,customer,noted experience\n"
        f"{a},k1,2026-05-01,Parcel arrived broken,c-1,pain\n"
        f"{b},k2,2026-05-02,Nobody answered the phone,,\n"
        f"{a},k3,2026-05-03,,c-2,pain\n"
        f"{b},k4,2026-05-04,Very angry,c-3,furious\n"
    )
    outcome = run(workspace, path, kind=Kind.COMPLAINT)
    assert (outcome.created, outcome.rejected) == (2, 2)
    stored = {r.external_id: r for r in Response.objects.all()}
    assert {r.kind for r in stored.values()} == {Kind.COMPLAINT}
    assert (stored["k1"].experience, stored["k2"].experience) == ("pain", "unknown")
    assert (stored["k1"].nps, stored["k1"].csat) == (None, None)
    reasons = {(e.line, e.column): e.reason for e in outcome.errors}
    assert reasons[(4, "comment")] == "a record needs its text (a comment)"
    assert "is not an experience" in reasons[(5, "noted experience")]
    # The default rule opens a follow-up for the pain complaint with text.
    assert FollowUp.objects.get().response == stored["k1"]


def test_a_record_kind_column_mixes_answers_and_records(workspace, write, tps):
    a = tps[0].pk
    path = write(
        "touchpoint,id,date,nps,comment,record kind\n"
        f"{a},m1,2026-05-01,9,Great,\n"
        f"{a},m2,2026-05-01,,Rude agent,Call note\n"
        f"{a},m3,2026-05-01,3,Scored note,interview\n"
        f"{a},m4,2026-05-01,,No score,\n"
        f"{a},m5,2026-05-01,,Gossip,rumour\n"
    )
    outcome = run(workspace, path)
    kinds = dict(Response.objects.values_list("external_id", "kind"))
    assert kinds == {"m1": Kind.SURVEY_ANSWER, "m2": Kind.CALL_NOTE}
    reasons = {(e.line, e.column): e.reason for e in outcome.errors}
    assert reasons[(4, "nps")] == "a record has no score"
    assert reasons[(5, "nps")] == "needs an NPS or a CSAT score"
    assert "is not a kind" in reasons[(6, "record kind")]


def test_the_mapping_form_offers_one_kind_for_the_whole_file(workspace, write, tps):
    layout = reading.detect(write("touchpoint,date,comment\n1,2026-05-01,x\n"))
    form = MappingForm(
        {
            "submitted_at": "1",
            "comment": "2",
            "touchpoint": "0",
            "kind": "social_post",
            "date_order": "ymd",
            "timezone": "UTC",
            "mode": ImportMode.VALID_ROWS,
        },
        layout=layout,
        target=Target.RESPONSES,
        workspace_id=workspace.pk,
    )
    assert form.is_valid(), form.errors
    mapping = form.mapping()
    assert mapping.kind == Kind.SOCIAL_POST
    assert Mapping.from_json(mapping.to_json()) == mapping
    old = {k: v for k, v in mapping.to_json().items() if k != "kind"}  # a job saved before
    assert dataclasses.replace(Mapping.from_json(old), kind="social_post") == mapping
