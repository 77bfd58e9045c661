"""From the database to index entries, and the cheap version stamp that says when to rebuild."""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.utils import timezone

from faq.models import FAQ, Chunk, Page

from .index import Entry


def version_stamp(municipality) -> tuple:
    """Changes whenever anything the index reads changes (four small aggregate queries).

    FAQ rows: count, published count, last ``updated_at`` (every admin save bumps it; the
    published count catches bulk updates that skip ``save()``); chunks: count and highest id
    (re-imported pages get new chunks); pages: last change and fetch, and how many are gone.
    Today's date: validity windows open and close.
    """
    faqs = FAQ.objects.filter(municipality=municipality).aggregate(
        n=Count("id"), published=Count("id", filter=Q(status=FAQ.Status.PUBLISHED)), changed=Max("updated_at")
    )
    chunks = Chunk.objects.filter(municipality=municipality).aggregate(n=Count("id"), last=Max("id"))
    pages = Page.objects.filter(municipality=municipality).aggregate(
        changed=Max("changed_at"), fetched=Max("fetched_at"), gone=Count("id", filter=Q(gone_at__isnull=False))
    )
    return (
        timezone.localdate().isoformat(),
        faqs["n"],
        faqs["published"],
        str(faqs["changed"]),
        chunks["n"],
        chunks["last"],
        str(pages["changed"]),
        str(pages["fetched"]),
        pages["gone"],
    )


def faq_entry(faq: FAQ) -> Entry:
    """Question and alternative phrasings; curated translations are not indexed: most entries have
    none, and the few that do would win every question asked in that language (measured: English
    hit@1 0.27 with them, 0.67 without, on the demo set)."""
    phrasings = [faq.question, *[q for q in faq.alt_questions or [] if isinstance(q, str)]]
    phrasings = [p.strip() for p in dict.fromkeys(phrasings) if p and p.strip()]
    return Entry(
        kind="faq",
        id=faq.pk,
        external_id=faq.external_id,
        title=faq.question,
        text=faq.answer,
        url=faq.source_url,
        department=faq.department,
        contact=faq.contact,
        phrasings=phrasings,
        body=faq.answer,
    )


def chunk_entry(chunk: Chunk) -> Entry:
    title = chunk.page.title
    path = [h for h in chunk.heading_path or [] if isinstance(h, str) and h]
    heading = " ".join(dict.fromkeys([title, *path])).strip() or title or chunk.text[:60]
    return Entry(
        kind="chunk",
        id=chunk.pk,
        external_id=f"page:{chunk.page.url}#{chunk.position}",
        title=title or (path[-1] if path else ""),
        text=chunk.text,
        url=chunk.source_url,
        heading_path=path,
        phrasings=[heading],
        body=chunk.text,
    )


def load_entries(municipality) -> list[Entry]:
    """Answerable FAQ entries (published, inside their validity window) and live homepage chunks."""
    entries: list[Entry] = []
    for faq in FAQ.objects.answerable(municipality).select_related("municipality").order_by("pk"):
        entries.append(faq_entry(faq))
    chunks = (
        Chunk.objects.filter(municipality=municipality, page__gone_at__isnull=True)
        .select_related("page", "municipality")
        .order_by("pk")
    )
    for chunk in chunks:
        if chunk.text.strip():
            entries.append(chunk_entry(chunk))
    return entries
