"""Workspace membership: add or invite people, change roles, remove them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mot.models import Membership, Role, Workspace
from mot.policy import Action, require


def workspace_create(*, name: str, owner) -> Membership:
    """A new workspace with ``owner`` as its first admin."""
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
                workspace = Workspace.objects.create(name=name[:120], slug=slug)
                return Membership.objects.create(workspace=workspace, user=owner, role=Role.ADMIN)
        except IntegrityError:
            continue
    raise ValidationError({"name": _("Too many workspaces share this name; choose another.")})


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
def member_invite(
    *, actor: Membership, email: str, role: str, base_url: str
) -> tuple[Membership, bool]:
    """Add the person with this e-mail; create an account and e-mail an invitation if needed.

    Returns the membership and whether an invitation e-mail was sent.
    """
    require(actor, Action.MANAGE_MEMBERS, actor.workspace)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    invited = False
    if user is None:
        user = User(username=email[:150], email=email)
        user.set_unusable_password()
        user.save()
        invited = True
    elif Membership.objects.filter(workspace_id=actor.workspace_id, user=user).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    member = Membership.objects.create(workspace_id=actor.workspace_id, user=user, role=role)
    if invited:
        from mot.tasks import send_invitation

        send_invitation.delay_on_commit(member.pk, base_url)
    return member, invited


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


def invitation_send(*, membership_id: int, base_url: str) -> bool:
    """Send the invitation e-mail with a link to choose a password.

    Returns False (and sends nothing) when the membership is gone or the person already has a
    password: an invitation retried or replayed after they signed up must not reach them again.
    """
    member = Membership.objects.select_related("user", "workspace").filter(pk=membership_id).first()
    if member is None or member.user.has_usable_password() or not member.user.email:
        return False
    user = member.user
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"workspace": member.workspace, "link": link, "role": member}
    subject = _("You are invited to %(workspace)s on MOT") % {"workspace": member.workspace.name}
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])
    return True
