"""Words that mean "let me talk to a person" or a sensitive topic, in the supported languages."""

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

SENSITIVE = [
    "死にたい",
    "自殺",
    "消えたい",
    "殺される",
    "殴られ",
    "暴力",
    "虐待",
    "ＤＶ",
    "dv被害",
    "ストーカー",
    "助けて",
    "救急",
    "火事",
    "人が倒れ",
    "家族が倒れ",
    "倒れて動かな",
    "意識がない",
    "意識が無い",
    "息をしてい",
    "リストカット",
    "suicide",
    "kill myself",
    "want to die",
    "domestic violence",
    "abuse",
    "being beaten",
    "emergency",
    "hurt myself",
    "being abused",
    "自杀",
    "想死",
    "家暴",
    "虐待",
    "자살",
    "죽고 싶",
    "가정폭력",
    "tự tử",
    "muốn chết",
    "bạo lực gia đình",
    "suicídio",
    "violência doméstica",
    "suicidio",
    "violencia doméstica",
    "magpakamatay",
    "आत्महत्या",
    "bunuh diri",
    "kekerasan dalam rumah tangga",
    "ฆ่าตัวตาย",
    "suicider",
    "violence conjugale",
]


# Everyday questions that contain a sensitive word but are not emergencies: removed before matching.
NOT_SENSITIVE = [
    "救急医療",
    "休日救急",
    "救急箱",
    "救急の日",
    "救急講習",
    "救命講習",
    "火事の罹災",
    "罹災証明",
    "emergency shelter",
    "emergency evacuation",
    "emergency kit",
    "emergency supplies",
    "emergency drill",
    "emergency information",
    "emergency alert",
    "emergency contact card",
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
_SENSITIVE = [_norm(p) for p in SENSITIVE]
_NOT_SENSITIVE = [_norm(p) for p in NOT_SENSITIVE]
_ACK = [_norm(p) for p in ACKNOWLEDGEMENTS]


def asks_for_person(text: str) -> bool:
    t = _norm(text)
    return any(p in t for p in _PERSON)


def is_sensitive(text: str) -> bool:
    t = _norm(text)
    for phrase in _NOT_SENSITIVE:
        t = t.replace(phrase, " ")
    return any(p in t for p in _SENSITIVE)


def is_acknowledgement(text: str) -> bool:
    """A short thank-you or OK (any supported language), not a new question."""
    t = _norm(text).strip(" 。.!！?？~〜ー")
    if not t or len(t) > MAX_ACKNOWLEDGEMENT_CHARS or "?" in t or "？" in t:
        return False
    words = re.findall(r"\w+", t)
    if "ok" in _ACK and words and all(w in ("ok", "okay") for w in words):
        return True
    return any(p in t for p in _ACK if p not in ("ok", "okay"))
