"""The survey's accent colour as a stylesheet, mounted at /s-accent/ (no inline <style>: the
CSP in mot.settings), outside any workspace and without a namespace, like the survey pages."""

from django.urls import path

from feedback.surveys import views

urlpatterns = [path("<slug:colour>.css", views.survey_accent, name="survey_accent")]
