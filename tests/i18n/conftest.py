"""The translation catalogs, and the GNU gettext tools the completeness checks run.

These tests fail until every catalog is complete: that is their point (CI fails on a string
left unmarked or untranslated). They are never skipped in CI; only the gettext tools may be
missing, which skips the tests that need them locally and fails them with CI=true (.ci/run
installs Debian's gettext).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from tests.conftest import _unavailable
from tests.test_hostile_urls import world  # noqa: F401 (the walk's workspace, for test_pages)

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
# The locale directories, by the language code of settings.LANGUAGES (English is the source).
LOCALES = {"pt-br": "pt_BR", "pt-pt": "pt_PT", "es": "es", "ro": "ro"}
# As the committed catalogs were extracted: everything but the virtualenv, the collected static
# files, the tests and the benchmarks.
MAKEMESSAGES_IGNORE = (".venv", "staticfiles", "tests", "bench")


def catalog_path(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / "django.po"


def catalog(locale: str) -> polib.POFile:
    return polib.pofile(str(catalog_path(locale)))


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


@pytest.fixture
def gettext_tools() -> None:
    missing = [tool for tool in ("msgfmt", "xgettext", "msgmerge") if not shutil.which(tool)]
    if missing:
        _unavailable(f"GNU gettext is missing ({', '.join(missing)}): apt-get install gettext")
