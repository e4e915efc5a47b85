"""Workspace membership: invite people (who accept), change roles, remove them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mot.language import recipient_language, set_profile_language, supported
from mot.models import INVITATION_DAYS, Invitation, Membership, Role, Workspace
from mot.policy import Action, require

INVITATION_SALT = "mot.invitation"


def workspace_create(*, name: str, owner, language: str = "") -> Membership:
    """A new workspace with ``owner`` as its first admin. Its default language is ``language``
    (the one its creator reads MOT in), else English; the owner gets it as their own if they
    have none yet."""
    language = supported(language) or settings.LANGUAGE_CODE
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    base = slugify(name)[:50] or "workspace"
    for attempt in range(1, 50):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        if Workspace.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                # Two people creating "Acme" at once: the unique slug lets one win, the other
                # takes the next free slug.
                workspace = Workspace.objects.create(
                    name=name[:120], slug=slug, default_language=language
                )
                member = Membership.objects.create(workspace=workspace, user=owner, role=Role.ADMIN)
                set_profile_language(owner, language, only_if_blank=True)
                return member
        except IntegrityError:
            continue
    raise ValidationError({"name": _("Too many workspaces share this name; choose another.")})


def workspace_language_update(*, actor: Membership, language: str) -> Workspace:
    """The language new members without one of their own, and new survey links, start with."""
    workspace = actor.workspace
    require(actor, Action.MANAGE_MEMBERS, workspace)
    if supported(language) is None:
        raise ValidationError({"default_language": _("Choose one of the languages offered.")})
    workspace.default_language = supported(language)
    workspace.save(update_fields=["default_language"])
    return workspace


def profile_update(*, user, first_name: str, last_name: str, language: str) -> str:
    """A person's own name and language ("" follows their browser); returns the language."""
    user.first_name, user.last_name = first_name.strip()[:150], last_name.strip()[:150]
    with transaction.atomic():
        user.save(update_fields=["first_name", "last_name"])
        return set_profile_language(user, supported(language) or "")


def _lock_workspace(workspace_id: int) -> None:
    # Role changes and removals queue up per workspace: two admins demoting (or removing) each
    # other at once would otherwise each still count the other and leave no admin at all.
    Workspace.objects.select_for_update(no_key=True).get(pk=workspace_id)


def _admins_left_after(member: Membership) -> int:
    return (
        Membership.objects.filter(workspace_id=member.workspace_id, role=Role.ADMIN)
        .exclude(pk=member.pk)
        .count()
    )


@transaction.atomic
def member_invite(*, actor: Membership, email: str, role: str, base_url: str) -> Invitation:
    """Invite the person with this e-mail to join as ``role``; they join when they accept.

    Whether an account exists for the address changes nothing the inviter sees: every invitation
    is an e-mail with a link, and nobody becomes a member of a workspace without accepting.
    Inviting the same address again updates the role and sends a new link (the old one stops
    working).
    """
    require(actor, Action.MANAGE_MEMBERS, actor.workspace)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if Membership.objects.filter(
        workspace_id=actor.workspace_id, user__email__iexact=email
    ).exists():
        # The members page lists them already: this says nothing the admin cannot see.
        raise ValidationError({"email": _("This person is already a member.")})
    _lock_workspace(actor.workspace_id)
    invitation, _created = Invitation.objects.update_or_create(
        workspace_id=actor.workspace_id,
        email=email,
        accepted_at=None,
        defaults={
            "role": role,
            "invited_by": actor,
            "nonce": secrets.token_hex(16),
            "sent_at": timezone.now(),
        },
    )
    from mot.tasks import send_invitation

    send_invitation.delay_on_commit(invitation.pk, base_url)
    return invitation


@transaction.atomic
def member_change_role(*, actor: Membership, member: Membership, role: str) -> Membership:
    require(actor, Action.MANAGE_MEMBERS, member)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    _lock_workspace(member.workspace_id)
    member = Membership.objects.select_for_update().get(pk=member.pk)
    if member.role == Role.ADMIN and role != Role.ADMIN and _admins_left_after(member) == 0:
        raise ValidationError({"role": _("A workspace needs at least one admin.")})
    member.role = role
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def member_remove(*, actor: Membership, member: Membership) -> None:
    """Remove someone from the workspace; the touchpoints they owned become unassigned."""
    require(actor, Action.MANAGE_MEMBERS, member)
    _lock_workspace(member.workspace_id)
    member = Membership.objects.select_for_update().get(pk=member.pk)
    if member.role == Role.ADMIN and _admins_left_after(member) == 0:
        raise ValidationError(_("A workspace needs at least one admin."))
    member.delete()


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps([invitation.pk, invitation.nonce], salt=INVITATION_SALT, compress=True)


def invitation_link(invitation: Invitation, base_url: str) -> str:
    path = reverse("invitation", kwargs={"token": invitation_token(invitation)})
    return base_url.rstrip("/") + path


def invitation_send(*, invitation_id: int, base_url: str) -> bool:
    """E-mail the invitation's link. Returns False (and sends nothing) when the invitation was
    accepted, revoked or declined meanwhile: a retried or replayed task must not reach them."""
    invitation = (
        Invitation.objects.select_related("workspace")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    context = {
        "workspace": invitation.workspace,
        "role": invitation.get_role_display(),
        "link": invitation_link(invitation, base_url),
        "days": INVITATION_DAYS,
    }
    # In the invited person's language when their address has an account that chose one, else
    # in the workspace's.
    with translation.override(recipient_language(account_for(invitation), invitation.workspace)):
        subject = _("You are invited to %(workspace)s on MOT") % {
            "workspace": invitation.workspace.name
        }
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return True


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation a link names, or None for a tampered, expired or used link."""
    try:
        pk, nonce = signing.loads(
            token, salt=INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS)
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (
        Invitation.objects.select_related("workspace")
        .filter(pk=pk, nonce=nonce, accepted_at__isnull=True)
        .first()
    )


def account_for(invitation: Invitation):
    """The account the invitation's address already has, if any."""
    return get_user_model().objects.filter(email__iexact=invitation.email).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The invited person joins (or, a member already, simply uses up the invitation). Without
    a language of their own, they get the workspace's default."""
    workspace = invitation.workspace
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."))
    if (user.email or "").lower() != invitation.email:
        raise ValidationError(
            _("This invitation was sent to %(email)s: sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    member, _created = Membership.objects.get_or_create(
        workspace_id=invitation.workspace_id, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    set_profile_language(user, supported(workspace.default_language) or "", only_if_blank=True)
    return member


@transaction.atomic
def invitation_register(
    *, invitation: Invitation, first_name: str, last_name: str, password: str
) -> Membership:
    """Create the invited person's account (their address has none yet) and accept."""
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("An account with this address exists: sign in to accept."))
    user = User(
        username=invitation.email[:150],
        email=invitation.email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            _("An account with this address exists: sign in to accept.")
        ) from None
    return invitation_accept(invitation=invitation, user=user)


def invitation_decline(*, invitation: Invitation, user) -> None:
    if (user.email or "").lower() != invitation.email:
        raise ValidationError(_("Only the invited person can decline this invitation."))
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


def invitation_revoke(*, actor: Membership, invitation: Invitation) -> None:
    require(actor, Action.MANAGE_MEMBERS, invitation)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


def open_invitations(*, workspace_id: int) -> list[Invitation]:
    return list(
        Invitation.objects.filter(workspace_id=workspace_id, accepted_at__isnull=True)
        .select_related("invited_by__user")
        .order_by("email")
    )


def invitations_waiting_for(user) -> list[Invitation]:
    """Open invitations to the signed-in person's address, newest first."""
    if not user.email:
        return []
    return list(
        Invitation.objects.filter(
            email=user.email.lower(),
            accepted_at__isnull=True,
            sent_at__gte=timezone.now() - timedelta(days=INVITATION_DAYS),
        ).select_related("workspace")
    )
