"""Every catalog has every string of the code, all translated, and its .mo compiled from it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import polib
import pytest

from tests.i18n.conftest import (
    LOCALE,
    LOCALES,
    MAKEMESSAGES_IGNORE,
    ROOT,
    catalog,
    catalog_path,
    key,
)

pytestmark = pytest.mark.i18n

SHOWN = 20  # entries named in a failure; the rest are counted


def _listed(entries: list[str]) -> str:
    more = f"\n  … and {len(entries) - SHOWN} more" if len(entries) > SHOWN else ""
    return "\n".join(f"  {e!r}" for e in entries[:SHOWN]) + more


def test_the_locales_are_the_languages_offered(settings):
    offered = {code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE}
    assert offered == set(LOCALES)
    assert {p.name for p in LOCALE.iterdir() if p.is_dir()} == set(LOCALES.values())


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str, str]]:
    """The msgids makemessages finds in the code today, run on a copy of the tree (it writes
    into the catalogs it merges)."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        return set()  # gettext_tools reports it, failing in CI
    copy = tmp_path_factory.mktemp("tree") / "mot"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(*MAKEMESSAGES_IGNORE, ".git", "data", "media", "__pycache__"),
    )
    ignore = [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORE]
    subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", "makemessages", "-l", "ro", *ignore, "-v", "0"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(copy / "locale" / "ro" / "LC_MESSAGES" / "django.po"))
    return {key(e) for e in fresh if not e.obsolete}


@pytest.mark.usefixtures("gettext_tools")
@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_makemessages_finds_no_string_the_catalog_lacks(locale, extracted):
    committed = {key(e) for e in catalog(locale) if not e.obsolete}
    assert extracted, "makemessages found no string at all"
    missing = sorted(f"{c}\x04{msgid}" if c else msgid for c, msgid in extracted - committed)
    assert not missing, (
        f"{len(missing)} strings of the code are not in {catalog_path(locale).relative_to(ROOT)} "
        f"(run makemessages and translate them):\n{_listed(missing)}"
    )


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_every_entry_is_translated_and_none_is_fuzzy(locale):
    po = catalog(locale)
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    where = catalog_path(locale).relative_to(ROOT)
    assert not untranslated, f"{where}: {len(untranslated)} untranslated:\n{_listed(untranslated)}"
    assert not fuzzy, f"{where}: {len(fuzzy)} fuzzy:\n{_listed(fuzzy)}"


def _messages(mo: polib.MOFile) -> set[tuple]:
    return {
        (*key(e), e.msgid_plural or "", e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in mo
    }


@pytest.mark.usefixtures("gettext_tools")
@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_the_compiled_catalog_is_compiled_from_the_catalog(locale, tmp_path):
    po = catalog_path(locale)
    committed = po.with_suffix(".mo")
    assert committed.exists(), f"{committed.relative_to(ROOT)} is missing: run compilemessages"
    fresh = tmp_path / "django.mo"
    msgfmt = shutil.which("msgfmt") or "msgfmt"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(po)], check=True)  # noqa: S603
    stale = _messages(polib.mofile(str(fresh))) ^ _messages(polib.mofile(str(committed)))
    ids = sorted({entry[1] for entry in stale})
    assert not ids, (
        f"{committed.relative_to(ROOT)} differs from its .po in {len(ids)} messages "
        f"(run compilemessages):\n{_listed(ids)}"
    )
