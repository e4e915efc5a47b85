"""A customer's contact as an answer carries it: an e-mail address or a phone number."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_CONTACT = 200
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,30}")


def clean_contact(text: str | None) -> str:
    """The contact stripped, or "" when empty; ValueError (translated) when it is neither an
    e-mail address nor a phone number."""
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) > MAX_CONTACT:
        raise ValueError(_("is longer than %(max)d characters") % {"max": MAX_CONTACT})
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(_("is not an e-mail address")) from None
        return text
    if _PHONE.fullmatch(text) and sum(c.isdigit() for c in text) >= 5:
        return text
    raise ValueError(_("is neither an e-mail address nor a phone number"))
