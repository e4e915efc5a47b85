"""Forms of the follow-up pages: status, note, reassignment, the list's filters, the rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.followups.models import FollowUpSettings, RootCause, Status
from feedback.followups.selectors import UNASSIGNED, ListFilters, TeamFilters
from journeys.models import Journey
from mot.models import Membership
from mot.validation import MAX_ID


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        choices=[("", _("— keep as it is —")), *RootCause.choices],
        required=False,
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean_root_cause(self) -> str | None:
        return self.cleaned_data["root_cause"] or None


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Nobody: the workspace's queue"),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, members: list[Membership], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = Membership.objects.filter(pk__in=[m.pk for m in members])
        # The members already loaded label the options: no query per option.
        field.choices = [("", field.empty_label), *((m.pk, m.display_name) for m in members)]


STATUS_FILTERS = [
    ("active", _("Open or in progress")),
    (Status.OPEN, Status.OPEN.label),
    (Status.IN_PROGRESS, Status.IN_PROGRESS.label),
    ("closed", _("Closed")),
    ("all", _("All")),
]


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTERS)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("mine", _("Assigned to me or on my touchpoints")),
            ("queue", _("The workspace's queue (unassigned)")),
        ],
    )

    def filters(self) -> ListFilters:
        if not self.is_valid():
            return ListFilters()
        data = self.cleaned_data
        return ListFilters(
            status=data["status"] or "active",
            overdue=bool(data["overdue"]),
            scope=data["scope"] or "mine",
        )


class TeamFilterForm(forms.Form):
    owner = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTERS)
    touchpoint = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    breach = forms.BooleanField(label=_("SLA breaches only"), required=False)

    def __init__(self, *args, members: list[Membership], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [
            ("", _("Everyone")),
            (UNASSIGNED, _("Nobody: the workspace's queue")),
            *((str(m.pk), m.display_name) for m in members),
        ]

    def filters(self) -> TeamFilters:
        if not self.is_valid():
            return TeamFilters()
        data = self.cleaned_data
        return TeamFilters(
            status=data["status"] or "active",
            overdue=bool(data["overdue"]),
            breach=bool(data["breach"]),
            owner=data["owner"] or "",
            touchpoint=data["touchpoint"],
        )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = FollowUpSettings
        fields = ["trigger", "nps_max", "journey", "mot_stage", "response_days"]
        widgets = {"trigger": forms.RadioSelect}

    def __init__(self, *args, workspace_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["journey"].queryset = Journey.objects.filter(
            workspace_id=workspace_id, archived=False
        ).order_by("name")
