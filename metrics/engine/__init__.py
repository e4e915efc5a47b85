"""The write side of metrics: computing the stored metric rows of a workspace from its answers
and activities.

- :mod:`metrics.engine.counts`: the counts roll-up (daily, month and all-time rows; a full
  rebuild or the incremental update after new answers);
- :mod:`metrics.engine.expectations`: each touchpoint's daily sums of the four expectations,
  written by the counts roll-up in its transaction (a rebuild merges, an update rewrites the
  changed days);
- :mod:`metrics.engine.cohorts`: retention cohorts, churn and repurchase, moment impact;
- :mod:`metrics.engine.recovery`: service recovery (each day's follow-up figures, and the
  recovery effect from moment impact's customers);
- :mod:`metrics.engine.sql`: the tables and columns the statements may name, and their shared
  parts.

Only survey answers are read (``kind`` survey answer): a record logged without a score (a
complaint, an interview note…: ``feedback.models.Kind``) counts in no metric row, nor does the
follow-up it opens; ``tests/metrics/test_records_change_no_metric.py`` recomputes with and without
records and compares every table.

Stored rows: daily rows (counts only) for touchpoints, journeys and the workspace; all-time rows
(counts and derived numbers) for every scope: touchpoint, stage, MOT stage (within a journey and
workspace-wide), journey, workspace; and month rows of touchpoints (``MonthCounts``), summed from
their daily rows in the same transaction (all of a rebuilt journey's; only the changed touchpoints'
months after new answers), so a page reads a period's whole months as one row each per touchpoint.
Stages and MOT stages have no daily rows: no page reads them by day, and they were a fifth of all
rows. A stage's or MOT stage's all-time counts are those of its touchpoints' daily rows, placed on
the map as it is at the recompute.

Two ways to recompute, each in one transaction under a per-workspace lock, so readers see the
old rows or the new ones, never a mix:

- :func:`recompute_counts` rebuilds every row of the given journeys (all when None) and the
  workspace-wide rows: every row gets this run's ``computed_at`` and data window. On PostgreSQL
  the daily rows are updated in place by one statement (``UPDATE … FROM`` the new rows, inserting
  the new ones; then the rows no longer computed are deleted). The table keeps half of each page
  free (fillfactor 50, migration 0004), so an update of counts stays on its page and touches no
  index (a HOT update): a third of the cost of deleting a row and inserting it again with an
  entry in each of its indexes. HOT needs room on the page: PostgreSQL prunes the replaced row
  versions of a page when it runs short, and after a full run :func:`tidy_counts` vacuums the
  whole table (which also clears what deleted rows leave and refreshes the statistics), as
  autovacuum would, if on and when it comes round.
- :func:`update_counts`, after new answers: per journey, counts the answers of each (touchpoint,
  day) from the (touchpoint, submitted_at) index alone, compares with the stored touchpoint rows,
  and rewrites only the touchpoint rows whose number of answers changed, the journey and
  workspace rows of those days, and the all-time rows of the journey and of the workspace. Other
  daily rows keep their values, ``computed_at`` and data window. A change that keeps a day's
  number of answers (there is none: answers are never edited) or a map edit (a touchpoint moved
  to another stage) reaches the stored rows at the next :func:`recompute_counts` (nightly, the
  Recompute button, ``manage.py recompute_metrics``).
"""

from metrics.engine.cohorts import (
    activity_frame,
    impact_answers,
    recompute_impact,
    recompute_retention,
)
from metrics.engine.counts import recompute_counts, tidy_counts, update_counts
from metrics.engine.recovery import recompute_recovery, recompute_recovery_effect

__all__ = [
    "activity_frame",
    "impact_answers",
    "recompute_counts",
    "recompute_impact",
    "recompute_recovery",
    "recompute_recovery_effect",
    "recompute_retention",
    "tidy_counts",
    "update_counts",
]
