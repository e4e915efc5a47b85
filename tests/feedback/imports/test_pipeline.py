"""A whole file import: read → validate → store in one pass, by mode, with the rejected rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from feedback.imports import pipeline, presets, reading
from feedback.imports.pipeline import ImportOutcome, import_path
from feedback.imports.store import StoreRefused
from feedback.imports.types import Mapping, RowError, Target
from feedback.models import Activity, Customer, ImportMode, Response, Source
from feedback.touchpoint_refs import TouchpointRefs
from journeys.models import Touchpoint

HEADER = "touchpoint,answer id,date,nps,csat,comment,customer\n"


@pytest.fixture
def tps(journey):
    return list(journey.touchpoints.order_by("pk"))


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "answers.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def answers_csv(write, tps):
    """Five rows (lines 2-6): the one on line 4 has an NPS of 11 and a formula for a comment."""
    a, b, c = (tp.pk for tp in tps)
    return write(
        HEADER
        + f"{a},r1,2026-05-01T10:00:00Z,9,,Great,c-1\n"
        + f"{b},r2,2026-05-01T11:00:00Z,,4,,c-2\n"
        + f'{a},r3,2026-05-02 09:00,11,,"=HYPERLINK(""http://evil.example"")",c-1\n'
        + f"{c},r4,2026-05-02 10:00,0,1,Slow,\n"
        + f"{b},r5,2026-05-03 12:30,7,,-meh,c-3\n"
    )


def run(workspace, path, *, mode=ImportMode.VALID_ROWS, dry_run=False, **kwargs) -> ImportOutcome:
    layout = reading.detect(path)
    target = kwargs.pop("target", Target.RESPONSES)
    mapping = Mapping(target=target, columns=presets.propose_mapping(layout, target))
    return import_path(
        workspace_id=workspace.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        mode=mode,
        dry_run=dry_run,
        resolve=TouchpointRefs(workspace.pk),
        **kwargs,
    )


def stored_ids() -> list[str]:
    return sorted(Response.objects.values_list("external_id", flat=True))


def test_all_or_nothing_with_one_bad_row_writes_nothing_and_says_why(workspace, answers_csv):
    outcome = run(workspace, answers_csv, mode=ImportMode.ALL_OR_NOTHING)

    assert (outcome.rows, outcome.valid, outcome.rejected) == (5, 4, 1)
    assert (outcome.created, outcome.duplicates, outcome.written) == (0, 0, False)
    [error] = outcome.errors
    assert (error.line, error.column, error.value) == (4, "nps", "11")
    assert "0 to 10" in error.reason
    assert Response.objects.count() == 0
    assert Customer.objects.count() == 0


def test_all_or_nothing_with_every_row_valid_writes_them_all(workspace, write, tps):
    path = write(HEADER + f"{tps[0].pk},r1,2026-05-01,9,,,\n{tps[1].pk},r2,2026-05-01,8,,,\n")

    outcome = run(workspace, path, mode=ImportMode.ALL_OR_NOTHING)

    assert (outcome.created, outcome.rejected, outcome.written) == (2, 0, True)
    assert stored_ids() == ["r1", "r2"]


def test_valid_rows_writes_exactly_the_valid_rows(workspace, answers_csv, tps):
    outcome = run(workspace, answers_csv, mode=ImportMode.VALID_ROWS)

    assert outcome == ImportOutcome(
        rows=5,
        valid=4,
        created=4,
        duplicates=0,
        rejected=1,
        followups=1,  # r4: a pain answer with a comment opens one under the default rule
        errors=outcome.errors,
        written=True,
        reported=0,  # no report asked for
        stopped_after=None,
    )
    assert stored_ids() == ["r1", "r2", "r4", "r5"]
    r1 = Response.objects.get(external_id="r1")
    assert (r1.touchpoint_id, r1.nps, r1.csat, r1.comment, r1.source) == (
        tps[0].pk,
        9,
        None,
        "Great",
        Source.IMPORT,
    )
    assert r1.submitted_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert r1.customer.external_id == "c-1"
    assert Response.objects.get(external_id="r4").customer is None
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["c-1", "c-2", "c-3"]


def test_a_dry_run_writes_nothing_but_reports_everything(workspace, answers_csv):
    rejected = io.StringIO(newline="")

    outcome = run(workspace, answers_csv, dry_run=True, rejected=rejected)

    assert (outcome.rows, outcome.valid, outcome.rejected) == (5, 4, 1)
    # What the import would do: 4 new answers; none of it is kept.
    assert (outcome.created, outcome.duplicates, outcome.written) == (4, 0, False)
    assert [e.line for e in outcome.errors] == [4]
    assert len(list(csv.reader(io.StringIO(rejected.getvalue())))) == 2
    assert Response.objects.count() == 0


def test_a_dry_run_counts_the_answers_already_stored(workspace, answers_csv):
    run(workspace, answers_csv)
    stored = stored_ids()

    outcome = run(workspace, answers_csv, dry_run=True)

    assert (outcome.created, outcome.duplicates, outcome.written) == (0, 4, False)
    assert stored_ids() == stored


def test_a_dry_run_all_or_nothing_reports_the_bad_rows(workspace, answers_csv):
    outcome = run(workspace, answers_csv, mode=ImportMode.ALL_OR_NOTHING, dry_run=True)

    # It counts what the valid rows would add; the wording says all or nothing would add none.
    assert (outcome.rejected, outcome.written, outcome.created) == (1, False, 4)
    assert Response.objects.count() == 0


def test_importing_the_same_file_again_adds_nothing(workspace, answers_csv):
    run(workspace, answers_csv)

    again = run(workspace, answers_csv)

    assert (again.created, again.duplicates, again.rejected, again.written) == (0, 4, 1, True)
    assert Response.objects.count() == 4


def test_a_repeated_answer_id_in_the_file_keeps_the_first(workspace, write, tps):
    path = write(
        HEADER
        + f"{tps[0].pk},r1,2026-05-01,9,,first,\n"
        + f"{tps[1].pk},r2,2026-05-01,8,,,\n"
        + f"{tps[2].pk},r1,2026-05-02,1,,second,\n"
    )

    outcome = run(workspace, path)

    assert (outcome.created, outcome.duplicates) == (2, 1)
    assert Response.objects.get(external_id="r1").comment == "first"


def test_the_rejected_csv_has_the_bad_rows_their_line_and_reasons(workspace, write, tps):
    path = write(
        HEADER
        + f"{tps[0].pk},r1,2026-05-01,9,,fine,c-1\n"
        + f'{tps[0].pk},r2,not a date,12,,"=HYPERLINK(""http://evil.example"")",+c-2\n'
        + "no-such-touchpoint,r3,2026-05-01,5,,@SUM(A1),-c-3\n"
        + f"{tps[1].pk},r4,2026-05-01,,,\tTabbed,c-4\n"
    )
    rejected = io.StringIO(newline="")

    outcome = run(workspace, path, rejected=rejected)

    assert (outcome.rejected, outcome.created) == (3, 1)
    header, *rows = list(csv.reader(io.StringIO(rejected.getvalue())))
    columns = ["touchpoint", "answer id", "date", "nps", "csat", "comment", "customer"]
    assert header == [*columns, "line", "reason"]
    evil = '\'=HYPERLINK("http://evil.example")'
    assert [row[:7] for row in rows] == [
        [str(tps[0].pk), "r2", "not a date", "12", "", evil, "'+c-2"],
        ["no-such-touchpoint", "r3", "2026-05-01", "5", "", "'@SUM(A1)", "'-c-3"],
        [str(tps[1].pk), "r4", "2026-05-01", "", "", "'\tTabbed", "c-4"],
    ]
    assert [row[7] for row in rows] == ["3", "4", "5"]
    two_problems = rows[0][8].split("; ")
    assert len(two_problems) == 2
    assert two_problems[0].startswith("nps: ") or two_problems[1].startswith("nps: ")
    assert any(p.startswith("date: ") for p in two_problems)
    assert rows[1][8].startswith("touchpoint: ")
    assert "NPS or a CSAT" in rows[2][8]


def test_only_the_first_errors_are_kept_but_every_bad_row_is_counted(workspace, write, tps):
    lines = "".join(f"{tps[0].pk},r{i},2026-05-01,99,,,\n" for i in range(30))

    outcome = run(workspace, write(HEADER + lines), keep_errors=10)

    assert outcome.rejected == 30
    assert [e.line for e in outcome.errors] == list(range(2, 12))
    assert all(isinstance(e, RowError) for e in outcome.errors)


def test_progress_is_reported_and_ends_at_one(workspace, write, tps, monkeypatch):
    monkeypatch.setattr(pipeline, "PROGRESS_ROWS", 10)
    monkeypatch.setattr(pipeline, "PROGRESS_SECONDS", 0)
    lines = "".join(f"{tps[0].pk},r{i},2026-05-01,9,,,\n" for i in range(100))
    seen: list[float] = []

    run(workspace, write(HEADER + lines), progress=seen.append)

    assert len(seen) >= 10
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert all(0 < f <= 0.99 for f in seen[:-1])


def test_a_touchpoint_deleted_before_the_store_refuses_the_whole_import(workspace, write, tps):
    resolve = TouchpointRefs(workspace.pk)  # loads the touchpoints now: stale after the delete
    Touchpoint.objects.filter(pk=tps[1].pk).delete()
    path = write(HEADER + f"{tps[0].pk},r1,2026-05-01,9,,,\n{tps[1].pk},r2,2026-05-01,9,,,\n")
    layout = reading.detect(path)

    with pytest.raises(StoreRefused):
        import_path(
            workspace_id=workspace.pk,
            path=path,
            layout=layout,
            mapping=Mapping(Target.RESPONSES, presets.propose_mapping(layout, Target.RESPONSES)),
            mode=ImportMode.VALID_ROWS,
            dry_run=False,
            resolve=resolve,
        )
    assert Response.objects.count() == 0


def test_activities_are_imported_too(workspace, write):
    path = write(
        "customer,order id,order date,kind,amount\n"
        "c-1,o1,2026-05-01,purchase,19.90\n"
        "c-1,o2,2026-05-02,renewal,\n"
        "c-2,o3,not a date,purchase,5\n",
        name="activities.csv",
    )

    outcome = run(workspace, path, target=Target.ACTIVITIES)

    assert (outcome.rows, outcome.created, outcome.rejected) == (3, 2, 1)
    assert sorted(Activity.objects.values_list("external_id", flat=True)) == ["o1", "o2"]


def test_a_workbook_rejected_row_keeps_its_cells_as_text(workspace, tmp_path, tps):
    book = Workbook()
    sheet = book.active
    sheet.append(["touchpoint", "answer id", "date", "nps", "csat", "comment", "customer"])
    sheet.append([tps[0].pk, "r1", datetime(2026, 5, 1, 9, 30), 9, None, "@home", "c-1"])
    sheet.append([tps[0].pk, "r2", datetime(2026, 5, 1, 9, 30), 42, None, "@home", None])
    path = tmp_path / "answers.xlsx"
    book.save(path)
    rejected = io.StringIO(newline="")

    outcome = run(workspace, path, rejected=rejected)

    assert (outcome.created, outcome.rejected) == (1, 1)
    _header, row = list(csv.reader(io.StringIO(rejected.getvalue())))
    assert row[:7] == [str(tps[0].pk), "r2", "2026-05-01T09:30:00", "42", "", "'@home", ""]
    assert row[7] == "3"


# --- files cut off: rows that do not fit the header -----------------------------------------------

QUALTRICS = Path(__file__).parent / "fixtures" / "qualtrics.csv"
R_1, R_2 = "R_1AbCdEfGhIjKlMn", "R_2XyZaBcDeFgHiJk"


def cut_qualtrics(tmp_path, after: bytes) -> Path:
    """The real Qualtrics export, cut off just after ``after``."""
    data = QUALTRICS.read_bytes()
    path = tmp_path / "qualtrics-cut.csv"
    path.write_bytes(data[: data.index(after) + len(after)])
    return path


def run_qualtrics(workspace, path, touchpoint, **kwargs) -> ImportOutcome:
    layout = reading.detect(path)
    columns = presets.propose_mapping(layout, Target.RESPONSES)
    del columns["touchpoint"]  # its codes are not this workspace's; one touchpoint for the file
    mapping = Mapping(
        Target.RESPONSES, columns, touchpoint_id=touchpoint.pk, timezone="America/Denver"
    )
    return import_path(
        workspace_id=workspace.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        resolve=TouchpointRefs(workspace.pk),
        **kwargs,
    )


def test_a_qualtrics_export_cut_off_mid_row_rejects_that_row(workspace, tmp_path, tps):
    path = cut_qualtrics(tmp_path, b",ES-ES,1")  # the last answer's NPS was 10
    cut = RowError(7, "", "", "row has 18 of 25 columns: the file may be cut off")

    dry = run_qualtrics(workspace, path, tps[0], mode=ImportMode.VALID_ROWS, dry_run=True)
    done = run_qualtrics(workspace, path, tps[0], mode=ImportMode.VALID_ROWS, dry_run=False)

    for outcome in (dry, done):
        assert (outcome.rows, outcome.valid, outcome.rejected, outcome.errors) == (3, 2, 1, [cut])
    assert stored_ids() == [R_1, R_2]
    assert not Response.objects.filter(nps=1).exists()


def test_a_qualtrics_export_cut_inside_a_quoted_comment_rejects_that_row(workspace, tmp_path, tps):
    path = cut_qualtrics(tmp_path, b"Esperei demasiado.\r\nNingu")
    rejected = io.StringIO(newline="")

    outcome = run_qualtrics(
        workspace, path, tps[0], mode=ImportMode.VALID_ROWS, dry_run=False, rejected=rejected
    )

    reason = "a quote opened on line 5 is never closed: lines 5\u20136 were read as one field"
    assert (outcome.rows, outcome.created, outcome.errors) == (2, 1, [RowError(5, "", "", reason)])
    assert stored_ids() == [R_1]  # not R_2 with half its comment and none of its ratings
    _header, row = csv.reader(io.StringIO(rejected.getvalue()))
    assert row[-2:] == ["5", reason]


def test_a_quote_never_closed_stores_none_of_the_rows_it_swallowed(workspace, write, tps):
    a = tps[0].pk
    path = write(
        HEADER
        + f"{a},r1,2026-05-01,9,,fine,\n"
        + f'{a},r2,2026-05-01,8,,"Great service,\n'  # the quote is never closed
        + "".join(f"{a},r{i},2026-05-02,7,,ok,\n" for i in range(3, 10))
    )

    outcome = run(workspace, path, mode=ImportMode.VALID_ROWS)

    assert (outcome.rows, outcome.created, outcome.rejected) == (2, 1, 1)
    assert outcome.errors[0].reason == (
        "a quote opened on line 3 is never closed: lines 3\u201310 were read as one field"
    )
    assert stored_ids() == ["r1"]


# --- the rejected rows' report and an early stop stay bounded -------------------------------------


def bad_rows(tps, count: int, start: int = 0) -> str:
    return "".join(f"{tps[0].pk},r{i},2026-05-01,99,,,\n" for i in range(start, start + count))


def test_the_report_holds_the_first_rejected_rows_and_counts_the_rest(workspace, write, tps):
    path = write(HEADER + bad_rows(tps, 30_000) + f"{tps[0].pk},ok,2026-05-01,9,,,\n")
    rejected = io.StringIO(newline="")

    outcome = run(workspace, path, mode=ImportMode.VALID_ROWS, rejected=rejected)

    assert (outcome.rejected, outcome.reported, outcome.created) == (30_000, 10_000, 1)
    _header, *rows, last = csv.reader(io.StringIO(rejected.getvalue()))
    assert len(rows) == 10_000
    assert [r[7] for r in rows[:2]] == ["2", "3"]
    assert rows[-1][7] == "10001"
    assert last[-2:] == [
        "",
        "20,000 more rejected rows are not in this report: it lists the first 10,000.",
    ]
    assert len(rejected.getvalue()) < 1_000_000


def test_a_dry_run_report_is_capped_the_same_way(workspace, write, tps, monkeypatch):
    monkeypatch.setattr(pipeline, "REPORT_ROWS", 3)
    rejected = io.StringIO(newline="")

    outcome = run(
        workspace,
        write(HEADER + bad_rows(tps, 4)),
        mode=ImportMode.ALL_OR_NOTHING,
        dry_run=True,
        rejected=rejected,
    )

    assert (outcome.rows, outcome.rejected, outcome.reported) == (4, 4, 3)
    *_rows, last = csv.reader(io.StringIO(rejected.getvalue()))
    assert last[-1] == "1 more rejected row is not in this report: it lists the first 3."


def test_all_or_nothing_stops_reading_once_enough_rows_are_rejected(workspace, write, tps):
    good = f"{tps[0].pk},ok,2026-05-01,9,,,\n"
    path = write(HEADER + good + bad_rows(tps, 1_500) + good)

    stopped = run(workspace, path, mode=ImportMode.ALL_OR_NOTHING)
    dry = run(workspace, path, mode=ImportMode.ALL_OR_NOTHING, dry_run=True)
    valid_rows = run(workspace, path, mode=ImportMode.VALID_ROWS, dry_run=True)

    assert (stopped.rows, stopped.rejected, stopped.stopped_after) == (1_001, 1_000, 1_002)
    assert (stopped.written, Response.objects.count()) == (False, 0)
    assert (dry.rows, dry.rejected, dry.stopped_after) == (1_502, 1_500, None)
    assert (valid_rows.rows, valid_rows.rejected, valid_rows.stopped_after) == (1_502, 1_500, None)
