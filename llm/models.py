"""What is known about the configured model: the results of ``check_model`` and failed calls."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelReport(models.Model):
    """One check of the model (``manage.py check_model``) or one kind of failed call, with what to do about it."""

    class Source(models.TextChoices):
        CHECK = "check", _("check_model")
        CALL = "call", _("a call while answering")

    source = models.CharField(_("from"), max_length=8, choices=Source.choices)
    model = models.CharField(_("model"), max_length=200)
    base_url = models.CharField(_("server"), max_length=500, blank=True)
    ok = models.BooleanField(_("ok"), default=False)
    problem = models.CharField(_("problem"), max_length=32, blank=True)
    advice = models.TextField(_("what to do"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    count = models.PositiveIntegerField(_("times"), default=1)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("model report")
        verbose_name_plural = _("model reports")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.model}: {'ok' if self.ok else self.problem}"
