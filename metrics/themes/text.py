"""From a comment to its terms: tokens, stop words, Snowball stems, unigrams and bigrams (the
definitions are in :mod:`metrics.themes`)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from metrics.themes.stopwords import BY_LANGUAGE

# The languages themes are computed in, by the code stored on an answer (its primary subtag).
STEMMERS = {"pt": "portuguese", "es": "spanish", "ro": "romanian", "en": "english"}
LANGUAGE_CODES = {
    "pt": ("pt", "por"),
    "es": ("es", "spa"),
    "ro": ("ro", "ron", "rum"),
    "en": ("en", "eng"),
}
_CODE_TO_LANGUAGE = {code: lang for lang, codes in LANGUAGE_CODES.items() for code in codes}
# Letters (with the apostrophe inside English contractions); digits and signs split words.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Romanian written with the old cedilla letters is the same text as with the comma below.
_ROMANIAN = str.maketrans("şţŞŢ", "șțȘȚ")
MIN_LETTERS = 2
# Distinct comments remembered with their terms: survey comments repeat ("ok", "great service").
COMMENT_CACHE = 50_000


def fold(word: str) -> str:
    """The word without accents, for comparing with stop words."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_STOP = {lang: frozenset(fold(w) for w in words.split()) for lang, words in BY_LANGUAGE.items()}


def language_of(code: str) -> str:
    """The theme language ("pt", "es", "ro", "en") of a stored language code such as "pt-BR",
    "pt_br" or "por", or "" when it is none of the four (or empty)."""
    primary = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return _CODE_TO_LANGUAGE.get(primary, "")


def tokens(text: str) -> list[str]:
    """The comment's words, lower-cased, in order (``MIN_LETTERS`` letters or more)."""
    text = unicodedata.normalize("NFC", text).translate(_ROMANIAN).casefold()
    return [
        w
        for w in _WORD.findall(text.replace("\N{RIGHT SINGLE QUOTATION MARK}", "'"))
        if len(w) >= MIN_LETTERS
    ]


@lru_cache(maxsize=200_000)
def is_stop(language: str, word: str) -> bool:
    # Cached like stem(): a word recurs in thousands of comments, and folding it (Unicode
    # decomposition) cost as much as stemming it.
    return fold(word) in _STOP[language]


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMERS[language])


@lru_cache(maxsize=200_000)
def stem(language: str, word: str) -> str:
    return _stemmer(language).stemWord(word)


@lru_cache(maxsize=COMMENT_CACHE)
def terms(language: str, text: str) -> tuple[tuple[str, str], ...]:
    """The comment's distinct terms as (stem key, surface form), first occurrence first:
    each word that is not a stop word, and each pair of consecutive such words (the key of a
    pair is its two stems joined by a space). ``language`` is one of the four."""
    words = tokens(text)
    keep = [not is_stop(language, w) for w in words]
    stems = [stem(language, w) if k else "" for w, k in zip(words, keep, strict=True)]
    seen: dict[str, str] = {}
    for i, word in enumerate(words):
        if not keep[i]:
            continue
        seen.setdefault(stems[i], word)
        if i + 1 < len(words) and keep[i + 1]:
            seen.setdefault(f"{stems[i]} {stems[i + 1]}", f"{word} {words[i + 1]}")
    return tuple(seen.items())


def keyword_stems(language: str, keywords: str) -> frozenset[str]:
    """A workspace theme's keywords in one language (comma or line separated; a keyword of
    two words is a pair) as the stem keys they match."""
    keys = set()
    for keyword in re.split(r"[,\n;]", keywords):
        words = [w for w in tokens(keyword) if not is_stop(language, w)]
        if words:
            keys.add(" ".join(stem(language, w) for w in words[:2]))
    return frozenset(keys)
