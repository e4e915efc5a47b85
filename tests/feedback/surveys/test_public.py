"""The public survey page: no login, stores each answer once, refuses bad values, rate-limited."""

from __future__ import annotations

import re
import uuid
from unittest import mock
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from feedback.models import Customer, Response, Source
from feedback.surveys.services import survey_link_create, survey_link_revoke
from journeys.services import journey_create, stage_create, touchpoint_create
from mot.urls import urlpatterns
from tests.redis_trips import round_trips

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache")]


def survey_url(link, **query):
    url = reverse("survey", kwargs={"token": link.token})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def rendered_form(client, link, **query) -> dict[str, str]:
    """The hidden fields of the form as rendered, like a browser would post them back."""
    html = client.get(survey_url(link, **query)).content.decode()
    fields = {}
    for name in ("customer", "submission"):
        match = re.search(rf'<input type="hidden" name="{name}"(?: value="([^"]*)")?', html)
        assert match, name
        fields[name] = match.group(1) or ""
    return fields


def test_survey_page_needs_no_login_and_works_on_a_phone(client, link):
    response = client.get(survey_url(link))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport"' in html
    # The internal touchpoint name is never shown to customers: a neutral title instead.
    assert "Reviews" not in html
    assert "How was your experience?" in html
    for n in range(11):
        assert f'name="nps" value="{n}"' in html
    assert 'name="nps" value="11"' not in html
    for name in ("csat", "respect", "solutions", "simplicity", "responsibility"):
        for n in range(1, 6):
            assert f'name="{name}" value="{n}"' in html
    assert "not at all likely" in html
    assert "extremely likely" in html
    assert 'name="comment"' in html


def test_valid_answer_is_stored_once_and_thanked(client, link, touchpoint, workspace):
    form = rendered_form(client, link)
    response = client.post(
        survey_url(link),
        {**form, "nps": "9", "csat": "4", "respect": "5", "simplicity": "3", "comment": "Great"},
    )
    assert response.status_code == 302
    thanks_url = reverse("survey_thanks", kwargs={"token": link.token})
    assert response.url == f"{thanks_url}?s={form['submission']}"
    answer = Response.objects.get()
    assert answer.touchpoint == touchpoint
    assert answer.workspace == workspace
    assert answer.source == Source.SURVEY_LINK
    assert answer.external_id == form["submission"]
    assert (answer.nps, answer.csat, answer.respect, answer.solutions) == (9, 4, 5, None)
    assert (answer.simplicity, answer.responsibility) == (3, None)
    assert answer.comment == "Great"
    assert answer.customer is None
    thanks = client.get(response.url)
    assert thanks.status_code == 200
    assert "Thank you" in thanks.content.decode()


def test_customer_from_the_link_is_tied_to_the_answer(client, link, workspace):
    form = rendered_form(client, link, c="CUST-42")
    assert form["customer"] == "CUST-42"
    assert client.post(survey_url(link), {**form, "csat": "5"}).status_code == 302
    answer = Response.objects.get()
    assert answer.customer.external_id == "CUST-42"
    assert answer.customer.workspace == workspace


def test_customer_id_is_escaped_in_the_hidden_field(client, link):
    html = client.get(survey_url(link, c='"><script>x</script>')).content.decode()
    assert "<script>x</script>" not in html


def test_answering_twice_stores_two_answers(client, link):
    for _ in range(2):
        form = rendered_form(client, link)
        assert client.post(survey_url(link), {**form, "nps": "7"}).status_code == 302
    assert Response.objects.count() == 2


def test_double_submit_of_the_same_form_is_stored_once(client, link):
    form = rendered_form(client, link)
    for _ in range(2):
        assert client.post(survey_url(link), {**form, "nps": "7"}).status_code == 302
    assert Response.objects.count() == 1


def test_post_without_a_submission_id_still_stores_the_answer(client, link):
    assert client.post(survey_url(link), {"nps": "3"}).status_code == 302
    assert client.post(survey_url(link), {"nps": "3", "submission": "junk"}).status_code == 302
    assert Response.objects.count() == 2
    for answer in Response.objects.all():
        uuid.UUID(answer.external_id)


@pytest.mark.parametrize(
    ("data", "field", "label"),
    [
        ({"nps": "11"}, "nps", "How likely are you to recommend us"),
        ({"nps": "abc"}, "nps", "How likely are you to recommend us"),
        ({"nps": "-1"}, "nps", "How likely are you to recommend us"),
        ({"csat": "0"}, "csat", "How satisfied are you"),
        ({"csat": "6"}, "csat", "How satisfied are you"),
        ({"nps": "5", "respect": "9"}, "respect", "Respect"),
        ({"comment": "no scores"}, "nps", "How likely are you to recommend us"),
        ({}, "nps", "How likely are you to recommend us"),
    ],
)
def test_bad_values_are_refused_naming_the_field(client, link, data, field, label):
    response = client.post(survey_url(link), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert label in html
    assert f'href="#id_{field}"' in html
    assert not Response.objects.exists()


def test_refused_form_keeps_the_customer_and_submission(client, link):
    form = rendered_form(client, link, c="C7")
    response = client.post(survey_url(link), {**form, "nps": "11"})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'value="{form["submission"]}"' in html
    assert 'value="C7"' in html


def test_revoked_link_says_so_and_stores_nothing(client, link, editor):
    form = rendered_form(client, link)
    survey_link_revoke(actor=editor, link=link)
    get = client.get(survey_url(link))
    assert get.status_code == 410
    assert "no longer active" in get.content.decode()
    post = client.post(survey_url(link), {**form, "nps": "9"})
    assert post.status_code == 410
    assert "no longer active" in post.content.decode()
    assert not Response.objects.exists()


def test_unknown_token_is_404(client):
    response = client.get(reverse("survey", kwargs={"token": "no-such-token"}))
    assert response.status_code == 404
    assert "no longer active" in response.content.decode()
    assert client.post("/s/no-such-token/", {"nps": "9"}).status_code == 404
    assert client.get("/s/no-such-token/thanks/").status_code == 404
    assert not Response.objects.exists()


def test_a_link_only_stores_into_its_own_touchpoint_and_workspace(client, link, outsider):
    other = journey_create(actor=outsider, name="Theirs", persona="")
    stage = stage_create(actor=outsider, journey=other, name="S")
    their_tp = touchpoint_create(actor=outsider, stage=stage, title="T")
    form = rendered_form(client, link)
    # Extra fields naming another touchpoint or workspace are ignored.
    data = {**form, "nps": "1", "touchpoint": their_tp.pk, "workspace": outsider.workspace_id}
    assert client.post(survey_url(link), data).status_code == 302
    answer = Response.objects.get()
    assert answer.touchpoint_id == link.touchpoint_id
    assert answer.workspace_id == link.touchpoint.journey.workspace_id
    assert not Customer.objects.filter(workspace=outsider.workspace).exists()


def test_public_page_enforces_csrf(link):
    client = Client(enforce_csrf_checks=True)
    assert client.post(survey_url(link), {"nps": "9"}).status_code == 403
    assert not Response.objects.exists()
    page = client.get(survey_url(link))
    token = page.context["csrf_token"]
    form = {"csrfmiddlewaretoken": token, "nps": "9"}
    assert client.post(survey_url(link), form).status_code == 302
    assert Response.objects.count() == 1


def test_language_of_the_visitor_is_stored(client, touchpoint, editor):
    # A link following the visitor's browser: the answer records the language the page was in.
    link = survey_link_create(actor=editor, touchpoint=touchpoint, language="")
    response = client.post(survey_url(link), {"nps": "8"}, HTTP_ACCEPT_LANGUAGE="pt")
    assert response.status_code == 302
    assert Response.objects.get().language == response.wsgi_request.LANGUAGE_CODE == "pt-br"


def test_a_fixed_language_is_the_answers_language(client, touchpoint, editor):
    link = survey_link_create(actor=editor, touchpoint=touchpoint, language="ro")
    response = client.post(survey_url(link), {"nps": "8"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    assert Response.objects.get().language == "ro"


@pytest.fixture
def frozen_clock():
    # The rate limit's 60-second window must not roll over halfway through a test.
    with mock.patch("django_ratelimit.core.time.time", return_value=1_800_000_000):
        yield


@pytest.mark.usefixtures("frozen_clock")
def test_21st_post_in_a_minute_is_rate_limited(client, link):
    for n in range(20):
        response = client.post(survey_url(link), {"nps": str(n % 11)})
        assert response.status_code == 302, n
    response = client.post(survey_url(link), {"nps": "9"})
    assert response.status_code == 429
    assert "Too many answers" in response.content.decode()
    assert Response.objects.count() == 20
    # Reading the survey is not limited; another address is counted on its own.
    assert client.get(survey_url(link)).status_code == 200
    other = client.post(survey_url(link), {"nps": "9"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


@pytest.mark.usefixtures("frozen_clock")
def test_the_limiter_counts_under_django_ratelimits_own_key(client, link, rf):
    """The view counts with django-ratelimit's (private) key and window helpers in one round
    trip: its public get_usage must read the same count for the same client."""
    from django_ratelimit.core import get_usage

    for _ in range(3):
        assert client.post(survey_url(link), {"nps": "5"}).status_code == 302
    request = rf.post(survey_url(link), REMOTE_ADDR="127.0.0.1")
    usage = get_usage(request, group="survey", key="ip", rate="20/m", method="POST")
    assert usage["count"] == 3


@pytest.mark.usefixtures("frozen_clock")
def test_rate_limit_follows_the_setting(client, link, settings):
    settings.SURVEY_RATE_LIMIT = "2/m"
    assert client.post(survey_url(link), {"nps": "1"}).status_code == 302
    assert client.post(survey_url(link), {"nps": "abc"}).status_code == 422  # bad posts count too
    limited = client.post(survey_url(link), {"nps": "2"}, HTTP_ACCEPT_LANGUAGE="pt")
    assert limited.status_code == 429
    assert Response.objects.count() == 1


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
value = st.one_of(text, st.sampled_from([str(n) for n in range(-1, 12)]))
FIELDS = (
    "nps",
    "csat",
    "respect",
    "solutions",
    "simplicity",
    "responsibility",
    "comment",
    "customer",
    "submission",
)


@hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, value)), token=text)
def test_fuzz_never_500(client, link, settings, data, token):
    settings.SURVEY_RATE_LIMIT = "100000/m"
    before = Response.objects.count()
    response = client.post(survey_url(link), data)
    assert response.status_code in (302, 422)
    assert Response.objects.count() - before in (0, 1)
    assert Response.objects.count() - before == (1 if response.status_code == 302 else 0)
    # A customer id with a NUL is refused by the one input check (422), any other is shown.
    customer = data.get("customer", "")
    expected = 422 if "\x00" in customer else 200
    assert client.get(survey_url(link), {"c": customer}).status_code == expected
    assert client.get(f"/s/{quote(token, safe='')}x/").status_code in (200, 404, 410)


def test_a_token_outside_the_url_safe_alphabet_is_not_looked_up(client, link):
    # Tokens are URL-safe base64; a NUL or other character never reaches the database (where a
    # NUL would be an error rather than "no such link").
    assert client.get("/s/abc%00def/").status_code == 404
    assert client.get("/s/abc%20def/").status_code == 404
    assert client.post(f"/s/{link.token}%00/", {}).status_code == 404
    assert client.get(f"/s/{link.token}/").status_code == 200


@pytest.mark.parametrize(
    ("answer", "opened"), [({"nps": "9"}, 0), ({"nps": "2", "comment": "Nobody came"}, 1)]
)
def test_a_survey_answer_costs_two_statements_on_postgresql(
    require_postgres, client, link, answer, opened, django_assert_num_queries
):
    """The survey post is MOT's busiest request (bench/survey_load.py): the link with its
    touchpoint and rule in one SELECT, the answer and any follow-up in one INSERT, in
    autocommit (no BEGIN/COMMIT round trips)."""
    from feedback.followups.models import FollowUp

    form = rendered_form(client, link)
    with django_assert_num_queries(2) as captured:
        response = client.post(survey_url(link), {**form, **answer})
    assert response.status_code == 302
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements == ["SELECT", "WITH" if opened else "INSERT"]
    assert Response.objects.count() == 1
    assert FollowUp.objects.count() == opened
    # And sending it again stores nothing more.
    client.post(survey_url(link), {**form, **answer})
    assert (Response.objects.count(), FollowUp.objects.count()) == (1, opened)


def test_the_survey_statements_are_prepared_once_per_connection(require_postgres, client, link):
    """Planning the link's four-table join cost the database more than running it: both of the
    POST's statements are prepared on the connection, then only executed."""
    from django.db import connection

    for nps in ("9", "2", "9", "2"):  # each statement prepared the second time it runs
        assert client.post(survey_url(link), {"nps": nps, "comment": "Slow"}).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("feedback_surveylink" in text for text in prepared), prepared
    assert any(text.lstrip().startswith("INSERT") for text in prepared), prepared
    assert any(text.lstrip().startswith("WITH") for text in prepared), prepared


@pytest.mark.parametrize(
    ("answer", "opened", "sent"),
    [
        ({"nps": "9"}, 0, ["MGET"]),
        ({"nps": "2", "comment": "Nobody came"}, 1, ["MGET", "SET"]),
    ],
)
def test_a_survey_answer_costs_two_redis_round_trips(
    require_redis,
    settings,
    client,
    link,
    answer,
    opened,
    sent,
    django_capture_on_commit_callbacks,
):
    """Besides its two statements, a survey answer pays Redis twice while a burst is under
    way (a recompute queued, the journey noted, its follow-ups' announcement queued): the
    rate limit's count before storing, then one pipeline that reads whether the metrics are
    noted and adds the announcement's marker. The workspace has no webhook: no third trip."""
    from django.core.cache import cache

    from feedback.followups.alerts import announce_marker
    from metrics.services import metrics_note_keys

    settings.CACHES = {
        "default": {
            "BACKEND": "mot.cache.TolerantRedisCache",
            "LOCATION": require_redis,
            "KEY_PREFIX": f"mot-test-trips-{uuid.uuid4().hex}",
        }
    }
    workspace_id = link.touchpoint.journey.workspace_id
    pending, noted = metrics_note_keys(workspace_id)
    marker, _timeout = announce_marker(workspace_id)
    cache.set_many({pending: 1, noted: ["*"], marker: 1}, timeout=60)
    form = rendered_form(client, link)
    with round_trips() as trips, django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(survey_url(link), {**form, **answer})
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert trips == [["EVAL"], sent], trips
    from feedback.followups.models import FollowUp

    assert (Response.objects.count(), FollowUp.objects.count()) == (1, opened)
    cache.delete_many([pending, noted, marker])


def test_the_public_survey_is_the_first_url_pattern_tried():
    """Django tries mot.urls' patterns in order: the busiest requests, the survey's, match the
    first, and nothing else lives under s/ (the survey's include would shadow it)."""
    first = get_resolver("mot.urls").url_patterns[0]
    assert str(first.pattern) == "s/<slug:token>/"
    assert first.urlconf_module.__name__ == "feedback.surveys.public_urls"
    assert not [p for p in urlpatterns[1:] if str(p.pattern).startswith("s/")]
