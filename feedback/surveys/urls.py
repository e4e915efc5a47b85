from django.urls import path

from feedback.surveys import views

# The namespace these names had when they were the whole of feedback's URLs ("feedback:…").
app_name = "feedback"

urlpatterns = [
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
