from django.urls import path

from feedback import explorer_views

app_name = "explorer"

urlpatterns = [
    path("answers/", explorer_views.answer_list, name="list"),
    path("answers/export.csv", explorer_views.answer_export, name="export"),
]
