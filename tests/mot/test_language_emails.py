"""Every e-mail is written in its recipient's language, whoever's request or task sends it.

A tiny European Portuguese catalog of this test's own stands in for the translators' work, so
these tests say whether the e-mail was rendered in the recipient's language, not whether the
catalogs are complete (tests/i18n/ says that).
"""

from __future__ import annotations

import polib
import pytest
from django.urls import reverse

from mot.models import Profile, Role
from mot.notifications.mail import notifications_mail
from mot.notifications.models import Kind, Notification
from mot.services import invitation_send, member_invite
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

PT_PT = {
    "You are invited to %(workspace)s on MOT": "Foi convidado para %(workspace)s no MOT",
    "Someone asked to reset your MOT password. If it was you, choose a new one here:": (
        "Alguém pediu para redefinir a sua palavra-passe do MOT. Se foi o próprio, escolha "
        "uma nova aqui:"
    ),
    "These follow-ups were opened for you or for the workspace queue you work:": (
        "Estes acompanhamentos foram abertos para si ou para a fila da equipa:"
    ),
}
PLURALS = {
    ("%(count)d new follow-up in %(workspace)s", "%(count)d new follow-ups in %(workspace)s"): (
        "%(count)d novo acompanhamento em %(workspace)s",
        "%(count)d novos acompanhamentos em %(workspace)s",
    )
}


@pytest.fixture
def pt_pt_catalog(settings, tmp_path):
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "pt_PT",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for english, portuguese in PT_PT.items():
        po.append(polib.POEntry(msgid=english, msgstr=portuguese))
    for (one, many), (um, muitos) in PLURALS.items():
        po.append(polib.POEntry(msgid=one, msgid_plural=many, msgstr_plural={0: um, 1: muitos}))
    where = tmp_path / "locale" / "pt_PT" / "LC_MESSAGES"
    where.mkdir(parents=True)
    po.save_as_mofile(str(where / "django.mo"))
    # Changing LOCALE_PATHS makes Django drop the translations it loaded (a test signal).
    settings.LOCALE_PATHS = [tmp_path / "locale"]


@pytest.fixture
def lisbon(staff, admin, mailoutbox):
    """The staff member reads MOT in European Portuguese; the workspace's default is Spanish."""
    Profile.objects.create(user=staff.user, language="pt-pt")
    workspace = staff.workspace
    workspace.default_language = "es"
    workspace.save()
    return staff


def test_an_alert_digest_is_in_the_recipients_language(pt_pt_catalog, lisbon, mailoutbox):
    Notification.objects.create(
        workspace=lisbon.workspace,
        recipient=lisbon,
        kind=Kind.FOLLOWUP_NEW,
        params={"touchpoint": "Checkout"},
        dedupe_key="a",
    )
    assert notifications_mail(membership_id=lisbon.pk, kind=Kind.FOLLOWUP_NEW) == 1
    (mail,) = mailoutbox
    assert mail.subject == "1 novo acompanhamento em Acme"
    assert "Estes acompanhamentos foram abertos para si" in mail.body


def test_an_alert_to_a_member_without_a_language_is_in_the_workspace_default(
    pt_pt_catalog, lisbon, workspace, mailoutbox
):
    other = make_member(workspace, Role.MANAGER, "marta")
    workspace.default_language = "pt-pt"
    workspace.save()
    Notification.objects.create(
        workspace=workspace, recipient=other, kind=Kind.FOLLOWUP_NEW, params={}, dedupe_key="b"
    )
    notifications_mail(membership_id=other.pk, kind=Kind.FOLLOWUP_NEW)
    assert mailoutbox[0].subject == "1 novo acompanhamento em Acme"


def test_the_sender_language_does_not_leak_into_an_alert(pt_pt_catalog, admin, mailoutbox):
    from django.utils import translation

    Notification.objects.create(
        workspace=admin.workspace,
        recipient=admin,
        kind=Kind.FOLLOWUP_NEW,
        params={},
        dedupe_key="c",
    )
    with translation.override("pt-pt"):  # the request or task that recorded it
        notifications_mail(membership_id=admin.pk, kind=Kind.FOLLOWUP_NEW)
    assert mailoutbox[0].subject == "1 new follow-up in Acme"


def test_an_invitation_is_in_the_invitees_language_else_the_workspaces(
    pt_pt_catalog, admin, workspace, mailoutbox, django_user_model
):
    user = django_user_model.objects.create_user("rita@x.test", "rita@x.test", "pw-123456-long")
    Profile.objects.create(user=user, language="pt-pt")
    invitation = member_invite(actor=admin, email=user.email, role=Role.STAFF, base_url="/")
    assert invitation_send(invitation_id=invitation.pk, base_url="http://mot.test")
    assert mailoutbox[-1].subject == "Foi convidado para Acme no MOT"

    # No account yet: the workspace's default.
    invitation = member_invite(actor=admin, email="new@x.test", role=Role.STAFF, base_url="/")
    invitation_send(invitation_id=invitation.pk, base_url="http://mot.test")
    assert mailoutbox[-1].subject == "You are invited to Acme on MOT"
    workspace.default_language = "pt-pt"
    workspace.save()
    invitation_send(invitation_id=invitation.pk, base_url="http://mot.test")
    assert mailoutbox[-1].subject == "Foi convidado para Acme no MOT"


def test_a_password_reset_is_in_the_accounts_language(pt_pt_catalog, lisbon, client, mailoutbox):
    response = client.post(
        reverse("password_reset"), {"email": lisbon.user.email}, HTTP_ACCEPT_LANGUAGE="ro"
    )
    assert response.status_code == 302
    (mail,) = mailoutbox
    assert "Alguém pediu para redefinir a sua palavra-passe do MOT" in mail.body
