from django.urls import path

from feedback import survey_views

app_name = "feedback"

urlpatterns = [
    path("touchpoints/<int:pk>/survey-links/", survey_views.survey_links, name="survey_links"),
    path(
        "touchpoints/<int:pk>/survey-links/new/",
        survey_views.survey_link_new,
        name="survey_link_new",
    ),
    path(
        "survey-links/<int:pk>/revoke/",
        survey_views.survey_link_revoke,
        name="survey_link_revoke",
    ),
]
