from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class LineChannelConfig(AppConfig):
    name = "channels.line"
    label = "line_channel"
    verbose_name = _("LINE")

    def ready(self) -> None:
        from conversations import adapters  # noqa: PLC0415 (models and signals load once the app registry is ready)
        from conversations.models import Municipality  # noqa: PLC0415 (models and signals load once the app registry is ready)

        from .adapter import LineAdapter  # noqa: PLC0415 (models and signals load once the app registry is ready)
        from .views import forget_channels  # noqa: PLC0415 (models and signals load once the app registry is ready)

        adapters.register(LineAdapter())
        # The webhook remembers channel secrets briefly; a change made here takes effect at once.
        post_save.connect(forget_channels, sender=Municipality, dispatch_uid="line-forget-channels")
        post_delete.connect(forget_channels, sender=Municipality, dispatch_uid="line-forget-channels-delete")
