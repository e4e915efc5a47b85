from django.urls import path

from feedback.tokens import views

app_name = "api_tokens"

urlpatterns = [
    path("api-tokens/", views.token_list, name="list"),
    path("api-tokens/new/", views.token_new, name="new"),
    path("api-tokens/<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
