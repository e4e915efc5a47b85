from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from mot.language import recipient_language
from mot.models import Role


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=120)


class ProfileForm(forms.Form):
    """A person's own settings: their name and the language they read MOT in."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("My browser's language")), *settings.LANGUAGES],
        help_text=_("Also the language of the e-mails MOT sends you."),
    )


class WorkspaceLanguageForm(forms.Form):
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_("For new members who have not chosen a language, and for new survey links."),
    )


class InvitationSignupForm(forms.Form):
    """The invited person's new account: their name and a password (the address is the
    invitation's)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            user = get_user_model()(
                username=self.email, email=self.email, first_name=data.get("first_name", "")
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


# An e-mail address signs in too (mot.auth), so the longest an e-mail field takes.
USERNAME_MAX_LENGTH = 254


class _BoundedUsername:
    """Django's sign-in form shows a maxlength but never checks it, and django-axes records a
    failed sign-in's username in a 255-character column: a longer one made PostgreSQL refuse
    the insert (a 500). A username longer than any account's is a wrong sign-in, said as any
    other is, and is never tried nor recorded."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.max_length = field.widget.attrs["maxlength"] = USERNAME_MAX_LENGTH

    def clean(self):
        if len(self.cleaned_data.get("username") or "") > USERNAME_MAX_LENGTH:
            raise self.get_invalid_login_error()
        return super().clean()


class LoginForm(_BoundedUsername, AuthenticationForm):
    pass


class AdminLoginForm(_BoundedUsername, AdminAuthenticationForm):
    pass


class RecipientLanguageResetForm(PasswordResetForm):
    """Password reset, its e-mail written in the account's language (whoever asked, in whatever
    language their browser speaks): the profile's, else their first workspace's default."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        first = user.memberships.select_related("workspace").order_by("pk").first()
        with translation.override(recipient_language(user, first.workspace if first else None)):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
