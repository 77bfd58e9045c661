"""The bot learns from its own traffic: residents' wordings linked to the FAQ entry that answered them.

Every path goes through ``learn``: an ask-back pick, a thumbs-up, a staff member resolving a
hand-off with an entry, an editor linking an unanswered question, an import of labelled logs
(``manage.py learn``). The wording is masked before it is stored; the same wording for the same
entry is one ``LearnedPhrasing`` with a count of sightings and of different residents.

What is searched: approved phrasings of answerable entries (``faq.search.loader``), like
alternative phrasings, from the next index check on (seconds). What is approved without an
editor is the municipality's choice (``learn_from_*``): staff and editor links, imports, and
wordings that two or more *different* residents confirmed. One resident alone never steers the
bot, however often they tap. A thumbs-down on an answer a resident had picked takes that pick back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from conversations.masking import mask
from conversations.models import AnswerLog, Resident

from .models import FAQ, LearnedPhrasing, Sighting

Source = LearnedPhrasing.Source
Status = LearnedPhrasing.Status
MAX_CHARS = 300
MIN_RESIDENTS = 2  # different residents before a residents' wording is approved without review
RESIDENT_SOURCES = (Source.PICK, Source.THUMBS_UP)


def normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def key_of(text: str) -> str:
    return hashlib.sha256(normalised(text).encode()).hexdigest()


def resident_key(resident: Resident) -> str:
    """Residents are told apart by a hash, never stored by their channel id."""
    return hashlib.sha256(f"resident:{resident.pk}".encode()).hexdigest()


def learn(
    faq: FAQ,
    text: str,
    *,
    source: str,
    resident: Resident | None = None,
    user: User | None = None,
    answer_log: AnswerLog | None = None,
) -> LearnedPhrasing | None:
    """Record that ``text`` was answered by ``faq``; None when there is nothing to learn from it."""
    wording = mask(" ".join((text or "").split()))[:MAX_CHARS]
    if len(normalised(wording)) < 2 or normalised(wording) in _known(faq):
        return None  # empty, or the entry says it already
    key = key_of(wording)
    with transaction.atomic():
        phrasing, _created = LearnedPhrasing.objects.get_or_create(
            faq=faq, key=key, defaults={"municipality_id": faq.municipality_id, "text": wording}
        )
        phrasing = LearnedPhrasing.objects.select_for_update().get(pk=phrasing.pk)
        if source == Source.IMPORT and phrasing.sightings.filter(source=Source.IMPORT).exists():
            return phrasing  # imported before: importing the same file again adds nothing
        Sighting.objects.create(
            phrasing=phrasing,
            source=source,
            resident_key=resident_key(resident) if resident is not None else "",
            user=user,
            answer_log=answer_log,
        )
        _recount(phrasing)
        if phrasing.status == Status.PENDING and approves_itself(phrasing):
            phrasing.status = Status.APPROVED
            phrasing.reviewed_at = timezone.now()
        phrasing.save()
    return phrasing


def retract(answer_log: AnswerLog) -> int:
    """A resident marked an answer not helpful: the picks and thumbs-ups made on it no longer count."""
    found = 0
    with transaction.atomic():
        for sighting in Sighting.objects.filter(answer_log=answer_log, source__in=RESIDENT_SOURCES):
            phrasing = LearnedPhrasing.objects.select_for_update().get(pk=sighting.phrasing_id)
            sighting.delete()
            found += 1
            _recount(phrasing)
            if phrasing.count == 0:
                phrasing.delete()
            else:
                phrasing.save()
    return found


def approves_itself(phrasing: LearnedPhrasing) -> bool:
    """What the municipality lets the bot learn without an editor (``Municipality.learn_from_*``)."""
    city = phrasing.municipality
    sources = set(phrasing.sightings.values_list("source", flat=True))
    if Source.IMPORT in sources:
        return True  # an operator imported labelled logs on purpose
    if Source.STAFF in sources and city.learn_from_staff:
        return True
    if Source.EDITOR in sources and city.learn_from_editors:
        return True
    return city.learn_from_residents and phrasing.residents >= MIN_RESIDENTS


def review(phrasings, status: str, user: User) -> int:
    """An editor approves or rejects phrasings (bulk); a rejected wording is not learned again."""
    return phrasings.update(status=status, reviewed_by=user, reviewed_at=timezone.now())


def _known(faq: FAQ) -> set[str]:
    return {normalised(t) for t in [faq.question, *(faq.alt_questions or [])] if isinstance(t, str)}


def _recount(phrasing: LearnedPhrasing) -> None:
    sightings = phrasing.sightings.all()
    phrasing.count = sightings.count()
    phrasing.residents = sightings.exclude(resident_key="").aggregate(n=Count("resident_key", distinct=True))["n"] or 0
