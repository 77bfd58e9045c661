"""The admin site: Madoguchi's titles, and the editor pages that other apps add to the FAQ admin.

"Try a question" runs the bot (``chatbot``) and the unanswered questions are the dashboard's
(``dashboard``); both sit beside the FAQ list at ``admin/faq/faq/...`` because that is where
editors work, and only the project, at the top, may wire an upper app's views into a lower one's pages.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from chatbot.admin_views import calibration_view, try_view
from conversations.models import Municipality
from dashboard.admin_views import draft_view, link_view, unanswered_view
from faq.models import FAQ


class MadoguchiAdminSite(admin.AdminSite):
    site_header = _("Madoguchi administration")
    site_title = _("Madoguchi")
    index_title = _("City content and settings")

    def get_urls(self):
        def faq_page(view):
            def inner(request, *args, **kwargs):
                return view(self._registry[FAQ], request, *args, **kwargs)

            return self.admin_view(inner)

        return [
            path("faq/faq/try/", faq_page(try_view), name="faq_faq_try"),
            path("faq/faq/unanswered/", faq_page(unanswered_view), name="faq_faq_unanswered"),
            path("faq/faq/unanswered/link/", faq_page(link_view), name="faq_faq_unanswered_link"),
            path("faq/faq/unanswered/draft/", faq_page(draft_view), name="faq_faq_unanswered_draft"),
            path(
                "conversations/municipality/<path:object_id>/calibrate/",
                self.admin_view(
                    lambda request, object_id: calibration_view(self._registry[Municipality], request, object_id)
                ),
                name="conversations_municipality_calibrate",
            ),
            *super().get_urls(),
        ]

    def calibrate(self, request, object_id: str):
        return calibration_view(self._registry[Municipality], request, object_id)
