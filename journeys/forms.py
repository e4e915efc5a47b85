from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from journeys.blueprints import BLUEPRINTS
from journeys.filters import NO_MOMENT, OwnerFilters
from journeys.models import Journey, JourneyState, MotStage, Touchpoint
from mot.models import Membership
from mot.validation import IdsField


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    persona = forms.CharField(label=_("Persona"), max_length=120, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    state = forms.ChoiceField(label=_("State"), choices=JourneyState.choices)


class NewJourneyForm(forms.Form):
    template = forms.ChoiceField(
        label=_("Start from"),
        choices=[("", _("A blank map")), *[(k, bp.label) for k, bp in BLUEPRINTS.items()]],
        required=False,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the template's name."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("template") and not data.get("name", "").strip():
            self.add_error("name", _("A blank map needs a name."))
        return data


class JourneyImportForm(forms.Form):
    file = forms.FileField(label=_("Journey file (.json)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.JOURNEY_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d KB.") % {"limit": limit // 1024}
            )
        return upload


class PairForm(forms.Form):
    """The current-state journey a future state is compared with (services.journey_pair)."""

    current = forms.ModelChoiceField(
        label=_("Current-state journey"), queryset=Journey.objects.none(), empty_label=None
    )

    def __init__(self, *args, journey: Journey, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Current-state journeys first: those are what a future state is usually compared with.
        journeys = (
            Journey.objects.filter(workspace_id=journey.workspace_id)
            .exclude(pk=journey.pk)
            .order_by("state", "archived", "name", "pk")
        )
        field = self.fields["current"]
        field.queryset = journeys
        # The select's options read once (the widget would read the queryset again to decide
        # on its required attribute); validating a post reads the chosen journey alone.
        field.widget.choices = [
            (j.pk, f"{j.name} ({j.get_state_display()})") for j in journeys.only("name", "state")
        ]


class DuplicateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=JourneyState.choices,
        initial=JourneyState.FUTURE,
        required=False,
    )

    def clean_state(self) -> str:
        # Left out, a copy is a future-state version: what the map's button asks for.
        return self.cleaned_data["state"] or JourneyState.FUTURE


class ArchiveForm(forms.Form):
    archived = forms.BooleanField(required=False)


# --- owners -----------------------------------------------------------------------------------

NOBODY = "nobody"


class OwnerFilterForm(forms.Form):
    """The owners page's filters, read from the query string. The choices come from lists the
    page already loaded, so validating a filter costs no query; an unknown value is dropped."""

    journey = forms.TypedChoiceField(
        label=_("Journey"), required=False, coerce=int, empty_value=None
    )
    mot_stage = forms.ChoiceField(label=_("Moment of truth"), required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    unassigned = forms.BooleanField(label=_("Unassigned only"), required=False)

    def __init__(self, *args, journeys, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journey"].choices = [
            ("", _("All journeys")),
            *[(j.pk, j.name) for j in journeys],
        ]
        self.fields["mot_stage"].choices = [
            ("", _("Any moment")),
            *MotStage.choices,
            (NO_MOMENT, _("No moment tagged")),
        ]
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            *[(m.pk, m.display_name) for m in members],
        ]

    def filters(self) -> OwnerFilters:
        """The valid filters; a value that is not a choice (a stale link) is left out."""
        self.is_valid()  # fields with errors are left out of cleaned_data
        data = self.cleaned_data
        return OwnerFilters(
            journey_id=data.get("journey"),
            mot_stage=data.get("mot_stage") or "",
            unassigned=bool(data.get("unassigned")),
            owner_id=None if data.get("unassigned") else data.get("owner"),
        )


class BulkOwnerForm(forms.Form):
    """Many touchpoints, one owner. Only the workspace's touchpoints are choices: an id of
    another workspace is ``invalid_choice``, which the view answers with 404."""

    touchpoints = IdsField(
        label=_("Touchpoints"),
        queryset=Touchpoint.objects.none(),
        error_messages={
            "required": _("Select at least one touchpoint."),
            "invalid_choice": _("Select touchpoints of this workspace."),
            "invalid_pk_value": _("Select touchpoints of this workspace."),
        },
    )
    owner = forms.ChoiceField(
        label=_("Assign to"),
        error_messages={
            "required": _("Choose an owner, or “Nobody” to clear the owner."),
            "invalid_choice": _("Choose a member of this workspace."),
        },
    )

    def __init__(self, *args, workspace_id, members, **kwargs):
        super().__init__(*args, **kwargs)
        # The journey comes along: the access policy reads each touchpoint's workspace from it.
        self.fields["touchpoints"].queryset = Touchpoint.objects.filter(
            journey__workspace_id=workspace_id
        ).select_related("journey")
        self._members = {str(m.pk): m for m in members}
        self.fields["owner"].choices = [
            ("", _("Choose an owner…")),
            (NOBODY, _("Nobody (clear the owner)")),
            *[(pk, m.display_name) for pk, m in self._members.items()],
        ]

    def clean_owner(self) -> Membership | None:
        value = self.cleaned_data["owner"]
        return None if value == NOBODY else self._members[value]


class JourneyRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class PersonaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    quote = forms.CharField(
        label=_("Quote"),
        max_length=300,
        required=False,
        help_text=_("What this customer would say, in their words."),
    )
    goals = forms.CharField(
        label=_("Goals"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    frustrations = forms.CharField(
        label=_("Frustrations"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    segment = forms.CharField(
        label=_("Segment"),
        max_length=120,
        required=False,
        help_text=_("The customer segment this persona stands for, e.g. “families”."),
    )
    picture = forms.FileField(
        label=_("Picture"),
        required=False,
        help_text=_("JPEG, PNG, GIF or WebP, at most 2 MB. Without one, the initials are shown."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    remove_picture = forms.BooleanField(label=_("Remove the picture"), required=False)

    def clean_picture(self) -> bytes | None:
        """The upload's bytes (read up to the cap: a larger file is refused unread)."""
        from journeys.services.personas import PICTURE_MAX_BYTES

        upload = self.cleaned_data.get("picture")
        if not upload:
            return None
        if upload.size > PICTURE_MAX_BYTES:
            raise forms.ValidationError(
                _("The picture is larger than %(n)d MB.") % {"n": PICTURE_MAX_BYTES >> 20}
            )
        return upload.read(PICTURE_MAX_BYTES + 1)


class JourneyPersonasForm(forms.Form):
    personas = IdsField(
        label=_("Personas"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, workspace_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        from journeys.models import Persona

        self.fields["personas"].queryset = Persona.objects.filter(workspace_id=workspace_id).defer(
            "picture"
        )
