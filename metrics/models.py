"""Stored metric rows: what dashboards and the map read (never raw answers on a page load).

``MomentCounts`` holds additive counts per day for touchpoints, journeys and the workspace, plus
an all-time row (``day`` is null) with the derived numbers for every scope (stages and MOT stages
have all-time rows only). Because counts add up, a page can sum the daily rows of any date range
and derive NPS, margins and moment scores with :mod:`metrics.compute`. ``MonthCounts`` holds each
touchpoint's calendar months (the sums of its daily rows), so a period's whole months are read
as one row per touchpoint each. Retention cohorts,
moment impact, service recovery (``RecoveryCounts`` per day, ``RecoveryEffect``) and the four
expectations (``ExpectationCounts``, each touchpoint's daily sums) have their own tables. Every
row carries when it was computed and the data window.

A recompute replaces a set of rows in one transaction (updating them in place, or deleting and
inserting them; see :mod:`metrics.engine`), so a reader sees the old set or the new one, never a
mix.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Touchpoint
from mot.models import Workspace


class Scope(models.TextChoices):
    WORKSPACE = "workspace", _("Workspace")
    JOURNEY = "journey", _("Journey")
    STAGE = "stage", _("Stage")
    MOT_STAGE = "mot_stage", _("Moment of truth")
    TOUCHPOINT = "touchpoint", _("Touchpoint")


class CountFields(models.Model):
    """The additive counts of :class:`metrics.compute.Counts` (the same thirteen fields, in the
    order of ``compute.COUNT_FIELDS``), stored by MomentCounts and MonthCounts, with their
    invariant: every counted answer has an experience (glory, neutral or pain)."""

    answers = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    csat_answers = models.PositiveIntegerField(default=0)
    csat_top2 = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveBigIntegerField(default=0)
    # CES (1-7): rows computed before these columns existed hold 0 until the next full
    # recompute (migration 0012).
    ces_answers = models.PositiveIntegerField(default=0)
    ces_easy = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveBigIntegerField(default=0)
    glory = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    pain = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    answers=models.F("glory") + models.F("neutral") + models.F("pain")
                ),
                name="%(class)s_experiences_add_up",
            ),
        ]


class MomentCounts(CountFields):
    # Derived rows, rewritten by every recompute: no database-level foreign-key checks (they
    # cost seconds per recompute on large maps); Django still deletes them with their workspace
    # or journey. No index of their own either: the indexes below start with them.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    # Rows of one journey (touchpoints, stages, its MOT stages, itself) carry it, so a journey's
    # rows can be replaced alone; workspace-wide rows (the workspace, its MOT stages) do not.
    journey = models.ForeignKey(
        Journey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    # The touchpoint, stage or journey id, the MOT stage code ("" = not tagged), or "" for the
    # workspace itself.
    key = models.CharField(_("key"), max_length=40, blank=True)
    day = models.DateField(_("day"), null=True, blank=True)  # null: all time

    # Derived, on the all-time rows only (daily rows are summed by readers, then derived).
    nps = models.FloatField(null=True, blank=True)
    nps_margin = models.FloatField(null=True, blank=True)
    csat_top2_share = models.FloatField(null=True, blank=True)
    csat_mean = models.FloatField(null=True, blank=True)
    ces_easy_share = models.FloatField(null=True, blank=True)
    ces_mean = models.FloatField(null=True, blank=True)
    glory_share = models.FloatField(null=True, blank=True)
    neutral_share = models.FloatField(null=True, blank=True)
    pain_share = models.FloatField(null=True, blank=True)
    moment_score = models.FloatField(null=True, blank=True)
    enough = models.BooleanField(default=False)

    computed_at = models.DateTimeField(_("computed at"))
    window_start = models.DateTimeField(_("first answer"), null=True, blank=True)
    window_end = models.DateTimeField(_("last answer"), null=True, blank=True)

    class Meta(CountFields.Meta):
        verbose_name = _("moment counts")
        verbose_name_plural = _("moment counts")
        indexes = [
            models.Index(fields=["workspace", "scope", "day"]),
            models.Index(fields=["journey", "scope", "day"]),
            # Some touchpoints' days (a dashboard filtered by channel or moment of truth).
            models.Index(fields=["workspace", "scope", "key", "day"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=Scope.values), name="momentcounts_scope_valid"
            ),
            *CountFields.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} {self.day or 'all'}"


class MonthCounts(CountFields):
    """A touchpoint's counts over one calendar month: the sum of its daily ``MomentCounts`` rows,
    kept by the engine with them (the same run, the same transaction). A page summing a period
    reads the whole months inside it from here and only the days at its edges from the daily
    rows: a year is about 12 month rows and 30 daily rows per touchpoint instead of 365."""

    # Derived rows, like MomentCounts: no database-level foreign-key checks; Django still
    # deletes them with their workspace, journey or touchpoint.
    # The workspace's and the touchpoint's lookups use the index and the constraint below.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    month = models.DateField(_("month"))  # its first day

    class Meta(CountFields.Meta):
        verbose_name = _("monthly touchpoint counts")
        verbose_name_plural = _("monthly touchpoint counts")
        indexes = [models.Index(fields=["workspace", "month"])]
        constraints = [
            models.UniqueConstraint(
                fields=["touchpoint", "month"], name="monthcounts_one_per_touchpoint_month"
            ),
            *CountFields.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"touchpoint:{self.touchpoint_id} {self.month:%Y-%m}"


class RetentionCohort(models.Model):
    """Monthly cohorts by first activity (or first answer when the workspace has no activity)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    cohort = models.DateField(_("cohort month"))  # first day of the month
    offset = models.PositiveSmallIntegerField(_("months since"))
    customers = models.PositiveIntegerField(_("customers"))
    active = models.PositiveIntegerField(_("active"))
    share = models.FloatField(_("share active (%)"))
    basis = models.CharField(_("based on"), max_length=16)  # "activities" or "responses"
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("retention cohort")
        verbose_name_plural = _("retention cohorts")
        indexes = [models.Index(fields=["workspace", "cohort", "offset"])]

    def __str__(self) -> str:
        return f"{self.cohort:%Y-%m} +{self.offset}"


class RetentionSummary(models.Model):
    """Churn and repurchase over the window ending on the day of the computation."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(_("based on"), max_length=16)
    window_days = models.PositiveSmallIntegerField(_("window in days"))
    as_of = models.DateField(_("as of"))
    base_customers = models.PositiveIntegerField(default=0)
    churned = models.PositiveIntegerField(default=0)
    churn_share = models.FloatField(null=True, blank=True)
    window_customers = models.PositiveIntegerField(default=0)
    repurchased = models.PositiveIntegerField(default=0)
    repurchase_share = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("retention summary")
        verbose_name_plural = _("retention summaries")

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.as_of}"


class MomentImpact(models.Model):
    """For one touchpoint: later retention of customers whose answer there was glory vs pain."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(_("based on"), max_length=16)
    window_days = models.PositiveSmallIntegerField(_("window in days"))
    glory_n = models.PositiveIntegerField(default=0)
    glory_retained = models.PositiveIntegerField(default=0)
    pain_n = models.PositiveIntegerField(default=0)
    pain_retained = models.PositiveIntegerField(default=0)
    difference = models.FloatField(null=True, blank=True)  # points, glory minus pain
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    enough = models.BooleanField(default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("moment impact")
        verbose_name_plural = _("moment impacts")
        constraints = [
            models.UniqueConstraint(fields=["touchpoint"], name="momentimpact_one_per_touchpoint")
        ]

    def __str__(self) -> str:
        return f"impact {self.touchpoint_id}"


# RecoveryCounts' additive columns: what a period's rows add up to (metrics/read/recovery.py).
RECOVERY_FIGURES = (
    "opened",
    "responded",
    "response_seconds",
    "recovered",
    "not_recovered",
    "no_action",
    "close_seconds",
    "overdue",
)


class RecoveryCounts(models.Model):
    """The follow-ups opened on one day at a touchpoint, in a journey or in the workspace, and
    where they stand at the computation: additive, so a page sums the days of any period (the
    follow-ups opened in it) and derives the figures (metrics/read/recovery.py).

    Durations are sums of whole seconds, so a period's mean is its sum over its count: the time
    to first response from opening to the first note or status change on the timeline, the time
    to close from opening to the closing of the follow-ups closed now. Overdue counts the active
    follow-ups whose due day had passed on the day of the computation."""

    # Derived rows, rewritten by every recompute, like MomentCounts.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    journey = models.ForeignKey(
        Journey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)  # touchpoint or journey id
    day = models.DateField(_("opened on"))
    opened = models.PositiveIntegerField(_("opened"), default=0)
    responded = models.PositiveIntegerField(_("responded to"), default=0)
    response_seconds = models.BigIntegerField(_("seconds to first response, summed"), default=0)
    recovered = models.PositiveIntegerField(_("recovered"), default=0)
    not_recovered = models.PositiveIntegerField(_("not recovered"), default=0)
    no_action = models.PositiveIntegerField(_("no action needed"), default=0)
    close_seconds = models.BigIntegerField(_("seconds to close, summed"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("recovery counts")
        verbose_name_plural = _("recovery counts")
        # One index for every read (a scope's days, of one journey or all) and the journeys'
        # deletes: each run rewrites every row of its journeys, and a second index would be
        # a third of the writing.
        indexes = [models.Index(fields=["workspace", "scope", "journey", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=[Scope.WORKSPACE, Scope.JOURNEY, Scope.TOUCHPOINT]),
                name="recoverycounts_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"recovery {self.scope}:{self.key} {self.day}"


class RecoveryEffect(models.Model):
    """The recovery effect of a journey or (``journey`` null) of the workspace: the 90-day
    return rate of pain customers whose follow-up was recovered minus that of pain customers
    whose follow-up was not recovered or who had none, with its 95% interval (the statistics
    of moment impact). The groups and who counts: metrics/engine/recovery.py."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    basis = models.CharField(_("based on"), max_length=16)
    window_days = models.PositiveSmallIntegerField(_("window in days"))
    recovered_n = models.PositiveIntegerField(default=0)
    recovered_returned = models.PositiveIntegerField(default=0)
    other_n = models.PositiveIntegerField(default=0)  # not recovered + never followed up
    other_returned = models.PositiveIntegerField(default=0)
    not_recovered_n = models.PositiveIntegerField(default=0)  # of other_n
    difference = models.FloatField(null=True, blank=True)  # points, recovered minus other
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    enough = models.BooleanField(default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("recovery effect")
        verbose_name_plural = _("recovery effects")
        indexes = [models.Index(fields=["workspace", "journey"])]

    def __str__(self) -> str:
        return f"recovery effect {self.workspace_id}:{self.journey_id or 'all'}"

    @property
    def unfollowed_n(self) -> int:
        return self.other_n - self.not_recovered_n

    @property
    def recovered_rate(self) -> float | None:
        return 100 * self.recovered_returned / self.recovered_n if self.recovered_n else None

    @property
    def other_rate(self) -> float | None:
        return 100 * self.other_returned / self.other_n if self.other_n else None


class RecomputeRun(models.Model):
    """The state of a workspace's metrics: when they were last computed, and a run in progress
    (for the progress bar and for coalescing: answers arriving during a run mark it dirty)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.FloatField(_("progress"), default=0)
    # Set by the watchdog when a run's worker was lost; cleared when a run finishes.
    interrupted_at = models.DateTimeField(_("interrupted at"), null=True, blank=True)
    # What the next run must recompute: these journeys' rows, or everything.
    pending_journeys = models.JSONField(_("journeys to recompute"), default=list, blank=True)
    pending_full = models.BooleanField(_("full recompute pending"), default=False)

    class Meta:
        verbose_name = _("metrics run")
        verbose_name_plural = _("metrics runs")

    def __str__(self) -> str:
        return f"metrics of {self.workspace_id}"


class MomentTurn(models.Model):
    """Whether a touchpoint's moment score stands dropped (the last 30 days against the 30
    before, beyond the margin of error), so managers are told once when it turns, not after
    every recompute while it stays down. ``turns`` counts the turns: each one is its own
    event (metrics/alerts.py)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.OneToOneField(
        Touchpoint, on_delete=models.CASCADE, related_name="+", verbose_name=_("touchpoint")
    )
    dropped = models.BooleanField(_("dropped"), default=False)
    turns = models.PositiveIntegerField(_("times it turned down"), default=0)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("moment turn")
        verbose_name_plural = _("moment turns")
        indexes = [models.Index(fields=["workspace", "dropped"], name="momentturn_workspace")]

    def __str__(self) -> str:
        return f"{self.touchpoint_id}: {'dropped' if self.dropped else 'steady'} ({self.turns})"


# The four expectations every survey asks (1-5 each, feedback.Response), in display order.
EXPECTATIONS = ("respect", "solutions", "simplicity", "responsibility")
EXPERIENCES = ("glory", "neutral", "pain")
# ExpectationCounts' additive columns: per expectation and experience, the rated answers (n),
# the sum of their ratings and how many were low (1-2); per expectation, the sum of the squared
# ratings (for the interval of the mean). See metrics/expectations.py.
EXPECTATION_FIELDS = tuple(
    [
        f"{expectation}_{experience}_{part}"
        for expectation in EXPECTATIONS
        for experience in EXPERIENCES
        for part in ("n", "sum", "low")
    ]
    + [f"{expectation}_squares" for expectation in EXPECTATIONS]
)


class ExpectationCounts(models.Model):
    """A touchpoint's four expectation ratings on one day (in the current time zone, as the
    moment counts): additive sums, so a page sums the days of any period in SQL and derives the
    means, low-rating shares and the pain/glory separation (metrics/expectations.py). Only days
    with at least one rated answer have a row. Stages, journeys and the workspace are the sums
    of their touchpoints' rows on read (a few hundred rows)."""

    # Derived rows, rewritten by the metrics jobs like MomentCounts: no database-level
    # foreign-key checks; Django still deletes them with their workspace, journey or touchpoint.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField(_("day"))
    locals().update({name: models.PositiveIntegerField(default=0) for name in EXPECTATION_FIELDS})
    # The row's fingerprint: how many rated answers it counts and the sum of their ids. A full
    # recompute counts again only the days whose fingerprint changed (answers are never edited;
    # metrics/engine/expectations.py). Not read by any page.
    rated = models.PositiveIntegerField(default=0, db_default=0)
    rated_ids = models.BigIntegerField(default=0, db_default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("expectation counts")
        verbose_name_plural = _("expectation counts")
        # Reads: a workspace's days (a journey's among them); writes: a workspace's or its
        # journeys' rows, or some touchpoints' days. Each index is more writing per recompute.
        indexes = [
            models.Index(fields=["workspace", "day"]),
            # Also covers the fingerprints a full recompute compares (an index-only scan of a
            # tenth of the table's pages).
            models.Index(
                fields=["touchpoint", "day"],
                include=["workspace", "journey", "rated", "rated_ids"],
                name="metrics_exp_touchpoint_day",
            ),
        ]

    def __str__(self) -> str:
        return f"expectations of {self.touchpoint_id} on {self.day}"


# Comment themes live in their own module of this app; imported here so Django registers them.
from metrics.themes.models import (  # noqa: E402, F401
    ThemeCounts,
    ThemeRun,
    ThemeTerm,
    WorkspaceTheme,
)
