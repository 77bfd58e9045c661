"""Entries about a sensitive topic (abuse, violence, suicide) appear only when the question is about it.

A city's FAQ rightly has "子どもが虐待を受けているかもしれないと思ったら" and "死にたいと思うほどつらい
気持ちを相談したい". Offered to a parent who asked "こどものてあて しんせい したい", such an entry
frightens and insults; it must come up only when the question itself names the topic. The topic of
an entry is read from its question; the question's from its own words and, for other languages,
from the Japanese words found for it (glossary, machine translation).
"""

from __future__ import annotations

import re
import unicodedata

TOPICS: dict[str, re.Pattern[str]] = {
    "abuse": re.compile(
        "|".join(
            [
                "虐待",
                "ぎゃくたい",
                "体罰",
                "たいばつ",
                "ネグレクト",
                "育児放棄",
                r"\babuse",
                "ngược đãi",
                "학대",
                "maltrato",
                "abuso",
            ]
        ),
        re.IGNORECASE,
    ),
    "violence": re.compile(
        "|".join(
            [
                "DV",
                "暴力",
                "ぼうりょく",
                "殴",
                "なぐ",
                "ストーカー",
                "つきまと",
                "性被害",
                "性暴力",
                "加害者",
                r"\bviolen",
            ]
            + [r"\bbeat", "bạo lực", "폭력", "violência", "karahasan", "kekerasan"]
        ),
        re.IGNORECASE,
    ),
    "suicide": re.compile(
        "|".join(
            ["自殺", "じさつ", "自死", "死にたい", "しにたい", "消えたい", "きえたい", "ゲートキーパー", "いのちの電話"]
            + [r"\bsuicid", r"\bkill myself", "tự tử", "자살", "suicídio", "suicidio", "bunuh diri"]
        ),
        re.IGNORECASE,
    ),
}


def topics(text: str) -> set[str]:
    clean = unicodedata.normalize("NFKC", text or "")
    return {name for name, pattern in TOPICS.items() if pattern.search(clean)}


def allowed(entry_title: str, question_topics: set[str]) -> bool:
    """Whether an entry may be offered for a question with these topics."""
    own = topics(entry_title)
    return not own or bool(own & question_topics)
