"""The city's knowledge: curated FAQ entries (with translations) and the homepage index."""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from conversations.models import Municipality


class TouchingQuerySet(models.QuerySet):
    """``update()`` (and so ``bulk_update()``) also sets ``updated_at``, as ``save()`` does through ``auto_now``.

    The search index's version stamp (``faq.search.loader.version_stamp``) reads ``updated_at``: a
    bulk update that left it alone would not be seen. Updates of only ``UNTRACKED_FIELDS`` (what
    the index does not read, e.g. a page's ``fetched_at``) leave it alone.
    """

    def update(self, **kwargs):
        untracked = getattr(self.model, "UNTRACKED_FIELDS", frozenset())
        if kwargs and "updated_at" not in kwargs and not set(kwargs) <= untracked:
            kwargs["updated_at"] = timezone.now()
        return super().update(**kwargs)

    update.alters_data = True


class TouchOnSave:
    """``save(update_fields=[...])`` writes ``updated_at`` too (``auto_now`` alone skips it there)."""

    UNTRACKED_FIELDS: frozenset[str] = frozenset()

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields is not None and not set(fields) <= self.UNTRACKED_FIELDS:
            kwargs["update_fields"] = {*fields, "updated_at"}
        super().save(*args, **kwargs)

    save.alters_data = True


class PublishedFAQManager(models.Manager.from_queryset(TouchingQuerySet)):
    def answerable(self, municipality, at=None):
        """Published entries inside their validity window: the only ones the bot may answer with."""
        today = timezone.localdate(at) if at else timezone.localdate()
        return self.filter(municipality=municipality, status=FAQ.Status.PUBLISHED).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )


class FAQ(TouchOnSave, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="faqs", verbose_name=_("municipality")
    )
    external_id = models.CharField(_("external id"), max_length=64)
    question = models.TextField(_("question"))
    alt_questions = models.JSONField(_("alternative phrasings"), default=list, blank=True)
    answer = models.TextField(_("answer"))
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    department = models.CharField(_("department"), max_length=100, blank=True, db_index=True)
    contact = models.TextField(_("contact (phone, hours, counter)"), blank=True)
    url = models.CharField(_("source URL"), max_length=500, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last reviewed by"),
    )
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    objects = PublishedFAQManager()

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["municipality", "external_id"]
        constraints = [models.UniqueConstraint(fields=["municipality", "external_id"], name="faq_external_id_per_city")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.question[:40]}"

    @property
    def source_url(self) -> str:
        return resolve_url(self.municipality.website_url, self.url)

    def is_answerable(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == self.Status.PUBLISHED
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_until is None or self.valid_until >= today)
        )


class FAQTranslation(models.Model):
    """A curated (editor-written or editor-corrected) translation; used before machine translation."""

    faq = models.ForeignKey(FAQ, on_delete=models.CASCADE, related_name="translations", verbose_name=_("FAQ entry"))
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)
    question = models.TextField(_("question"), blank=True)
    answer = models.TextField(_("answer"))
    contact = models.TextField(
        _("contact (phone, hours, counter)"),
        blank=True,
        help_text=_("Shown instead of the Japanese contact line. Keep counter and office names in Japanese too."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("curated translation")
        verbose_name_plural = _("curated translations")
        constraints = [models.UniqueConstraint(fields=["faq", "language"], name="one_translation_per_language")]

    def __str__(self) -> str:
        return f"{self.faq.external_id} [{self.language}]"


class LearnedPhrasing(TouchOnSave, models.Model):
    """A resident's wording (masked) of a question that an FAQ entry answered: the bot learns from its traffic.

    Approved phrasings are searched like the entry's alternative phrasings. Where a wording came
    from is in its sightings; the same wording for the same entry is one row with a count.
    """

    class Source(models.TextChoices):
        PICK = "pick", _("resident picked it when asked back")
        THUMBS_UP = "thumbs_up", _("resident marked the answer helpful")
        STAFF = "staff", _("staff answered a hand-off with it")
        EDITOR = "editor", _("editor linked an unanswered question")
        IMPORT = "import", _("imported")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="learned_phrasings", verbose_name=_("municipality")
    )
    faq = models.ForeignKey(
        FAQ, on_delete=models.CASCADE, related_name="learned_phrasings", verbose_name=_("FAQ entry")
    )
    text = models.CharField(_("wording (personal data masked)"), max_length=300)
    key = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    count = models.PositiveIntegerField(_("times seen"), default=0)
    residents = models.PositiveIntegerField(_("different residents"), default=0)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = models.Manager.from_queryset(TouchingQuerySet)()

    class Meta:
        verbose_name = _("learned phrasing")
        verbose_name_plural = _("learned phrasings")
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["faq", "key"], name="one_learned_phrasing_per_entry")]
        indexes = [models.Index(fields=["municipality", "status"])]

    def __str__(self) -> str:
        return f"{self.text[:40]} -> {self.faq.external_id}"


class Sighting(models.Model):
    """One time a wording was linked to an entry: from where, and by whom (residents only as a hash)."""

    phrasing = models.ForeignKey(LearnedPhrasing, on_delete=models.CASCADE, related_name="sightings")
    source = models.CharField(_("source"), max_length=12, choices=LearnedPhrasing.Source.choices)
    resident_key = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer_log = models.ForeignKey(
        "conversations.AnswerLog", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")

    def __str__(self) -> str:
        return f"{self.source} {self.created_at:%Y-%m-%d}"


class Page(TouchOnSave, models.Model):
    """One page of the city's homepage, as last imported."""

    UNTRACKED_FIELDS = frozenset({"fetched_at"})  # an unchanged re-import only touches this

    class Kind(models.TextChoices):
        HTML = "html", _("web page")
        PDF = "pdf", _("PDF document")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="pages", verbose_name=_("municipality")
    )
    url = models.CharField(_("URL"), max_length=500, help_text=_("Relative to the municipality's website URL."))
    title = models.CharField(_("title"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.HTML)
    content_hash = models.CharField(_("content hash"), max_length=64)
    fetched_at = models.DateTimeField(_("last fetched"), default=timezone.now)
    changed_at = models.DateTimeField(_("last changed"), default=timezone.now)
    gone_at = models.DateTimeField(pgettext_lazy("date and time", "disappeared"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = models.Manager.from_queryset(TouchingQuerySet)()

    class Meta:
        verbose_name = _("homepage page")
        verbose_name_plural = _("homepage pages")
        constraints = [models.UniqueConstraint(fields=["municipality", "url"], name="page_url_per_city")]

    def __str__(self) -> str:
        return self.title or self.url


class Chunk(TouchOnSave, models.Model):
    """A heading-bounded passage of a page, with the heading path kept."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("page"))
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("municipality")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    heading_path = models.JSONField(_("heading path"), default=list, blank=True)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = models.Manager.from_queryset(TouchingQuerySet)()

    class Meta:
        verbose_name = _("page passage")
        verbose_name_plural = _("page passages")
        ordering = ["page", "position"]

    def __str__(self) -> str:
        return " > ".join(self.heading_path) or self.page.title

    @property
    def source_url(self) -> str:
        return resolve_url(self.municipality.website_url, self.page.url)


class EmbeddingCache(models.Model):
    """Dense vectors by content hash, so a re-import embeds only what changed."""

    content_hash = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=64)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)  # pruning spares rows written while it ran

    def __str__(self) -> str:
        return f"{self.model}:{self.content_hash[:12]}"

    @staticmethod
    def hash_text(text: str, model: str) -> str:
        return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def resolve_url(base: str, url: str) -> str:
    if not url:
        return ""
    if "://" in url or not base:
        return url
    return urljoin(base if base.endswith("/") else base + "/", url)
