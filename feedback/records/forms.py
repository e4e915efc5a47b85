"""The "Log a record" form of a touchpoint's card: a complaint, an interview note, a social
post or a call note, with no score."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from feedback.experience import NotedExperience
from feedback.models import RECORD_KINDS, Kind
from mot.validation import DayField


class RecordForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k, label) for k, label in Kind.choices if k in RECORD_KINDS]
    )
    comment = forms.CharField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the customer said or wrote, or your notes."),
    )
    day = DayField(label=_("Date"), required=True)
    # The text's language, for the comment themes (stop words and stems per language).
    language = forms.ChoiceField(label=_("Language of the text"), choices=settings.LANGUAGES)
    customer = forms.CharField(label=_("Customer id"), max_length=200, required=False)
    experience = forms.ChoiceField(
        label=_("Experience"),
        choices=NotedExperience.choices,
        initial=NotedExperience.UNKNOWN,
        widget=forms.RadioSelect,
    )
    # A new id per form shown: posting the same form twice (a double click, a resent request)
    # stores one record, as the answer id is made of it.
    submission = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$", _("This form has expired; send it again."))],
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "submission": uuid.uuid4().hex,
                "day": timezone.localdate(),
                "language": get_language() or "en",
            },
        )
        super().__init__(*args, **kwargs)
