"""Stored comment themes (definitions in :mod:`metrics.themes`): the counts the pages read,
the vocabulary with its labels, the workspace's own themes, and the job's watermark."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, Touchpoint
from mot.models import Workspace

TOTAL = ""  # the term of the row counting the commented answers themselves
TERMS = "*"  # the term of the row summing every term's count, pruned or not (n in the ranking)
THEME_PREFIX = "#"  # "#<id>": the row of a workspace theme


class ThemeCounts(models.Model):
    """Comments containing a term at one touchpoint in one week and language, pain and rest."""

    # Derived rows, rewritten by the themes job: no database-level foreign-key checks (like
    # MomentCounts); Django still deletes them with their workspace, journey or touchpoint.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    week = models.DateField(_("week"))  # its Monday
    language = models.CharField(_("language"), max_length=2)
    term = models.CharField(_("term"), max_length=120, blank=True)
    pain = models.PositiveIntegerField(_("pain comments"), default=0)
    rest = models.PositiveIntegerField(_("other comments"), default=0)
    # The ids of the latest pain answers containing the term (up to EXAMPLES), newest first.
    examples = models.JSONField(_("latest pain answers"), default=list, blank=True)

    class Meta:
        verbose_name = _("theme counts")
        verbose_name_plural = _("theme counts")
        indexes = [
            # A scope's period (and the job's weeks), summed per term.
            models.Index(fields=["workspace", "week", "journey"], name="themecounts_ws_week"),
            # One term's weeks (the trend line).
            models.Index(fields=["workspace", "term", "week"], name="themecounts_ws_term"),
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint_id} {self.week} {self.language}:{self.term}"


class ThemeTerm(models.Model):
    """A term of the workspace's vocabulary (in ``MIN_COUNT`` comments or more) and its label."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    language = models.CharField(_("language"), max_length=2)
    term = models.CharField(_("term"), max_length=120)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        verbose_name = _("theme term")
        verbose_name_plural = _("theme terms")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "language", "term"], name="themeterm_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.language}:{self.label}"


class WorkspaceTheme(models.Model):
    """A theme a workspace defines: a name and keywords per language, matched on stems."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="themes", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=100)
    # {"pt": "entrega, atraso", "es": "...", "ro": "...", "en": "..."}: comma-separated keywords.
    keywords = models.JSONField(_("keywords"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("workspace theme")
        verbose_name_plural = _("workspace themes")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="workspacetheme_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"{THEME_PREFIX}{self.pk}"


class ThemeRun(models.Model):
    """The themes job's watermark: answers received since ``seen_until`` are new to it."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    seen_until = models.DateTimeField(_("answers seen until"), null=True, blank=True)
    full_at = models.DateTimeField(_("last full run"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("themes run")
        verbose_name_plural = _("themes runs")

    def __str__(self) -> str:
        return f"themes {self.workspace_id}"
