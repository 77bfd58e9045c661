from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineChannelConfig(AppConfig):
    name = "channels.line"
    label = "line_channel"
    verbose_name = _("LINE")
