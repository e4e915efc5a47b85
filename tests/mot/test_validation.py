"""mot.validation: the one text check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mot.validation import (
    form_problems,
    json_problems,
    text_problem,
)

# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("plain", None),
        ("Café ☕ 日本語 🙂", None),
        ("\ufffd", None),  # the replacement character is text like any other
        ("a\x00b", "must not contain NUL characters"),
        ("a\ud800b", "must not contain lone surrogates (invalid Unicode)"),
        ("\udfff", "must not contain lone surrogates (invalid Unicode)"),
        (b"caf\xc3\xa9", None),
        (b"a\x00b", "must not contain NUL characters"),
        (b"\xed\xa0\x80", "must be UTF-8 text"),  # a surrogate half encoded anyway
        (b"\xff", "must be UTF-8 text"),
    ],
)
def test_text_problem(value, problem):
    assert text_problem(value) == problem


@given(st.text())
def test_text_is_refused_exactly_when_postgresql_could_not_store_it(value):
    storable = "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    assert (text_problem(value) is None) == storable


def test_form_problems_read_the_bytes_as_sent():
    raw = b"ok=fine&q=a%00b&name=%ED%A0%80&plus=a+b&bad%00name=1&empty="
    assert list(form_problems(raw)) == [
        ("q", "must not contain NUL characters"),
        ("name", "must be UTF-8 text"),
        ("bad\N{REPLACEMENT CHARACTER}name", "must not contain NUL characters"),
    ]


def test_json_problems_name_the_path_keys_included():
    document = {
        "fine": ["a", 1, None, True, {"deep": "ok"}],
        "responses": [{"comment": "ok"}, {"comment": "x\x00", "k\ud800": 1}],
    }
    assert list(json_problems(document)) == [
        (("responses", 1, "comment"), "must not contain NUL characters"),
        (
            ("responses", 1, "k\N{REPLACEMENT CHARACTER}"),
            "must not contain lone surrogates (invalid Unicode)",
        ),
    ]


def test_json_problems_walk_deep_documents_without_recursion():
    document: object = "\x00"
    for _ in range(5000):
        document = [document]
    assert len(list(json_problems(document))) == 1
