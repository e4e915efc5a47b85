"""Every page, as every role sees it with data, in every language: no English left where the
catalog has (or should have) a translation.

The pages are the URL patterns of the project, walked with tests/test_hostile_urls.py's
machinery (its routes, its workspace with data, its way of filling path parameters and of
signing each role in), so a page added tomorrow is checked too. Each page is requested with
the language cookie, and each visible text of it (text nodes, the page title, option labels)
is compared with the English msgids of that language's catalog whose translation differs from
them or is missing: such a text is English where the reader should see their language.

Not compared: code-like texts (the moments' acronyms, NPS and CSAT, numbers), the languages'
names in the language switches (each written in its own language on purpose) and the
workspace's own data (journey, stage and touchpoint names, people, comments), which are not
translated.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from feedback.hooks.models import Endpoint, Intake
from feedback.models import Customer, ErasedCustomer, Response, SurveyLink
from journeys.models import Journey, Lane, LaneItem, Persona, Stage, Touchpoint
from metrics.themes.models import WorkspaceTheme
from mot.models import Membership, Workspace
from tests.i18n.conftest import LOCALES, catalog
from tests.test_hostile_urls import ROUTES, _client, _fill, _send

pytestmark = [pytest.mark.i18n, pytest.mark.django_db]

ROLES = ("admin", "editor", "manager", "staff", "anonymous")
# Not pages of ours: Django's admin site and the JSON API (its docs page is Swagger's).
ELSEWHERE = ("admin/", "api/")
# Numbers, signs and the punctuation between them (minus, dashes, middle dot).
CODE_LIKE = re.compile(r"^(?:[ZFSAL]MOT|NPS|CSAT|MOT|[\d\s.,:%+/()\-\u2212\u2013\u2014\u00b7]*)$")
INVISIBLE = {"script", "style", "template", "noscript"}
SHOWN = 40


def _words(text: str) -> str:
    return " ".join(text.split())


class _Texts(HTMLParser):
    """The texts a reader sees: text nodes outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in INVISIBLE:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and (text := _words(data)):
            self.texts.add(text)


def visible_texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def english_left(locale: str) -> set[str]:
    """The catalog's English texts a page in this language must not show: every msgid (and
    plural msgid) whose translation is missing or differs from it."""
    left = set()
    for entry in catalog(locale):
        if entry.obsolete:
            continue
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            if any(not t or _words(t) != _words(english) for t in translations):
                left.add(_words(english))
    return left


def user_data() -> set[str]:
    """What the workspace's people wrote: shown as they wrote it, in any language."""
    texts: set[str] = set()
    for model, fields in (
        (Workspace, ["name"]),
        (Journey, ["name", "persona", "description"]),
        (Stage, ["name"]),
        (Touchpoint, ["title", "code"]),
        (Lane, ["name"]),
        (LaneItem, ["text"]),
        (Persona, ["name", "quote", "goals", "frustrations", "segment"]),
        (Response, ["comment"]),
        (Customer, ["external_id", "email", "name", "segment", "plan"]),
        (ErasedCustomer, ["pseudonym"]),
        (WorkspaceTheme, ["name"]),
        (Intake, ["name"]),
        (Endpoint, ["name", "url"]),
    ):
        for row in model.objects.values_list(*fields):
            texts.update(_words(str(v)) for v in row if v)
    for member in Membership.objects.select_related("user"):
        texts.update({_words(member.display_name), member.user.email})
    return texts


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_no_page_shows_english_where_a_translation_exists(language, world, personas):
    SurveyLink.objects.filter(pk=world.link.pk).update(language="")  # the visitor's browser
    native_names = {name for _code, name in settings.LANGUAGES}
    english = english_left(LOCALES[language]) - user_data() - native_names
    found: dict[str, set[str]] = {}
    pages = 0
    for role in ROLES:
        client = _client(role, world, personas, outsider=None)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for route in ROUTES:
            if route.route.startswith(ELSEWHERE):
                continue
            path = _fill(world, route)
            response = _send(client, "GET", path, "", None, "")
            html = response.headers.get("Content-Type", "").startswith("text/html")
            if response.status_code != 200 or not html:
                continue
            pages += 1
            assert response.headers.get("Content-Language") == language, path
            for text in visible_texts(response.content.decode()):
                if text in english and not CODE_LIKE.match(text):
                    found.setdefault(text, set()).add(f"{role} {path}")
    assert pages > 40, f"only {pages} pages rendered: the walk lost its way"
    lines = [f"  {text!r} on {', '.join(sorted(at)[:3])}" for text, at in sorted(found.items())]
    more = f"\n  … and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    assert not found, (
        f"{len(found)} English texts on pages in {language}:\n" + "\n".join(lines[:SHOWN]) + more
    )
