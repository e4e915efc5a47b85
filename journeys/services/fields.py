"""The checks of typed-in values that every journey write shares: the ``ValidationError`` names
the field, so a form shows it where the user typed."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError(
            {
                field: _("At most %(n)d characters (it has %(m)d).")
                % {"n": max_length, "m": len(value)}
            }
        )
    return value


def clean_choice(
    value: str, *, field: str, choices: Iterable[str], allow_blank: bool = False
) -> str:
    if allow_blank and value == "":
        return value
    if value not in set(choices):
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})
    return value
