"""The write side of metrics: computing the stored metric rows of a workspace from its answers
and activities.

- :mod:`metrics.engine.counts`: the counts roll-up (daily, month and all-time rows; a full
  rebuild or the incremental update after new answers);
- :mod:`metrics.engine.cohorts`: retention cohorts, churn and repurchase, moment impact;
- :mod:`metrics.engine.sql`: the statements' shared parts and how they run.
"""

from metrics.engine.cohorts import activity_frame, recompute_impact, recompute_retention
from metrics.engine.counts import recompute_counts, tidy_counts, update_counts

__all__ = [
    "activity_frame",
    "recompute_counts",
    "recompute_impact",
    "recompute_retention",
    "tidy_counts",
    "update_counts",
]
