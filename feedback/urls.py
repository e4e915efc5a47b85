"""The feedback app's pages under /w/<workspace>/: each feature's URLs, with its own namespace.

The two mounted elsewhere are included by mot/urls.py: the JSON API (``feedback.api.urls``) and
the public survey pages (``feedback.surveys.public_urls``) and the webhook intakes
(``feedback.hooks.public_urls``).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.surveys.urls")),
    path("", include("feedback.tokens.urls")),
    path("", include("feedback.explorer.urls")),
    path("", include("feedback.imports.urls")),
    path("", include("feedback.followups.urls")),
    path("", include("feedback.hooks.urls")),
    path("", include("feedback.records.urls")),
    path("", include("feedback.customer_pages.urls")),
]
