"""One file import, in one streaming pass: read → validate → store, with the rejected rows.

Each row is read, validated and, if valid, handed to ``store_records`` as it comes, so a file of
a million rows is never held in memory: only the first ``keep_errors`` row errors are kept, and
the first ``REPORT_ROWS`` rejected rows go straight to the ``rejected`` CSV (then one line
counting the rest: a small workbook can expand to millions of bad rows, and the report must not
fill the disk). All the writes happen in one transaction, so "all or nothing" is a rollback,
stopped as soon as ``STOP_AFTER_REJECTED`` rows are rejected (nothing will be stored), and a dry
run is one too: it stores as the import would, to count new and already stored answers, and
rolls back (the on-commit work of what it stored, such as alerts, is dropped with it). On
PostgreSQL the store
draws the rows in a thread of its own, so reading overlaps writing (feedback.imports.ahead): the
rows' validation and progress reports must not use the database connection.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.imports import rows
from feedback.imports.store import store_records
from feedback.imports.streaming import RowStream, open_rows
from feedback.imports.types import (
    Layout,
    Mapping,
    RawRow,
    RowError,
    TouchpointResolver,
    ValidRow,
)
from feedback.models import ImportMode
from mot.csvsafe import safe_cell

REPORT_ROWS = 10_000  # rejected rows written to the report; the rest are counted in its last line
STOP_AFTER_REJECTED = 1_000  # an all-or-nothing import stops reading at this many rejected rows
PROGRESS_ROWS = 1_000  # rows between two looks at the clock
PROGRESS_SECONDS = 0.5  # at most one progress report per this long
READ_SHARE = 0.99  # reading ends here; the rest is storing the last chunk, and commit
_SURROGATES = re.compile("[\ud800-\udfff]")  # undecodable bytes, as reading passes them on


@dataclass(frozen=True)
class ImportOutcome:
    rows: int  # data rows read
    valid: int
    created: int
    duplicates: int  # valid rows already stored, or repeated in the file
    rejected: int  # rows with at least one error
    followups: int = 0  # follow-ups the stored answers opened
    errors: list[RowError] = field(default_factory=list)  # the first keep_errors of them
    written: bool = False  # whether the import's transaction committed
    reported: int = 0  # rejected rows in the report (the first REPORT_ROWS)
    stopped_after: int | None = None  # the line an all-or-nothing import stopped reading at


class _RollBack(Exception):
    """All or nothing, and something was rejected: undo the whole import."""


class _DryRun(Exception):
    """A dry run has stored everything it would: undo it, keeping the counts."""


def import_path(
    *,
    workspace_id: int,
    path: str | os.PathLike,
    layout: Layout,
    mapping: Mapping,
    mode: str,
    dry_run: bool,
    resolve: TouchpointResolver,
    progress: Callable[[float], None] | None = None,
    rejected: TextIO | None = None,
    keep_errors: int = 1000,
) -> ImportOutcome:
    """Import the file at ``path``; ``rejected`` (a text file opened with newline="") gets a
    CSV of the first REPORT_ROWS rejected rows with their line and reasons. Raises
    ``ImportFileError`` when the file cannot be read and ``StoreRefused`` (a ValueError) when
    the records cannot be stored; nothing is written then."""
    # A dry run stores the valid rows as the import would and rolls back, so it can tell how
    # many answers are new and how many already stored; it feeds the store every valid row,
    # so all or nothing only decides its wording, not what it counts.
    all_or_nothing = ImportMode(mode) == ImportMode.ALL_OR_NOTHING and not dry_run
    run = _Run(
        check=rows.validator(layout=layout, mapping=mapping, resolve=resolve),
        layout=layout,
        progress=progress,
        rejected=rejected,
        keep_errors=keep_errors,
        all_or_nothing=all_or_nothing,
        # A dry run is asked to check every row; an import that cannot store any need not.
        stop_after=STOP_AFTER_REJECTED if all_or_nothing and not dry_run else None,
    )
    created = duplicates = followups = 0
    written = False
    with open_rows(path, layout) as stream:
        records = run.records(stream)
        try:
            with transaction.atomic():
                result = store_records(
                    workspace_id=workspace_id, target=mapping.target, records=records
                )
                created, duplicates, followups = result.created, result.duplicates, result.followups
                if dry_run:
                    raise _DryRun
            written = True
        except _RollBack:
            pass
        except _DryRun:
            pass
    if progress is not None:
        progress(1.0)
    return ImportOutcome(
        rows=run.rows,
        valid=run.valid,
        created=created,
        duplicates=duplicates,
        followups=followups,
        rejected=run.rejected,
        errors=run.errors,
        written=written,
        reported=run.reported,
        stopped_after=run.stopped_after,
    )


class _Run:
    def __init__(
        self,
        *,
        check: Callable[[RawRow], ValidRow | list[RowError]],
        layout: Layout,
        progress: Callable[[float], None] | None,
        rejected: TextIO | None,
        keep_errors: int,
        all_or_nothing: bool,
        stop_after: int | None,
    ) -> None:
        self.check = check
        self.width = len(layout.columns)
        self.progress = progress
        self.writer = csv.writer(rejected) if rejected is not None else None
        self.keep_errors = keep_errors
        self.report_rows = REPORT_ROWS
        self.all_or_nothing = all_or_nothing
        self.stop_after = stop_after
        self.stopped_after: int | None = None
        self.rows = self.valid = self.rejected = self.reported = 0
        self.errors: list[RowError] = []
        if self.writer is not None:
            self.writer.writerow(
                [*(_clean(safe_cell(c)) for c in layout.columns), _("line"), _("reason")]
            )

    def records(self, stream: RowStream) -> Iterator:
        """The valid rows' records; the others are counted, kept and written as they pass."""
        check, reject, progress = self.check, self._reject, self.progress
        count = valid = 0
        storing = True
        last_report = time.monotonic()
        try:
            for raw in stream:
                count += 1
                result = check(raw)
                if type(result) is ValidRow:
                    valid += 1
                    if storing:
                        yield result.record
                else:
                    reject(raw, result)
                    # Nothing will be kept: stop feeding the store, but go on validating so
                    # the user sees the file's problems at once, up to a point.
                    storing = not self.all_or_nothing
                    if self.rejected == self.stop_after:
                        self.stopped_after = raw.line
                        break
                if progress is not None and count % PROGRESS_ROWS == 0:
                    now = time.monotonic()
                    if now - last_report >= PROGRESS_SECONDS:
                        last_report = now
                        progress(min(stream.fraction_read(), READ_SHARE))
        finally:
            self.rows, self.valid = count, valid
        if self.writer is not None and self.rejected > self.reported:
            rest = self.rejected - self.reported
            note = ngettext(
                "%(rest)s more rejected row is not in this report: it lists the first %(shown)s.",
                "%(rest)s more rejected rows are not in this report: it lists the first %(shown)s.",
                rest,
            ) % {"rest": _number(rest), "shown": _number(self.reported)}
            self.writer.writerow([*([""] * self.width), "", note])
        if progress is not None:
            progress(READ_SHARE)
        if not storing:
            # Raised here, inside the store's transaction (on PostgreSQL, in the thread that
            # draws the records, and handed to the store): the chunks stored before are undone.
            raise _RollBack

    def _reject(self, raw: RawRow, errors: list[RowError]) -> None:
        self.rejected += 1
        room = self.keep_errors - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        if self.writer is None or self.reported == self.report_rows:
            return
        self.reported += 1
        cells = raw.cells
        # The header's width: a cell beyond it has no column, so could not be imported anyway.
        cells = [_clean(safe_cell(c)) for c in cells[: self.width]]
        cells.extend([""] * (self.width - len(cells)))
        reasons = "; ".join(_reason(e) for e in errors)
        self.writer.writerow([*cells, raw.line, _clean(safe_cell(reasons))])


def _number(n: int) -> str:
    return number_format(n, force_grouping=True)


def _reason(error: RowError) -> str:
    if error.column:
        return f"{error.column}: {error.reason}"
    return error.reason


def _clean(text: str) -> str:
    # Bytes the file's encoding could not decode arrive as lone surrogates, which no UTF-8
    # writer accepts; the replacement character shows where they were.
    return _SURROGATES.sub("\ufffd", text) if not text.isascii() else text
