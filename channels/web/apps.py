from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebChannelConfig(AppConfig):
    name = "channels.web"
    label = "web_channel"
    verbose_name = _("Web chat")

    def ready(self) -> None:
        from conversations import adapters  # noqa: PLC0415 (models and signals load once the app registry is ready)

        from .adapter import WebAdapter  # noqa: PLC0415 (models and signals load once the app registry is ready)

        adapters.register(WebAdapter())
