"""Workspace themes: admins and editors create, change and delete them; every change asks for
a full themes run, since a theme's counts are taken from every comment."""

from __future__ import annotations

from django.db import transaction

from metrics.themes.models import ThemeCounts, WorkspaceTheme
from mot.models import Membership
from mot.policy import Action, require


def _recount(workspace_id: int) -> None:
    from metrics.services import themes_request

    transaction.on_commit(lambda: themes_request(workspace_id=workspace_id, full=True), robust=True)


def workspace_theme_save(*, actor: Membership, theme: WorkspaceTheme) -> WorkspaceTheme:
    """Create or update ``theme`` (a validated form's instance) in the actor's workspace."""
    theme.workspace_id = actor.workspace_id
    require(actor, Action.MANAGE_THEMES, theme)
    with transaction.atomic():
        theme.save()
        _recount(actor.workspace_id)
    return theme


def workspace_theme_delete(*, actor: Membership, theme: WorkspaceTheme) -> None:
    require(actor, Action.MANAGE_THEMES, theme)
    with transaction.atomic():
        # Its rows go now, not at the next run: nothing may show a theme that is gone.
        ThemeCounts.objects.filter(workspace_id=theme.workspace_id, term=theme.key).delete()
        theme.delete()
