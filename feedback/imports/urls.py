from django.urls import path

from feedback.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/upload/", views.import_upload, name="upload"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/status/", views.import_status, name="status"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected, name="rejected"),
    path("imports/<int:pk>/delete/", views.import_delete, name="delete"),
]
