"""Behind the reverse proxy the README recommends, limits are per client, not per proxy.

Outside testing found the survey rate limit and the login lock-out keyed on the proxy's address:
all respondents shared one budget, and ten wrong passwords for one account locked every account
out (issue 13, fault 5).
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django_ratelimit.core import _get_ip

from feedback.models import Response, SurveyLink
from mot.http import client_ip, rate_limit_client

PROXY = "10.0.0.2"
LOGIN = "/accounts/login/"


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", None, "203.0.113.7"),
        # Without trusted proxies the header is the client's own word: ignored.
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        (1, PROXY, "198.51.100.1", "198.51.100.1"),
        # A client that sends its own header cannot choose its address: the proxy appends.
        (1, PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        (2, PROXY, "1.2.3.4, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        (1, PROXY, " 2001:db8::1 ", "2001:db8::1"),
        # Not through every proxy, or garbage: the direct peer.
        (2, PROXY, "198.51.100.1", PROXY),
        (1, PROXY, "", PROXY),
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, "198.51.100.1\x00", PROXY),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, count, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from(remote, forwarded)) == expected


@pytest.mark.parametrize(
    ("count", "remote", "forwarded"),
    [
        (0, "203.0.113.7", None),
        (0, "2001:db8::7", None),
        (1, PROXY, "198.51.100.1"),
        (1, PROXY, "1.2.3.4, 2001:db8:0:0:1::9"),
        (1, PROXY, "::ffff:198.51.100.1"),
        (1, PROXY, "not-an-address"),
        (2, PROXY, "198.51.100.1"),
    ],
)
@pytest.mark.parametrize(("ipv4_mask", "ipv6_mask"), [(32, 64), (24, 48), (32, 128)])
def test_the_rate_limit_keys_a_client_as_django_ratelimit_does(
    settings, count, remote, forwarded, ipv4_mask, ipv6_mask
):
    """The survey's limiter works its client key out itself (mot.http.rate_limit_client):
    the same as django-ratelimit's own, whose counts its public get_usage reads."""
    settings.TRUSTED_PROXY_COUNT = count
    settings.RATELIMIT_IPV4_MASK, settings.RATELIMIT_IPV6_MASK = ipv4_mask, ipv6_mask
    request = request_from(remote, forwarded)
    assert rate_limit_client(request) == _get_ip(request)


def test_a_remote_address_that_is_no_address_is_refused_as_by_django_ratelimit(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for call in (rate_limit_client, _get_ip):
        with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
            call(request_from(""))


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()


@pytest.fixture
def frozen_clock():
    with mock.patch("django_ratelimit.core.time.time", return_value=1_800_000_000):
        yield


@pytest.mark.usefixtures("behind_one_proxy", "frozen_clock")
def test_survey_rate_limit_counts_each_client_behind_the_proxy(client, journey, editor, settings):
    settings.SURVEY_RATE_LIMIT = "2/m"
    link = SurveyLink.objects.create(touchpoint=journey.touchpoints.first(), created_by=editor)
    url = reverse("survey", kwargs={"token": link.token})

    def post(client_address: str, nps: str):
        return client.post(
            url, {"nps": nps}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address
        )

    assert post("198.51.100.1", "9").status_code == 302
    assert post("198.51.100.1", "8").status_code == 302
    assert post("198.51.100.1", "7").status_code == 429
    # Another respondent through the same proxy has a budget of their own.
    assert post("198.51.100.2", "10").status_code == 302
    assert Response.objects.count() == 3


@pytest.fixture
def two_accounts(db):
    users = get_user_model().objects
    return (
        users.create_user(username="ana", email="ana@example.com", password="correct-horse-1"),
        users.create_user(username="bo", email="bo@example.com", password="correct-horse-2"),
    )


@pytest.mark.usefixtures("behind_one_proxy")
def test_wrong_passwords_lock_out_one_account_from_one_address_only(client, two_accounts, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(3):
        client.post(LOGIN, {"username": "ana", "password": "wrong"}, **attacker)
    locked = client.post(LOGIN, {"username": "ana", "password": "correct-horse-1"}, **attacker)
    assert locked.status_code == 429

    # Bo, behind the same proxy, from the same office even, is not locked out.
    bo = client.post(LOGIN, {"username": "bo", "password": "correct-horse-2"}, **attacker)
    assert bo.status_code == 302
    client.logout()
    # Ana from her own address still signs in.
    ana = client.post(
        LOGIN,
        {"username": "ana", "password": "correct-horse-1"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert ana.status_code == 302
