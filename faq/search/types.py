"""What retrieval hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    kind: str  # "faq" or "chunk"
    id: int
    external_id: str
    title: str
    text: str
    url: str
    score: float  # calibrated confidence in [0, 1] that this candidate answers the question
    department: str = ""
    contact: str = ""
    heading_path: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "external_id": self.external_id,
            "title": self.title,
            "score": round(self.score, 4),
        }
