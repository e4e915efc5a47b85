from django import forms
from django.utils.translation import gettext_lazy as _

from mot.models import Role


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=120)
