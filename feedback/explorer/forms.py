"""The explorer's filters, read from the query string.

The journey, stage and touchpoint choices come from the one list of the workspace's touchpoints
the page loads anyway, so validating costs no query and another workspace's id is simply "not a
choice". A value that does not validate is left out of the filter and its error is shown.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from feedback.experience import NotedExperience
from feedback.explorer.selectors import ExplorerFilter
from feedback.models import Kind, Source
from journeys.models import MotStage, Touchpoint
from journeys.selectors import NO_MOMENT
from mot.validation import DayField

ARROW = (
    "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"  # between journey and stage, as on the rows
)


def _score(label: str, low: int, high: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"}),
    )


def _pick(label: str) -> forms.TypedChoiceField:
    # Only the workspace's own ids are choices; any other id gets Django's "not one of the
    # available choices".
    return forms.TypedChoiceField(label=label, required=False, coerce=int, empty_value=None)


class ExplorerForm(forms.Form):
    q = forms.CharField(
        label=_("Search comments"),
        max_length=200,
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("Words in the comment, e.g. delivery")}),
    )
    journey = _pick(_("Journey"))
    stage = _pick(_("Stage"))
    touchpoint = _pick(_("Touchpoint"))
    mot_stage = forms.ChoiceField(label=_("Moment of truth"), required=False)
    experience = forms.ChoiceField(
        label=_("Experience"),
        required=False,
        choices=[("", _("Any experience")), *NotedExperience.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Kind.choices]
    )
    nps_min = _score(_("NPS from"), 0, 10)
    nps_max = _score(_("NPS to"), 0, 10)
    csat_min = _score(_("CSAT from"), 1, 5)
    csat_max = _score(_("CSAT to"), 1, 5)
    date_from = DayField(label=_("Submitted from"))
    date_to = DayField(label=_("Submitted until"))
    has_comment = forms.BooleanField(label=_("Only answers with a comment"), required=False)
    customer = forms.CharField(label=_("Customer id"), max_length=200, required=False)
    segment = forms.CharField(label=_("Segment"), max_length=100, required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *Source.choices]
    )
    language = forms.CharField(
        label=_("Language"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"list": "explorer-languages", "size": 6}),
    )

    theme = forms.CharField(
        label=_("Theme"),
        max_length=130,
        required=False,
        help_text=_("Words matched in every form (“entregas” finds “entrega”), or a theme."),
    )

    RANGES = (("nps_min", "nps_max"), ("csat_min", "csat_max"), ("date_from", "date_to"))

    def __init__(self, *args, touchpoints: list[Touchpoint], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        journeys: dict[int, str] = {}
        stages: dict[int, str] = {}
        grouped: dict[str, list[tuple[int, str]]] = {}
        for tp in touchpoints:
            journey = tp.journey.name
            if tp.journey.archived:
                journey = _("%(name)s (archived)") % {"name": journey}
            journeys.setdefault(tp.journey_id, journey)
            path = f"{journey} {ARROW} {tp.stage.name}"
            stages.setdefault(tp.stage_id, path)
            grouped.setdefault(path, []).append((tp.pk, tp.title))
        self.fields["journey"].choices = [("", _("All journeys")), *journeys.items()]
        self.fields["stage"].choices = [("", _("All stages")), *stages.items()]
        self.fields["touchpoint"].choices = [("", _("All touchpoints")), *grouped.items()]
        self.fields["mot_stage"].choices = [
            ("", _("Any moment")),
            *MotStage.choices,
            (NO_MOMENT, _("No moment tagged")),
        ]

    def clean(self):
        data = super().clean()
        for low, high in self.RANGES:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(
                    high,
                    _("Must not be below “%(low)s”.") % {"low": self.fields[low].label},
                )
                del data[low]  # the range as a whole is ignored, not half of it
        return data

    def filters(self) -> ExplorerFilter:
        """The valid filters; a value that does not validate (a stale link, a typo) is left out."""
        self.is_valid()  # fields with errors are not in cleaned_data
        data = self.cleaned_data
        return ExplorerFilter(
            q=(data.get("q") or "").strip(),
            journey_id=data.get("journey"),
            stage_id=data.get("stage"),
            touchpoint_id=data.get("touchpoint"),
            mot_stage=data.get("mot_stage") or "",
            experience=data.get("experience") or "",
            nps_min=data.get("nps_min"),
            nps_max=data.get("nps_max"),
            csat_min=data.get("csat_min"),
            csat_max=data.get("csat_max"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            has_comment=bool(data.get("has_comment")),
            customer=(data.get("customer") or "").strip(),
            segment=(data.get("segment") or "").strip(),
            source=data.get("source") or "",
            kind=data.get("kind") or "",
            language=(data.get("language") or "").strip(),
            theme=(data.get("theme") or "").strip(),
        )


def language_suggestions() -> list[tuple[str, str]]:
    """The languages the app speaks, offered in the language field's list (any code works)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]
