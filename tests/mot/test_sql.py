"""mot.sql: statements take identifiers from an allow-list only and every value as a parameter."""

from __future__ import annotations

import pytest
from django.db import connection

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
