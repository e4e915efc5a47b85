"""The forms of the Webhooks pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.hooks.models import Event, IntakeKind
from feedback.hooks.typeform import HIDDEN, TARGETS, SampleField
from journeys.models import Touchpoint


def _touchpoints(workspace_id: int):
    return (
        Touchpoint.objects.filter(journey__workspace_id=workspace_id, journey__archived=False)
        .select_related("journey")
        .order_by("journey__name", "title", "pk")
    )


class TouchpointChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Touchpoint) -> str:
        return f"{obj.journey.name} · {obj.title}"


class IntakeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Sent by"), choices=IntakeKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “Delivery survey”."))
    touchpoint = TouchpointChoice(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.none(),
        required=False,
        help_text=_("Typeform: the touchpoint of its answers (or set a hidden field later)."),
    )

    def __init__(self, *args, workspace_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["touchpoint"].queryset = _touchpoints(workspace_id)


class MappingForm(forms.Form):
    """One choice per field of the received sample: which answer value it is, if any."""

    touchpoint = TouchpointChoice(
        label=_("Touchpoint of every answer"), queryset=Touchpoint.objects.none(), required=False
    )
    touchpoint_field = forms.ChoiceField(
        label=_("…or the hidden field carrying a touchpoint code"), required=False
    )

    def __init__(
        self, *args, workspace_id: int, fields: list[SampleField], mapping: dict, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["touchpoint"].queryset = _touchpoints(workspace_id)
        targets = [("", _("— not used —")), *((k, label) for k, (label, _r) in TARGETS.items())]
        hidden = [f.key.removeprefix(HIDDEN) for f in fields if f.key.startswith(HIDDEN)]
        self.fields["touchpoint_field"].choices = [("", _("— none —")), *((h, h) for h in hidden)]
        self.sample = []
        for i, field in enumerate(fields):
            name = f"map_{i}"
            self.fields[name] = forms.ChoiceField(
                label=field.key, choices=targets, required=False, initial=mapping.get(field.key, "")
            )
            self.sample.append((field, name))

    def mapping(self) -> dict[str, str]:
        return {
            field.key: self.cleaned_data[name]
            for field, name in self.sample
            if self.cleaned_data.get(name)
        }

    def rows(self):
        """Each sample field with its choice, for the template's table."""
        return [(field, self[name]) for field, name in self.sample]


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Public http(s) address; redirects are not followed."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e.value, e.label) for e in Event if e != Event.TEST],
        widget=forms.CheckboxSelectMultiple,
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
