"""The survey editor: what a link's survey asks and says, the workspace's logo and colour, the
Surveys page with its QR codes and embed snippets, and who may frame a survey."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from feedback.models import Response, SurveyBranding, SurveyLink
from feedback.surveys.config import QUESTIONS, survey_of
from feedback.surveys.editor import LOGO_MAX_BYTES, BrandingForm, SurveyEditorForm, clean_origins
from mot.models import Role
from tests.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache")]


def survey_url(link, **query):
    url = reverse("survey", kwargs={"token": link.token})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def edit_url(link, ws="acme"):
    return reverse("feedback:survey_link_edit", kwargs={"ws": ws, "pk": link.pk})


def editor_data(**changes) -> dict[str, str]:
    """The editor's form as a browser posts it: MOT's default survey, then ``changes``."""
    data: dict[str, str] = {"language": "en", "thanks_url": "", "frame_origins": ""}
    for position, key in enumerate(QUESTIONS, start=1):
        data[f"order_{key}"] = str(position)
        if key != "ces":
            data[f"ask_{key}"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def save(client, link, **changes):
    return client.post(edit_url(link), editor_data(**changes))


def png(width=40, height=20, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


# --- the editor's form -----------------------------------------------------------------------


def test_the_editor_saves_questions_order_wording_and_required(client, editor, link):
    response = save(
        login(client, editor),
        link,
        ask_respect=None,
        ask_solutions=None,
        ask_simplicity=None,
        ask_responsibility=None,
        ask_contact=None,
        ask_ces="on",
        required_ces="on",
        order_ces="1",
        order_nps="2",
        order_csat="9",
        label_nps_en="Would you recommend Acme?",
        **{"label_nps_pt-br": "Você recomendaria a Acme?", "title_pt-br": "Como foi?"},
        title_en="Your visit",
        intro_en="Two questions, one minute.",
        thanks_en="Thanks a lot.",
        thanks_url="https://acme.example/next",
    )
    assert response.status_code == 302
    link.refresh_from_db()
    survey = survey_of(link.config)
    assert [q.key for q in survey.questions] == ["ces", "nps", "comment", "csat"]
    assert [q.required for q in survey.questions] == [True, False, False, False]
    assert survey.title("en") == "Your visit"
    assert survey.title("pt-br") == "Como foi?"
    assert survey.title("es") == "How was your experience?"  # MOT's default (English here)
    assert survey.questions[1].label("pt-br") == "Você recomendaria a Acme?"
    assert survey.thanks_url == "https://acme.example/next"
    # And the editor shows what was saved.
    page = client.get(edit_url(link)).content.decode()
    assert 'value="Your visit"' in page
    assert re.search(r'name="ask_ces"[^>]*checked', page)
    assert not re.search(r'name="ask_respect"[^>]*checked', page)


def test_a_survey_asks_nps_or_csat():
    form = SurveyEditorForm(editor_data(ask_nps=None, ask_csat=None))
    assert not form.is_valid()
    assert "NPS or CSAT" in str(form.non_field_errors())


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,hi", "ftp://acme.example/", "//evil", "not a url"],
)
def test_the_thank_you_link_is_http_or_https_only(url):
    form = SurveyEditorForm(editor_data(thanks_url=url))
    assert not form.is_valid()
    assert "thanks_url" in form.errors


@pytest.mark.parametrize(
    "origin",
    [
        "https://acme.example/path",
        "https://acme.example; script-src *",
        "https://*.acme.example",
        "'self'",
        "*",
        "javascript:alert(1)",
        "https://acme.example?x=1",
        "https://acme example",
        'https://acme.example"',
    ],
)
def test_frame_origins_refuse_anything_but_an_origin(origin):
    with pytest.raises(Exception, match="not an origin"):
        clean_origins(origin)


def test_frame_origins_are_normalised_and_capped():
    listed = "https://Acme.example/\n\nhttp://localhost:8080\nhttps://acme.example"
    assert clean_origins(listed) == ["https://acme.example", "http://localhost:8080"]
    many = "\n".join(f"https://s{n}.example" for n in range(11))
    with pytest.raises(Exception, match="at most 10"):
        clean_origins(many)


def test_texts_are_too_long_past_their_limits():
    form = SurveyEditorForm(editor_data(title_en="x" * 201, label_nps_en="y" * 301))
    assert not form.is_valid()
    assert {"title_en", "label_nps_en"} <= form.errors.keys()


# --- the public survey as edited -------------------------------------------------------------


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_the_survey_shows_the_chosen_questions_in_order_and_wording(client, editor, link):
    save(
        login(client, editor),
        link,
        ask_respect=None,
        ask_solutions=None,
        ask_simplicity=None,
        ask_responsibility=None,
        ask_ces="on",
        order_ces="1",
        order_nps="2",
        order_csat="20",
        label_csat_en="Happy with the delivery?",
        title_en="Your delivery",
        intro_en="Line one\nline two",
    )
    client.logout()
    html = client.get(survey_url(link)).content.decode()
    assert "<h1>Your delivery</h1>" in html
    assert "Line one<br>line two" in html
    assert "Reviews" not in html  # the touchpoint's internal name
    names = re.findall(r'<fieldset id="id_(\w+)"', html)
    assert names == ["ces", "nps", "csat"]
    assert "Happy with the delivery?" in html
    assert "The company made it easy to handle my issue." in html
    for n in range(1, 8):
        assert f'name="ces" value="{n}"' in html
    assert 'name="respect"' not in html
    assert html.index('name="comment"') < html.index('name="contact"')


def test_editor_texts_are_escaped_on_the_survey_and_thanks_pages(client, editor, link):
    save(
        login(client, editor),
        link,
        title_en=HOSTILE,
        intro_en=HOSTILE,
        label_nps_en=HOSTILE,
        thanks_en=HOSTILE,
    )
    client.logout()
    html = client.get(survey_url(link)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert html.count("&lt;script&gt;") >= 3
    submission = "c2a8e2b9-3f0e-4c68-9d1c-1b1f6f0e1a11"
    client.post(survey_url(link), {"nps": "9", "submission": submission})
    thanks = client.get(
        reverse("survey_thanks", kwargs={"token": link.token})
        + "?s=c2a8e2b9-3f0e-4c68-9d1c-1b1f6f0e1a11"
    ).content.decode()
    assert "<script>alert" not in thanks
    assert "&lt;script&gt;" in thanks


def test_required_questions_are_enforced_and_unasked_ones_never_stored(client, editor, link):
    save(
        login(client, editor),
        link,
        ask_ces="on",
        required_ces="on",
        required_comment="on",
        ask_respect=None,
    )
    client.logout()
    refused = client.post(survey_url(link), {"nps": "9", "ces": "", "comment": ""})
    assert refused.status_code == 422
    text = refused.content.decode()
    assert 'href="#id_ces"' in text
    assert 'href="#id_comment"' in text
    assert not Response.objects.exists()
    stored = client.post(
        survey_url(link), {"nps": "9", "ces": "6", "comment": "Easy", "respect": "2"}
    )
    assert stored.status_code == 302
    answer = Response.objects.get()
    assert (answer.nps, answer.ces, answer.comment) == (9, 6, "Easy")
    assert answer.respect is None  # posted, but the survey does not ask it


def test_a_ces_outside_its_scale_is_refused(client, editor, link):
    save(login(client, editor), link, ask_ces="on")
    client.logout()
    assert client.post(survey_url(link), {"nps": "9", "ces": "8"}).status_code == 422
    assert not Response.objects.exists()


def test_the_only_score_asked_is_required(client, editor, link):
    save(login(client, editor), link, ask_nps=None)
    client.logout()
    response = client.post(survey_url(link), {"comment": "no score"})
    assert response.status_code == 422
    assert 'href="#id_csat"' in response.content.decode()
    assert not Response.objects.exists()


def test_an_edited_survey_still_stores_an_answer_once(client, editor, link):
    save(login(client, editor), link, ask_ces="on", title_en="Hi")
    client.logout()
    form = {"nps": "9", "ces": "7", "submission": "5b0d4a8e-2c55-4a4e-8f6a-0f3b8d6c2a10"}
    assert client.post(survey_url(link), form).status_code == 302
    assert client.post(survey_url(link), form).status_code == 302
    assert Response.objects.count() == 1


def test_an_edited_survey_answer_costs_two_statements_on_postgresql(
    require_postgres, client, editor, link, django_assert_num_queries
):
    save(login(client, editor), link, ask_ces="on", required_ces="on", title_en="Hi")
    SurveyBranding.objects.create(workspace=editor.workspace, accent="#aa0000")
    client.logout()
    with django_assert_num_queries(2):
        response = client.post(survey_url(link), {"nps": "9", "ces": "5"})
    assert response.status_code == 302
    assert Response.objects.get().ces == 5


def test_thanks_page_says_the_editors_text_and_link(client, editor, link):
    save(
        login(client, editor),
        link,
        thanks_en="See you soon.",
        thanks_url="https://acme.example/next?a=1&b=2",
    )
    client.logout()
    html = client.get(reverse("survey_thanks", kwargs={"token": link.token})).content.decode()
    assert "See you soon." in html
    assert 'href="https://acme.example/next?a=1&amp;b=2"' in html


def test_the_language_switch_keeps_working_with_edited_wording(client, editor, link):
    save(
        login(client, editor),
        link,
        language="",
        title_en="Hello",
        **{"title_pt-br": "Olá", "label_nps_pt-br": "Recomendaria?"},
    )
    client.logout()
    html = client.get(survey_url(link, lang="pt-br")).content.decode()
    assert "<h1>Olá</h1>" in html
    assert "Recomendaria?" in html
    assert 'lang="pt-br"' in html
    spanish = client.get(survey_url(link, lang="es")).content.decode()
    assert "<h1>Hello</h1>" not in spanish  # no Spanish title: MOT's, in Spanish


# --- branding --------------------------------------------------------------------------------


def branding_url(ws="acme"):
    return reverse("feedback:surveys_branding", kwargs={"ws": ws})


def test_a_logo_and_accent_show_on_the_survey(client, editor, link):
    logo = png()
    upload = SimpleUploadedFile("logo.png", logo, content_type="image/png")
    response = login(client, editor).post(branding_url(), {"logo": upload, "accent": "#AA3300"})
    assert response.status_code == 302
    branding = SurveyBranding.objects.get(workspace=editor.workspace)
    assert (branding.logo_type, branding.accent) == ("image/png", "#aa3300")
    client.logout()
    page = client.get(survey_url(link))
    html = page.content.decode()
    logo_url = reverse("survey_logo", kwargs={"token": link.token, "digest": branding.logo_hash})
    assert f'src="{logo_url}"' in html
    # The colour comes as a stylesheet of its own (the CSP allows no inline <style>).
    accent_url = reverse("survey_accent", kwargs={"colour": "aa3300"})
    assert f'<link rel="stylesheet" href="{accent_url}">' in html
    css = client.get(accent_url)
    assert css["Content-Type"] == "text/css"
    assert css.content == b":root{--accent:#aa3300}\n"
    assert client.get("/s-accent/aa33zz.css").status_code == 404
    served = client.get(logo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served) == logo
    assert client.get(logo_url.replace(branding.logo_hash, "0" * 16)).status_code == 404


def test_a_logo_is_judged_by_its_content_not_its_name():
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    form = BrandingForm({}, {"logo": fake})
    assert not form.is_valid()
    assert "logo" in form.errors
    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert not BrandingForm({}, {"logo": svg}).is_valid()
    named_wrong = SimpleUploadedFile("logo.txt", png(fmt="JPEG"), content_type="text/plain")
    form = BrandingForm({}, {"logo": named_wrong})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["logo"][1] == "image/jpeg"


def test_a_logo_over_the_size_cap_is_refused():
    big = Image.effect_noise((400, 400), 100).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > LOGO_MAX_BYTES
    form = BrandingForm({}, {"logo": SimpleUploadedFile("big.png", buffer.getvalue())})
    assert not form.is_valid()
    assert "200 KB" in str(form.errors["logo"])


@pytest.mark.parametrize("accent", ["red", "#12345", "#1234567", "#gggggg", "#123;}body{"])
def test_an_accent_must_be_a_hex_colour(accent):
    form = BrandingForm({"accent": accent})
    assert not form.is_valid()
    assert "accent" in form.errors


def test_removing_the_logo(client, editor, link):
    login(client, editor).post(
        branding_url(), {"logo": SimpleUploadedFile("l.png", png()), "accent": ""}
    )
    digest = SurveyBranding.objects.get().logo_hash
    client.post(branding_url(), {"remove_logo": "on", "accent": ""})
    branding = SurveyBranding.objects.get()
    assert (branding.logo, branding.logo_hash) == (None, "")
    logo_url = reverse("survey_logo", kwargs={"token": link.token, "digest": digest})
    assert client.get(logo_url).status_code == 404


# --- who may frame a survey ------------------------------------------------------------------


def frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]+)", policy).group(1).strip()


def test_a_survey_may_be_framed_only_by_the_origins_its_link_lists(
    client, editor, link, touchpoint
):
    from feedback.surveys.services import survey_link_create

    other = survey_link_create(actor=editor, touchpoint=touchpoint)
    save(login(client, editor), link, frame_origins="https://shop.example\nhttps://help.example")
    # The rest of MOT (the editor itself included) keeps 'none'.
    assert frame_ancestors(client.get(edit_url(link))) == "'none'"
    client.logout()
    framed = client.get(survey_url(link))
    assert frame_ancestors(framed) == "https://shop.example https://help.example"
    assert "X-Frame-Options" not in framed
    thanks = client.get(reverse("survey_thanks", kwargs={"token": link.token}))
    assert frame_ancestors(thanks) == "https://shop.example https://help.example"
    unframed = client.get(survey_url(other))
    assert frame_ancestors(unframed) == "'none'"
    assert unframed["X-Frame-Options"] == "DENY"
    assert frame_ancestors(client.get("/accounts/login/")) == "'none'"


# --- preview, Surveys page, QR codes ---------------------------------------------------------


def test_the_preview_stores_and_counts_nothing_and_only_mot_may_frame_it(client, editor, link):
    save(login(client, editor), link, title_en="Preview me")
    url = reverse("feedback:survey_link_preview", kwargs={"ws": "acme", "pk": link.pk})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview me" in html
    assert "answers are not stored" in html
    assert re.search(r'<button type="submit" disabled>', html)
    assert frame_ancestors(response) == "'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    link.refresh_from_db()
    assert link.opens == 0
    editor_page = client.get(edit_url(link)).content.decode()
    assert editor_page.count(f'src="{url}"') == 2  # phone and desktop


def test_the_surveys_page_lists_every_link_with_its_numbers_and_shares(
    client, editor, link, touchpoint, django_assert_max_num_queries
):
    SurveyLink.objects.filter(pk=link.pk).update(opens=10, submissions=4, invited=8)
    login(client, editor)
    url = reverse("feedback:surveys", kwargs={"ws": "acme"})
    with django_assert_max_num_queries(6):
        html = client.get(url).content.decode()
    assert f"http://testserver/s/{link.token}/" in html
    assert "Reviews" in html
    assert touchpoint.journey.name in html
    assert '<td class="num link-opens">10</td>' in html
    assert "50.0%" in html
    assert "Active" in html
    assert 'data-copy="link-url-' in html
    assert f"&lt;iframe src=&quot;http://testserver/s/{link.token}/&quot;" in html or (
        f'&lt;iframe src="http://testserver/s/{link.token}/"' in html
    )
    assert reverse("feedback:survey_link_qr_svg", kwargs={"ws": "acme", "pk": link.pk}) in html
    filtered = client.get(f"{url}?touchpoint={touchpoint.pk}").content.decode()
    assert f"/s/{link.token}/" in filtered
    other = client.get(f"{url}?touchpoint=999999").content.decode()
    assert f"/s/{link.token}/" not in other
    # In the navigation for the roles that manage links.
    assert f'href="{url}"' in html


def test_qr_codes_come_as_png_and_svg_downloads(client, editor, link):
    login(client, editor)
    png_response = client.get(
        reverse("feedback:survey_link_qr_png", kwargs={"ws": "acme", "pk": link.pk})
    )
    assert png_response["Content-Type"] == "image/png"
    assert "attachment" in png_response["Content-Disposition"]
    image = Image.open(io.BytesIO(png_response.content))
    assert image.format == "PNG"
    assert image.size[0] == image.size[1]
    svg = client.get(reverse("feedback:survey_link_qr_svg", kwargs={"ws": "acme", "pk": link.pk}))
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    assert b"<script" not in svg.content


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.MANAGER, 403), (Role.STAFF, 403)],
)
def test_the_new_pages_follow_the_role_matrix(client, personas, link, role, status):
    login(client, personas[role])
    for name in (
        "feedback:survey_link_edit",
        "feedback:survey_link_preview",
        "feedback:survey_link_qr_png",
        "feedback:survey_link_qr_svg",
    ):
        url = reverse(name, kwargs={"ws": "acme", "pk": link.pk})
        assert client.get(url).status_code == status, name
    assert client.get(reverse("feedback:surveys", kwargs={"ws": "acme"})).status_code == status
    before = SurveyLink.objects.get(pk=link.pk).config
    response = client.post(edit_url(link), editor_data(title_en="Changed"))
    assert response.status_code == (302 if status == 200 else 403)
    assert (SurveyLink.objects.get(pk=link.pk).config != before) == (status == 200)
    response = client.post(branding_url(), {"accent": "#112233"})
    assert response.status_code == (302 if status == 200 else 403)
    assert SurveyBranding.objects.filter(accent="#112233").exists() == (status == 200)


def test_outsiders_get_404_and_change_nothing(client, outsider, link):
    login(client, outsider)
    for name in (
        "feedback:survey_link_edit",
        "feedback:survey_link_preview",
        "feedback:survey_link_qr_png",
        "feedback:survey_link_qr_svg",
    ):
        url = reverse(name, kwargs={"ws": outsider.workspace.slug, "pk": link.pk})
        assert client.get(url).status_code == 404, name
        assert client.get(reverse(name, kwargs={"ws": "acme", "pk": link.pk})).status_code == 404
    response = client.post(edit_url(link, ws=outsider.workspace.slug), editor_data(title_en="X"))
    assert response.status_code == 404
    assert client.post(branding_url(), {"accent": "#112233"}).status_code == 404
    assert SurveyLink.objects.get(pk=link.pk).config == {}
    assert not SurveyBranding.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, link):
    for url in (
        edit_url(link),
        reverse("feedback:surveys", kwargs={"ws": "acme"}),
        reverse("feedback:survey_link_qr_png", kwargs={"ws": "acme", "pk": link.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response.url


# --- CES through the JSON API ----------------------------------------------------------------


def test_the_api_accepts_ces(client, admin, touchpoint):
    from feedback.tokens.services import api_token_create

    secret = api_token_create(actor=admin, name="test")[1]
    body = {
        "external_id": "ces-1",
        "touchpoint": touchpoint.pk,
        "submitted_at": "2026-01-02T10:00:00Z",
        "nps": 8,
        "ces": 6,
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = "/api/v1/responses"
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code in (200, 201), response.content
    assert Response.objects.get().ces == 6
    bad = client.post(
        url, {**body, "external_id": "ces-2", "ces": 8}, content_type="application/json", **headers
    )
    assert bad.status_code == 422
    listed = client.get(url, **headers).json()
    assert listed["items"][0]["ces"] == 6


def test_a_framed_survey_takes_a_post_from_its_own_page_without_the_csrf_cookie(
    client, editor, link, touchpoint
):
    """In a frame on another site the browser sends no CSRF cookie (SameSite=Lax): a link that
    may be framed accepts a post whose Origin is MOT's own page instead, and nothing else."""
    from django.test import Client

    from feedback.surveys.services import survey_link_create

    save(login(client, editor), link, frame_origins="https://shop.example")
    unframed = survey_link_create(actor=editor, touchpoint=touchpoint)
    browser = Client(enforce_csrf_checks=True)
    own = {"HTTP_ORIGIN": "http://testserver"}
    assert browser.post(survey_url(link), {"nps": "9"}, **own).status_code == 302
    assert Response.objects.count() == 1
    forged = {"HTTP_ORIGIN": "https://shop.example"}
    assert browser.post(survey_url(link), {"nps": "8"}, **forged).status_code == 403
    assert browser.post(survey_url(link), {"nps": "8"}).status_code == 403  # no Origin
    # A link nobody may frame keeps the cookie-and-token check, Origin or not.
    assert browser.post(survey_url(unframed), {"nps": "8"}, **own).status_code == 403
    assert Response.objects.count() == 1


def test_the_surveys_page_runs_as_many_queries_for_many_links_as_for_one(
    client, editor, link, touchpoint, django_assert_num_queries
):
    """The page reads each link's stored counters (opens, answers, invited): no query a link."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.surveys.services import survey_link_create

    login(client, editor)
    url = reverse("feedback:surveys", kwargs={"ws": "acme"})
    client.get(url)  # the session and the language settle
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(6):
        survey_link_create(actor=editor, touchpoint=touchpoint)
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('class="num link-opens"') == 7
