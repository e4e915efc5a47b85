from django.urls import path

from journeys import compare_views, owner_views, persona_views, views
from journeys.map import lane_views
from journeys.map import views as map_views

app_name = "journeys"

urlpatterns = [
    path("journeys/", views.journey_list, name="list"),
    path("journeys/new/", views.journey_new, name="new"),
    path("journeys/import/", views.journey_import_view, name="import"),
    path("journeys/<int:pk>/", map_views.journey_map, name="map"),
    path("journeys/<int:pk>/edit/", views.journey_edit, name="edit"),
    path("journeys/<int:pk>/duplicate/", views.journey_duplicate, name="duplicate"),
    path("journeys/<int:pk>/archive/", views.journey_archive, name="archive"),
    path("journeys/<int:pk>/delete/", views.journey_delete, name="delete"),
    path("journeys/<int:pk>/export/", views.journey_export_view, name="export"),
    path("journeys/<int:pk>/compare/", compare_views.journey_compare, name="compare"),
    path(
        "journeys/<int:pk>/compare/pair/",
        compare_views.journey_compare_pair,
        name="compare_pair",
    ),
    path("journeys/<int:pk>/stages/", map_views.stage_create, name="stage_create"),
    path("stages/<int:pk>/rename/", map_views.stage_rename, name="stage_rename"),
    path("stages/<int:pk>/delete/", map_views.stage_delete, name="stage_delete"),
    path("stages/<int:pk>/move/", map_views.stage_move, name="stage_move"),
    path("stages/<int:pk>/touchpoints/", map_views.touchpoint_create, name="touchpoint_create"),
    path("touchpoints/<int:pk>/", map_views.touchpoint_card, name="touchpoint_card"),
    path("touchpoints/<int:pk>/edit/", map_views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:pk>/delete/", map_views.touchpoint_delete, name="touchpoint_delete"),
    path("touchpoints/<int:pk>/move/", map_views.touchpoint_move, name="touchpoint_move"),
    path("touchpoints/<int:pk>/owner/", map_views.touchpoint_owner, name="touchpoint_owner"),
    path("owners/", owner_views.owners, name="owners"),
    path("owners/assign/", owner_views.owners_assign, name="owners_assign"),
    path("my-touchpoints/", owner_views.my_touchpoints, name="my_touchpoints"),
    path("journeys/<int:pk>/rename/", views.journey_rename, name="rename"),
    path("journeys/<int:pk>/lanes/", lane_views.lane_create, name="lane_create"),
    path("lanes/<int:pk>/rename/", lane_views.lane_rename, name="lane_rename"),
    path("lanes/<int:pk>/move/", lane_views.lane_move, name="lane_move"),
    path("lanes/<int:pk>/delete/", lane_views.lane_delete, name="lane_delete"),
    path("lanes/<int:pk>/fold/", lane_views.lane_fold, name="lane_fold"),
    path("lanes/<int:pk>/items/", lane_views.item_create, name="item_create"),
    path("items/<int:pk>/", lane_views.item_card, name="item_card"),
    path("items/<int:pk>/edit/", lane_views.item_edit, name="item_edit"),
    path("items/<int:pk>/delete/", lane_views.item_delete, name="item_delete"),
    path("items/<int:pk>/move/", lane_views.item_move, name="item_move"),
    path("personas/", persona_views.persona_list, name="personas"),
    path("personas/new/", persona_views.persona_new, name="persona_new"),
    path("personas/<int:pk>/edit/", persona_views.persona_edit, name="persona_edit"),
    path("personas/<int:pk>/delete/", persona_views.persona_delete, name="persona_delete"),
    path("personas/<int:pk>/picture/", persona_views.persona_picture, name="persona_picture"),
    path(
        "journeys/<int:pk>/personas/",
        persona_views.journey_personas_set,
        name="journey_personas",
    ),
]
