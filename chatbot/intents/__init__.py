"""What kind of message this is, before the FAQ is searched: a good counter clerk's first glance.

    intent = intents.classify(municipality, text, language)
    intent.kind  # "question", "crisis", "injection", "small_talk", "personal_record",
                 # "out_of_scope" or "other_municipality"

A crisis (suicide, overdose, violence, a medical emergency, fire, a disaster) is tuned for recall:
a false alarm costs a staff member one look, a miss can cost a life. Sure words (``crisis``)
decide at once (``crisis``); paraphrases are caught by the nearest curated examples (``nearest``). Every other
kind must also be clearly closer to its examples than to ordinary questions, the city's own FAQ
questions included, so that "DV相談の窓口は？" or "防災訓練はいつ？" are still answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conversations.models import Municipality
from faq import retrieval
from faq.search import embed
from faq.search.text import strip_fillers

from . import crisis, nearest, rules


@dataclass(frozen=True)
class Intent:
    kind: str = "question"
    category: str = ""  # e.g. "suicide", "thanks"
    detail: str = ""  # e.g. the other municipality's name
    sure: bool = False  # said in so many words (a rule), not only like the examples

    @property
    def is_question(self) -> bool:
        return self.kind == "question"


# Floors and margins over the ordinary examples, chosen on the odd half of the beyond-FAQ dev set
# (faq/demo/messages) and the development city's tune half (docs/adr/0011-beyond-faq-lookup.md).
# Crisis: recall first; at this margin 0.6% of ordinary questions raised a false alarm. A message
# nearer to small talk or out-of-scope examples than to any crisis ("おはよう、今日さむいね",
# "오늘 날씨 어때요?") is not one: that took false alarms on small talk from 4 of 80 to 0, no crisis lost.
CRISIS_FLOOR = 0.80
CRISIS_MARGIN = 0.03
OTHER = {
    # kind: (floor, margin over the best of ordinary examples and the city's FAQ questions)
    "injection": (0.86, 0.02),
    "personal_record": (0.88, 0.02),
    "out_of_scope": (0.80, 0.0),
    "small_talk": (0.84, 0.02),
}


def classify(municipality: Municipality, text: str, language: str = "") -> Intent:
    text = (text or "").strip()
    if not text:
        return Intent()
    danger = crisis.kind_of(text)
    if danger:
        return Intent("crisis", danger, sure=True)
    if rules.is_injection(text):
        return Intent("injection")
    talk = rules.small_talk(text)
    if talk:
        return Intent("small_talk", talk)
    found = nearest.scores(_vector(text))
    ordinary = found.by_kind.get("ordinary", 0.0)
    known = max(ordinary, _faq_similarity(municipality, _vector(text)))
    danger_score = found.by_kind.get("crisis", 0.0)
    chatter = max(found.by_kind.get("small_talk", 0.0), found.by_kind.get("out_of_scope", 0.0))
    if danger_score >= CRISIS_FLOOR and danger_score - known >= CRISIS_MARGIN and danger_score >= chatter:
        return Intent("crisis", found.category.get("crisis", ""))
    elsewhere = rules.other_municipality(text, (municipality.name_ja, municipality.name_en, municipality.slug))
    if elsewhere:
        return Intent("other_municipality", detail=elsewhere)
    if rules.about_own_records(text):
        return Intent("personal_record")
    best = max(OTHER, key=lambda kind: found.by_kind.get(kind, 0.0) - known)
    floor, margin = OTHER[best]
    score = found.by_kind.get(best, 0.0)
    if score >= floor and score - known >= margin:
        return Intent(best, found.category.get(best, ""))
    return Intent()


def _vector(text: str) -> np.ndarray:
    return embed.embed_query(strip_fillers(text))  # the same vector the search uses (cached)


def _faq_similarity(municipality: Municipality, vector: np.ndarray) -> float:
    """How close the message is to the city's own FAQ questions (mean of the nearest three)."""
    index = retrieval.registry.index(municipality)
    if not len(index.phrasing_vectors):
        return 0.0
    sims = index.phrasing_vectors @ vector
    return float(np.sort(sims)[-nearest.NEAREST :].mean())
