from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from conversations import signals  # noqa: PLC0415 (connected once the apps are loaded)

        from . import tasks  # noqa: PLC0415 (models are loaded by now)

        signals.retry_requested.connect(tasks.on_retry_requested, dispatch_uid="chatbot.retry_requested")

        from llm import health  # noqa: PLC0415 (the model check asks the bot's largest prompt and its citation probe)

        from .generation import probes  # noqa: PLC0415 (models are loaded by now)

        health.register(largest_prompt=probes.largest_prompt, citation_probe=probes.citation_probe)
