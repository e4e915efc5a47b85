"""Workspaces (one company each) and the memberships that give people a role in them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    EDITOR = "editor", _("Editor")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


class Workspace(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    # Below this many answers a score is shown as "not enough answers" (product.md, Metrics).
    min_sample = models.PositiveSmallIntegerField(
        _("minimum answers for a score"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Scores based on fewer answers are shown as “not enough answers”."),
    )
    # New members without a language of their own get it, and so do new survey links.
    default_language = models.CharField(
        _("default language"),
        max_length=16,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("For new members who have not chosen a language, and for new survey links."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("workspace")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["workspace", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()}, {self.workspace_id})"

    @property
    def display_name(self) -> str:
        user = self.user
        return person_name(user.first_name, user.last_name, user.email, user.get_username())

    @property
    def initials(self) -> str:
        return initials_of(self.display_name)


def person_name(first: str, last: str, email: str, username: str) -> str:
    """How a member is named everywhere: full name, else e-mail, else username."""
    return f"{first} {last}".strip() or email or username


def initials_of(name: str) -> str:
    parts = [p for p in name.replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


class Profile(models.Model):
    """What a person sets for themselves, whatever the workspace: their interface language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    # Blank: follow the browser (cookie, then Accept-Language).
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'}"


INVITATION_DAYS = 7


class Invitation(models.Model):
    """An offer to join a workspace that the person accepts, with an account or a new one.

    Nobody becomes a member without accepting: the inviter learns nothing about whether an
    account exists for the address. The link carries the invitation's id and ``nonce`` signed
    with the secret key; inviting the same address again draws a new nonce, so older links stop
    working.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("workspace")
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    nonce = models.CharField(max_length=32)
    sent_at = models.DateTimeField(_("sent at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace_id} ({self.role})"


from mot.notifications.models import AlertPreferences, Notification  # noqa: E402, F401
