"""The explorer's theme filter: the answers whose comment contains a comment theme, matched on
the same stems the themes are counted on (metrics.themes).

A theme is named in the ``theme`` parameter as

- ``<language>:<term>``: a ranked theme's term in one language, e.g. ``pt:entreg atras`` (a
  pair of stems matches the two words side by side);
- ``#<id>``: one of the workspace's own themes, any of its keywords in their languages;
- anything else: words, stemmed in each of the four languages, e.g. ``entregas``.

Only answers in the theme's language (by the primary subtag of their ``language``) match. On
PostgreSQL the comment's text-search vector in that language (the expression the comments' GIN
index holds, see selectors) is matched against the stems as a ``tsquery`` (a pair as
``a <-> b``); PostgreSQL's Snowball stemmers are those the themes use, though its word splitting
and stop words differ a little, so a rare comment may be counted by a theme and not found here.
(Romanian stems are asked for in the comma-below and the old cedilla spellings.)
On SQLite (the embedded mode, small data) each comment is split and stemmed in Python by the
themes' own code (a function registered on the connection), exactly as it was counted.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet

from feedback.models import Response
from metrics.themes.models import THEME_PREFIX, WorkspaceTheme
from metrics.themes.text import LANGUAGE_CODES, keyword_stems, language_of, terms

Wanted = list[tuple[str, frozenset[str]]]  # (language, stem keys) pairs, any of which matches
MAX_KEYS = 50
SQLITE_FUNCTION = "mot_has_terms"


def wanted_terms(key: str, *, workspace_id: int) -> Wanted:
    """What the ``theme`` parameter asks for (nothing for an unknown workspace theme)."""
    key = key.strip()
    if key.startswith(THEME_PREFIX):
        pk = key[len(THEME_PREFIX) :]
        theme = (
            WorkspaceTheme.objects.filter(workspace_id=workspace_id, pk=int(pk)).first()
            if pk.isdigit() and len(pk) < 18
            else None
        )
        keywords = (theme.keywords or {}) if theme else {}
        return _nonempty(
            (lang, keyword_stems(lang, keywords.get(lang, ""))) for lang in LANGUAGE_CODES
        )
    language, sep, term = key.partition(":")
    if sep and language in LANGUAGE_CODES and term.strip():
        return [(language, frozenset([" ".join(term.split()[:2])]))]
    return _nonempty((lang, keyword_stems(lang, key)) for lang in LANGUAGE_CODES)


def _nonempty(pairs) -> Wanted:
    return [(lang, frozenset(sorted(keys)[:MAX_KEYS])) for lang, keys in pairs if keys]


def with_theme(
    qs: QuerySet[Response], key: str, *, workspace_id: int, vector_sql: str, language_sql: str
) -> QuerySet[Response]:
    """``qs`` narrowed to the theme's answers. ``vector_sql`` and ``language_sql``: the
    explorer's templates of a comment's vector in its language and of a language's primary
    subtag (feedback.explorer.selectors), so the GIN index on that vector serves here too."""
    wanted = wanted_terms(key, workspace_id=workspace_id)
    if not wanted:
        return qs.none()
    if connection.vendor == "postgresql":
        condition = Q()
        for language, keys in wanted:
            condition |= Q(HasTerms(language, keys, vector_sql, language_sql))
        return qs.exclude(comment="").filter(condition)
    _register_sqlite_function()
    condition = Q()
    for language, keys in wanted:
        condition |= Q(SqliteHasTerms(language, keys))
    return qs.exclude(comment="").filter(condition)


# Romanian written with the old cedilla letters: the themes read it as the comma-below letters,
# PostgreSQL stems it as it is, so a Romanian lexeme is asked for in both spellings.
_CEDILLA = str.maketrans("șțȘȚ", "şţŞŢ")


def _lexeme(stem: str, language: str) -> str:
    spellings = [stem]
    if language == "ro" and stem.translate(_CEDILLA) != stem:
        spellings.append(stem.translate(_CEDILLA))
    quoted = ["'" + s.replace("\\", "\\\\").replace("'", "''") + "'" for s in spellings]
    return quoted[0] if len(quoted) == 1 else "(" + " | ".join(quoted) + ")"


def tsquery_text(keys: frozenset[str], language: str = "") -> str:
    """The keys as a tsquery of lexemes, taken as they are (no stemming again)."""
    return " | ".join(
        "(" + " <-> ".join(_lexeme(s, language) for s in key.split(" ")) + ")"
        for key in sorted(keys)
    )


class CommentCondition(Expression):
    """A condition on an answer's ``language`` and ``comment`` columns, written in SQL by the
    subclass (the explorer's search, and the theme filter below)."""

    conditional = True

    def __init__(self) -> None:
        super().__init__(output_field=BooleanField())
        self.language: Any = F("language")
        self.comment: Any = F("comment")

    def get_source_expressions(self) -> list[Any]:
        return [self.language, self.comment]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.language, self.comment = exprs

    def columns(self, compiler) -> tuple[str, str]:
        language, language_params = compiler.compile(self.language)
        comment, comment_params = compiler.compile(self.comment)
        assert not language_params  # plain columns
        assert not comment_params
        return language, comment


class HasTerms(CommentCondition):
    """PostgreSQL: the comment, in its language's vector, contains one of the stem keys, and the
    answer is in ``language``."""

    def __init__(
        self, language: str, keys: frozenset[str], vector_sql: str = "", language_sql: str = ""
    ) -> None:
        super().__init__()
        self.theme_language, self.keys = language, keys
        self.vector_sql, self.language_sql = vector_sql, language_sql

    def as_sql(self, compiler, connection, **extra):
        language, comment = self.columns(compiler)
        vector = self.vector_sql.replace("{language}", language).replace("{comment}", comment)
        codes = ", ".join(repr(c) for c in LANGUAGE_CODES[self.theme_language])
        key = self.language_sql.format(language=language)
        return f"({key} IN ({codes}) AND ({vector}) @@ %s::tsquery)", [
            tsquery_text(self.keys, self.theme_language)
        ]


class SqliteHasTerms(HasTerms):
    def as_sql(self, compiler, connection, **extra):
        language, comment = self.columns(compiler)
        sql = f"{SQLITE_FUNCTION}({language}, {comment}, %s, %s) = 1"
        return sql, [self.theme_language, "\n".join(sorted(self.keys))]


def has_terms(code: str | None, comment: str | None, language: str, keys: str) -> int:
    """SQLite's function: whether the comment, in ``language``, contains one of ``keys``."""
    if not comment or language_of(code or "") != language:
        return 0
    wanted = set(keys.split("\n"))
    return int(any(term in wanted for term, _surface in terms(language, comment)))


def _register_sqlite_function() -> None:
    # On the connection the query will run on (create_function is per connection and cheap).
    connection.ensure_connection()
    connection.connection.create_function(SQLITE_FUNCTION, 4, has_terms, deterministic=True)
