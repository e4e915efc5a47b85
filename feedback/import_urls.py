from django.urls import path

from feedback import import_views

app_name = "imports"

urlpatterns = [
    path("imports/", import_views.import_list, name="list"),
    path("imports/upload/", import_views.import_upload, name="upload"),
    path("imports/<int:pk>/", import_views.import_detail, name="detail"),
    path("imports/<int:pk>/status/", import_views.import_status, name="status"),
    path("imports/<int:pk>/rejected.csv", import_views.import_rejected, name="rejected"),
    path("imports/<int:pk>/delete/", import_views.import_delete, name="delete"),
]
