"""The answer engine: one entry point from a resident's question to a decision with its evidence.

    decision = engine.answer(AnswerRequest(municipality, text, language))

The engine calls retrieval (``faq``) and the hand-off triggers (``handoff``); it never talks to a
channel. Turning a decision into replies is ``chatbot.compose``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from conversations.models import AnswerStatus, Conversation, Municipality, Reason
from faq import retrieval
from faq.retrieval import Candidate
from handoff import triggers
from languages import detection, registry

from . import decision as decision_rules
from . import generation, intents, vague

FIXED_REPLIES = {
    "small_talk": Reason.SMALL_TALK,
    "personal_record": Reason.PERSONAL_RECORD,
    "out_of_scope": Reason.OUT_OF_SCOPE,
    "other_municipality": Reason.OTHER_MUNICIPALITY,
}


@dataclass
class AnswerRequest:
    municipality: Municipality
    text: str
    language: str = "ja"
    conversation: Conversation | None = None
    asked_back_before: bool = False
    history: list[tuple[str, str]] = field(default_factory=list)  # [(role, text)], oldest first
    generation: generation.GenerationResult | None = None  # set when the model was asked (any outcome)


@dataclass
class Decision:
    status: str
    reason: str
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Candidate | None = None
    confidence: float = 0.0
    latency_ms: float = 0.0
    generated: generation.GenerationResult | None = None
    tokens: int = 0
    model: generation.GenerationResult | None = None  # the model's result whatever was decided (AnswerLog)
    intent: intents.Intent | None = None  # what kind of message it was, when not a question
    language: str = ""  # the language of the reply: the resident's, or the one the question is written in
    written_in: str = ""  # set when the question is clearly in another language than the resident's

    @property
    def choices(self) -> list[Candidate]:
        """What an ask-back offers: distinct candidates (no second copy of a question, no bare heading)."""
        return decision_rules.distinct_choices(self.candidates)


def answer(request: AnswerRequest) -> Decision:
    """Decide on one question. A long question clearly written in another language than the
    resident's (``languages.detection.written_in``) is searched and answered in the language it is
    written in, whatever the channel; the replies then offer to switch (``compose.language_offer``)."""
    started = time.perf_counter()
    setting = request.language or "ja"
    language = detection.written_in(request.text, setting)
    request = replace(request, language=language)
    result = _decide(request)
    result.latency_ms = (time.perf_counter() - started) * 1000
    result.model = request.generation
    result.language = language
    result.written_in = language if language != setting else ""
    return result


def _decide(request: AnswerRequest) -> Decision:
    text = request.text.strip()
    if not text:
        return Decision(AnswerStatus.ASK_BACK, Reason.EMPTY)
    intent = intents.classify(request.municipality, text, request.language)
    if intent.kind == "crisis" and (intent.sure or not triggers.asks_for_person(text)):
        return Decision(AnswerStatus.HANDOFF, Reason.SENSITIVE, intent=intent)
    if triggers.asks_for_person(text):  # "人と話したい" is a request, not a crisis, unless danger is named
        return Decision(AnswerStatus.HANDOFF, Reason.ASKED_FOR_PERSON)
    if intent.kind == "injection":
        return Decision(AnswerStatus.GUARDRAIL, Reason.INJECTION, intent=intent)
    if intent.kind in FIXED_REPLIES:
        # Not a question for the FAQ. A request about one's own records still looks up the entry
        # whose department can help.
        candidates = []
        if intent.kind == "personal_record":
            candidates = retrieval.search(request.municipality, text, language=request.language, k=3)
        return Decision(AnswerStatus.REPLIED, FIXED_REPLIES[intent.kind], candidates, intent=intent)

    query = generation.rewrite_followup(text, request.history, municipality=request.municipality)
    candidates = retrieval.search(request.municipality, query, language=request.language, k=10)
    thresholds = decision_rules.Thresholds.for_municipality(request.municipality)
    verdict = decision_rules.decide([c.score for c in candidates], thresholds)
    top = candidates[0].score if candidates else 0.0
    if verdict != "handoff" and registry.reads_japanese(request.language) and vague.is_vague(query):
        # a topic, not a question: its main choices, not one specific answer
        return Decision(AnswerStatus.ASK_BACK, Reason.VAGUE, candidates, None, top)
    if verdict == "answer":
        return Decision(AnswerStatus.ANSWERED, Reason.CONFIDENT, candidates, candidates[0], top)
    if generation.enabled() and candidates:
        # Not sure of one curated answer, but passages may be relevant: a grounded, cited answer.
        # Generated in Japanese (every output guard applies there); other languages are translated.
        language = request.language if registry.reads_japanese(request.language) else "ja"
        result = generation.grounded_answer(
            request.municipality, query, candidates, language=language, history=request.history
        )
        request.generation = result
        if result.answered:
            return Decision(AnswerStatus.ANSWERED, Reason.GENERATED, candidates, result.cited[0], top, generated=result)
        if result.blocked_input:
            return Decision(AnswerStatus.GUARDRAIL, Reason.INJECTION, candidates, None, top)
    if verdict == "ask_back" and not request.asked_back_before:
        return Decision(AnswerStatus.ASK_BACK, Reason.CLOSE_CANDIDATES, candidates, None, top)
    return Decision(AnswerStatus.HANDOFF, Reason.LOW_CONFIDENCE, candidates, None, top)
