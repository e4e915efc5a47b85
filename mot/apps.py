from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MotConfig(AppConfig):
    name = "mot"
    verbose_name = _("Workspaces")

    def ready(self) -> None:
        # Connects the sign-in receiver that copies a member's language into their session.
        from mot import language  # noqa: F401
