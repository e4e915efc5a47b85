"""The editor's preview of unsaved edits: the survey as typed, rendered from the posted form into
the preview's frames, never saved and never a working survey; and the editor's question rows in
the survey's order."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import Response, SurveyBranding, SurveyLink
from feedback.surveys.config import QUESTIONS
from mot.models import Role
from tests.conftest import login
from tests.expectations import db_snapshot
from tests.feedback.surveys.test_editor import edit_url, editor_data, save

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache")]


def preview_url(link, ws="acme"):
    return reverse("feedback:survey_link_preview_edits", kwargs={"ws": ws, "pk": link.pk})


def everything() -> tuple:
    """Every row a preview could change: the shared snapshot, and the survey's own tables."""
    return (
        db_snapshot(),
        list(SurveyLink.objects.order_by("pk").values()),
        list(SurveyBranding.objects.order_by("pk").values()),
        list(Response.objects.order_by("pk").values()),
    )


def srcdocs(page: str) -> list[str]:
    """The documents of the preview's frames, unescaped."""
    return [html.unescape(doc) for doc in re.findall(r'srcdoc="([^"]*)"', page)]


def legends(document: str) -> list[str]:
    """The question keys of a survey document, in their order."""
    return re.findall(r'<fieldset id="id_(\w+)">|<legend><label for="id_(\w+)">', document)


def question_order(document: str) -> list[str]:
    return [a or b for a, b in legends(document)]


def test_the_preview_shows_the_unsaved_edits_and_saves_nothing(client, editor, link):
    save(login(client, editor), link, title_en="Saved title")
    before = everything()

    response = client.post(
        preview_url(link),
        editor_data(
            title_en="Typed <b>title</b>",
            label_nps_en="Would you recommend us?",
            ask_ces="on",
            order_ces="1",
            order_nps="2",
            ask_comment=None,
        ),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    phone, desktop = srcdocs(page)
    assert phone == desktop
    # Escaped twice: once in the survey page, once more as the attribute's value.
    assert "<h1>Typed &lt;b&gt;title&lt;/b&gt;</h1>" in phone
    assert "Saved title" not in phone
    assert "Would you recommend us?" in phone
    assert question_order(phone) == [
        "ces", "nps", "csat", "respect", "solutions", "simplicity", "responsibility", "contact",
    ]  # fmt: skip
    assert "Preview of your changes (not saved yet)" in page
    assert everything() == before  # no config saved, no open counted, nothing stored


def test_the_preview_is_not_a_working_survey(client, editor, link):
    response = login(client, editor).post(
        preview_url(link), editor_data(), headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    # Sandboxed without allow-forms or allow-scripts: nothing in the frame can submit.
    frames = re.findall(r"<iframe[^>]*>", page)
    assert len(frames) == 2
    for frame in frames:
        assert 'sandbox="allow-same-origin"' in frame
    for document in srcdocs(page):
        form = re.search(r"<form[^>]*>", document).group(0)
        assert "method" not in form
        assert "action" not in form
        assert "csrfmiddlewaretoken" not in document
        assert f"/s/{link.token}/" not in document.replace(f"/s/{link.token}/logo/", "")
        assert re.search(r'<button type="submit" disabled>', document)
        assert "answers are not stored" in document
        assert "<script" not in document


def test_invalid_edits_show_the_errors_in_the_preview(client, editor, link):
    login(client, editor)
    before = everything()

    response = client.post(
        preview_url(link),
        editor_data(ask_nps=None, ask_csat=None, order_ces="x", **{"title_pt-br": "T" * 201}),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422  # swapped: base.html's htmx config swaps 422s
    page = response.content.decode()
    assert "<iframe" not in page
    assert 'role="alert"' in page
    assert "Ask NPS or CSAT" in page
    assert "Order · Customer effort, CES (1–7) · Enter a whole number." in page
    assert "Title · Português (Brasil) · Ensure this value has at most 200 characters" in page
    assert everything() == before


def test_the_preview_speaks_the_chosen_language(client, editor, link):
    login(client, editor)
    data = editor_data(**{"title_pt-br": "Como foi a visita?", "language": ""})

    chosen = client.post(preview_url(link), {**data, "preview_language": "pt-br"})
    fixed = client.post(preview_url(link), {**data, "language": "pt-br"})
    english = client.post(preview_url(link), {**data, "preview_language": "en"})

    for response in (chosen, fixed):
        document = srcdocs(response.content.decode())[0]
        assert '<html lang="pt-br">' in document
        assert "<h1>Como foi a visita?</h1>" in document
        # The editor's own page around the frames stays in the member's language.
        assert "Preview of your changes (not saved yet)" in response.content.decode()
    document = srcdocs(english.content.decode())[0]
    assert "<h1>How was your experience?</h1>" in document
    # No language switch in a preview of edits: its links would leave the frame's document.
    assert "survey-languages" not in document


def test_the_preview_needs_the_csrf_token(editor, link):
    client = login(Client(enforce_csrf_checks=True), editor)
    page = client.get(edit_url(link)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    refused = client.post(preview_url(link), editor_data(), headers={"HX-Request": "true"})
    accepted = client.post(
        preview_url(link), editor_data(), headers={"HX-Request": "true", "X-CSRFToken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.MANAGER, 403), (Role.STAFF, 403)],
)
def test_the_preview_follows_the_role_matrix(client, personas, link, role, status):
    login(client, personas[role])
    before = everything()

    response = client.post(preview_url(link), editor_data(title_en="Typed"))

    assert response.status_code == status
    assert ("Typed" in response.content.decode()) == (status == 200)
    assert client.get(preview_url(link)).status_code == 405
    assert everything() == before


def test_outsiders_and_anonymous_visitors_get_no_preview(client, outsider, link):
    before = everything()
    anonymous = client.post(preview_url(link), editor_data(title_en="Typed"))
    assert anonymous.status_code == 302
    assert "/login/" in anonymous.url

    login(client, outsider)
    for ws in ("acme", outsider.workspace.slug):
        response = client.post(preview_url(link, ws=ws), editor_data(title_en="Typed"))
        assert response.status_code == 404
        assert "Typed" not in response.content.decode()
    assert everything() == before


def test_the_preview_runs_a_constant_number_of_queries(
    client, editor, link, touchpoint, django_assert_num_queries
):
    """Session, user, membership, link (the editor's lookup), the link's public read."""
    login(client, editor)
    client.post(preview_url(link), editor_data())  # the session and the language settle
    with django_assert_num_queries(5):
        client.post(preview_url(link), editor_data(title_en="Typed"))


def test_the_editor_lists_the_questions_in_the_surveys_order_and_posts_edits_to_the_preview(
    client, editor, link
):
    save(login(client, editor), link, ask_ces="on", order_ces="1", order_nps="5", order_csat="4")

    page = client.get(edit_url(link)).content.decode()

    rows = re.findall(r'<tr data-question="(\w+)"', page)
    assert rows[:4] == ["ces", "csat", "respect", "nps"]
    assert sorted(rows) == sorted(QUESTIONS)
    assert f'hx-post="{preview_url(link)}"' in page
    # Without JavaScript: the Order fields and the saved preview, the move buttons hidden.
    assert 'class="order-moves" hidden' in page
    saved = reverse("feedback:survey_link_preview", kwargs={"ws": "acme", "pk": link.pk})
    assert page.count(f'src="{saved}"') == 2
