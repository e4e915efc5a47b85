from django.urls import path

from journeys import views

app_name = "journeys"

urlpatterns = [
    path("journeys/", views.journey_list, name="list"),
    path("journeys/new/", views.journey_new, name="new"),
    path("journeys/import/", views.journey_import_view, name="import"),
    path("journeys/<int:pk>/", views.journey_map, name="map"),
    path("journeys/<int:pk>/edit/", views.journey_edit, name="edit"),
    path("journeys/<int:pk>/duplicate/", views.journey_duplicate, name="duplicate"),
    path("journeys/<int:pk>/archive/", views.journey_archive, name="archive"),
    path("journeys/<int:pk>/delete/", views.journey_delete, name="delete"),
    path("journeys/<int:pk>/export/", views.journey_export_view, name="export"),
    path("journeys/<int:pk>/stages/", views.stage_create, name="stage_create"),
    path("stages/<int:pk>/rename/", views.stage_rename, name="stage_rename"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("stages/<int:pk>/move/", views.stage_move, name="stage_move"),
    path("stages/<int:pk>/touchpoints/", views.touchpoint_create, name="touchpoint_create"),
    path("touchpoints/<int:pk>/edit/", views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:pk>/delete/", views.touchpoint_delete, name="touchpoint_delete"),
    path("touchpoints/<int:pk>/move/", views.touchpoint_move, name="touchpoint_move"),
    path("touchpoints/<int:pk>/owner/", views.touchpoint_owner, name="touchpoint_owner"),
]
