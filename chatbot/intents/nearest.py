"""Paraphrases: a message compared, with the shipped multilingual embedding, to curated examples.

``chatbot/intent_examples/*.jsonl`` hold a few hundred examples of each kind of message the FAQ
must not answer (crises of six kinds, small talk, requests about one's own records, questions out
of scope or about another municipality, injection attempts) in our languages, and ordinary municipal
questions, many of them look-alikes ("防災訓練はいつ？", "DV相談の窓口は？"). A kind's score is the
mean cosine of the message to its three nearest examples of that kind. The examples are embedded
once per process, from the embedding cache after the first time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from faq.search import embed

EXAMPLES = Path(__file__).resolve().parent.parent / "intent_examples"
NEAREST = 3
# Which kind each example category belongs to.
KINDS = {
    "suicide": "crisis",
    "overdose": "crisis",
    "violence": "crisis",
    "medical": "crisis",
    "fire": "crisis",
    "disaster": "crisis",
    "greeting": "small_talk",
    "thanks": "small_talk",
    "goodbye": "small_talk",
    "bot_question": "small_talk",
    "insult": "small_talk",
    "chitchat": "small_talk",
    "personal_record": "personal_record",
    "out_of_scope": "out_of_scope",
    "other_municipality": "other_municipality",
    "injection": "injection",
    "ordinary": "ordinary",
}


@dataclass(frozen=True)
class Examples:
    vectors: np.ndarray  # one row per example, unit length
    categories: np.ndarray  # the example's category
    kinds: np.ndarray  # its kind


_lock = threading.Lock()


@cache
def examples() -> Examples:
    with _lock:
        rows = []
        for path in sorted(EXAMPLES.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    if row.get("category") in KINDS and row.get("text", "").strip():
                        rows.append(row)
        store = embed.VectorStore()
        vectors = store.vectors([("query", row["text"]) for row in rows], desc="intent examples")
        return Examples(
            vectors,
            np.array([row["category"] for row in rows]),
            np.array([KINDS[row["category"]] for row in rows]),
        )


@dataclass(frozen=True)
class Scores:
    by_kind: dict[str, float]
    category: dict[str, str]  # the nearest example's category, per kind

    def margin(self, kind: str, over: float) -> float:
        return self.by_kind.get(kind, 0.0) - over


def scores(vector: np.ndarray) -> Scores:
    found = examples()
    sims = found.vectors @ vector
    by_kind: dict[str, float] = {}
    category: dict[str, str] = {}
    for kind in set(KINDS.values()):
        mask = found.kinds == kind
        if not mask.any():
            continue
        mine = sims[mask]
        top = np.sort(mine)[-NEAREST:]
        by_kind[kind] = float(top.mean())
        category[kind] = str(found.categories[mask][int(np.argmax(mine))])
    return Scores(by_kind, category)
