from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from mot import profile_views, views
from mot.forms import LoginForm, RecipientLanguageResetForm

member_patterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:pk>/withdraw/", views.invitation_revoke, name="invitation_revoke"),
    path("language/", profile_views.workspace_language, name="workspace_language"),
]

urlpatterns = [
    # The public survey first: its answers are the busiest requests MOT serves, and Django tries
    # the patterns in order (behind all the others, resolving each answer's URL took twice as
    # long). No other pattern starts with "s/", so none is shadowed.
    path("s/<slug:token>/", include("feedback.surveys.public_urls")),
    path("", views.home, name="home"),
    # Pages without our <link rel="icon"> (the public survey, the API docs) make browsers ask here.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg")),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/profile/", profile_views.profile, name="profile"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=RecipientLanguageResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Django's set_language, which also stores a signed-in member's choice on their profile.
    path("i18n/setlang/", profile_views.set_language, name="set_language"),
    path("invitations/<str:token>/", views.invitation_page, name="invitation"),
    path("admin/", admin.site.urls),
    path("w/<slug:ws>/", include(member_patterns)),
    path("w/<slug:ws>/", include("mot.notifications.urls")),
    path("w/<slug:ws>/", include("journeys.urls")),
    path("w/<slug:ws>/", include("feedback.urls")),
    path("w/<slug:ws>/", include("metrics.urls")),
    path("api/v1/", include("feedback.api.urls")),
    # The survey's accent colour as a stylesheet (no inline <style>: mot.settings' CSP).
    path("s-accent/", include("feedback.surveys.accent_urls")),
    path("hooks/", include("feedback.hooks.public_urls")),
]
