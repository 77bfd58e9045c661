"""A question that names a topic but asks nothing about it ("年金のことで聞きたいんだけどさ").

A good clerk answers it with the topic's main choices, not with one specific answer: the engine
asks back (``Reason.VAGUE``) when a Japanese question is only a topic. A question is a topic when
it says "about X" (について, のことで, の件) without saying what, or when it is one noun and
nothing else, with no word that asks (いつ, どこ, いくら, 方法, 申請, 必要 ...): "ふるさと納税",
"ひとり親です", "水道".
"""

from __future__ import annotations

import re
import unicodedata

from faq.search.text import analyzer, strip_fillers

ABOUT = re.compile(
    r"(について|についての|のこと|の事|の件|に関して|に関する|関係)(で|です|なんですが|なんだけど|なんですけど)?"
    r"[、。,.!?！？\s]*((聞|き)きたい|質問|相談|知りたい|教えて|伺いたい|お伺い|なんですが|なんだけど|ですが)?"
)
# Words that ask something definite about a topic (reading-folded where residents write kana).
ASKS = re.compile(
    r"いつ|何時|なんじ|どこ|何処|いくら|幾ら|何円|なんえん|どう|どの|どれ|なに|何を|何が|何で|なんで|なぜ|誰|だれ|"
    r"方法|仕方|やり方|出し方|取り方|捨て方|書き方|申請|申し?込|手続|届け?出|必要|持ち物|もちもの|費用|料金|手数料|"
    r"金額|時間|期限|締め?切|場所|窓口|再発行|変更|更新|解約|廃止|免除|減免|給付|支給|対象|条件|方法|"
    r"できる|出来る|できま|でき[なる]|ますか|ですか|か[？?]|[？?]|ない|たい|ほしい|欲しい|困|なくし|無くし|失くし|"
    r"when|where|how|what|which|who|why|can\b|cost|fee|apply|need"
)
MAX_TOPIC_CHARS = 12  # "about X": X at most this long


def is_vague(text: str) -> bool:
    """Whether a (Japanese) question only names a topic."""
    clean = unicodedata.normalize("NFKC", text or "").strip()
    if not clean or len(clean) > 60:
        return False
    about = ABOUT.search(clean)
    if about:
        rest = (clean[: about.start()] + " " + clean[about.end() :]).strip(" 、。,.!?！？")
        return not ASKS.search(clean[about.end() :]) and 0 < len(rest) <= MAX_TOPIC_CHARS
    core = strip_fillers(clean)
    if len(core) > MAX_TOPIC_CHARS or ASKS.search(clean):
        return False
    return analyzer.content_parts_of_speech(core) == ["名詞"]  # one noun, nothing said about it
