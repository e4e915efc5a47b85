"""What a survey link's survey asks and says, as its editor set it (``SurveyLink.config``).

The configuration is a small JSON document on the link, read by the public page's one SELECT
(feedback.surveys.selectors) with the link itself: no query and no per-process cache of its own,
so every worker always shows what the editor last saved. Building a :class:`Survey` from it is a
few dictionary reads; the empty configuration (a link never edited) is MOT's default survey,
built once.

Texts are stored per language code; a blank or missing text is MOT's translated default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Every question a survey may ask, in MOT's default order.
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "respect": (1, 5),
    "solutions": (1, 5),
    "simplicity": (1, 5),
    "responsibility": (1, 5),
}
TEXTS = ("comment", "contact")
QUESTIONS = (*SCALES, *TEXTS)
# An answer is scored by NPS or CSAT (the database refuses one without either): a survey asks
# at least one of them.
SCORED = ("nps", "csat")

DEFAULT_LABELS = {
    "nps": _("How likely are you to recommend us to a friend or colleague?"),
    "csat": _("How satisfied are you with this experience?"),
    "ces": _("The company made it easy to handle my issue."),
    "respect": _("Respect: we treated you with respect"),
    "solutions": _("Solutions: we solved what you needed"),
    "simplicity": _("Simplicity: it was simple and easy"),
    "responsibility": _("Responsibility: we took responsibility"),
    "comment": _("Anything you would like to tell us?"),
    "contact": _("May we contact you about your answer?"),
}
# What the editor calls each question (its own name, not the customer's wording).
NAMES = {
    "nps": _("NPS (0–10)"),
    "csat": _("CSAT (1–5)"),
    "ces": _("Customer effort, CES (1–7)"),
    "respect": _("Respect (1–5)"),
    "solutions": _("Solutions (1–5)"),
    "simplicity": _("Simplicity (1–5)"),
    "responsibility": _("Responsibility (1–5)"),
    "comment": _("Comment"),
    "contact": _("May we contact you?"),
}
DEFAULT_TITLE = _("How was your experience?")
DEFAULT_THANKS = _("Your answer has been received. It helps us do better.")
# MOT's survey before the editor: everything but CES, all optional (NPS or CSAT needed).
DEFAULT_ASKED = ("nps", "csat", "respect", "solutions", "simplicity", "responsibility", *TEXTS)

MAX_TITLE = 200
MAX_TEXT = 1000
MAX_LABEL = 300
MAX_ORIGINS = 10

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    required: bool
    labels: Mapping[str, str]  # the editor's wording per language; missing: MOT's default

    def label(self, language: str) -> str:
        return self.labels.get(language) or str(DEFAULT_LABELS[self.key])

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.key)


@dataclass(frozen=True, slots=True)
class Survey:
    questions: tuple[Question, ...]
    titles: Mapping[str, str]
    intros: Mapping[str, str]
    thanks: Mapping[str, str]
    thanks_url: str
    frame_origins: tuple[str, ...]

    @property
    def asked(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    @property
    def either_score(self) -> bool:
        """Both NPS and CSAT asked, neither required: one of them must be answered."""
        asked = self.asked
        return all(k in asked and not asked[k].required for k in SCORED)

    def title(self, language: str) -> str:
        return self.titles.get(language) or str(DEFAULT_TITLE)

    def intro(self, language: str) -> str:
        return self.intros.get(language, "")

    def thanks_text(self, language: str) -> str:
        return self.thanks.get(language) or str(DEFAULT_THANKS)


def _texts(value: Any, limit: int) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {
        code: text[:limit]
        for code, text in value.items()
        if code in LANGUAGE_CODES and isinstance(text, str) and text.strip()
    }


def survey_of(config: Mapping[str, Any] | None) -> Survey:
    """The survey a link's stored configuration describes (anything unexpected in it is left
    out, so a hand-edited row never breaks the public page)."""
    if not config:
        return DEFAULT_SURVEY
    questions: list[Question] = []
    seen: set[str] = set()
    for item in config.get("questions") or ():
        key = item.get("key") if isinstance(item, dict) else None
        if key not in QUESTIONS or key in seen:
            continue
        seen.add(key)
        questions.append(
            Question(key, bool(item.get("required")), _texts(item.get("label"), MAX_LABEL))
        )
    scored = [q for q in questions if q.key in SCORED]
    if not scored:  # never saved like this by the editor; MOT's default questions instead
        questions = list(DEFAULT_SURVEY.questions)
    elif len(scored) == 1 and not scored[0].required:
        # The one score asked is what makes the answer storable: it is required.
        only = scored[0]
        questions[questions.index(only)] = Question(only.key, True, only.labels)
    origins = config.get("frame_origins") or ()
    return Survey(
        questions=tuple(questions),
        titles=_texts(config.get("title"), MAX_TITLE),
        intros=_texts(config.get("intro"), MAX_TEXT),
        thanks=_texts(config.get("thanks"), MAX_TEXT),
        thanks_url=str(config.get("thanks_url") or ""),
        frame_origins=tuple(o for o in origins if isinstance(o, str)),
    )


DEFAULT_SURVEY = Survey(
    questions=tuple(Question(key, False, {}) for key in DEFAULT_ASKED),
    titles={},
    intros={},
    thanks={},
    thanks_url="",
    frame_origins=(),
)
