"""Neutral ``Reply`` objects -> LINE message objects (plain dicts in the Messaging API's JSON shape).

Pure functions, no I/O, so the LINE limits are easy to test:

- at most 5 message objects per reply / push call (``MAX_MESSAGES_PER_CALL``); one ``Reply``
  never renders to more, so a reply is never split across two API calls;
- text messages at most 5,000 characters (longer texts are split on line breaks);
- at most 13 quick reply items; choices beyond that go into a small card of buttons;
- action labels at most 20 characters, postback data and display texts at most 300;
- Flex ``altText`` at most 400 characters; URI actions only for absolute http(s) addresses.

Answers become a Flex bubble (title, answer, department contact, notice, "open the page",
"talk to a person" and useful / not useful buttons). An answer too long for a bubble is sent as
text followed by a small bubble holding the buttons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.utils import translation
from django.utils.translation import gettext as _

from conversations.content import Choice, Reply

MAX_MESSAGES_PER_CALL = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY = 13
MAX_LABEL = 20
MAX_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_ALT_TEXT = 400
MAX_URI = 1000
MAX_LINKS = 3
MAX_CARD_BUTTONS = 20
FLEX_TEXT_BUDGET = 2000  # characters (title, answer, contact, notice) that still make a readable bubble

PALETTE = {"muted": "#666666", "faint": "#888888", "accent": "#06C755"}


# --- postback data ---------------------------------------------------------------------------------


def encode_postback(payload: dict[str, Any], label: str = "") -> str:
    """Compact JSON (``{"action": ...}``) within LINE's 300 characters; the label goes along if it fits."""
    data = dict(payload)
    if label and "label" not in data:
        data["label"] = label
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if units(text) > MAX_DATA and "label" in data:
        data.pop("label")
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if units(text) > MAX_DATA:
        raise ValueError(f"postback payload too large for LINE ({len(text)} > {MAX_DATA} characters)")
    return text


def decode_postback(data: str) -> dict[str, Any]:
    """Our JSON, or a query string (``action=person``, as a rich menu set up by hand would send)."""
    data = (data or "").strip()
    if data.startswith("{"):
        try:
            value = json.loads(data)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return dict(parse_qsl(data, keep_blank_values=True)) if "=" in data else {}


# --- small helpers -------------------------------------------------------------------------------


def units(text: str) -> int:
    """Length as LINE may count it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, limit: int) -> int:
    """The longest prefix (in characters) of at most ``limit`` UTF-16 units."""
    if units(text) <= limit:
        return len(text)
    lo, hi = 0, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if units(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if units(text) <= limit else text[: _prefix(text, limit - 1)] + "…"


def is_linkable(url: str) -> bool:
    if not url or len(url) > MAX_URI:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line break (or a space) where one is near."""
    text = text.strip()
    pieces: list[str] = []
    while units(text) > limit:
        end = _prefix(text, limit)
        cut = text.rfind("\n", end // 2, end)
        if cut <= 0:
            cut = text.rfind(" ", end // 2, end)
        if cut <= 0:
            cut = end
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def postback_action(label: str, payload: dict[str, Any]) -> dict[str, Any]:
    full = " ".join(str(label).split()) or "…"
    return {
        "type": "postback",
        "label": clip(full, MAX_LABEL),
        "data": encode_postback(payload, clip(full, 60)),
        "displayText": clip(full, MAX_DISPLAY_TEXT),
    }


def uri_action(label: str, url: str) -> dict[str, Any]:
    return {"type": "uri", "label": clip(label, MAX_LABEL), "uri": url}


def quick_reply(choices: list[Choice]) -> dict[str, Any]:
    return {"items": [{"type": "action", "action": postback_action(c.label, c.payload)} for c in choices]}


def text_message(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _text(text: str, **style) -> dict[str, Any]:
    return {"type": "text", "text": text, "wrap": True, **style}


def _button(action: dict[str, Any], style: str = "link") -> dict[str, Any]:
    return {"type": "button", "style": style, "height": "sm", "action": action}


def _bubble(alt_text: str, body: list[dict], footer: list[dict]) -> dict[str, Any]:
    bubble: dict[str, Any] = {"type": "bubble"}
    if body:
        bubble["body"] = {"type": "box", "layout": "vertical", "spacing": "md", "contents": body}
    if footer:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    return {"type": "flex", "altText": clip(alt_text, MAX_ALT_TEXT) or "…", "contents": bubble}


# --- replies -------------------------------------------------------------------------------------


def person_choice() -> Choice:
    return Choice(_("Talk to a person"), {"action": "person"})  # the handlers' "person" action


def _answer_buttons(reply: Reply) -> list[dict]:
    buttons: list[dict] = []
    for i, link in enumerate([link for link in reply.links if is_linkable(link.url)][:MAX_LINKS]):
        buttons.append(_button(uri_action(link.title or _("Open the page"), link.url), "primary" if i == 0 else "link"))
    if reply.offer_person:
        choice = person_choice()
        buttons.append(_button(postback_action(choice.label, choice.payload), "secondary"))
    if reply.feedback_ref is not None:
        buttons.append(
            {
                "type": "box",
                "layout": "horizontal",
                "spacing": "sm",
                "contents": [
                    _button(postback_action(_("👍 Useful"), _feedback(reply, "yes"))),
                    _button(postback_action(_("👎 Not useful"), _feedback(reply, "no"))),
                ],
            }
        )
    return buttons


def _feedback(reply: Reply, value: str) -> dict[str, Any]:
    return {"action": "feedback", "value": value, "log": reply.feedback_ref}


def _answer(reply: Reply) -> list[dict]:
    buttons = _answer_buttons(reply)
    alt = f"{reply.title}\n{reply.text}" if reply.title else reply.text
    if sum(units(t) for t in (reply.title, reply.text, reply.contact, reply.notice)) <= FLEX_TEXT_BUDGET:
        body = []
        if reply.title:
            body.append(_text(reply.title, weight="bold", size="md"))
        body.append(_text(reply.text.strip() or "…", size="sm"))
        if reply.contact:
            body.append(_text(reply.contact, size="xs", color=PALETTE["muted"]))
        if reply.notice:
            body.append(_text(reply.notice, size="xxs", color=PALETTE["faint"]))
        return [_bubble(alt, body, buttons)]
    # Too long for a bubble: everything as text, then a small bubble with the buttons.
    text = "\n\n".join(t.strip() for t in (reply.title, reply.text, reply.contact, reply.notice) if t.strip())
    card = [_bubble(alt, [_text(clip(reply.title, 100), weight="bold", size="sm")] if reply.title else [], buttons)]
    card = card if buttons else []
    return [text_message(p) for p in split_text(text)][: MAX_MESSAGES_PER_CALL - len(card)] + card


def _plain_text(reply: Reply) -> str:
    parts = [reply.text.strip()]
    if reply.contact:
        parts.append(reply.contact.strip())
    links = [f"{link.title}: {link.url}" if link.title else link.url for link in reply.links if is_linkable(link.url)]
    if links:
        parts.append("\n".join(links))
    if reply.notice:
        parts.append(reply.notice.strip())
    return "\n\n".join(p for p in parts if p)


def _choices(reply: Reply) -> list[Choice]:
    choices = list(reply.choices)
    if reply.feedback_ref is not None:
        choices += [
            Choice(_("👍 Useful"), _feedback(reply, "yes")),
            Choice(_("👎 Not useful"), _feedback(reply, "no")),
        ]
    if reply.offer_person and not any(c.payload.get("action") == "person" for c in choices):
        choices.append(person_choice())
    return choices


def _other_choices_card(choices: list[Choice]) -> dict[str, Any]:
    title = _("Other choices")
    buttons = [_button(postback_action(c.label, c.payload)) for c in choices[:MAX_CARD_BUTTONS]]
    alt = title + ": " + " / ".join(c.label for c in choices)
    return _bubble(alt, [_text(title, size="sm", color=PALETTE["muted"])], buttons)


def render(reply: Reply, language: str = "") -> list[dict[str, Any]]:
    """The LINE message objects for one reply (at most 5; an empty reply renders to none)."""
    with translation.override(language or "ja"):
        if reply.kind == "answer" and (reply.links or reply.feedback_ref is not None or reply.title):
            return _answer(reply)
        text = _plain_text(reply)
        choices = _choices(reply)
        if not text and not choices:
            return []
        quick, overflow = choices[:MAX_QUICK_REPLY], choices[MAX_QUICK_REPLY:]
        room = MAX_MESSAGES_PER_CALL - (1 if overflow else 0)
        messages: list[dict[str, Any]] = [text_message(p) for p in split_text(text or "…")][:room]
        if overflow:
            messages.append(_other_choices_card(overflow))
        if quick:
            messages[-1]["quickReply"] = quick_reply(quick)
        return messages


# --- packing into API calls ----------------------------------------------------------------------


@dataclass
class Batch:
    """One reply or push call: the stored messages it completes and the LINE objects it carries."""

    keys: list[Any]
    messages: list[dict[str, Any]]
    firsts: list[int]  # index in ``messages`` of each key's first object (for the sent message ids)


def pack(units: list[tuple[Any, list[dict[str, Any]]]], limit: int = MAX_MESSAGES_PER_CALL) -> list[Batch]:
    """Group (key, objects) units into calls of at most ``limit`` objects, never splitting a unit."""
    batches: list[Batch] = []
    for key, objects in units:
        if not objects:
            continue
        if len(objects) > limit:
            raise ValueError(f"one message renders to {len(objects)} LINE objects (> {limit})")
        if not batches or len(batches[-1].messages) + len(objects) > limit:
            batches.append(Batch([], [], []))
        batch = batches[-1]
        batch.keys.append(key)
        batch.firsts.append(len(batch.messages))
        batch.messages.extend(objects)
    return batches
