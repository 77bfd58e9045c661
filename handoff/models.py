"""Hand-off: tickets (a conversation waiting for, or held by, a person), business hours, canned replies,
internal notes and the audit log of staff actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from conversations.models import HANDOFF_REASONS, Conversation, Municipality, Reason


class Ticket(models.Model):
    Reason = Reason  # the one list of reasons (conversations.models); a ticket takes a hand-off reason

    class Priority(models.IntegerChoices):
        URGENT = 0, _("urgent")
        NORMAL = 5, _("normal")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("ticket status", "open")
        RESOLVED = "resolved", pgettext_lazy("ticket status", "resolved")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("answered")
        REFERRED = "referred", _("referred to a counter or department")
        CALLBACK = "callback", _("staff will call or visit")
        NO_RESPONSE = "no_response", _("no reply from the resident")
        SPAM = "spam", _("spam or abuse")
        OTHER = "other", _("other")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="tickets")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tickets")
    reason = models.CharField(_("reason"), max_length=24, choices=[(r.value, r.label) for r in HANDOFF_REASONS])
    priority = models.IntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    department = models.CharField(_("department"), max_length=100, blank=True)
    language = models.CharField(_("resident's language"), max_length=16, blank=True)
    question = models.TextField(_("question"), blank=True)
    question_ja = models.TextField(_("question (Japanese translation)"), blank=True)
    candidates = models.JSONField(_("bot's best guesses"), default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True, choices=Outcome.choices)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    out_of_hours = models.BooleanField(_("opened outside business hours"), default=False)
    next_opening_at = models.DateTimeField(_("staff next in"), null=True, blank=True)
    unread = models.PositiveIntegerField(_("unread resident messages"), default=0)
    last_resident_message_at = models.DateTimeField(_("last resident message"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    claimed_at = models.DateTimeField(_("first claimed"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first staff response"), null=True, blank=True)
    resolved_at = models.DateTimeField(pgettext_lazy("date and time", "resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    rating = models.CharField(_("resident's rating"), max_length=8, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    faq_draft = models.ForeignKey(
        "faq.FAQ", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("FAQ draft")
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(status="open"), name="one_open_ticket_per_conversation"
            )
        ]
        indexes = [models.Index(fields=["municipality", "status", "priority", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def time_to_first_response(self):
        return self.first_response_at - self.created_at if self.first_response_at else None

    @property
    def handling_time(self):
        if self.resolved_at and self.claimed_at:
            return self.resolved_at - self.claimed_at
        return None


class BusinessCalendar(models.Model):
    """When staff are in, per municipality. Without one, the default city-hall calendar applies."""

    municipality = models.OneToOneField(Municipality, on_delete=models.CASCADE, related_name="business_calendar")
    observe_public_holidays = models.BooleanField(
        _("closed on Japanese public holidays"), default=True, help_text=_("From the maintained holidays package.")
    )
    year_end_closure = models.BooleanField(_("closed 12/29-1/3"), default=True)
    always_open = models.BooleanField(
        _("always staffed"), default=False, help_text=_("Residents are never told that staff are out.")
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return str(self.municipality)


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closed_days")
    start = models.DateField(_("closed from"))
    end = models.DateField(_("closed until"), null=True, blank=True, help_text=_("Empty: one day."))
    every_year = models.BooleanField(_("every year"), default=False, help_text=_("Only month and day count."))
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.start}–{self.end or self.start} {self.label}"


class CannedReply(models.Model):
    """A prepared answer staff can insert, in Japanese, with curated translations."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(_("title"), max_length=100)
    text_ja = models.TextField(_("text (Japanese)"))
    department = models.CharField(_("department"), max_length=100, blank=True, help_text=_("Empty: everyone."))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["municipality", "title"]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str | None:
        """The curated text in ``language`` (Japanese for ja/ja-easy), or None when there is none."""
        if language in ("", "ja"):
            return self.text_ja
        for tr in self.translations.all():
            if tr.language == language:
                return tr.text
        return None


class CannedReplyTranslation(models.Model):
    canned = models.ForeignKey(CannedReply, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("curated translation")
        verbose_name_plural = _("curated translations")
        constraints = [models.UniqueConstraint(fields=["canned", "language"], name="one_canned_translation_per_lang")]

    def __str__(self) -> str:
        return f"{self.canned} [{self.language}]"


class InternalNote(models.Model):
    """A note between staff on a ticket. Never sent to the resident (it is not a Message)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class AuditEvent(models.Model):
    """One staff action. Details never hold personal data in the clear (free text is masked)."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed a conversation")
        CLAIM = "claim", _("claimed")
        ASSIGN = "assign", _("assigned")
        TRANSFER = "transfer", _("transferred to a department")
        RELEASE = "release", _("released")
        REPLY = "reply", _("replied")
        NOTE = "note", _("added an internal note")
        RESOLVE = "resolve", pgettext_lazy("audit log action", "resolved")
        FAQ_DRAFT = "faq_draft", _("made an FAQ draft")
        # Written by dashboard.retention through handoff.services.audit:
        RETENTION_PURGE = "retention_purge", _("deleted expired personal data")
        ERASE_RESIDENT = "erase_resident", _("erased a resident's data on request")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user} {self.action}"
