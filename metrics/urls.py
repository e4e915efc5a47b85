from django.urls import path

from metrics import views
from metrics.dashboard import views as dashboard_views

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.overview, name="overview"),
    path("metrics/recompute/", views.recompute, name="recompute"),
    path("metrics/status/", views.status, name="status"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/export/", dashboard_views.dashboard_export, name="dashboard_export"),
]
