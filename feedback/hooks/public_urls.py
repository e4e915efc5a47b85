"""The intakes, mounted at /hooks/ outside any workspace: no login, no namespace (the
signature is the authentication; feedback.hooks.middleware caps their bodies)."""

from django.urls import path

from feedback.hooks import views

urlpatterns = [
    path("typeform/<slug:token>/", views.intake_typeform, name="hooks_typeform"),
    path("signed/<slug:token>/", views.intake_signed, name="hooks_signed"),
]
