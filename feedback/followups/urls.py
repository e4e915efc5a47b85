from django.urls import path

from feedback.followups import views

app_name = "followups"

urlpatterns = [
    path("follow-ups/", views.followup_list, name="list"),
    path("follow-ups/team/", views.followup_team, name="team"),
    path("follow-ups/rule/", views.followup_settings, name="settings"),
    path("follow-ups/<int:pk>/", views.followup_detail, name="detail"),
    path("follow-ups/<int:pk>/status/", views.followup_status, name="status"),
    path("follow-ups/<int:pk>/note/", views.followup_note, name="note"),
    path("follow-ups/<int:pk>/assign/", views.followup_assign, name="assign"),
]
