"""The map's forms: the filter (which cards to show; carried in the URL, so a view can be shared)
and the in-place edits (stages, touchpoints, moves, owners)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.filters import NO_FILTER, NO_MOMENT, MapFilter
from journeys.models import (
    Channel,
    ItemStatus,
    Lane,
    LaneKind,
    MotStage,
    Phase,
    Stage,
    Touchpoint,
)
from mot.models import Membership

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


# --- editing ----------------------------------------------------------------------------------


class StageForm(forms.Form):
    name = forms.CharField(label=_("Stage name"), max_length=120)


class PositionForm(forms.Form):
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10_000)


class TouchpointForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.OTHER)
    mot_stage = forms.ChoiceField(
        label=_("Moment of truth"),
        choices=[("", _("None")), *MotStage.choices],
        required=False,
    )
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices, initial=Phase.USE)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Optional short reference for imports and the API, e.g. CHECKOUT-PAY."),
    )


class TouchpointMoveForm(forms.Form):
    """Where to move a card: a stage and a position (drag and drop), or a direction (the arrow
    buttons, which work without JavaScript; the server works out the target)."""

    DIRECTIONS = (("up", "up"), ("down", "down"), ("prev", "prev"), ("next", "next"))

    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a stage of this journey.")},
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=10_000, required=False
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, required=False)

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this journey's stages: another journey's or workspace's stage id is "not a choice".
        self.fields["stage"].queryset = Stage.objects.filter(journey=journey).select_related(
            "journey"
        )

    def clean(self):
        data = super().clean()
        if not data.get("direction") and not self.errors:
            if data.get("stage") is None:
                self.add_error("stage", _("Choose a stage of this journey."))
            if data.get("position") is None:
                self.add_error("position", _("This field is required."))
        return data


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        error_messages={"invalid_choice": _("Choose a member of this workspace.")},
    )

    def __init__(self, *args, workspace_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Membership.objects.filter(
            workspace_id=workspace_id
        ).select_related("user")
        self.fields["owner"].label_from_instance = lambda m: m.display_name


# --- lanes and their items ----------------------------------------------------------------------


class LaneForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of lane"),
        choices=[(v, label) for v, label in LaneKind.choices if v != LaneKind.TOUCHPOINTS],
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=80, required=False)


class LaneRenameForm(forms.Form):
    name = forms.CharField(
        label=_("Lane name"),
        max_length=80,
        required=False,
        help_text=_("Leave empty to use the kind's name."),
    )


class FoldForm(forms.Form):
    folded = forms.BooleanField(label=_("Collapsed"), required=False)


class ItemForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=ItemStatus.choices, initial=ItemStatus.IDEA, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        error_messages={"invalid_choice": _("Choose a member of this workspace.")},
    )

    # The future touchpoint the opportunity creates: one of the same journey, nothing else.
    touchpoint = forms.ModelChoiceField(
        label=_("Creates the touchpoint"),
        queryset=Touchpoint.objects.none(),
        required=False,
        empty_label=_("None yet"),
        help_text=_("Shown beside that touchpoint when a future state is compared."),
        error_messages={"invalid_choice": _("Choose a touchpoint of this journey.")},
    )

    def __init__(self, *args, workspace_id, journey_id: int, opportunity: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if opportunity:
            self.fields["owner"].queryset = Membership.objects.filter(
                workspace_id=workspace_id
            ).select_related("user")
            self.fields["owner"].label_from_instance = lambda m: m.display_name
            self.fields["touchpoint"].queryset = (
                Touchpoint.objects.filter(journey_id=journey_id)
                .select_related("stage")
                .order_by("stage__position", "position")
            )
            self.fields["touchpoint"].label_from_instance = lambda tp: (
                _("%(stage)s: %(title)s") % {"stage": tp.stage.name, "title": tp.title}
            )
        else:  # status, owner and the touchpoint it creates are an opportunity's
            del self.fields["status"]
            del self.fields["owner"]
            del self.fields["touchpoint"]


class ItemCreateForm(forms.Form):
    text = forms.CharField(label=_("Text"), max_length=1000)
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.none(),
        error_messages={"invalid_choice": _("Choose a stage of this journey.")},
    )

    def __init__(self, *args, journey_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(journey_id=journey_id).select_related(
            "journey"
        )


class ItemMoveForm(forms.Form):
    """Where to move an item: a cell and a position (drag and drop), or a direction (the arrow
    buttons; the server works out the target, as for cards)."""

    lane = forms.ModelChoiceField(
        label=_("Lane"),
        queryset=Lane.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a lane of this journey.")},
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a stage of this journey.")},
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=10_000, required=False
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=TouchpointMoveForm.DIRECTIONS, required=False
    )

    def __init__(self, *args, journey_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lane"].queryset = Lane.objects.filter(journey_id=journey_id).select_related(
            "journey"
        )
        self.fields["stage"].queryset = Stage.objects.filter(journey_id=journey_id).select_related(
            "journey"
        )

    def clean(self):
        data = super().clean()
        if not data.get("direction") and not self.errors:
            for name in ("lane", "stage", "position"):
                if data.get(name) is None:
                    self.add_error(name, _("This field is required."))
        return data
