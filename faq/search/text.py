"""Japanese text for search: normalisation, polite-filler stripping and Sudachi terms.

Three lexical views of a text, each a list of terms:

* ``words``: content words as Sudachi *normalised forms* (split mode C, plus the A-mode parts
  of compounds), so 子ども/こども/子供 and 引越し/引っ越し meet. Words written only in kana
  use their reading, so ごみ and ゴミ meet too. Latin words are lower-cased surfaces.
* ``readings``: the katakana reading of every content word, catching kana/kanji spellings
  the dictionary does not normalise (ひっこし / 引っ越し).
* ``bigrams``: character bigrams of the normalised text (hiragana folded to katakana), which
  survive typos and words the dictionary splits differently.

Function words, auxiliaries, symbols and a small list of generic request verbs (する, できる,
教える, ください ...) are dropped: they say how a resident asks, not what about.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

READING_POS = {"名詞", "接尾辞", "形状詞"}  # uninflected, so the surface reading is stable
KEEP_POS = {"名詞", "動詞", "形容詞", "形状詞", "接尾辞"}
DROP_POS2 = {"数詞", "助動詞語幹"}  # digits are kept via bigrams only: "3歳" should not outweigh the topic
# Generic verbs/nouns of asking and being, as Sudachi normalised forms.
STOP_LEMMAS = {
    "為る",
    "有る",
    "居る",
    "成る",
    "出来る",
    "下さる",
    "頂く",
    "致す",
    "願う",
    "思う",
    "言う",
    "良い",
    "教える",
    "知る",
    "分かる",
    "済む",
    "申す",
    "遣る",
    "貰う",
    "呉れる",
    "欲しい",
    "見る",
    "行く",
    "来る",
    "事",
    "物",
    "所",
    "時",
    "方",
    "場合",
    "感じ",
    "辺",
    "件",
    "様",
    "為",
    "訳",
    "積もり",
    "質問",
    "今",
    "こと",
    "もの",
    "ところ",
    "よう",
    "ため",
    "さん",
    "的",
    "等",
    "達",
    "御",
    "つく",
    "みたい",
    # English function words (curated translations and foreign-language queries)
    *"a an the of to in on for and or is are am be do does did can could i my me we you it this that what "
    "how when where which who why with at by from about please want need".split(),
}
# Polite request endings and conversational fillers, stripped from queries before embedding.
FILLERS = re.compile(
    r"(を|について|のこと|の事)?(教えて|おしえて)(ください|下さい|くれ|ほしい|欲しい|もらえますか|もらえません"
    r"か|いただけますか|いただけませんか)?|(を)?(知りたい|しりたい)(です|んです|のですが|んですが|んだけど)?"
    r"|(お願い|おねがい)(します|致します|いたします)?|(すみません|すいません|あの|あのー|えっと|えーと)"
    r"[、,\s]*|(んです|のです|んだ)(けど|けれど|が)|(ですけど|ですが|だけど|けど)$"
)
SPACE = re.compile(r"\s+")
LATIN = re.compile(r"^[0-9a-z][0-9a-z'._+-]*$")
KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")
PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC, lower case, one space between words."""
    return SPACE.sub(" ", unicodedata.normalize("NFKC", text or "").lower()).strip()


def strip_fillers(text: str) -> str:
    """Drop polite request endings (教えてください, 知りたいんですけど ...); keep the text if nothing else is left."""
    stripped = SPACE.sub(" ", FILLERS.sub(" ", text)).strip(" 、。,.!?！？")
    return stripped if len(stripped) >= 2 else text


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


def bigrams(text: str) -> list[str]:
    out: list[str] = []
    for piece in PUNCT.split(to_katakana(normalise(text))):
        if not piece:
            continue
        if len(piece) == 1:
            out.append(piece)
        out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return out


@dataclass
class Terms:
    words: list[str]
    readings: list[str]
    bigrams: list[str]


class Analyzer:
    """Sudachi, one tokenizer per thread (a SudachiPy tokenizer must not be shared across threads)."""

    def __init__(self):
        self._local = threading.local()
        self._dictionary = None
        self._lock = threading.Lock()

    def _tokenizer(self):
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            with self._lock:
                if self._dictionary is None:
                    from sudachipy import Dictionary

                    self._dictionary = Dictionary(dict="core")
            tok = self._local.tokenizer = self._dictionary.create()
        return tok

    def terms(self, text: str) -> Terms:
        from sudachipy import SplitMode

        text = normalise(text)
        words: list[str] = []
        readings: list[str] = []
        if text:
            for morpheme in self._tokenizer().tokenize(text[:4000], SplitMode.C):
                pos = morpheme.part_of_speech()
                if pos[0] not in KEEP_POS or pos[1] in DROP_POS2:
                    continue
                parts = morpheme.split(SplitMode.A)
                keys = [k for k in (_key(p) for p in parts) if k]
                if len(parts) > 1:
                    for part, key in zip(parts, (_key(p) for p in parts), strict=True):
                        if key and part.part_of_speech()[0] in KEEP_POS and key not in STOP_LEMMAS:
                            words.append(key)
                    compound = "".join(keys)
                    if compound and compound not in words:
                        words.append(compound)
                else:
                    key = _key(morpheme)
                    if not key or key in STOP_LEMMAS or morpheme.normalized_form() in STOP_LEMMAS:
                        continue
                    words.append(key)
                if pos[0] in READING_POS and not LATIN.match(morpheme.surface()):
                    if len(parts) > 1:
                        readings.extend(p.reading_form() for p in parts if p.part_of_speech()[0] in READING_POS)
                    readings.append(morpheme.reading_form())
        return Terms(words, readings, bigrams(text))

    def words(self, text: str) -> list[str]:
        return self.terms(text).words


def _key(morpheme) -> str:
    surface = morpheme.surface().strip()
    if not surface:
        return ""
    if LATIN.match(surface):
        return surface
    normalised = morpheme.normalized_form()
    if normalised in STOP_LEMMAS:
        return ""
    return to_katakana(normalised) if KANA_ONLY.match(normalised) else normalised


analyzer = Analyzer()
