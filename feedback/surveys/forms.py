"""The public survey form: NPS, CSAT, the four expectations, a comment."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from feedback.followups.contact import clean_contact
from feedback.services import RATINGS
from feedback.surveys.config import (
    DEFAULT_LABELS,
    DEFAULT_SURVEY,
    QUESTIONS,
    SCALES,
    SCORED,
    TEXTS,
    Survey,
)


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
    """The public survey: the questions its link's :class:`Survey` asks, in its order and
    wording. The fields are declared once (their scales shared, see ScaleField); a form only
    drops those not asked and sets the others' wording and whether they are required."""

    nps = _rating(DEFAULT_LABELS["nps"], low=0, high=10)
    csat = _rating(DEFAULT_LABELS["csat"])
    ces = _rating(DEFAULT_LABELS["ces"], low=1, high=7)
    respect = _rating(DEFAULT_LABELS["respect"])
    solutions = _rating(DEFAULT_LABELS["solutions"])
    simplicity = _rating(DEFAULT_LABELS["simplicity"])
    responsibility = _rating(DEFAULT_LABELS["responsibility"])
    comment = forms.CharField(
        label=DEFAULT_LABELS["comment"],
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact = forms.CharField(
        label=DEFAULT_LABELS["contact"],
        help_text=_("Leave an e-mail address or a phone number if you would like us to."),
        required=False,
        max_length=200,
    )
    # The customer named by ?c= on the link, carried through the form.
    customer = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    # One id per rendered form: posting the same form twice (a double tap, a resend) stores once.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    RATINGS = RATINGS

    def __init__(
        self, *args: Any, survey: Survey = DEFAULT_SURVEY, language: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        asked = survey.asked
        for name in QUESTIONS:
            question = asked.get(name)
            if question is None:
                del self.fields[name]
                continue
            field = self.fields[name]
            field.required = question.required
            if language in question.labels:
                field.label = question.label(language)

    def questions(self) -> list[dict[str, Any]]:
        """The questions asked, in the survey's order: each with its bound field and, for a
        scale, its options and the value chosen. The template writes the radios itself: Django's
        widget templates, one per option (36 on MOT's default survey), were three quarters of
        the survey page's time (bench/survey_page.py)."""
        rows = []
        either = self.survey.either_score
        for question in self.survey.questions:
            key = question.key
            field = self[key]
            radios = ""
            if key in SCALES:
                value = field.value()
                radios = _radios(key, "" if value is None else str(value), question.required)
            rows.append(
                {
                    "key": key,
                    "field": field,
                    "radios": radios,
                    "size": len(_OPTIONS.get(key, ())),
                    # NPS and CSAT, when either will do, are not marked: one of them is needed.
                    "optional": not question.required and not (either and key in SCORED),
                }
            )
        return rows

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
        # What the survey does not ask is not stored, whatever was posted.
        for name in QUESTIONS:
            if name not in self.fields:
                cleaned[name] = "" if name in TEXTS else None
        if (
            not self.errors
            and self.survey.either_score
            and cleaned.get("nps") is None
            and cleaned.get("csat") is None
        ):
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
    for name in SCALES
}
# Each scale's options as the page writes them: (value, the radio's id).
_OPTIONS = {
    name: tuple((str(n), f"id_{name}_{i}") for i, n in enumerate(range(low, high + 1)))
    for name, (low, high) in SCALES.items()
}


def _radios(name: str, chosen: str, required: bool) -> SafeString:
    """A scale's radios, as RadioSelect would write them (ids ``id_<name>_<i>``), each in the
    label the page styles. Only MOT's own names and digits: nothing to escape."""
    extra = " required" if required else ""
    return mark_safe(  # noqa: S308
        "".join(
            f'<label for="{id_}"><input type="radio" name="{name}" value="{value}" id="{id_}"'
            f"{' checked' if value == chosen else ''}{extra}><span>{value}</span></label>"
            for value, id_ in _OPTIONS[name]
        )
    )


_TEXTS = {
    name: SurveyForm.base_fields[name].max_length
    for name in ("comment", "contact", "customer", "submission")
}


def plainly_valid(data: QueryDict, survey: Survey = DEFAULT_SURVEY) -> dict | None:
    """What ``SurveyForm(data).cleaned_data`` would be, for a post the form accepts at a glance,
    without building the form: building and cleaning its ten fields was a fifth of the survey
    POST's CPU (bench/survey_load.py). ``None`` for anything else, which the form then judges:
    every error a customer sees still comes from the form alone.

    The form's own rules: a scale's value is one of its choices (as sent: no stripping) or
    empty, text is stripped and no longer than its field's ``max_length``, with no NUL; the
    contact passes ``clean_contact``; every required question is answered, and NPS or CSAT;
    what the survey does not ask is left out. Like the form's widgets, it reads the last value
    of a repeated field."""
    cleaned: dict = {}
    asked = survey.asked
    for name, scale in _SCALES.items():
        question = asked.get(name)
        value = data.get(name) if question is not None else None
        if value is None or value == "":
            if question is not None and question.required:
                return None
            cleaned[name] = None
        elif value in scale:
            cleaned[name] = int(value)
        else:
            return None
    if cleaned["nps"] is None and cleaned["csat"] is None:
        return None
    for name, max_length in _TEXTS.items():
        if name in TEXTS and name not in asked:
            cleaned[name] = ""
            continue
        value = (data.get(name) or "").strip()
        if len(value) > max_length or "\x00" in value:
            return None
        if not value and name in asked and asked[name].required:
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
