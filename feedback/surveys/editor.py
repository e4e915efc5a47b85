"""The survey editor's forms: a link's survey (``SurveyEditorForm``, saved as its config) and the
workspace's logo and accent colour (``BrandingForm``)."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from feedback.surveys.config import (
    DEFAULT_LABELS,
    LANGUAGE_CODES,
    MAX_LABEL,
    MAX_ORIGINS,
    MAX_TEXT,
    MAX_TITLE,
    NAMES,
    QUESTIONS,
    SCORED,
    survey_of,
)

# --- the survey ------------------------------------------------------------------------------

# scheme://host[:port], nothing else: each origin is written into a CSP header, so no space,
# quote, semicolon, path or wildcard can reach it.
_ORIGIN = re.compile(
    r"^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?::[0-9]{1,5})?$"
)


def clean_origins(text: str) -> list[str]:
    """The origins listed one a line (blank lines skipped), each ``https://host[:port]``."""
    origins: list[str] = []
    for line in text.splitlines():
        value = line.strip().lower().rstrip("/")
        if not value:
            continue
        if not _ORIGIN.match(value):
            raise forms.ValidationError(
                _("“%(origin)s” is not an origin like https://www.example.com."),
                params={"origin": line.strip()[:100]},
            )
        if value not in origins:
            origins.append(value)
    if len(origins) > MAX_ORIGINS:
        raise forms.ValidationError(_("List at most %(n)d origins."), params={"n": MAX_ORIGINS})
    return origins


def _text(label: str, limit: int, *, textarea: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput,
    )


class SurveyEditorForm(forms.Form):
    """A link's survey. Per language: its title, intro, thank-you text and each question's
    wording (blank: MOT's translated default). Per question: asked or not, its place, required
    or optional."""

    language = forms.ChoiceField(
        label=_("Survey language"),
        required=False,
        choices=[("", _("The visitor's browser")), *settings.LANGUAGES],
    )
    thanks_url = forms.URLField(
        label=_("Link on the thank-you page"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Optional: where customers may go next (http or https)."),
    )
    frame_origins = forms.CharField(
        label=_("Sites that may embed this survey"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One origin a line, like https://www.example.com. Other sites cannot show the "
            "survey in a frame."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in LANGUAGE_CODES:
            self.fields[f"title_{code}"] = _text(_("Title"), MAX_TITLE)
            self.fields[f"intro_{code}"] = _text(_("Introduction"), MAX_TEXT, textarea=True)
            self.fields[f"thanks_{code}"] = _text(_("Thank-you text"), MAX_TEXT, textarea=True)
        for position, key in enumerate(QUESTIONS, start=1):
            self.fields[f"ask_{key}"] = forms.BooleanField(label=_("Ask"), required=False)
            self.fields[f"required_{key}"] = forms.BooleanField(label=_("Required"), required=False)
            self.fields[f"order_{key}"] = forms.IntegerField(
                label=_("Order"), min_value=1, max_value=99, initial=position
            )
            for code in LANGUAGE_CODES:
                self.fields[f"label_{key}_{code}"] = _text(_("Wording"), MAX_LABEL)

    @classmethod
    def for_link(cls, link: Any, data: Any = None) -> SurveyEditorForm:
        """The form for a link, filled from its saved survey."""
        survey = survey_of(link.config)
        initial: dict[str, Any] = {
            "language": link.language,
            "thanks_url": survey.thanks_url,
            "frame_origins": "\n".join(survey.frame_origins),
        }
        for code in LANGUAGE_CODES:
            initial[f"title_{code}"] = survey.titles.get(code, "")
            initial[f"intro_{code}"] = survey.intros.get(code, "")
            initial[f"thanks_{code}"] = survey.thanks.get(code, "")
        asked = {q.key: (i, q) for i, q in enumerate(survey.questions, start=1)}
        for position, key in enumerate(QUESTIONS, start=1):
            place, question = asked.get(key, (None, None))
            initial[f"ask_{key}"] = question is not None
            initial[f"required_{key}"] = bool(question and question.required)
            initial[f"order_{key}"] = place or len(asked) + position
            for code in LANGUAGE_CODES:
                initial[f"label_{key}_{code}"] = question.labels.get(code, "") if question else ""
        return cls(data, initial=initial)

    def clean_frame_origins(self) -> list[str]:
        return clean_origins(self.cleaned_data["frame_origins"])

    def clean_thanks_url(self) -> str:
        url = self.cleaned_data["thanks_url"]
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(_("Enter an http or https address."))
        return url

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any(cleaned.get(f"ask_{key}") for key in SCORED):
            raise forms.ValidationError(
                _("Ask NPS or CSAT: every answer is scored by at least one of them.")
            )
        return cleaned

    # What the editor page shows, grouped.

    def languages(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (code, name, [self[f"title_{code}"], self[f"intro_{code}"], self[f"thanks_{code}"]])
            for code, name in settings.LANGUAGES
        ]

    def questions(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "name": NAMES[key],
                "default": DEFAULT_LABELS[key],
                "ask": self[f"ask_{key}"],
                "required": self[f"required_{key}"],
                "order": self[f"order_{key}"],
                "labels": [
                    (code, name, self[f"label_{key}_{code}"]) for code, name in settings.LANGUAGES
                ],
            }
            for key in QUESTIONS
        ]

    def ordered_questions(self) -> list[dict[str, Any]]:
        """The questions in the order their Order fields give (as typed, when the form comes
        back with errors); a field that is not a number sorts last."""

        def place(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
            position, question = item
            value = question["order"].value()
            try:
                return int(value), position
            except (TypeError, ValueError):
                return 100, position

        return [q for _position, q in sorted(enumerate(self.questions()), key=place)]

    def described_errors(self) -> list[str]:
        """Every error, each named by its field, question and language (the preview lists them
        away from the fields they belong to)."""
        languages = dict(settings.LANGUAGES)
        described: list[str] = []
        for name, errors in self.errors.items():
            parts: list[str] = []
            if name in self.fields:
                parts.append(str(self.fields[name].label))
                _prefix, _sep, rest = name.partition("_")
                key, _sep, code = rest.rpartition("_")
                if rest in NAMES or key in NAMES:
                    parts.append(str(NAMES[rest if rest in NAMES else key]))
                if code in languages:
                    parts.append(languages[code])
            described += [" · ".join([*parts, str(error)]) for error in errors]
        return described

    def config(self) -> dict[str, Any]:
        """The link's config (feedback.surveys.config) from the valid form."""
        data = self.cleaned_data

        def texts(prefix: str) -> dict[str, str]:
            return {
                code: data[f"{prefix}_{code}"].strip()
                for code in LANGUAGE_CODES
                if data[f"{prefix}_{code}"].strip()
            }

        order = sorted(
            (data[f"order_{key}"], position, key)
            for position, key in enumerate(QUESTIONS)
            if data[f"ask_{key}"]
        )
        return {
            "title": texts("title"),
            "intro": texts("intro"),
            "thanks": texts("thanks"),
            "thanks_url": data["thanks_url"],
            "frame_origins": data["frame_origins"],
            "questions": [
                {
                    "key": key,
                    "required": data[f"required_{key}"],
                    "label": texts(f"label_{key}"),
                }
                for _order, _position, key in order
            ],
        }


# --- the workspace's look --------------------------------------------------------------------

LOGO_MAX_BYTES = 200 * 1024
LOGO_MAX_PIXELS = 2000  # on either side
# The image formats Pillow may find, and what the logo is served as. No SVG: it can hold script.
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class BrandingForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("A PNG, JPEG, GIF or WebP image of at most 200 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(LOGO_TYPES.values())}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    accent = forms.CharField(
        label=_("Accent colour"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Buttons and chosen answers on the survey, as #rrggbb."),
    )

    def clean_logo(self) -> tuple[bytes, str, str] | None:
        """The image's bytes, MIME type and hash, judged by its content (not its name)."""
        upload = self.cleaned_data["logo"]
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be at most 200 KB."))
        content = upload.read(LOGO_MAX_BYTES + 1)
        if len(content) > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be at most 200 KB."))
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format
                width, height = image.size
                image.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            kind = None
        if kind not in LOGO_TYPES:
            raise forms.ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
        if max(width, height) > LOGO_MAX_PIXELS:
            raise forms.ValidationError(
                _("The logo must be at most %(n)d pixels wide and high."),
                params={"n": LOGO_MAX_PIXELS},
            )
        return content, LOGO_TYPES[kind], hashlib.sha256(content).hexdigest()[:16]

    def clean_accent(self) -> str:
        value = self.cleaned_data["accent"].strip()
        if value and not _HEX.match(value):
            raise forms.ValidationError(_("Enter a colour as #rrggbb."))
        return value.lower()
