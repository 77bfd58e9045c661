"""What a message says, whatever the channel: ``InboundMessage`` in, ``Reply`` out.

A channel adapter (``conversations.adapters``) turns one platform request into ``InboundMessage``
objects and sends stored outbound ``Message`` rows, whose ``payload`` is a ``Reply``, with the
platform's verbs. The bot reads and writes only these neutral shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class Kind:
    TEXT = "text"
    POSTBACK = "postback"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    JOIN = "join"
    LEAVE = "leave"
    UNSEND = "unsend"
    MEDIA = "media"  # sticker, image, video, audio, file, location: the bot explains what it can do
    UNKNOWN = "unknown"


@dataclass
class InboundMessage:
    kind: str
    user_id: str
    text: str = ""
    message_id: str = ""
    media_type: str = ""
    postback: dict[str, Any] = field(default_factory=dict)
    language_hint: str = ""  # one of our language codes (languages.registry), or empty
    explicit_language: bool = False  # the resident picked it (widget selector): wins over detection
    reply_token: str = ""
    group_id: str = ""


@dataclass
class Choice:
    label: str
    payload: dict[str, Any]


@dataclass
class Link:
    title: str
    url: str


@dataclass
class Reply:
    """One message to a resident: text plus optional choices, links and a feedback prompt."""

    text: str
    kind: str = "text"
    title: str = ""
    choices: list[Choice] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    contact: str = ""
    feedback_ref: int | None = None  # AnswerLog id the useful / not useful buttons refer to
    offer_person: bool = False
    notice: str = ""  # e.g. "machine-translated"
    translated: str = ""  # "curated" or "machine": how the text came into the resident's language; "": as written
    japanese: str = ""  # the Japanese original of a translated reply, for the staff console (never sent)

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        del data["japanese"]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Reply:
        data = dict(data)
        data["choices"] = [Choice(**c) for c in data.get("choices", [])]
        data["links"] = [Link(**link) for link in data.get("links", [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
