"""The public survey pages, mounted at /s/<token>/ outside any workspace: no login, no namespace."""

from django.urls import path

from feedback.surveys import views

urlpatterns = [
    path("", views.survey_page, name="survey"),
    path("thanks/", views.survey_thanks, name="survey_thanks"),
    path("logo/<slug:digest>/", views.survey_logo, name="survey_logo"),
]
