"""The public survey's language: the visitor's pick, else the link's, else the browser's, else
the workspace's default; and the link's language as editors choose it."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from feedback.models import Response, SurveyLink
from feedback.surveys.services import survey_link_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _link(editor, touchpoint, language: str) -> SurveyLink:
    return survey_link_create(actor=editor, touchpoint=touchpoint, language=language)


def _url(link, name: str = "survey") -> str:
    return reverse(name, kwargs={"token": link.token})


def _lang(response) -> str:
    html = response.content.decode()
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match, html[:200]
    assert response.headers["Content-Language"] == match[1]
    return match[1]


@pytest.mark.parametrize(
    ("fixed", "accept", "default", "expected"),
    [
        ("ro", "es", "en", "ro"),  # the link's language wins over the browser
        ("", "es-AR,es;q=0.9", "ro", "es"),  # else the browser's
        ("", "pt", "en", "pt-br"),  # plain Portuguese is Brazilian
        ("", "de-DE,fr;q=0.5", "pt-pt", "pt-pt"),  # a browser asking for none we have
        ("", "", "es", "es"),  # no Accept-Language at all
    ],
)
def test_survey_and_thanks_pages_choose_their_language(
    client, editor, touchpoint, workspace, fixed, accept, default, expected
):
    workspace.default_language = default
    workspace.save()
    link = _link(editor, touchpoint, fixed)
    assert _lang(client.get(_url(link), HTTP_ACCEPT_LANGUAGE=accept)) == expected
    assert _lang(client.get(_url(link, "survey_thanks"), HTTP_ACCEPT_LANGUAGE=accept)) == expected


def test_the_visitors_pick_wins_and_follows_to_the_thanks_page(client, editor, touchpoint):
    link = _link(editor, touchpoint, "ro")
    page = client.get(_url(link) + "?lang=es", HTTP_ACCEPT_LANGUAGE="pt")
    assert _lang(page) == "es"
    response = client.post(_url(link) + "?lang=es", {"nps": "9"}, HTTP_ACCEPT_LANGUAGE="pt")
    assert response.status_code == 302
    assert response.url == _url(link, "survey_thanks") + "?lang=es"
    assert Response.objects.get().language == "es"
    assert _lang(client.get(response.url)) == "es"


def test_a_pick_not_offered_is_ignored(client, editor, touchpoint):
    link = _link(editor, touchpoint, "")
    assert _lang(client.get(_url(link) + "?lang=xx", HTTP_ACCEPT_LANGUAGE="ro")) == "ro"


def test_the_switch_is_visible_and_keeps_customer_and_answer_token(client, editor, touchpoint):
    link = _link(editor, touchpoint, "")
    html = client.get(_url(link) + "?c=cust-7", HTTP_ACCEPT_LANGUAGE="ro").content.decode()
    token = re.search(r'name="submission" value="([^"]+)"', html)[1]
    switch = re.search(r'<nav class="survey-languages".*?</nav>', html, re.S)[0]
    assert 'aria-current="true">Română<' in switch
    links = re.findall(r'href="\?([^"]+)" lang="([^"]+)"', switch)
    assert [lang for _q, lang in links] == ["en", "pt-br", "pt-pt", "es", "ro"]
    for query, lang in links:
        assert query == f"lang={lang}&amp;c=cust-7&amp;t={token}"
    # Following a switch link keeps the token: the answer is still stored once.
    switched = client.get(_url(link) + f"?lang=es&c=cust-7&t={token}").content.decode()
    assert f'name="submission" value="{token}"' in switched
    assert 'name="customer" value="cust-7"' in switched
    form = {"submission": token, "customer": "cust-7", "nps": "9"}
    client.post(_url(link) + "?lang=pt-pt", form)
    client.post(_url(link) + "?lang=es", form)
    assert Response.objects.count() == 1


def test_a_mangled_token_in_the_switch_gets_a_new_one(client, editor, touchpoint):
    link = _link(editor, touchpoint, "")
    html = client.get(_url(link) + "?t=not-a-uuid").content.decode()
    token = re.search(r'name="submission" value="([^"]+)"', html)[1]
    assert uuid.UUID(token).version == 4


def test_a_page_with_errors_keeps_its_language_and_token(client, editor, touchpoint):
    link = _link(editor, touchpoint, "")
    token = str(uuid.uuid4())
    response = client.post(_url(link) + "?lang=ro", {"submission": token})
    assert response.status_code == 422
    assert _lang(response) == "ro"
    assert f"t={token}" in response.content.decode()


def test_the_thanks_page_has_the_switch_too(client, editor, touchpoint):
    link = _link(editor, touchpoint, "pt-pt")
    html = client.get(_url(link, "survey_thanks")).content.decode()
    assert 'href="?lang=ro" lang="ro"' in html


def test_a_signed_in_members_language_does_not_apply_to_a_survey(client, editor, touchpoint):
    from mot.models import Profile

    Profile.objects.create(user=editor.user, language="ro")
    login(client, editor)
    link = _link(editor, touchpoint, "")
    assert _lang(client.get(_url(link), HTTP_ACCEPT_LANGUAGE="es")) == "es"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_survey_costs_no_more_queries_than_before(
    client, editor, touchpoint, method, django_assert_num_queries
):
    """One statement reads the link, its workspace's language and rule; a post adds the
    answer's insert (as test_public.py pins on PostgreSQL)."""
    link = _link(editor, touchpoint, "")
    expected = 1 if method == "GET" else 2
    with django_assert_num_queries(expected):
        if method == "GET":
            response = client.get(_url(link) + "?lang=ro", HTTP_ACCEPT_LANGUAGE="es")
        else:
            response = client.post(_url(link) + "?lang=ro", {"nps": "9"})
    assert response.status_code == (200 if method == "GET" else 302)


# --- the link's language, chosen by editors ---------------------------------------------------


def test_a_new_link_defaults_to_the_workspace_language(client, editor, touchpoint, workspace):
    workspace.default_language = "pt-pt"
    workspace.save()
    login(client, editor)
    page = client.get(reverse("feedback:survey_links", kwargs={"ws": "acme", "pk": touchpoint.pk}))
    html = page.content.decode()
    assert '<option value="pt-pt" selected>' in html
    # And for links made by code rather than the form.
    assert survey_link_create(actor=editor, touchpoint=touchpoint).language == "pt-pt"


@pytest.mark.parametrize("chosen", ["", "es", "ro"])
def test_editors_fix_a_links_language_or_leave_it_to_the_browser(
    client, editor, touchpoint, chosen
):
    login(client, editor)
    new = reverse("feedback:survey_link_new", kwargs={"ws": "acme", "pk": touchpoint.pk})
    assert client.post(new, {"language": chosen}).status_code == 302
    assert SurveyLink.objects.get().language == chosen


def test_a_language_not_offered_falls_back_to_the_workspace_default(client, editor, touchpoint):
    login(client, editor)
    new = reverse("feedback:survey_link_new", kwargs={"ws": "acme", "pk": touchpoint.pk})
    client.post(new, {"language": "de"})
    assert SurveyLink.objects.get().language == "en"
