from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Operations dashboard")

    def ready(self) -> None:
        from faq.signals import drafted_from_questions  # noqa: PLC0415 (apps are loaded by now)

        from .admin_views import on_drafted  # noqa: PLC0415

        drafted_from_questions.connect(on_drafted, dispatch_uid="dashboard.settle_drafted_questions")
