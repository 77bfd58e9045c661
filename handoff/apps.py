from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoffConfig(AppConfig):
    name = "handoff"
    verbose_name = _("Hand-off")

    def ready(self) -> None:
        from conversations.signals import delivered

        from .services import delivery_changed

        # The console hears when a message of a handed-off conversation went out (or failed to).
        delivered.connect(delivery_changed, dispatch_uid="handoff-delivery-changed")
