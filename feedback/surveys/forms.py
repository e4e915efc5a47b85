"""The public survey form: NPS, CSAT, the four expectations, a comment."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.http import QueryDict
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
        return _submission_id(self.cleaned_data["submission"])

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and cleaned.get("nps") is None and cleaned.get("csat") is None:
            self.add_error("nps", _("Please answer at least this question or the next one."))
        return cleaned


def _submission_id(text: str) -> str:
    try:
        return str(uuid.UUID(text, version=4))
    except ValueError:
        # Missing or mangled: treat it as a new submission rather than refuse the answer.
        return str(uuid.uuid4())


_SCALES = {
    name: frozenset(value for value, _label in SurveyForm.base_fields[name].choices)
    for name in ("nps", "csat", *RATINGS)
}
_TEXTS = {
    name: SurveyForm.base_fields[name].max_length
    for name in ("comment", "contact", "customer", "submission")
}


def plainly_valid(data: QueryDict) -> dict | None:
    """What ``SurveyForm(data).cleaned_data`` would be, for a post the form accepts at a glance,
    without building the form: building and cleaning its ten fields was a fifth of the survey
    POST's CPU (bench/survey_load.py). ``None`` for anything else, which the form then judges:
    every error a customer sees still comes from the form alone.

    The form's own rules: a scale's value is one of its choices (as sent: no stripping) or
    empty, text is stripped and no longer than its field's ``max_length``, with no NUL; the
    contact passes ``clean_contact``; NPS or CSAT is answered. Like the form's widgets, it reads
    the last value of a repeated field."""
    cleaned: dict = {}
    for name, scale in _SCALES.items():
        value = data.get(name)
        if value is None or value == "":
            cleaned[name] = None
        elif value in scale:
            cleaned[name] = int(value)
        else:
            return None
    if cleaned["nps"] is None and cleaned["csat"] is None:
        return None
    for name, max_length in _TEXTS.items():
        value = (data.get(name) or "").strip()
        if len(value) > max_length or "\x00" in value:
            return None
        cleaned[name] = value
    if cleaned["contact"]:
        try:
            cleaned["contact"] = clean_contact(cleaned["contact"])
        except ValueError:
            return None
    cleaned["customer"] = cleaned["customer"] or None
    cleaned["submission"] = _submission_id(cleaned["submission"])
    return cleaned


class InvitedForm(forms.Form):
    """How many customers a survey link was sent to; empty when unknown."""

    invited = forms.IntegerField(
        label=_("Invited"), required=False, min_value=0, max_value=2_000_000_000
    )
