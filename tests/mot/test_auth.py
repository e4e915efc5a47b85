import pytest
from django.contrib.auth import get_user_model

from mot.auth import EmailOrUsernameBackend


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user(
        username="ana", email="Ana@Example.com", password="correct-horse-battery"
    )


def test_member_signs_in_with_email_in_any_case(client, person):
    response = client.post(
        "/accounts/login/", {"username": "ana@example.COM", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_member_signs_in_with_username(client, person):
    response = client.post(
        "/accounts/login/", {"username": "ana", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302


def test_wrong_password_with_email_is_refused(person):
    backend = EmailOrUsernameBackend()
    assert backend.authenticate(None, username="ana@example.com", password="nope") is None


def test_ambiguous_email_does_not_pick_an_account(person):
    get_user_model().objects.create_user(
        username="ana2", email="ana@example.com", password="correct-horse-battery"
    )
    backend = EmailOrUsernameBackend()
    assert (
        backend.authenticate(None, username="ana@example.com", password="correct-horse-battery")
        is None
    )


def test_inactive_user_cannot_sign_in_by_email(person):
    person.is_active = False
    person.save()
    backend = EmailOrUsernameBackend()
    assert (
        backend.authenticate(None, username="ana@example.com", password="correct-horse-battery")
        is None
    )
