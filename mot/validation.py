"""The checks every input passes, written once: the text a request carries and the days a date
filter accepts.

Text: PostgreSQL's text type cannot hold NUL, and UTF-8 (what we store and send) cannot encode
a lone surrogate half, the one thing a JSON "\\ud800" escape or the bytes ED A0 80 decode to. A
browser sends neither; a broken or hostile client does, and without one check at the edge each
would reach a query and answer 500. :func:`text_problem` is that check:
``mot.middleware.InputCheckMiddleware`` runs it on every query string, form field, JSON string,
cookie and path parameter, and the journey file import (a file's contents, which the middleware
leaves alone) runs it through :func:`json_problems` too.

Ids: :class:`IdsField` keeps an id no database column can hold out of an ``IN (…)`` query
(Django already answers "no such row" for one such id).

Days: :class:`DayField` is every date filter's field (the API's ``since`` uses its range too).
Its range keeps "the day after the last" and "the period before this one" arithmetic far from
``date.min``/``date.max`` (a filter of 9999-12-31 or 0001-01-01 once answered 500), and a typo
such as 0202 for 2020 is said, not searched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote_to_bytes

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

# --- text --------------------------------------------------------------------------------------


def text_problem(value: str | bytes) -> str | None:
    """Why ``value`` cannot be taken as text, or None when it can. Bytes are read as UTF-8,
    strictly: the three bytes of an encoded surrogate half are not UTF-8."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return _("must be UTF-8 text")
    if "\x00" in value:
        return _("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("must not contain lone surrogates (invalid Unicode)")
    return None


_UNSHOWABLE = re.compile("[\x00\ud800-\udfff]")


def shown(name: str | bytes, limit: int = 80) -> str:
    """A field's name fit to show back: a bad name is itself the problem, so its NUL, surrogates
    and undecodable bytes become U+FFFD rather than being echoed."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    name = _UNSHOWABLE.sub("\N{REPLACEMENT CHARACTER}", name)
    return name if len(name) <= limit else name[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def form_pairs(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The undecoded names and values of a query string or urlencoded body. Django decodes them
    with replacement characters, which would hide invalid bytes; these are read as sent."""
    for chunk in raw.split(b"&"):
        if chunk:
            name, _sep, value = chunk.partition(b"=")
            yield (
                unquote_to_bytes(name.replace(b"+", b" ")),
                unquote_to_bytes(value.replace(b"+", b" ")),
            )


def form_problems(raw: bytes) -> Iterator[tuple[str, str]]:
    """(field, problem) for each bad name or value of a query string or urlencoded body."""
    for name, value in form_pairs(raw):
        problem = text_problem(name) or text_problem(value)
        if problem:
            yield shown(name), problem


JsonPath = tuple[str | int, ...]


def json_problems(document: Any) -> Iterator[tuple[JsonPath, str]]:
    """(path, problem) for each bad string of a decoded JSON document, object keys included, in
    document order; the path lists the keys and list indexes leading to it. Walks without
    recursion, so depth is only what ``json`` itself could build."""
    stack: list[tuple[JsonPath, Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if problem := text_problem(value):
                yield path, problem
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append(((*path, key), item))
                stack.append(((*path, shown(key)), key))  # the key itself, checked first
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in reversed(list(enumerate(value))))


# --- ids ---------------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # a bigint, the widest id column: a larger id is no row, never a query


class IdsField(forms.ModelMultipleChoiceField):
    """Several objects by id. Django asks for them with one ``IN (…)``, and unlike its one-id
    lookups that query fails on an id beyond a bigint (the database cannot take the number):
    such an id is refused like any id that is not a choice, before the query."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for pk in value:
                try:
                    number = int(str(pk).strip())
                except ValueError:
                    continue  # Django's own check names it
                if not -MAX_ID - 1 <= number <= MAX_ID:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": shown(str(pk), 40)},
                    )
        return super().clean(value)


# --- days --------------------------------------------------------------------------------------

# The earliest day a date filter takes: the Unix epoch, what "from the beginning" means to the
# tools and APIs that send us answers (``since=1970-01-01`` must keep working), and older than
# any customer answer a survey tool has. The latest: a year from today, for a bookmarked "until
# the end of next quarter"; answers are never in the future, but a filter that ends tomorrow
# (another time zone's today) is no mistake. Both stay centuries from date.min and date.max, so
# no period arithmetic on them (the day after the last, the period before this one) overflows.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_AHEAD = timedelta(days=366)


def day_bounds(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return EARLIEST_DAY, today + LATEST_AHEAD


def day_problem(day: date, *, field: str, today: date | None = None) -> str | None:
    """Why ``day`` is refused as a date filter's value, naming the field, or None."""
    earliest, latest = day_bounds(today)
    if earliest <= day <= latest:
        return None
    return _("“%(field)s” must be a day from %(earliest)s to %(latest)s.") % {
        "field": field,
        "earliest": formats.date_format(earliest),
        "latest": formats.date_format(latest),
    }


class DayField(forms.DateField):
    """A date filter's field: a day within :func:`day_bounds`, shown as a date picker."""

    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is not None:
            problem = day_problem(value, field=str(self.label or ""))
            if problem:
                raise ValidationError(problem, code="day_out_of_range")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No "max": fields are built once per process, and "a year from today" moves.
        return {**super().widget_attrs(widget), "min": EARLIEST_DAY.isoformat()}
