from django.urls import path

from feedback import token_views

app_name = "api_tokens"

urlpatterns = [
    path("api-tokens/", token_views.token_list, name="list"),
    path("api-tokens/new/", token_views.token_new, name="new"),
    path("api-tokens/<int:pk>/revoke/", token_views.token_revoke, name="revoke"),
]
