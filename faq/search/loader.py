"""From the database to index entries, the cheap version stamp that says when to rebuild, and which
cached vectors the current content still needs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from django.db.models import Count, Expression, Max, Q, QuerySet, Value
from django.utils import timezone

from conversations.models import Municipality
from faq.models import FAQ, Chunk, LearnedPhrasing, Page

from . import embed, score
from .index import Entry, dense_items


def version_stamp(municipality: Municipality) -> tuple:
    """Changes whenever anything the index reads changes; one aggregate query (a UNION ALL).

    Per table (FAQ entries, pages, passages, learned phrasings) of the municipality: the row count and the highest id
    (deletions lower the count; a deletion plus an insertion raises the id) and the last
    ``updated_at``. ``updated_at`` moves on every write through the ORM: ``save()`` (``auto_now``,
    also with ``update_fields``) and ``update()`` / ``bulk_update()`` (``faq.models.TouchingQuerySet``);
    only a page's ``fetched_at`` (an unchanged re-import) does not move it. Besides: published
    entries, gone pages and approved phrasings, counted (a second witness of the commonest bulk changes), and today's
    date (validity windows open and close).
    """
    approved = Count("id", filter=Q(status=LearnedPhrasing.Status.APPROVED))
    parts = [
        _aggregate(FAQ, "faq", Count("id", filter=Q(status=FAQ.Status.PUBLISHED)), municipality),
        _aggregate(Page, "page", Count("id", filter=Q(gone_at__isnull=False)), municipality),
        _aggregate(Chunk, "chunk", Value(0), municipality),
        _aggregate(LearnedPhrasing, "learned", approved, municipality),
    ]
    rows = {row[0]: row[1:] for row in parts[0].union(*parts[1:], all=True)}
    stamp: list = [timezone.localdate().isoformat()]
    for kind in ("faq", "page", "chunk", "learned"):
        n, last, changed, extra = rows.get(kind, (0, None, None, 0))
        stamp += [n, last, str(changed), extra]
    return tuple(stamp)


def _aggregate(
    model: type[FAQ] | type[Page] | type[Chunk] | type[LearnedPhrasing],
    kind: str,
    extra: Expression,
    municipality: Municipality,
) -> QuerySet[FAQ | Page | Chunk | LearnedPhrasing, tuple[str, int, int, datetime, int]]:
    return (
        model.objects.filter(municipality=municipality)
        .order_by()
        .values("municipality")
        .annotate(kind=Value(kind), n=Count("id"), last=Max("id"), changed=Max("updated_at"), extra=extra)
        .values_list("kind", "n", "last", "changed", "extra")
    )


def faq_entry(faq: FAQ, learned: Sequence[str] = ()) -> Entry:
    """Question, alternative phrasings and approved learned phrasings (``faq.learning``).

    Curated translations are not indexed: most entries have none, and the few that do would win
    every question asked in that language (measured: English hit@1 0.27 with them, 0.67 without,
    on the demo set)."""
    curated = [faq.question, *[q for q in faq.alt_questions or [] if isinstance(q, str)]]
    curated = [p.strip() for p in dict.fromkeys(curated) if p and p.strip()]
    from_residents = [p.strip() for p in dict.fromkeys(learned) if p and p.strip() and p.strip() not in curated]
    return Entry(
        kind="faq",
        id=faq.pk,
        external_id=faq.external_id,
        title=faq.question,
        text=faq.answer,
        url=faq.source_url,
        department=faq.department,
        contact=faq.contact,
        phrasings=[*curated, *from_residents],
        learned=len(from_residents),
        body=faq.answer,
    )


def approved_phrasings(municipality: Municipality | None = None) -> dict[int, list[str]]:
    """Approved learned wordings by FAQ id, most seen first."""
    rows = LearnedPhrasing.objects.filter(status=LearnedPhrasing.Status.APPROVED)
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    found: dict[int, list[str]] = {}
    for faq_id, text in rows.order_by("faq_id", "-count", "pk").values_list("faq_id", "text"):
        found.setdefault(faq_id, []).append(text)
    return found


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


def load_entries(municipality: Municipality) -> list[Entry]:
    """Answerable FAQ entries (published, inside their validity window) and live homepage chunks."""
    entries: list[Entry] = []
    faqs = list(FAQ.objects.answerable(municipality).select_related("municipality").order_by("pk"))
    learned = approved_phrasings(municipality)
    for faq in faqs:
        entries.append(faq_entry(faq, learned.get(faq.pk, ())))
    chunks = (
        Chunk.objects.filter(municipality=municipality, page__gone_at__isnull=True)
        .select_related("page", "municipality")
        .order_by("pk")
    )
    for chunk in chunks:
        if chunk.text.strip():
            entries.append(chunk_entry(chunk))
    return entries


def stored_entries() -> Iterator[Entry]:
    """Every FAQ entry and passage of every municipality, as the index would see it.

    Unlike ``load_entries``: drafts and entries outside their validity window too (they may be
    published again) and passages of withdrawn pages not yet deleted. Curated translations are
    not indexed (see ``faq_entry``), so they need no vectors.
    """
    learned = approved_phrasings()
    for faq in FAQ.objects.select_related("municipality").order_by("pk").iterator(chunk_size=2000):
        yield faq_entry(faq, learned.get(faq.pk, ()))
    chunks = Chunk.objects.select_related("page", "municipality").order_by("pk")
    for chunk in chunks.iterator(chunk_size=2000):
        if chunk.text.strip():
            yield chunk_entry(chunk)


def needed_hashes(params: score.Params | None = None) -> set[str]:
    """Content hashes (model name included) of every text an index of the current content embeds."""
    params = params or score.Params()
    needed: set[str] = set()
    for entry in stored_entries():
        phrasings, head = dense_items(entry, params)
        needed.update(embed.content_hash(kind, text) for kind, text in [*phrasings, head])
    return needed


def prune_embedding_cache(*, before: datetime, params: score.Params | None = None) -> int:
    """Delete the cached vectors no municipality's current content needs (old texts, other models).

    ``before``: only rows written before then, taken before the content is read, so vectors that
    another process embeds meanwhile (for content this run did not see) are kept. A text that
    comes back later is embedded again. Returns how many rows were deleted.
    """
    return embed.prune_cache(needed_hashes(params), before=before)
