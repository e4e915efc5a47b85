from __future__ import annotations

from django import forms

from mot.notifications.models import AlertPreferences
from mot.notifications.services import (
    ADMIN_PREFERENCE_FIELDS,
    PREFERENCE_FIELDS,
    preference_fields,
)


class PreferencesForm(forms.ModelForm):
    """The member's e-mail choices: those of the alerts they can receive."""

    class Meta:
        model = AlertPreferences
        fields = PREFERENCE_FIELDS + ADMIN_PREFERENCE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offered = preference_fields(self.instance.membership)
        for name in list(self.fields):
            if name not in offered:
                del self.fields[name]


class PageForm(forms.Form):
    """The list's paging cursor: notifications older than this id."""

    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
