"""A language whose "translation" marks every text, for testing that texts go through gettext.

The catalogs are written separately (and may not translate a new text yet), so a test that looks for
a Portuguese word would test the translators, not the code. Under ``marked_language("pt-br")``
every gettext, ngettext and pgettext of that language returns its English text prefixed by
``[pt-br] ``: a stored or shown text without the prefix did not go through translation in the
active language.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import translation
from django.utils.translation import trans_real


class _Marking(gettext_module.NullTranslations):
    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.prefix = f"[{language}] "

    def gettext(self, message: str) -> str:
        if "\x04" in message:  # pgettext's "context\x04message"
            message = message.split("\x04", 1)[1]
        return self.prefix + message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.prefix + (singular if n == 1 else plural)

    def to_language(self) -> str:
        return self.language


def mark(language: str, text: str) -> str:
    return f"[{language}] {text}"


@contextmanager
def marked_language(language: str, *, activate: bool = True) -> Iterator[None]:
    """``activate=False`` only installs the marking catalog, for code that activates the language
    itself (a request asking for it, a task told to run in it). Changing settings.LANGUAGES
    (:func:`browse_in`) drops every loaded catalog: do it before, not inside."""
    saved = trans_real._translations.get(language)
    trans_real._translations[language] = _Marking(language)
    try:
        with translation.override(language if activate else translation.get_language()):
            yield
    finally:
        if saved is None:
            trans_real._translations.pop(language, None)
        else:
            trans_real._translations[language] = saved


# MOT's five languages (settings.LANGUAGES once they are all in; set here so the tests of formats
# do not depend on it).
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("pt-pt", "Português (Portugal)"),
    ("es", "Español"),
    ("ro", "Română"),
]


def browse_in(client, settings, language: str):
    """The client's requests ask for ``language`` (a browser's Accept-Language)."""
    settings.LANGUAGES = LANGUAGES
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client
