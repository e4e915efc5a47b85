from django.urls import path

from feedback.records import views

app_name = "records"

urlpatterns = [
    path("touchpoints/<int:pk>/record/", views.touchpoint_record, name="log"),
]
