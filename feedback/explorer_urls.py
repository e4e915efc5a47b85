from django.urls import path  # noqa: F401  (the explorer's views are added here)

app_name = "explorer"

urlpatterns: list = []
