from django.urls import path

from feedback.surveys import views

# The namespace these names had when they were the whole of feedback's URLs ("feedback:…").
app_name = "feedback"

urlpatterns = [
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/branding/", views.surveys_branding, name="surveys_branding"),
    path("survey-links/<int:pk>/edit/", views.survey_link_edit, name="survey_link_edit"),
    path("survey-links/<int:pk>/preview/", views.survey_link_preview, name="survey_link_preview"),
    path(
        "survey-links/<int:pk>/preview/edits/",
        views.survey_link_preview_edits,
        name="survey_link_preview_edits",
    ),
    path(
        "survey-links/<int:pk>/qr.png",
        views.survey_link_qr,
        {"kind": "png"},
        name="survey_link_qr_png",
    ),
    path(
        "survey-links/<int:pk>/qr.svg",
        views.survey_link_qr,
        {"kind": "svg"},
        name="survey_link_qr_svg",
    ),
    path("touchpoints/<int:pk>/survey-links/", views.survey_links, name="survey_links"),
    path(
        "touchpoints/<int:pk>/survey-links/new/",
        views.survey_link_new,
        name="survey_link_new",
    ),
    path(
        "survey-links/<int:pk>/invited/",
        views.survey_link_invited,
        name="survey_link_invited",
    ),
    path(
        "survey-links/<int:pk>/revoke/",
        views.survey_link_revoke,
        name="survey_link_revoke",
    ),
]
