"""The Webhooks pages under /w/<workspace>/webhooks/ (namespace "webhooks")."""

from django.urls import path

from feedback.hooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.webhooks, name="list"),
    path("webhooks/intakes/new/", views.intake_new, name="intake_new"),
    path("webhooks/intakes/<int:pk>/", views.intake_detail, name="intake"),
    path("webhooks/intakes/<int:pk>/mapping/", views.intake_mapping, name="intake_mapping"),
    path("webhooks/intakes/<int:pk>/rotate/", views.intake_rotate, name="intake_rotate"),
    path("webhooks/intakes/<int:pk>/delete/", views.intake_delete, name="intake_delete"),
    path("webhooks/endpoints/new/", views.endpoint_new, name="endpoint_new"),
    path("webhooks/endpoints/<int:pk>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/endpoints/<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("webhooks/endpoints/<int:pk>/test/", views.endpoint_test, name="endpoint_test"),
    path("webhooks/endpoints/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("webhooks/endpoints/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
]
