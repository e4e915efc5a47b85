"""The public survey form: NPS, CSAT, the four expectations, a comment."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from feedback.followups.contact import clean_contact
from feedback.services import RATINGS


class SurveyLinkForm(forms.Form):
    """A new survey link: the language its survey is shown in."""

    language = forms.ChoiceField(
        label=_("Survey language"),
        required=False,
        choices=[("", _("The visitor's browser")), *settings.LANGUAGES],
        help_text=_(
            "A browser asking for a language MOT does not have gets the workspace's default."
        ),
    )


def _scale(low: int, high: int) -> tuple[tuple[str, str], ...]:
    return tuple((str(n), str(n)) for n in range(low, high + 1))


class ScaleField(forms.TypedChoiceField):
    """A fixed rating scale. Its choices are never changed, so every form shares them: the
    choice field's deep copy of its choices on each form was a fifth of the survey POST's CPU
    (bench/survey_load.py)."""

    def __deepcopy__(self, memo: dict) -> ScaleField:
        return forms.Field.__deepcopy__(self, memo)


def _rating(label: str, *, low: int = 1, high: int = 5) -> ScaleField:
    return ScaleField(
        label=label,
        choices=_scale(low, high),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class SurveyForm(forms.Form):
    nps = _rating(_("How likely are you to recommend us to a friend or colleague?"), low=0, high=10)
    csat = _rating(_("How satisfied are you with this experience?"))
    respect = _rating(_("Respect: we treated you with respect"))
    solutions = _rating(_("Solutions: we solved what you needed"))
    simplicity = _rating(_("Simplicity: it was simple and easy"))
    responsibility = _rating(_("Responsibility: we took responsibility"))
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact = forms.CharField(
        label=_("May we contact you about your answer?"),
        help_text=_("Leave an e-mail address or a phone number if you would like us to."),
        required=False,
        max_length=200,
    )
    # The customer named by ?c= on the link, carried through the form.
    customer = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    # One id per rendered form: posting the same form twice (a double tap, a resend) stores once.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    RATINGS = RATINGS

    def clean_customer(self) -> str | None:
        return self.cleaned_data["customer"].strip() or None

    def clean_contact(self) -> str:
        try:
            return clean_contact(self.cleaned_data["contact"])
        except ValueError as exc:
            raise forms.ValidationError(
                _("Please leave an e-mail address or a phone number, or nothing.")
            ) from exc

    def clean_submission(self) -> str:
        try:
            return str(uuid.UUID(self.cleaned_data["submission"], version=4))
        except ValueError:
            # Missing or mangled: treat it as a new submission rather than refuse the answer.
            return str(uuid.uuid4())

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and cleaned.get("nps") is None and cleaned.get("csat") is None:
            self.add_error("nps", _("Please answer at least this question or the next one."))
        return cleaned
