from django.urls import path

from metrics import views
from metrics.dashboard import views as dashboard_views
from metrics.themes import views as themes_views

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.overview, name="overview"),
    path("metrics/recompute/", views.recompute, name="recompute"),
    path("metrics/status/", views.status, name="status"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/export/", dashboard_views.dashboard_export, name="dashboard_export"),
    path("themes/", themes_views.themes_page, name="themes"),
    path("themes/own/", themes_views.own_themes, name="own_themes"),
    path("themes/own/<int:pk>/", themes_views.own_theme_edit, name="own_theme_edit"),
    path("themes/own/<int:pk>/delete/", themes_views.own_theme_delete, name="own_theme_delete"),
]
