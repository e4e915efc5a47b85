"""Metric rows are computed, never typed: the admin shows them read-only, for operators."""

from django.contrib import admin

from metrics.compute import COUNT_FIELDS
from metrics.models import (
    ExpectationCounts,
    MomentCounts,
    MomentImpact,
    MomentTurn,
    MonthCounts,
    RecomputeRun,
    RecoveryCounts,
    RecoveryEffect,
    RetentionCohort,
    RetentionSummary,
)
from metrics.themes.models import ThemeCounts, ThemeRun, ThemeTerm, WorkspaceTheme


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _counts_after(model, field: str) -> list[str]:
    """The model's fields with the count fields after ``field``, as in its table: they come
    from the abstract CountFields, which Django would list first."""
    names = [f.name for f in model._meta.fields if not f.primary_key and f.name not in COUNT_FIELDS]
    at = names.index(field) + 1
    return [*names[:at], *COUNT_FIELDS, *names[at:]]


@admin.register(MomentCounts)
class MomentCountsAdmin(ReadOnlyAdmin):
    fields = _counts_after(MomentCounts, "day")
    list_display = ["scope", "key", "day", "answers", "nps", "moment_score", "enough", "workspace"]
    list_filter = ["scope", "enough", "workspace"]


@admin.register(MonthCounts)
class MonthCountsAdmin(ReadOnlyAdmin):
    fields = _counts_after(MonthCounts, "month")
    list_display = ["touchpoint", "month", "answers", "promoters", "detractors", "pain"]
    list_filter = ["workspace"]
    list_select_related = ["touchpoint"]


@admin.register(ExpectationCounts)
class ExpectationCountsAdmin(ReadOnlyAdmin):
    list_display = ["touchpoint", "day", "respect_pain_n", "respect_glory_n", "computed_at"]
    list_filter = ["workspace"]
    list_select_related = ["touchpoint"]


@admin.register(RetentionCohort)
class RetentionCohortAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "offset", "customers", "active", "share", "workspace"]
    list_filter = ["workspace"]


@admin.register(RetentionSummary)
class RetentionSummaryAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "as_of", "churn_share", "repurchase_share"]


@admin.register(MomentImpact)
class MomentImpactAdmin(ReadOnlyAdmin):
    list_display = ["touchpoint", "glory_n", "pain_n", "difference", "low", "high", "enough"]
    list_filter = ["enough", "workspace"]
    list_select_related = ["touchpoint"]


@admin.register(RecoveryCounts)
class RecoveryCountsAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "day", "opened", "recovered", "not_recovered", "overdue"]
    list_filter = ["scope", "workspace"]


@admin.register(RecoveryEffect)
class RecoveryEffectAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "journey", "recovered_n", "other_n", "difference", "enough"]
    list_filter = ["enough", "workspace"]


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "requested_at", "started_at", "finished_at", "progress"]


@admin.register(MomentTurn)
class MomentTurnAdmin(ReadOnlyAdmin):
    list_display = ["touchpoint", "workspace", "dropped", "turns", "changed_at"]
    list_filter = ["dropped", "workspace"]
    list_select_related = ["touchpoint"]


# Comment themes (metrics/themes): counts, vocabulary and runs are computed; a workspace's own
# themes are typed by its admins and editors in the app, and an operator may correct one here.
@admin.register(ThemeCounts)
class ThemeCountsAdmin(ReadOnlyAdmin):
    list_display = ["touchpoint", "week", "language", "term", "pain", "rest"]
    list_filter = ["workspace", "language"]
    list_select_related = ["touchpoint"]


@admin.register(ThemeTerm)
class ThemeTermAdmin(ReadOnlyAdmin):
    list_display = ["term", "label", "language", "workspace"]
    list_filter = ["workspace", "language"]


@admin.register(ThemeRun)
class ThemeRunAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "seen_until", "full_at", "finished_at"]


@admin.register(WorkspaceTheme)
class WorkspaceThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "created_at"]
    list_filter = ["workspace"]
