from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MotConfig(AppConfig):
    name = "mot"
    verbose_name = _("Workspaces")
