"""The postbacks the bot understands (its buttons and quick replies), checked at the edge.

A postback comes back from the resident's client, so it is input like any other: the web API
refuses one that does not fit with 400, and the LINE adapter logs it and turns it into the
``invalid`` action, which the bot answers politely. What passes ``validate`` has the types the
handlers rely on (ids are ints, values are known strings), and nothing more than they read.

    {"action": "lang", "value": "vi"}
    {"action": "pick", "kind": "faq", "id": 12, "label": "..."}
    {"action": "feedback", "value": "yes" | "no", "log": 345}
    {"action": "rating", "value": "good" | "bad" | "1".."5", "ticket": 6}
    {"action": "person"} / {"action": "none"}

Every postback may carry a ``label`` (what the button said, at most ``MAX_LABEL`` characters).
Keys this module does not know are dropped.
"""

from __future__ import annotations

import re
from typing import Any

from .text import clean

INVALID = "invalid"  # the action an unusable postback becomes (answered politely, see chatbot.handlers)
MAX_LABEL = 200
MAX_ID = 2**63 - 1
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,2}$")
FEEDBACK_VALUES = frozenset({"yes", "no"})
RATING_VALUES = frozenset({"good", "bad", "1", "2", "3", "4", "5"})
PICK_KINDS = frozenset({"faq", "chunk"})
ACTIONS = frozenset({"lang", "pick", "feedback", "rating", "person", "none"})


class InvalidPostback(ValueError):
    """Why a postback cannot be used (for logs and for the API client's error)."""


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise InvalidPostback(f"{name} must be a positive integer")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidPostback(f"{name} must be a positive integer")
    return value


def _choice(value: Any, name: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidPostback(f"{name} must be one of {', '.join(sorted(allowed))}")
    return value


def validate(data: Any) -> dict[str, Any]:
    """The postback in the shape the bot reads, or ``InvalidPostback``."""
    if not isinstance(data, dict):
        raise InvalidPostback("a postback must be an object")
    action = data.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise InvalidPostback(f"unknown action {str(action)[:20]!r}")
    out: dict[str, Any] = {"action": action}
    label = data.get("label")
    if label is not None:
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            raise InvalidPostback(f"label must be text of at most {MAX_LABEL} characters")
        if clean(label).strip():
            out["label"] = clean(label).strip()
    if action == "lang":
        value = data.get("value")
        if not isinstance(value, str) or not LANGUAGE_CODE.match(value):
            raise InvalidPostback("value must be a language code")
        out["value"] = value
    elif action == "pick":
        out["id"] = _id(data.get("id"), "id")
        out["kind"] = _choice(data.get("kind", "faq"), "kind", PICK_KINDS)
    elif action == "feedback":
        out["value"] = _choice(data.get("value"), "value", FEEDBACK_VALUES)
        out["log"] = _id(data.get("log"), "log")
    elif action == "rating":
        out["value"] = _choice(data.get("value"), "value", RATING_VALUES)
        out["ticket"] = _id(data.get("ticket"), "ticket")
    return out
