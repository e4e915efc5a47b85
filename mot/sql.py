"""Raw SQL statements, built from parts that cannot carry anyone's input.

Where the ORM cannot say a statement (``INSERT … SELECT``, ``UPDATE … FROM``, a temporary table,
a data-modifying ``WITH``), it is written as a template, a string literal in the code, and filled
in here:

- a ``{name}`` field takes a :class:`Sql` part: an identifier from an allow-list fixed in the
  code (:class:`Identifiers` checks and quotes it), another statement built here, or what the
  ORM compiled (:func:`compiled`); a plain string is refused;
- every value is a ``%s`` parameter. A :class:`Sql` carries the values of its ``%s`` with its
  text, in order, so parts compose without anyone counting placeholders by hand.

No value is ever formatted into SQL text, which is why ruff's S608 (SQL built from strings)
stays on everywhere. Apps use this module; it imports none of them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import LiteralString

from django.db import DEFAULT_DB_ALIAS, Error, connection, connections
from django.db.models import QuerySet

_FIELDS = string.Formatter()
_PERCENT = re.compile(r"%[%s]")  # an escaped percent sign or a placeholder


@dataclass(frozen=True, slots=True)
class Sql:
    """SQL text and the values of its ``%s``, in order. Made by :func:`sql`, :func:`join`,
    :func:`value_list`, :func:`compiled`, :class:`Identifiers` and :class:`Template`, never
    from a value."""

    text: str
    params: tuple = ()


def sql(template: LiteralString, *values: object, **parts: Sql) -> Sql:
    """The template with each ``{name}`` replaced by the part of that name (its values join the
    statement's where it stands) and its own ``%s`` taking ``values``, in order.

    ``sql('DELETE FROM {table} WHERE id = %s AND {more}', 7, table=…, more=sql('x = %s', 8))``
    has the values (7, 8).
    """
    text: list[str] = []
    params: list = []
    rest = list(values)
    for literal, wanted, name, bad_spec in _parsed(template):
        if wanted > len(rest):
            raise ValueError(f"the template has more %s than the {len(values)} values given")
        text.append(literal)
        params += rest[:wanted]
        del rest[:wanted]
        if name is None:
            continue
        part = parts[name]
        if not isinstance(part, Sql) or bad_spec:
            raise TypeError(f"{{{name}}} takes a Sql part; a value goes as a %s parameter")
        text.append(part.text)
        params += part.params
    if rest:
        raise ValueError(f"the template has fewer %s than the {len(values)} values given")
    return Sql("".join(text), tuple(params))


@cache
def _parsed(template: str) -> tuple[tuple[str, int, str | None, bool], ...]:
    """The template's pieces, parsed once per template (templates are literals in the code,
    a bounded set; the busiest requests build the same few statements every time): each
    literal, the number of ``%s`` in it, the field after it and whether that field carries a
    format spec or conversion (refused)."""
    return tuple(
        (literal, _PERCENT.findall(literal).count("%s"), name, bool(spec or conversion))
        for literal, name, spec, conversion in _FIELDS.parse(template)
    )


def join(separator: LiteralString, parts: Iterable[Sql]) -> Sql:
    parts = list(parts)
    if not all(isinstance(part, Sql) for part in parts):
        raise TypeError("join takes Sql parts")
    return Sql(
        separator.join(part.text for part in parts),
        tuple(value for part in parts for value in part.params),
    )


EMPTY = Sql("")


def value_list(values: Sequence) -> Sql:
    """``%s, %s, …`` with the values, for ``IN (…)``; ``NULL`` when there are none (so that
    ``x IN (NULL)`` matches nothing)."""
    if not values:
        return Sql("NULL")
    return Sql(", ".join(["%s"] * len(values)), tuple(values))


def row_placeholders(width: int) -> Sql:
    """``%s, %s, …`` for one row of :func:`execute_many`, which brings the values row by row."""
    return Sql(", ".join(["%s"] * width))


def compiled(queryset: QuerySet) -> Sql:
    """The SQL the ORM compiles for ``queryset``, with its values as parameters."""
    text, params = queryset.query.sql_with_params()
    return Sql(text, tuple(params))


class Identifiers:
    """The table and column names a module's statements may use, fixed in the code.

    ``names["answers"]`` is the quoted identifier; a name outside the list is refused, so an
    identifier can never come from elsewhere.
    """

    def __init__(self, *names: str) -> None:
        self._names = frozenset(names)

    def __getitem__(self, name: str) -> Sql:
        if name not in self._names:
            raise ValueError(f"{name!r} is not among the identifiers these statements may use")
        return Sql(connection.ops.quote_name(name))

    def each(
        self, template: LiteralString, names: Iterable[str], separator: LiteralString = ", "
    ) -> Sql:
        """The template once per name, ``{name}`` standing for it, joined:
        ``each("SUM(d.{name})", ["answers", "pain"])`` is ``SUM(d."answers"), SUM(d."pain")``."""
        return join(separator, (sql(template, name=self[name]) for name in names))

    def parts(self, **names: str | Sequence[str]) -> Callable[[], dict[str, Sql]]:
        """A :class:`Template`'s parts: each keyword the quoted identifier of a name, or of a
        sequence of names, comma-separated. Quoted when the template is first used, by the
        database in use by then.

        ``Template("SELECT {columns} FROM {table}", names.parts(columns=("id", "title"),
        table="journeys_touchpoint"))``"""

        def quoted() -> dict[str, Sql]:
            return {
                part: self[name] if isinstance(name, str) else self.each("{name}", name)
                for part, name in names.items()
            }

        return quoted


class Template:
    """A statement whose text never changes, only its values: the text is built from the
    template and its parts (identifiers, which carry no values) once per process, on first
    use, and each call binds the values. For the busiest requests' statements (a survey
    answer's, a webhook delivery's), which rebuilt the same text every time.

    ``Template("SELECT … FROM {links} WHERE token = %s", names)(token)`` is the Sql; ``parts``
    is called once, so identifiers are quoted by the database that is in use by then.

    A part carries no values, but may carry placeholders: another template's :attr:`part`,
    :func:`row_placeholders`. The call then binds the values of every ``%s`` of the whole
    text, in the order they stand in it.
    """

    def __init__(
        self, template: LiteralString, parts: Callable[[], Mapping[str, Sql]] = dict
    ) -> None:
        self._template, self._parts = template, parts
        self._built: tuple[str, int] | None = None

    def __call__(self, *values: object) -> Sql:
        text, wanted = self._build()
        if len(values) != wanted:
            raise ValueError(f"the template takes {wanted} values, {len(values)} given")
        return Sql(text, values)

    @property
    def part(self) -> Sql:
        """The statement's text, its placeholders unbound: a part of another template."""
        return Sql(self._build()[0])

    def _build(self) -> tuple[str, int]:
        if self._built is None:
            parts = self._parts()
            if any(part.params for part in parts.values()):
                raise ValueError("a template's parts carry no values: pass them to the call")
            own = sum(count for _literal, count, _name, _spec in _parsed(self._template))
            text = sql(self._template, *([None] * own), **parts).text
            self._built = (text, _PERCENT.findall(text).count("%s"))
        return self._built


def execute(statement: Sql) -> int:
    """Run the statement; the number of rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        if cursor.rowcount < 0 and connection.vendor == "sqlite":
            # Python's sqlite3 reports no row count for a statement that starts with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return max(cursor.rowcount, 0)


def execute_many(statement: Sql, rows: Iterable[Sequence]) -> None:
    """Run the statement once per row of values (its own text carries no values)."""
    if statement.params:
        raise ValueError("execute_many's statement takes its values from the rows")
    with connection.cursor() as cursor:
        cursor.executemany(statement.text, rows)


def fetch(statement: Sql, *, prepared: bool = False, read_only: bool = False) -> list[tuple]:
    """The statement's rows. ``prepared``: on PostgreSQL, the statement is parsed and planned
    once per connection, then only executed (for the busiest request's statements: planning
    the public survey's four-table join cost the database several times running it), when
    the settings allow it (``DATABASE_PREPARED_STATEMENTS``).

    ``read_only``: the statement writes nothing, so running it twice is harmless. As the
    first statement of a request on a kept connection (``CONN_HEALTH_CHECKS``), it is the
    connection's health check itself, in place of the ``SELECT 1`` Django sends before it
    (a round trip of its own, which the public survey POST paid on every answer): should it
    fail on a connection that proves broken (closed by the server, a restart), it runs again
    on a new connection, as it would have after a failed check."""
    db = connections[DEFAULT_DB_ALIAS]
    if read_only and _health_check_due(db):
        db.health_check_done = True  # this statement is the check
        try:
            return _fetch(statement, prepared)
        except Error:  # a closed connection may raise InterfaceError, no DatabaseError
            if db.is_usable():  # the statement failed, not the connection
                raise
            db.close()  # the next statement connects again
    return _fetch(statement, prepared)


def _fetch(statement: Sql, prepared: bool) -> list[tuple]:
    with _prepared_cursor() if prepared else connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        return cursor.fetchall()


def _health_check_due(db) -> bool:
    """Whether Django would check the connection before the next statement: health checks
    on, a connection kept from an earlier request and not checked since. Outside a
    transaction only: there a failure cannot be retried on a new connection."""
    return (
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )


def _prepared_cursor():
    """Django's cursor, but binding on the server, where psycopg prepares a statement once it has
    run ``prepare_threshold`` times on the connection (1: on its second run); Django's own
    cursors bind on the client and never prepare. Elsewhere, or with prepared statements off,
    an ordinary cursor."""
    # The connection itself, not django.db.connection: each attribute of that proxy is a
    # lookup in a context-local mapping, and the busiest request reads a dozen here.
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or not db.settings_dict["OPTIONS"].get("prepare_threshold"):
        return db.cursor()
    # What db.cursor() does (health check, connecting, the wrapper that logs and counts
    # queries), with a server-binding cursor in the wrapper.
    db.close_if_health_check_failed()
    db.ensure_connection()
    binding = _server_binding_cursors()[db.queries_logged]
    with db.wrap_database_errors:
        return db._prepare_cursor(binding(db.connection))


@cache
def _server_binding_cursors() -> dict[bool, type]:
    """The cursor class, by whether Django logs queries (DEBUG, the tests' query counts)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class Logged(ServerBindingCursor):
        # psycopg keeps no query on a cursor that ran a statement prepared before, where
        # Django's query log reads its text: converted again, only when queries are logged.
        def execute(self, query, params=None, **kwargs):
            result = super().execute(query, params, **kwargs)
            if self._query is None:
                self._query = self._convert_query(query, params)
            return result

    return {False: ServerBindingCursor, True: Logged}
