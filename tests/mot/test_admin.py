import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

OUR_APPS = ["mot", "journeys", "feedback", "metrics"]
OUR_MODELS = [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


def test_every_model_of_ours_is_registered_in_django_admin():
    assert OUR_MODELS, "no models found"
    missing = [m.__name__ for m in OUR_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_admin_list_and_add_pages_render_for_a_superuser(client, model, journey):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(superuser, backend="mot.auth.EmailOrUsernameBackend")
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
