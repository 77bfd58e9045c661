from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoffConfig(AppConfig):
    name = "handoff"
    verbose_name = _("Hand-off")

    def ready(self) -> None:
        from conversations.signals import delivered  # noqa: PLC0415 (models and signals load once the app registry is ready)

        from .services import delivery_changed  # noqa: PLC0415 (models and signals load once the app registry is ready)

        # The console hears when a message of a handed-off conversation went out (or failed to).
        delivered.connect(delivery_changed, dispatch_uid="handoff-delivery-changed")
