"""Japanese text for search: normalisation, polite-filler stripping and Sudachi terms.

Three lexical views of a text, each a list of terms:

* ``words``: content words as Sudachi *normalised forms* (split mode C, plus the A-mode parts
  of compounds), so 子ども/こども/子供 and 引越し/引っ越し meet. Words whose normalised form is
  kana are folded to katakana, so ごみ and ゴミ meet too. Latin words are lower-cased surfaces.
* ``synonyms``: Sudachi's synonym group ids of those words (引っ越し/転居, 紛失/無くす,
  保育園/保育所), a dictionary-backed expansion that needs no hand-written list.
* ``phonetic``: bigrams of the katakana reading of the text (particles and auxiliaries left
  out), which meet when a resident writes a word in kana (がくどう / 学童), misconverts it
  (当本 / 謄本) or Sudachi splits it differently.

Function words, auxiliaries, symbols and a small list of generic request verbs (する, できる,
教える, ください ...) are dropped: they say how a resident asks, not what about.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily at run time: the dictionary loads on first use, not at start-up
    from sudachipy import Dictionary, Morpheme, Tokenizer

# what the phonetic view leaves out: it is about the words, not how the question is phrased
SILENT_POS = {"補助記号", "空白", "助詞", "助動詞", "感動詞"}
KEEP_POS = {"名詞", "動詞", "形容詞", "形状詞", "接尾辞"}
DROP_POS2 = {"数詞", "助動詞語幹"}  # numbers: "3歳" should not outweigh the topic
# Generic verbs and nouns of asking and being (Sudachi normalised forms), and English function
# words (foreign-language questions): they say how a resident asks, not what about.
JAPANESE_STOP_WORDS = (
    "為る 有る 居る 成る 出来る 下さる 頂く 致す 願う 思う 言う 良い 教える 知る 分かる 済む 申す 遣る 貰う 呉れる "
    "欲しい 見る 行く 来る 事 物 所 時 方 場合 感じ 辺 件 様 為 訳 積もり 質問 今 こと もの ところ よう ため さん 的 "
    "等 達 御 つく みたい"
)
ENGLISH_STOP_WORDS = (
    "a an the of to in on for and or is are am be do does did can could i my me we you it this that what "
    "how when where which who why with at by from about please want need"
)
STOP_LEMMAS = set(JAPANESE_STOP_WORDS.split()) | set(ENGLISH_STOP_WORDS.split())
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
MAX_CHARS = 4000  # longer texts: the head is enough for an index


def normalise(text: str) -> str:
    """NFKC, lower case, one space between words."""
    return SPACE.sub(" ", unicodedata.normalize("NFKC", text or "").lower()).strip()


def strip_fillers(text: str) -> str:
    """Drop polite request endings (教えてください, 知りたいんですけど ...); keep the text if nothing else is left."""
    stripped = SPACE.sub(" ", FILLERS.sub(" ", text)).strip(" 、。,.!?！？")
    return stripped if len(stripped) >= 2 else text


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


def _grams(piece: str) -> list[str]:
    if len(piece) == 1:
        return [piece]
    return [piece[i : i + 2] for i in range(len(piece) - 1)]


@dataclass
class Terms:
    words: list[str]
    synonyms: list[str]
    phonetic: list[str]


class Analyzer:
    """Sudachi, one tokenizer per thread (a SudachiPy tokenizer must not be shared across threads)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._dictionary: Dictionary | None = None
        self._lock = threading.Lock()

    def _tokenizer(self) -> Tokenizer:
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            with self._lock:
                if self._dictionary is None:
                    from sudachipy import Dictionary  # noqa: PLC0415 (heavy: the dictionary loads on first use, not at start-up)

                    self._dictionary = Dictionary(dict="core")
            tok = self._local.tokenizer = self._dictionary.tokenizer()
        return tok

    def terms(self, text: str) -> Terms:
        from sudachipy import SplitMode  # noqa: PLC0415 (heavy: the dictionary loads on first use, not at start-up)

        text = normalise(text)
        words: list[str] = []
        synonyms: list[str] = []
        sounds: list[str] = []
        if not text:
            return Terms(words, synonyms, [])
        for morpheme in self._tokenizer().tokenize(text[:MAX_CHARS], SplitMode.C):
            pos = morpheme.part_of_speech()
            silent = pos[0] in SILENT_POS
            sounds.append(" " if silent or LATIN.match(morpheme.surface()) else morpheme.reading_form())
            if pos[0] not in KEEP_POS or pos[1] in DROP_POS2:
                continue
            parts = list(morpheme.split(SplitMode.A))
            if len(parts) > 1:
                keys = [_key(part) for part in parts]
                for part, key in zip(parts, keys, strict=True):
                    if key and part.part_of_speech()[0] in KEEP_POS:
                        words.append(key)
                        synonyms.extend(f"#{g}" for g in part.synonym_group_ids())
                kept = [k for k in keys if k]
                if len(kept) > 1:
                    words.append("".join(kept))
            else:
                key = _key(morpheme)
                if not key:
                    continue
                words.append(key)
            synonyms.extend(f"#{g}" for g in morpheme.synonym_group_ids())
        phonetic = [g for piece in "".join(sounds).split() for g in _grams(piece)]
        return Terms(words, synonyms, phonetic)

    def words(self, text: str) -> list[str]:
        return self.terms(text).words

    def content_parts_of_speech(self, text: str) -> list[str]:
        """The part of speech of each content word (split mode C, stop words left out), in order."""
        from sudachipy import SplitMode  # noqa: PLC0415 (heavy: the dictionary loads on first use, not at start-up)

        found = []
        for morpheme in self._tokenizer().tokenize(normalise(text)[:MAX_CHARS], SplitMode.C):
            pos = morpheme.part_of_speech()
            if pos[0] in KEEP_POS and pos[1] not in DROP_POS2 and _key(morpheme):
                found.append(pos[0])
        return found


def _key(morpheme: Morpheme) -> str:
    surface = morpheme.surface().strip()
    if not surface:
        return ""
    if LATIN.match(surface):
        return "" if surface in STOP_LEMMAS else surface
    normalised = morpheme.normalized_form()
    if normalised in STOP_LEMMAS:
        return ""
    return to_katakana(normalised) if KANA_ONLY.match(normalised) else normalised


analyzer = Analyzer()
