"""The workspace theme form (a name and keywords per language) and the Themes page's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from metrics.dashboard.forms import DashboardForm
from metrics.themes.models import WorkspaceTheme
from metrics.themes.text import LANGUAGE_CODES, keyword_stems

LANGUAGE_LABELS = {
    "pt": _("Keywords in Portuguese"),
    "es": _("Keywords in Spanish"),
    "ro": _("Keywords in Romanian"),
    "en": _("Keywords in English"),
}
MAX_KEYWORDS = 1000  # characters per language


class WorkspaceThemeForm(forms.ModelForm):
    class Meta:
        model = WorkspaceTheme
        fields = ["name"]

    def __init__(self, *args, workspace_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace_id = workspace_id
        for language in LANGUAGE_CODES:
            self.fields[language] = forms.CharField(
                label=LANGUAGE_LABELS[language],
                required=False,
                max_length=MAX_KEYWORDS,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
                help_text=_("Separated by commas; a keyword of two words matches them together."),
                initial=(self.instance.keywords or {}).get(language, ""),
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = WorkspaceTheme.objects.filter(workspace_id=self.workspace_id, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("The workspace has a theme of that name already."))
        return name

    def clean(self):
        data = super().clean()
        keywords = {lang: (data.get(lang) or "").strip() for lang in LANGUAGE_CODES}
        if not any(keyword_stems(lang, words) for lang, words in keywords.items()):
            raise forms.ValidationError(
                _("Give at least one keyword (stop words such as “the” or “de” do not count).")
            )
        self.instance.keywords = {lang: words for lang, words in keywords.items() if words}
        return data


class ThemesFilterForm(DashboardForm):
    """The dashboard's journey, period and moment filters, and one touchpoint of the journey."""

    touchpoint = forms.TypedChoiceField(
        label=_("Touchpoint"), required=False, coerce=int, empty_value=None
    )
    theme = forms.CharField(required=False, max_length=130, widget=forms.HiddenInput)

    def __init__(self, *args, touchpoints: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["granularity"]
        del self.fields["channel"]
        self.fields["touchpoint"].choices = [("", _("All touchpoints")), *touchpoints]
