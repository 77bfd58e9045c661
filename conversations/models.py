"""Tenants and conversations: who talks to which city, and every message in between.

The tables keep the names they were created with in the ``chatbot`` app (moved here without
touching the database, see docs/adr/0007-layout.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConversationState(models.TextChoices):
    """Who may answer (the transitions between them are ``conversations.states``)."""

    BOT = "bot", _("bot answers")
    WAITING = "waiting", _("waiting for staff")
    STAFF = "staff", _("staff answers")
    CLOSED = "closed", _("closed")


class Municipality(models.Model):
    """One tenant: a city, ward, town or village."""

    slug = models.SlugField(_("slug"), unique=True, max_length=64)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    website_url = models.URLField(
        _("website URL"),
        blank=True,
        help_text=_("Relative source links of FAQ entries and pages are resolved against this address."),
    )
    business_hours = models.CharField(
        _("business hours reference"),
        max_length=200,
        blank=True,
        help_text=_("Shown to residents, e.g. 'Weekdays 8:30-17:15'. Detailed hours are set under hand-off."),
    )
    disclaimer_ja = models.TextField(
        _("disclaimer (Japanese)"),
        blank=True,
        help_text=_("Shown with every answer. Empty: the standard disclaimer."),
    )
    disclaimer_en = models.TextField(_("disclaimer (English)"), blank=True)
    greeting_ja = models.TextField(_("greeting (Japanese)"), blank=True)
    line_channel_secret = models.CharField(_("LINE channel secret"), max_length=128, blank=True)
    line_access_token = models.TextField(_("LINE channel access token"), blank=True)
    line_bot_user_id = models.CharField(
        _("LINE bot user ID"),
        max_length=64,
        blank=True,
        help_text=_("Read from LINE with the access token. Webhook requests for another bot are refused."),
    )
    allowed_web_origins = models.TextField(
        _("allowed web origins"),
        blank=True,
        help_text=_(
            "One origin per line, e.g. https://www.city.example.jp. The web widget answers only these. "
            "A line 'null' also admits pages without an origin (sandboxed frames, local files): only if you need it."
        ),
    )
    general_contact = models.CharField(
        _("general contact"),
        max_length=200,
        blank=True,
        help_text=_("The city office's main line and hours, e.g. '代表 042-000-1111 (平日8:30-17:15)'."),
    )
    emergency_contacts = models.TextField(
        _("counselling and emergency lines"),
        blank=True,
        help_text=_("One per line, e.g. 'こころの相談 042-000-0000'. Given at once on sensitive topics."),
    )
    retention_days = models.PositiveIntegerField(_("retention period (days)"), default=90)
    answer_threshold = models.FloatField(
        _("answer threshold"), null=True, blank=True, help_text=_("Empty: the calibrated default.")
    )
    answer_margin = models.FloatField(
        _("answer margin"), null=True, blank=True, help_text=_("Empty: the calibrated default.")
    )
    # What the bot learns without an editor's review (faq.learning): every other wording waits in
    # Admin -> Learned phrasings. A single resident's wording never counts alone.
    learn_from_staff = models.BooleanField(
        _("learn from staff without review"),
        default=True,
        help_text=_("A hand-off resolved with an FAQ entry teaches the bot the resident's wording at once."),
    )
    learn_from_editors = models.BooleanField(
        _("learn from editors without review"),
        default=True,
        help_text=_("An editor linking an unanswered question to an entry teaches the bot at once."),
    )
    learn_from_residents = models.BooleanField(
        _("learn from residents without review"),
        default=True,
        help_text=_(
            "A wording that two or more different residents confirmed (a choice picked, an answer marked "
            "helpful) is learned at once. A wording from one resident always waits for an editor."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chatbot_municipality"
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name_ja

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and self.line_bot_user_id:
            stored = Municipality.objects.filter(pk=self.pk).values_list("line_access_token", flat=True).first()
            if stored is not None and stored != self.line_access_token:
                self.line_bot_user_id = ""  # perhaps another channel now: its bot user ID is read again
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "line_bot_user_id"}
        super().save(*args, **kwargs)

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_web_origins.splitlines() if o.strip()]


class Membership(models.Model):
    """A staff account's role in one municipality (optionally one department)."""

    class Role(models.TextChoices):
        STAFF = "staff", _("staff (console)")
        EDITOR = "editor", _("editor (FAQ)")
        CITY_ADMIN = "city_admin", _("city administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    department = models.CharField(_("department"), max_length=100, blank=True)

    class Meta:
        db_table = "chatbot_membership"
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "municipality"], name="one_membership_per_city")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality} ({self.role})"


class Channel(models.TextChoices):
    LINE = "line", "LINE"
    WEB = "web", _("web chat")


class Resident(models.Model):
    """A person writing to the city, known only by the channel's user id."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="residents")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    channel_user_id = models.CharField(_("channel user id"), max_length=128)
    language = models.CharField(_("language"), max_length=16, blank=True)
    language_source = models.CharField(
        _("language source"),
        max_length=16,
        blank=True,
        help_text=_("choice, profile or detected: an explicit choice is never overridden by detection."),
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    unfollowed_at = models.DateTimeField(_("unfollowed"), null=True, blank=True)

    class Meta:
        db_table = "chatbot_resident"
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "channel", "channel_user_id"], name="one_resident_per_channel_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.channel_user_id[:8]}…"


class Conversation(models.Model):
    """The thread between one resident and the city. Its state says who may answer."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="conversations")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="conversations")
    state = models.CharField(
        _("state"), max_length=16, choices=ConversationState.choices, default=ConversationState.BOT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_conversations",
        verbose_name=_("owner"),
    )
    unhelpful_streak = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "chatbot_conversation"
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [models.Index(fields=["municipality", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resident} [{self.state}]"

    @property
    def channel(self) -> str:
        return self.resident.channel


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("from resident")
        OUTBOUND = "out", _("to resident")

    class Sender(models.TextChoices):
        RESIDENT = "resident", _("resident")
        BOT = "bot", _("bot")
        STAFF = "staff", _("staff")
        SYSTEM = "system", _("system")

    class Delivery(models.TextChoices):
        NONE = "", _("n/a")
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DROPPED = "dropped", _("dropped")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    language = models.CharField(_("original language"), max_length=16, blank=True)
    translation = models.TextField(_("translation"), blank=True)
    translation_language = models.CharField(max_length=16, blank=True)
    machine_translated = models.BooleanField(default=False)
    kind = models.CharField(_("kind"), max_length=24, default="text")
    payload = models.JSONField(_("rendered content"), default=dict, blank=True)
    channel_message_id = models.CharField(_("channel message id"), max_length=128, blank=True)
    event = models.ForeignKey("InboundEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    sequence = models.PositiveSmallIntegerField(default=0)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.NONE, blank=True)
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    unsent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        db_table = "chatbot_message"
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            # One reply set per inbound event: a re-processed event finds its replies and does not double them.
            models.UniqueConstraint(
                fields=["event", "direction", "sequence"],
                condition=models.Q(event__isnull=False),
                name="one_message_per_event_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class InboundEvent(models.Model):
    """Exactly what a channel delivered, stored before we acknowledge it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="events")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    channel_event_id = models.CharField(_("channel event id"), max_length=128)
    event_type = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(_("raw payload"))
    is_redelivery = models.BooleanField(default=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # A claim by one worker, or after a failed attempt the time before which it is not retried.
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    requeued_at = models.DateTimeField(_("queued again"), null=True, blank=True)
    given_up_at = models.DateTimeField(
        _("given up"),
        null=True,
        blank=True,
        help_text=_("Every attempt failed: the resident was told and a ticket opened. Retry from the list."),
    )

    class Meta:
        db_table = "chatbot_inboundevent"
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [models.UniqueConstraint(fields=["channel", "channel_event_id"], name="one_event_per_channel_id")]
        indexes = [models.Index(fields=["processed_at"])]

    def __str__(self) -> str:
        return f"{self.channel}:{self.channel_event_id} ({self.event_type})"


class AnswerStatus(models.TextChoices):
    """What the bot did with a question. Every outcome has one fixed meaning and one fixed message."""

    ANSWERED = "answer", _("answered")
    ASK_BACK = "ask_back", _("asked back")
    HANDOFF = "handoff", _("handed off")
    REPLIED = "replied", _("replied without an FAQ answer")
    GUARDRAIL = "guardrail", _("refused by a guardrail")
    ERROR = "error", _("error")


class Reason(models.TextChoices):
    """Why: one list for the answer log, the hand-off queue, the dashboard and ``evaluate``."""

    CONFIDENT = "confident", _("confident match")
    PICKED = "picked", _("resident picked a choice")
    GENERATED = "generated", _("composed from passages")
    CLOSE_CANDIDATES = "close_candidates", _("top candidates close")
    VAGUE = "vague", _("a topic, not a question")
    LOW_CONFIDENCE = "low_confidence", _("bot not confident")
    ASKED_FOR_PERSON = "asked_for_person", _("resident asked for a person")
    SENSITIVE = "sensitive", _("sensitive topic")
    REPEATED_FAILURE = "repeated_failure", _("two unhelpful answers")
    EMPTY = "empty", _("empty question")
    INJECTION = "injection", _("refused: steering attempt")
    SMALL_TALK = "small_talk", _("small talk")
    PERSONAL_RECORD = "personal_record", _("about the resident's own records")
    OUT_OF_SCOPE = "out_of_scope", _("not a city service")
    OTHER_MUNICIPALITY = "other_municipality", _("about another municipality")
    RESOLVED = "resolved", _("just after staff resolved")
    FAILED = "failed", _("message could not be processed")


# The reasons a conversation goes to staff (a hand-off ticket's reason).
HANDOFF_REASONS = (
    Reason.LOW_CONFIDENCE,
    Reason.ASKED_FOR_PERSON,
    Reason.SENSITIVE,
    Reason.REPEATED_FAILURE,
    Reason.FAILED,
)


class ModelOutcome(models.TextChoices):
    """What became of the language model's answer to one question (empty: the model was not asked)."""

    ACCEPTED = "accepted", _("accepted")
    CUT_OFF = "cut_off", _("cut off at the token cap")
    INVALID_CITATION = "invalid_citation", _("missing or unknown citation")
    LEAK = "leak", _("leaked its instructions")
    REFUSED = "refused", _("refused by an output check")
    UNANSWERABLE = "unanswerable", _("model said unanswerable")
    TIMEOUT = "timeout", _("timed out")
    ERROR = "error", _("error")


# Outcomes that were not sent: the bot fell back to asking back or handing off.
MODEL_FALLBACKS = tuple(outcome for outcome in ModelOutcome if outcome != ModelOutcome.ACCEPTED)


class AnswerLog(models.Model):
    """What the engine saw and decided for one question; feedback lands here later."""

    class Feedback(models.TextChoices):
        NONE = "", _("none")
        HELPFUL = "helpful", _("helpful")
        UNHELPFUL = "unhelpful", _("not helpful")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="answer_logs")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="answer_logs"
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    query = models.TextField(_("query (masked)"))
    language = models.CharField(max_length=16, blank=True)
    candidates = models.JSONField(_("top candidates"), default=list)
    decision = models.CharField(_("decision"), max_length=20)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    answered_faq = models.ForeignKey(
        "faq.FAQ", null=True, blank=True, on_delete=models.SET_NULL, related_name="answer_logs"
    )
    latency_ms = models.FloatField(default=0)
    tokens = models.PositiveIntegerField(default=0)
    model_outcome = models.CharField(
        _("model outcome"), max_length=20, choices=ModelOutcome.choices, blank=True, default="", db_index=True
    )
    model_detail = models.CharField(_("model outcome detail"), max_length=200, blank=True, default="")
    model_latency_ms = models.FloatField(_("model latency (ms)"), null=True, blank=True)
    model_tokens = models.PositiveIntegerField(_("model tokens"), default=0)
    feedback = models.CharField(max_length=10, choices=Feedback.choices, default=Feedback.NONE, blank=True)
    # An editor dealt with this question (linked it to an entry or wrote one): it leaves the unanswered list.
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "chatbot_answerlog"
        verbose_name = _("answer log")
        verbose_name_plural = _("answer logs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.decision}: {self.query[:40]}"
