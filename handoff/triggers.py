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
    "ひとと はなし",
    "ひとと話",
    "talk to a human",
    "talk to a person",
    "speak to a person",
    "speak to someone",
    "real person",
    "human agent",
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
    "倒れ",
    "息をしてい",
    "リストカット",
    "suicide",
    "kill myself",
    "want to die",
    "domestic violence",
    "abuse",
    "being beaten",
    "emergency",
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


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower())


_PERSON = [_norm(p) for p in ASK_FOR_PERSON]
_SENSITIVE = [_norm(p) for p in SENSITIVE]


def asks_for_person(text: str) -> bool:
    t = _norm(text)
    return any(p in t for p in _PERSON)


def is_sensitive(text: str) -> bool:
    t = _norm(text)
    return any(p in t for p in _SENSITIVE)
