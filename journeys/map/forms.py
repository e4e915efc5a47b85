"""The map's filter form: which cards to show. Carried in the URL, so a view can be shared."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.filters import NO_FILTER, NO_MOMENT, MapFilter
from journeys.models import Channel, MotStage, Phase

UNASSIGNED = "unassigned"


class MapFilterForm(forms.Form):
    mot = forms.MultipleChoiceField(
        label=_("Moment of truth"),
        choices=[*MotStage.choices, (NO_MOMENT, _("No moment"))],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any channel")), *Channel.choices], required=False
    )
    phase = forms.ChoiceField(
        label=_("Phase"), choices=[("", _("Any phase")), *Phase.choices], required=False
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            (UNASSIGNED, _("Unassigned")),
            *[(str(m.pk), m.display_name) for m in members],
        ]

    def to_filter(self) -> MapFilter:
        """The filter the valid fields describe; an invalid field (a stale URL) filters nothing."""
        if not self.is_bound:
            return NO_FILTER
        self.is_valid()
        data = self.cleaned_data
        owner = data.get("owner") or ""
        return MapFilter(
            mot_stages=tuple(
                "" if value == NO_MOMENT else value for value in data.get("mot") or ()
            ),
            channel=data.get("channel") or "",
            phase=data.get("phase") or "",
            owner_id=int(owner) if owner.isdigit() else None,
            unassigned=owner == UNASSIGNED,
        )
