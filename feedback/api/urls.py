"""The JSON API's URLs (namespace "api-v1"), included by mot/urls.py at /api/v1/."""

from django.urls import path

from feedback.api.views import api

urlpatterns = [path("", api.urls)]
