from django.urls import path

from feedback.explorer import views

app_name = "explorer"

urlpatterns = [
    path("answers/", views.answer_list, name="list"),
    path("answers/export.csv", views.answer_export, name="export"),
]
