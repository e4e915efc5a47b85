"""mot.validation: the one text check, the one date filter field, ids an IN (…) cannot take."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django import forms
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mot.validation import (
    EARLIEST_DAY,
    MAX_ID,
    DayField,
    IdsField,
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


# --- days ---------------------------------------------------------------------------------------


class Filters(forms.Form):
    since = DayField(label="Since")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1970-01-01", True),
        ("1969-12-31", False),
        ("0001-01-01", False),
        ("9999-12-31", False),
        ((timezone.localdate() + timedelta(days=366)).isoformat(), True),
        ((timezone.localdate() + timedelta(days=367)).isoformat(), False),
        ("", True),
        ("not a day", False),
    ],
)
def test_day_field_bounds_and_names_the_field(value, ok):
    form = Filters({"since": value})
    assert form.is_valid() == ok
    if not ok and "-" in value:
        assert form.errors["since"][0].startswith("“Since” must be a day from ")


def test_the_bounds_leave_room_for_any_period_arithmetic():
    # A period from the earliest to the latest day, and the one of equal length before it.
    latest = timezone.localdate() + timedelta(days=366)
    length = latest - EARLIEST_DAY
    assert EARLIEST_DAY - length - timedelta(days=1) > date.min
    assert latest + length + timedelta(days=1) < date.max


def test_day_field_is_a_date_picker_with_its_least_day():
    html = str(Filters()["since"])
    assert 'type="date"' in html
    assert 'min="1970-01-01"' in html


# --- ids ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [str(MAX_ID + 1), str(-MAX_ID - 2), "9" * 40])
def test_ids_beyond_a_bigint_are_not_choices_and_query_nothing(pk, django_assert_num_queries):
    from journeys.models import Touchpoint

    field = IdsField(queryset=Touchpoint.objects.all())
    with django_assert_num_queries(0), pytest.raises(forms.ValidationError) as excinfo:
        field.clean([pk])
    assert excinfo.value.code == "invalid_pk_value"
