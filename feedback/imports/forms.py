"""Forms of the file import pages: the upload, and the column mapping built from the file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.imports import presets, sniffing
from feedback.imports.types import DateOrder, Layout, Mapping, Target
from feedback.models import RECORD_KINDS, ImportMode, Kind, SurveyLink
from journeys.models import Touchpoint

NOT_IN_FILE = ""
TIMEZONES = sorted(sniffing.TIME_ZONES)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV or Excel (.xlsx) as exported by Qualtrics, SurveyMonkey, Google Forms or any "
            "spreadsheet: UTF-8, UTF-16 or Latin-1; comma, semicolon or tab separated."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )
    target = forms.ChoiceField(
        label=_("The file holds"),
        choices=[
            (Target.RESPONSES.value, _("Survey answers")),
            (Target.ACTIVITIES.value, _("Customer activities (purchases, renewals…)")),
        ],
        initial=Target.RESPONSES.value,
        widget=forms.RadioSelect,
    )


class MappingForm(forms.Form):
    """One select per field (which column feeds it), plus the file-wide choices."""

    date_order = forms.ChoiceField(
        label=_("Dates like 03/04/2025 mean"),
        choices=[
            (DateOrder.DMY.value, _("day/month/year (3 April)")),
            (DateOrder.MDY.value, _("month/day/year (March 4)")),
            (DateOrder.YMD.value, _("year/month/day")),
        ],
    )
    timezone = forms.ChoiceField(
        label=_("Time zone of dates written without one"),
        choices=[(tz, tz) for tz in TIMEZONES],
        initial="UTC",
        error_messages={"invalid_choice": sniffing.UNKNOWN_TIME_ZONE},
    )
    decimal_comma = forms.BooleanField(label=_("Numbers use a decimal comma (9,5)"), required=False)
    mode = forms.ChoiceField(
        label=_("When some rows are invalid"),
        choices=ImportMode.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, layout: Layout, target: Target, workspace_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.layout = layout
        self.target = target
        columns = [(NOT_IN_FILE, _("— not in the file —"))] + [
            (str(i), name) for i, name in enumerate(layout.columns)
        ]
        self.field_names = []
        for spec in presets.FIELDS[target]:
            name = spec.name  # the mapping's own field names, so service errors land on them
            self.fields[name] = forms.ChoiceField(
                label=spec.label, choices=columns, required=False, help_text=spec.help
            )
            self.field_names.append(name)
        if target == Target.RESPONSES:
            touchpoints = Touchpoint.objects.filter(
                journey__workspace_id=workspace_id, journey__archived=False
            ).select_related("journey", "stage")
            self.fields["touchpoint_id"] = forms.ModelChoiceField(
                label=_("…or one touchpoint for the whole file"),
                queryset=touchpoints.order_by("journey__name", "stage__position", "position"),
                required=False,
                empty_label=_("— from the column above —"),
            )
            self.fields["touchpoint_id"].label_from_instance = lambda tp: (
                f"{tp.journey.name} \u203a {tp.stage.name} \u203a {tp.title}"
            )
            self.fields["kind"] = forms.ChoiceField(
                label=_("The rows are"),
                required=False,
                choices=[
                    ("", _("Survey answers (or as the record kind column says)")),
                    *((k, label) for k, label in Kind.choices if k in RECORD_KINDS),
                ],
                help_text=_("Complaints, interview notes… are records: text, no score."),
            )
            # A survey link's response rate (issue 17): how many customers were sent it, set
            # with the import (the API and the link's own page can set it too).
            links = SurveyLink.objects.filter(
                touchpoint__journey__workspace_id=workspace_id, revoked_at__isnull=True
            ).select_related("touchpoint__journey")
            self.fields["survey_link"] = forms.ModelChoiceField(
                label=_("Survey link sent to customers"),
                queryset=links.order_by("touchpoint__journey__name", "touchpoint__title", "pk"),
                required=False,
                empty_label=_("— none —"),
                help_text=_(
                    "Optional, with the number invited: its response rate is the answers "
                    "through the link ÷ the number invited. Saved when the import starts."
                ),
            )
            self.fields["survey_link"].label_from_instance = lambda link: (
                f"{link.touchpoint.journey.name} \u203a {link.touchpoint.title} "
                f"({link.token[:6]}\u2026)"
            )
            self.fields["invited"] = forms.IntegerField(
                label=_("Customers invited to that link"),
                required=False,
                min_value=0,
                max_value=2_000_000_000,
            )
        self.order_fields(
            [
                *self.field_names,
                "touchpoint_id",
                "kind",
                "survey_link",
                "invited",
                "date_order",
                "timezone",
                "decimal_comma",
                "mode",
            ]
        )

    def clean(self):
        cleaned = super().clean()
        link, invited = cleaned.get("survey_link"), cleaned.get("invited")
        if link is not None and invited is None and "invited" not in self.errors:
            self.add_error("invited", _("Say how many customers were invited to the link."))
        if link is None and invited is not None:
            self.add_error("survey_link", _("Choose the link the customers were invited to."))
        return cleaned

    def invitation(self) -> tuple[SurveyLink, int] | None:
        """The survey link chosen and its number invited, when both were given."""
        link = self.cleaned_data.get("survey_link")
        invited = self.cleaned_data.get("invited")
        return None if link is None or invited is None else (link, invited)

    @classmethod
    def initial_from(cls, mapping: Mapping, mode: str) -> dict:
        initial = {name: str(index) for name, index in mapping.columns.items()}
        initial.update(
            touchpoint_id=mapping.touchpoint_id,
            date_order=mapping.date_order.value,
            timezone=mapping.timezone,
            decimal_comma=mapping.decimal_comma,
            kind=mapping.kind,
            mode=mode,
        )
        return initial

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        touchpoint = data.get("touchpoint_id")
        columns = {
            name: int(data[name])
            for name in self.field_names
            if data.get(name) not in (None, NOT_IN_FILE)
        }
        if touchpoint is not None:  # one touchpoint chosen for the file wins over a column
            columns.pop("touchpoint", None)
        return Mapping(
            target=self.target,
            columns=columns,
            touchpoint_id=touchpoint.pk if touchpoint else None,
            date_order=DateOrder(data["date_order"]),
            timezone=data["timezone"],
            decimal_comma=data["decimal_comma"],
            kind=data.get("kind") or "",
        )
