from django.urls import path

from feedback.customer_pages import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_search, name="search"),
    path("customers/<int:pk>/export/", views.customer_export_view, name="export"),
    path("customers/<int:pk>/erase/", views.customer_erase_view, name="erase"),
]
