"""``manage.py recompute_metrics [--workspace SLUG] [--journey ID]``: recompute now, in this
process (no worker needed), and say what was written."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from journeys.models import Journey
from metrics import engine
from metrics.services import metrics_recompute
from mot.models import Workspace


class Command(BaseCommand):
    help = "Recompute the stored metrics (NPS, glory/pain, retention, moment impact)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="the workspace's slug (default: every workspace)")
        parser.add_argument(
            "--journey",
            type=int,
            help="only this journey's moment counts (and the workspace totals they feed)",
        )

    def handle(self, *args, workspace=None, journey=None, **options):
        workspaces = Workspace.objects.order_by("pk")
        if workspace:
            workspaces = workspaces.filter(slug=workspace)
            if not workspaces.exists():
                raise CommandError(f"No workspace with the slug {workspace!r}.")
        if journey is not None:
            found = Journey.objects.filter(pk=journey, workspace__in=workspaces).first()
            if found is None:
                raise CommandError(f"No journey {journey} in the chosen workspace(s).")
            started = time.monotonic()
            rows = engine.recompute_counts(found.workspace_id, journey_ids=[found.pk])
            self.stdout.write(
                f"{found.workspace.slug} / {found.name}: {rows} metric rows "
                f"in {time.monotonic() - started:.1f} s"
            )
            return
        for ws in workspaces:
            started = time.monotonic()
            metrics_recompute(workspace_id=ws.pk, full=True)
            self.stdout.write(f"{ws.slug}: recomputed in {time.monotonic() - started:.1f} s")
