from __future__ import annotations

from django import forms

from mot.notifications.models import AlertPreferences
from mot.notifications.services import PREFERENCE_FIELDS


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = AlertPreferences
        fields = PREFERENCE_FIELDS


class PageForm(forms.Form):
    """The list's paging cursor: notifications older than this id."""

    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
