"""What the multilingual side keeps: translations made once (and corrected by editors) and glossary terms.

The tables keep the names they were created with in the ``chatbot`` app (docs/adr/0007-layout.md).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from conversations.models import Municipality

from . import registry


def translation_source_hash(text: str) -> str:
    """The key a source text is cached under: whitespace at the ends and line endings do not count."""
    clean = "\n".join(line.rstrip() for line in text.strip().replace("\r\n", "\n").split("\n"))
    return hashlib.sha256(clean.encode()).hexdigest()


class CachedTranslation(models.Model):
    """A translation kept so it is made once; an editor's correction makes it curated, and curated wins."""

    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cached_translations",
        help_text=_("Empty: shared by every municipality (superusers only)."),
    )
    source_hash = models.CharField(max_length=64, editable=False)
    source_language = models.CharField(_("source language"), max_length=16, choices=registry.choices())
    target_language = models.CharField(_("target language"), max_length=16, choices=registry.choices())
    source_text = models.TextField(_("original"))
    text = models.TextField(_("translation"))
    backend = models.CharField(_("made by"), max_length=32, blank=True)
    is_curated = models.BooleanField(
        _("curated"), default=False, help_text=_("Checked or corrected by an editor: used before machine translation.")
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_failed = models.CharField(
        _("failed check"),
        max_length=200,
        blank=True,
        help_text=_(
            "Why this machine translation failed the check (wrong language, a lost phone number or date, the "
            "translator's own words...). It is not shown to residents; correct it to use it."
        ),
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "chatbot_cachedtranslation"
        verbose_name = _("cached translation")
        verbose_name_plural = _("cached translations")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "source_hash", "source_language", "target_language"],
                condition=models.Q(municipality__isnull=False),
                name="one_cached_translation_per_city",
            ),
            models.UniqueConstraint(
                fields=["source_hash", "source_language", "target_language"],
                condition=models.Q(municipality__isnull=True),
                name="one_shared_cached_translation",
            ),
        ]
        indexes = [models.Index(fields=["source_hash", "target_language"])]

    def __str__(self) -> str:
        return f"[{self.source_language}->{self.target_language}] {self.source_text[:40]}"

    def save(self, *args, **kwargs):
        self.source_hash = translation_source_hash(self.source_text)
        super().save(*args, **kwargs)


GLOSSARY_LANGUAGES = [
    (code, registry.native_name(code) if code != registry.ROMAJI else _("romanised Japanese"))
    for code in registry.GLOSSARY_COLUMNS
]


class GlossaryTerm(models.Model):
    """A word residents use for a Japanese administrative term; extends the shipped glossary."""

    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="glossary_terms",
        help_text=_("Empty: shared by every municipality (superusers only)."),
    )
    japanese = models.CharField(_("Japanese term"), max_length=100, help_text=_("e.g. 住民票, 粗大ごみ"))
    language = models.CharField(_("language"), max_length=16, choices=GLOSSARY_LANGUAGES)
    term = models.CharField(
        _("term"), max_length=200, help_text=_("What residents write, e.g. 'residence certificate'.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "chatbot_glossaryterm"
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")
        ordering = ["japanese", "language", "term"]
        indexes = [models.Index(fields=["municipality", "is_active"])]

    def __str__(self) -> str:
        return f"{self.term} [{self.language}] -> {self.japanese}"
