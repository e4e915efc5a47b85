"""mot.sql: statements take identifiers from an allow-list only and every value as a parameter."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from mot.models import Workspace
from mot.sql import (
    EMPTY,
    Identifiers,
    Sql,
    Template,
    compiled,
    execute,
    execute_many,
    fetch,
    join,
    row_placeholders,
    sql,
    value_list,
)

NAMES = Identifiers("mot_test_sql", "n")


def test_values_follow_their_placeholders_through_the_parts():
    inner = sql("b = %s", 2)
    statement = sql("SELECT {inner}, %s WHERE a = %s AND {more}", 1, 3, inner=inner, more=inner)
    assert statement == Sql("SELECT b = %s, %s WHERE a = %s AND b = %s", (2, 1, 3, 2))


def test_an_escaped_percent_sign_is_no_placeholder():
    assert sql("SELECT '100%%', %s", 1).params == (1,)


def test_a_plain_string_is_refused_as_a_part():
    with pytest.raises(TypeError, match="Sql part"):
        sql("SELECT * FROM {table}", table="mot_workspace; DROP TABLE mot_workspace")


@pytest.mark.parametrize("values", [(), (1, 2)])
def test_the_values_must_match_the_placeholders(values):
    with pytest.raises(ValueError, match="%s"):
        sql("SELECT %s", *values)


def test_identifiers_come_from_the_allow_list_quoted():
    assert NAMES["n"] == Sql(connection.ops.quote_name("n"))
    with pytest.raises(ValueError, match="not among"):
        NAMES['n"; DROP TABLE mot_workspace; --']
    quoted = connection.ops.quote_name("n")
    assert NAMES.each("SUM(d.{name})", ["n", "n"]).text == f"SUM(d.{quoted}), SUM(d.{quoted})"


def test_join_value_list_and_placeholders():
    assert join(" OR ", [sql("a = %s", 1), EMPTY, sql("b")]) == Sql("a = %s OR  OR b", (1,))
    with pytest.raises(TypeError):
        join(", ", [sql("a"), "b"])
    assert value_list([4, 5]) == Sql("%s, %s", (4, 5))
    assert value_list([]) == Sql("NULL")
    assert row_placeholders(3) == Sql("%s, %s, %s")


def test_statements_run_with_their_values(db):
    table = NAMES["mot_test_sql"]
    execute(sql("CREATE TEMPORARY TABLE {table} ({n} INTEGER)", table=table, n=NAMES["n"]))
    execute_many(
        sql("INSERT INTO {table} VALUES ({row})", table=table, row=row_placeholders(1)),
        [[1], [2], [3]],
    )
    with pytest.raises(ValueError, match="from the rows"):
        execute_many(sql("INSERT INTO {table} VALUES (%s)", 4, table=table), [[5]])
    # A statement starting with WITH: SQLite's driver reports no row count for it.
    written = execute(
        sql(
            "WITH big AS (SELECT %s AS m) DELETE FROM {table} WHERE n >= (SELECT m FROM big)",
            2,
            table=table,
        )
    )
    assert written == 2
    assert fetch(
        sql("SELECT n FROM {table} WHERE n IN ({ns})", table=table, ns=value_list([1, 9]))
    ) == [(1,)]
    execute(sql("DROP TABLE {table}", table=table))


def test_compiled_keeps_the_orm_values_apart(db):
    Workspace.objects.create(name="Probe", slug="probe-7f3")
    query = compiled(Workspace.objects.filter(slug="probe-7f3").values("name"))
    assert "probe-7f3" not in query.text
    assert query.params == ("probe-7f3",)
    assert fetch(sql("SELECT q.name FROM ({query}) q", query=query)) == [("Probe",)]


def test_a_template_builds_its_text_once_and_binds_values_each_call():
    built = []

    def parts():
        built.append(1)
        return {"table": NAMES["mot_test_sql"], "column": NAMES["n"]}

    select = Template("SELECT {column} FROM {table} WHERE {column} = %s OR {column} = %s", parts)
    first, second = select(1, 2), select(3, 4)
    same = sql(
        "SELECT {column} FROM {table} WHERE {column} = %s OR {column} = %s",
        0,
        0,
        table=NAMES["mot_test_sql"],
        column=NAMES["n"],
    )
    assert first.text == second.text == same.text
    assert (first.params, second.params) == ((1, 2), (3, 4))
    assert built == [1]  # the parts were asked for once
    with pytest.raises(ValueError, match="takes 2 values, 1 given"):
        select(5)


def test_a_template_binds_the_placeholders_its_parts_carry_in_text_order():
    names = {"table": NAMES["mot_test_sql"], "column": NAMES["n"]}
    inner = Template("SELECT {column} FROM {table} WHERE {column} = %s", lambda: names)
    row = row_placeholders(2)
    outer = Template("SELECT %s, ({inner}), {row}", lambda: {"inner": inner.part, "row": row})
    statement = outer(1, 2, 3, 4)
    assert statement.text == 'SELECT %s, (SELECT "n" FROM "mot_test_sql" WHERE "n" = %s), %s, %s'
    assert statement.params == (1, 2, 3, 4)
    assert inner.part == Sql('SELECT "n" FROM "mot_test_sql" WHERE "n" = %s')
    with pytest.raises(ValueError, match="takes 4 values, 1 given"):
        outer(1)


def test_a_template_refuses_parts_that_carry_values():
    with pytest.raises(ValueError, match="carry no values"):
        Template("SELECT 1 WHERE {x}", lambda: {"x": sql("n = %s", 1)})()


def test_identifier_parts_quote_names_and_lists_when_used(db):
    names = Identifiers("mot_test_sql", "n", "m")
    parts = names.parts(table="mot_test_sql", columns=("n", "m"), column="n")
    quote = connection.ops.quote_name
    assert parts() == {
        "table": Sql(quote("mot_test_sql")),
        "columns": Sql(f"{quote('n')}, {quote('m')}"),
        "column": Sql(quote("n")),
    }
    with pytest.raises(ValueError, match="not among the identifiers"):
        names.parts(table="auth_user")()


# --- a read-only statement as the connection's health check ----------------------------------


@pytest.fixture
def kept_connection(transactional_db, monkeypatch):
    """The default connection as a request finds it with CONN_HEALTH_CHECKS on: kept from an
    earlier request, its check due (outside a transaction: transactional_db); and the checks
    Django runs (``is_usable``, its ``SELECT 1``) counted."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    monkeypatch.setattr(db, "health_check_enabled", True)
    db.health_check_done = False
    checks = []
    is_usable = type(db).is_usable
    monkeypatch.setattr(type(db), "is_usable", lambda self: checks.append(1) or is_usable(self))
    db.checks = checks
    yield db
    del db.checks


def test_a_read_only_statement_is_the_connection_check(kept_connection):
    assert fetch(sql("SELECT 1 + %s", 1), read_only=True, prepared=True) == [(2,)]
    assert kept_connection.checks == []  # no SELECT 1 before it
    assert kept_connection.health_check_done
    kept_connection.health_check_done = False  # the next request
    assert fetch(sql("SELECT 2 + %s", 1), prepared=True) == [(3,)]
    assert kept_connection.checks == [1]  # another statement: Django's check first


def test_a_read_only_statement_inside_a_transaction_leaves_the_check_to_django(
    kept_connection,
):
    with transaction.atomic():
        assert fetch(sql("SELECT 1 + %s", 1), read_only=True) == [(2,)]
    assert kept_connection.checks == [1]


def test_a_failing_read_only_statement_raises_on_a_sound_connection(kept_connection):
    before = kept_connection.connection
    with pytest.raises(DatabaseError):
        fetch(sql("SELECT n FROM mot_no_such_table"), read_only=True)
    assert kept_connection.checks == [1]  # asked once whether the connection failed: no
    assert kept_connection.connection is before  # kept, the statement not run again


def test_a_read_only_statement_reconnects_once_the_server_closed_the_connection(
    kept_connection,
):
    if kept_connection.vendor != "postgresql":
        pytest.skip("a server that closes the connection: PostgreSQL")
    with kept_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    kept_connection.health_check_done = False
    params = kept_connection.get_connection_params()
    for key in ("cursor_factory", "context"):
        params.pop(key, None)
    with psycopg.connect(autocommit=True, **params) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    rows = fetch(sql("SELECT pg_backend_pid(), %s", 7), read_only=True, prepared=True)
    assert rows[0][1] == 7
    assert rows[0][0] != backend  # run again, on a new connection


def test_a_read_only_statement_reconnects_once_the_driver_closed_the_connection(
    kept_connection,
):
    if kept_connection.vendor != "postgresql":
        pytest.skip("SQLite's connections are always usable to Django's check")
    kept_connection.connection.close()  # behind Django's back, as a dropped socket leaves it
    assert fetch(sql("SELECT %s", 8), read_only=True, prepared=True) == [(8,)]
    assert kept_connection.checks == [1]  # the failure asked once: unusable, so connect again
