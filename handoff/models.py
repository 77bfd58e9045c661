"""Tickets: a conversation waiting for, or held by, a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Ticket(models.Model):
    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low_confidence", _("bot not confident")
        ASKED_FOR_PERSON = "asked_for_person", _("resident asked for a person")
        SENSITIVE = "sensitive", _("sensitive topic")
        REPEATED_FAILURE = "repeated_failure", _("two unhelpful answers")

    class Priority(models.IntegerChoices):
        URGENT = 0, _("urgent")
        NORMAL = 5, _("normal")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    municipality = models.ForeignKey("chatbot.Municipality", on_delete=models.CASCADE, related_name="tickets")
    conversation = models.ForeignKey("chatbot.Conversation", on_delete=models.CASCADE, related_name="tickets")
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)
    priority = models.IntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    department = models.CharField(_("department"), max_length=100, blank=True)
    question = models.TextField(_("question"), blank=True)
    candidates = models.JSONField(_("bot's best guesses"), default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first staff response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(status="open"), name="one_open_ticket_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()}"
