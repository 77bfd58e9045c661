"""Words that mean "let me talk to a person", or "thanks, OK" after staff helped, in the supported languages.

Danger (suicide, violence, a medical emergency, ...) is recognised by ``chatbot.intents``, not here.
"""

from __future__ import annotations

import re
import unicodedata

ASK_FOR_PERSON = [
    "人と話",
    "担当者",
    "職員と",
    "オペレーター",
    "有人",
    "電話で話",
    "窓口の人",
    "担当の方",
    "職員さん",
    "人間と話",
    "スタッフと話",
    "だれかと はなし",
    "ひとに きき",
    "ひとと はなし",
    "ひとと話",
    "talk to a human",
    "talk to a person",
    "speak to a person",
    "speak to someone",
    "real person",
    "human agent",
    "speak to a human",
    "talk to someone",
    "talk to staff",
    "staff member",
    "operator",
    "人工客服",
    "转人工",
    "真人",
    "工作人员",
    "人工服務",
    "真人客服",
    "상담원",
    "직원과",
    "사람과 대화",
    "nói chuyện với nhân viên",
    "gặp nhân viên",
    "người thật",
    "falar com um atendente",
    "falar com uma pessoa",
    "atendente humano",
    "hablar con una persona",
    "hablar con un agente",
    "makipag-usap sa tao",
    "kausapin ang tao",
    "मान्छेसँग कुरा",
    "कर्मचारीसँग",
    "bicara dengan petugas",
    "bicara dengan orang",
    "คุยกับเจ้าหน้าที่",
    "คุยกับคน",
    "ဝန်ထမ်းနှင့်",
    "parler à une personne",
    "parler à un agent",
]

# Short thanks or "OK" after staff have helped: never a reason for another hand-off.
ACKNOWLEDGEMENTS = [
    "ありがとう",
    "有難う",
    "ありがと",
    "了解",
    "りょうかい",
    "わかりました",
    "分かりました",
    "助かりました",
    "たすかりました",
    "大丈夫です",
    "thank",
    "thx",
    "ok",
    "okay",
    "got it",
    "谢谢",
    "謝謝",
    "好的",
    "감사",
    "고맙",
    "cảm ơn",
    "obrigad",
    "gracias",
    "salamat",
    "धन्यवाद",
    "terima kasih",
    "ขอบคุณ",
    "ကျေးဇူး",
    "merci",
]
MAX_ACKNOWLEDGEMENT_CHARS = 30


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower())


_PERSON = [_norm(p) for p in ASK_FOR_PERSON]
_ACK = [_norm(p) for p in ACKNOWLEDGEMENTS]


def asks_for_person(text: str) -> bool:
    t = _norm(text)
    return any(p in t for p in _PERSON)


def is_acknowledgement(text: str) -> bool:
    """A short thank-you or OK (any supported language), not a new question."""
    t = _norm(text).strip(" 。.!！?？~〜ー")
    if not t or len(t) > MAX_ACKNOWLEDGEMENT_CHARS or "?" in t or "？" in t:
        return False
    words = re.findall(r"\w+", t)
    if "ok" in _ACK and words and all(w in ("ok", "okay") for w in words):
        return True
    return any(p in t for p in _ACK if p not in ("ok", "okay"))
