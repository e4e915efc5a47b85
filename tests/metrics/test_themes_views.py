"""The Themes page and the workspace themes' pages: who may use them, outsiders kept out, CSRF,
query counts pinned, and the numbers the page shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.services import metrics_recompute
from metrics.themes import engine
from metrics.themes.models import ThemeCounts, WorkspaceTheme
from mot.models import Role
from tests.conftest import login
from tests.metrics import themes_corpus

MANAGERS = {Role.ADMIN, Role.EDITOR}


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """A theme's change queues a full themes run: it runs in the request here."""


@pytest.fixture
def theme(workspace):
    return WorkspaceTheme.objects.create(
        workspace=workspace, name="Delivery", keywords={"pt": "entrega"}
    )


def _url(name: str, ws: str = "acme", **kwargs) -> str:
    return reverse(f"metrics:{name}", kwargs={"ws": ws, **kwargs})


def _recent_corpus(journey) -> None:
    start = timezone.now() - timedelta(days=20)
    themes_corpus.load(journey.touchpoints.first(), start=start)
    engine.recompute_themes(journey.workspace_id, full=True)


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_the_themes_page(client, personas, journey, role):
    _recent_corpus(journey)
    login(client, personas[role])
    page = client.get(_url("themes")).content.decode()
    assert "entrega atrasada" in page
    assert ("Workspace themes" in page) == (role in MANAGERS)


@pytest.mark.parametrize("role", Role.values)
def test_only_admins_and_editors_manage_workspace_themes(client, personas, theme, role):
    login(client, personas[role])
    allowed = role in MANAGERS
    expected = 200 if allowed else 403
    assert client.get(_url("own_themes")).status_code == expected
    assert client.get(_url("own_theme_edit", pk=theme.pk)).status_code == expected
    made = client.post(_url("own_themes"), {"name": f"Rude {role}", "es": "grosero"})
    assert made.status_code == (302 if allowed else 403)
    assert WorkspaceTheme.objects.filter(name=f"Rude {role}").exists() == allowed
    edited = client.post(_url("own_theme_edit", pk=theme.pk), {"name": "Late", "pt": "atraso"})
    assert edited.status_code == (302 if allowed else 403)
    theme.refresh_from_db()
    assert (theme.name == "Late") == allowed
    gone = client.post(_url("own_theme_delete", pk=theme.pk))
    assert gone.status_code == (302 if allowed else 403)
    assert WorkspaceTheme.objects.filter(pk=theme.pk).exists() != allowed


def test_outsiders_and_anonymous_are_kept_out(client, outsider, theme):
    urls = [_url("themes"), _url("own_themes"), _url("own_theme_edit", pk=theme.pk)]
    for url in urls:
        assert client.get(url).status_code == 302  # to sign in
    login(client, outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    # Their own slug, our theme's id: not found either.
    assert client.get(_url("own_theme_edit", ws="globex", pk=theme.pk)).status_code == 404
    assert client.post(_url("own_theme_delete", ws="globex", pk=theme.pk)).status_code == 404
    assert client.post(_url("own_theme_delete", pk=theme.pk)).status_code == 404
    assert client.get(_url("own_theme_delete", pk=theme.pk)).status_code in (404, 405)
    assert WorkspaceTheme.objects.filter(pk=theme.pk).exists()


def test_posts_without_a_csrf_token_are_refused(admin, theme):
    client = login(Client(enforce_csrf_checks=True), admin)
    client.get(_url("own_themes"))
    assert client.post(_url("own_themes"), {"name": "X", "en": "late"}).status_code == 403
    assert client.post(_url("own_theme_edit", pk=theme.pk), {"name": "X"}).status_code == 403
    assert client.post(_url("own_theme_delete", pk=theme.pk)).status_code == 403
    assert list(WorkspaceTheme.objects.values_list("name", flat=True)) == ["Delivery"]


def test_a_theme_needs_a_keyword_and_a_name_of_its_own(client, admin, theme):
    login(client, admin)
    page = client.post(_url("own_themes"), {"name": "Nothing", "en": "the, of"})
    assert page.status_code == 200
    assert "Give at least one keyword" in page.content.decode()
    page = client.post(_url("own_themes"), {"name": "delivery", "en": "late"})
    assert "has a theme of that name already" in page.content.decode()
    assert WorkspaceTheme.objects.count() == 1


def test_adding_a_theme_counts_it_and_deleting_drops_its_rows(
    client, admin, journey, on_commit_eager
):
    _recent_corpus(journey)
    login(client, admin)
    on_commit_eager(client.post, _url("own_themes"), {"name": "Rude", "es": "grosero, groseros"})
    theme = WorkspaceTheme.objects.get(name="Rude")
    assert theme.keywords == {"es": "grosero, groseros"}
    pain = ThemeCounts.objects.filter(term=theme.key).values_list("pain", flat=True)
    assert sum(pain) == 3 * 6  # every Spanish pain comment says grosero(s), three times
    page = client.get(_url("themes")).content.decode()
    assert "Rude" in page
    client.post(_url("own_theme_delete", pk=theme.pk))
    assert not ThemeCounts.objects.filter(term=theme.key).exists()


def test_each_theme_links_to_its_answers_in_the_explorer(client, manager, journey):
    _recent_corpus(journey)
    login(client, manager)
    page = client.get(_url("themes")).content.decode()
    links = re.findall(r'href="(/w/acme/answers/\?[^"]+)"', page)
    link = next(x for x in links if "theme=pt%3Aentreg+atras" in x)
    answers = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Entrega atrasada e ninguém me avisou." in answers
    assert "O preço é justo." not in answers  # not pain
    assert "O site é lento e a entrega atrasada." in answers
    assert "A entrega chegou muito atrasada." not in answers  # the words are not side by side
    assert "Agente grosero otra vez." not in answers  # pain, another theme


def test_theme_page_query_count_does_not_grow(
    client, manager, journey, theme, django_assert_num_queries
):
    login(client, manager)
    _recent_corpus(journey)
    client.get(_url("themes"))  # session warm
    # Session, user and membership, journeys, touchpoints, the sums, labels, workspace
    # themes, example rows, example answers, the trend, the run.
    with django_assert_num_queries(12) as small:
        assert client.get(_url("themes")).status_code == 200
    for tp in journey.touchpoints.all():
        themes_corpus.load(tp, prefix=f"more{tp.pk}-", start=timezone.now() - timedelta(days=9))
    engine.recompute_themes(journey.workspace_id, full=True)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(_url("themes")).status_code == 200
    tp = journey.touchpoints.first()
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(_url("themes") + f"?journey={journey.pk}&touchpoint={tp.pk}")
        assert page.status_code == 200


def test_dashboard_shows_the_top_themes_of_the_weakest_moment(client, manager, journey):
    _recent_corpus(journey)  # 168 answers at one touchpoint: the only one measured, the weakest
    metrics_recompute(workspace_id=journey.workspace_id, full=True)
    login(client, manager)
    page = client.get(reverse("metrics:dashboard", kwargs={"ws": "acme"})).content.decode()
    cell = page.split('class="weakest-themes"', 1)[1].split("</td>", 1)[0]
    labels = re.findall(r">([^<>]+)</a> <span class=\"sub\">", cell)
    assert len(labels) == 3
    assert set(labels) <= {"entrega atrasada", "agente grosero", "factură greșită", "broken box"}
    tp = journey.touchpoints.first().pk
    assert cell.count(f"&amp;touchpoint={tp}&amp;experience=pain") == 3  # each to its answers
    if "entrega atrasada" in labels:
        assert "theme=pt%3Aentreg%20atras" in cell


def test_a_metrics_run_queues_the_themes_job(journey):
    themes_corpus.load(journey.touchpoints.first(), repeat=1)
    assert not ThemeCounts.objects.exists()
    metrics_recompute(workspace_id=journey.workspace_id, full=True)  # the task runs eagerly
    assert ThemeCounts.objects.filter(workspace_id=journey.workspace_id, term="").exists()
