from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.overview, name="overview"),
    path("metrics/recompute/", views.recompute, name="recompute"),
    path("metrics/status/", views.status, name="status"),
]
