from django.urls import path  # noqa: F401  (the import pages are added here)

app_name = "imports"

urlpatterns: list = []
