"""The dashboard's filter form: journey, period (a preset or dates), channel, moment of truth and
the trend's granularity, read from the query string (a stale link's bad value is left out)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journeys.filters import NO_MOMENT
from journeys.models import Channel, Journey, MotStage
from metrics.read.dashboard import DashboardFilter, Period
from mot.validation import DayField

PRESETS = {"30": 30, "90": 90, "365": 365}
DEFAULT_PRESET = "90"
ALL_TIME, CUSTOM = "all", "custom"


class DashboardForm(forms.Form):
    journey = forms.TypedChoiceField(
        label=gettext_lazy("Journey"), required=False, coerce=int, empty_value=None
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            ("30", gettext_lazy("Last 30 days")),
            ("90", gettext_lazy("Last 90 days")),
            ("365", gettext_lazy("Last 365 days")),
            (ALL_TIME, gettext_lazy("All time")),
            (CUSTOM, gettext_lazy("Custom dates")),
        ],
    )
    date_from = DayField(label=gettext_lazy("From"))
    date_to = DayField(label=gettext_lazy("To"))
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("Any channel")), *Channel.choices],
    )
    mot_stage = forms.ChoiceField(
        label=gettext_lazy("Moment of truth"),
        required=False,
        choices=[
            ("", gettext_lazy("Any moment")),
            *MotStage.choices,
            (NO_MOMENT, gettext_lazy("No moment tagged")),
        ],
    )
    segment = forms.CharField(
        label=gettext_lazy("Customer segment"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Only the answers of customers of this segment, such as “Families”."
        ),
    )
    granularity = forms.ChoiceField(
        label=gettext_lazy("Trend by"),
        required=False,
        choices=[
            ("", gettext_lazy("Automatic")),
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )

    def __init__(self, *args, journeys: list[Journey], today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.journeys = {j.pk: j for j in journeys}
        self.fields["journey"].choices = [
            ("", _("All journeys")),
            *(
                (j.pk, _("%(name)s (archived)") % {"name": j.name} if j.archived else j.name)
                for j in journeys
            ),
        ]

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):  # answers are never in the future
            if data.get(name) and data[name] > self.today:
                self.add_error(name, _("Must not be after today."))
                data.pop(name, None)
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Must not be before “From”."))
            data.pop("date_to", None)
        return data

    def selection(self) -> tuple[DashboardFilter, Journey | None]:
        """The valid filters; a value that does not validate (a stale link) is left out."""
        self.is_valid()
        data = self.cleaned_data
        today = self.today
        start, end = data.get("date_from"), data.get("date_to")
        preset = data.get("period") or (CUSTOM if start or end else DEFAULT_PRESET)
        if preset == ALL_TIME:
            period = Period()
        elif preset == CUSTOM:
            end = end or today
            period = Period(start or Period.last(PRESETS[DEFAULT_PRESET], today=end).start, end)
        else:
            period = Period.last(PRESETS[preset], today=today)
        journey = self.journeys.get(data.get("journey"))
        filters = DashboardFilter(
            period=period,
            journey_id=journey.pk if journey else None,
            channel=data.get("channel") or "",
            mot_stage=data.get("mot_stage") or "",
            granularity=data.get("granularity") or "",  # the field's choices, or ""
            segment=(data.get("segment") or "").strip(),
        )
        return filters, journey
