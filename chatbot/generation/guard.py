"""Guards around the model: what may go in, what may come out.

Three layers, each enough on its own for the attacks in tests/chatbot/test_injection.py:

- ``check_input``: resident text that tries to steer the model (ignore the instructions, reveal
  the prompt, role-play, write code or poems, fake passages or fences, base64-wrapped versions of
  the same) is refused before any call.
- ``clean_passage``: retrieved text is data; URLs are removed (the model never sees URLs), fence
  markers neutralised, and sentences that address an AI or give it orders are dropped.
- ``check_output``: a reply is blocked when it leaks the system prompt (a per-request canary, the
  fence nonce, or any long stretch of the rules), contains instructions or code, a URL other than
  a cited source, an e-mail address, phone number or long number not found in the sources, or
  (for Japanese) too little of the sources' wording to be an answer drawn from them.

Patterns are matched on an NFKC-normalised, lower-cased copy with zero-width characters removed,
and the Japanese ones also on a copy without any spaces, so full-width letters, ``i g n o r e``
style spacing and hidden characters do not get through.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable

from conversations import masking
from languages.translation.checks import PASS, Verdict  # one verdict type for the text checks

from . import facts

ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = ZERO_WIDTH.sub("", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def squash(text: str) -> str:
    """Normalised and without spaces or light punctuation: ``i g n o r e`` -> ``ignore``."""
    return re.sub(r"[\s\u3000_\-・.,、。\"'`*~|]+", "", normalise(text))


# --- attempts to steer the model ---------------------------------------------------------------

_EN = [
    (
        "override",
        r"\b(ignore|disregard|forget|override|bypass|skip)\b.{0,40}(\b(instructions?|prompts?|rules?|guidelines?|"
        r"directions?|context|above|previous|prior|earlier|constraints?|restrictions?)\b|指示|命令|ルール|規則|プロンプト)",
    ),
    ("prompt", r"\b(system|initial|hidden|original|developer|secret|internal)\s*(prompt|message|instruction|rule)s?\b"),
    (
        "prompt",
        r"\b(reveal|show|print|display|output|dump|leak|repeat|tell me|list|what (are|is|were)|translate|encode|"
        r"summari[sz]e)\b.{0,40}\b(your|the)\b.{0,20}\b(prompt|instructions?|rules?|configuration|guidelines?|"
        r"directives?)\b",
    ),
    ("prompt", r"\brepeat\b.{0,40}\b(above|verbatim|everything|word for word|from the (start|beginning))\b"),
    ("prompt", r"\bprompt\b"),
    (
        "roleplay",
        r"\byou are (now|no longer)\b|\b(act|behave|respond) as (if|an?|my)\b|\bpretend\b|\brole[- ]?play\b|"
        r"\bimpersonate\b|\bfrom now on\b",
    ),
    (
        "jailbreak",
        r"\bjailbreak|\bdo anything now\b|\bdan mode\b|\b(developer|dev|god|debug|admin) mode\b|\bunfiltered\b|"
        r"\buncensored\b|\bwithout (any )?(restrictions|limits|filters|rules)\b|\bno (restrictions|limits|filters)\b",
    ),
    (
        "off_topic",
        r"\b(write|compose|generate|create|make|give me)\b.{0,30}\b(poems?|poetry|songs?|lyrics|story|stories|novel|"
        r"essay|code|program|script|function|haiku|jokes?|rap|sql|html|javascript|python)\b",
    ),
    ("markup", r"```|<\|im_(start|end)\|>|<\|(system|user|assistant|endoftext)\|>|\[/?inst\]|<</?sys>>"),
    ("markup", r"(^|\s)#{2,}\s*(system|instruction|assistant)|(^|\n)\s*(system|assistant|developer)\s*:"),
    ("fence", r"<<<|>>>|</?(passage|question|document|context|system|data|source)\b[^>]*>"),
    (
        "url_instruction",
        r"\b(include|output|print|add|insert|append|reply with|answer with|respond with|link to|always mention)\b"
        r".{0,40}(https?://|www\.|\burl\b|\blink\b)",
    ),
    ("encoding", r"\bbase ?64\b|\brot ?13\b|\b(decode|decipher)\b"),
]

_JA = [
    (
        "override",
        r"(指示|命令|ルール|規則|設定|制約|制限|プロンプト|前提|条件)(を|は|も)?(すべて|全部|全て|いったん|一旦)?"
        r"(無視|忘れ|破棄|解除|リセット|上書き|無効)",
    ),
    ("override", r"(前|以前|これまで|今まで|上記|上|先ほど|最初|元)の(指示|命令|ルール|規則|設定|プロンプト|制約)"),
    ("prompt", r"(システム|初期|内部|隠し|秘密の|開発者)(プロンプト|メッセージ|指示|設定|ルール|命令)"),
    ("prompt", r"プロンプト|指示文|命令文"),
    (
        "prompt",
        r"(あなた|君|きみ|お前|おまえ|ボット|bot|ai)(の|が|に)(受け|与え|守っ|従っ|設定され|指示され)?"
        r"(ている|てる|た|られた|られている)?(指示|命令|ルール|規則|設定|役割|制約|ガイドライン)",
    ),
    (
        "prompt",
        r"(上記|上|これまで|最初|すべて|全て|この会話|前)の?(内容|文章|文|テキスト|指示|メッセージ)"
        r".{0,12}(繰り返|復唱|出力|表示|教え|見せ|書き出|翻訳)",
    ),
    (
        "roleplay",
        r"(あなた|君|きみ|お前)は(今から|これから|もう|今日から)|(今から|これから|以後|以降)(あなた|君|きみ|お前)は",
    ),
    ("roleplay", r"なりきって|なりきり|ロールプレイ|役を演じ|演じて|ふりをして|のふりを|として振る舞|キャラになって"),
    (
        "jailbreak",
        r"開発者モード|デベロッパーモード|デバッグモード|管理者モード|脱獄|ジェイルブレイク|制限(を|の)?(解除|なし|無し|なく)|"
        r"フィルター(を|の)?(解除|なし|無し|無効)|何でも答え|なんでも答え",
    ),
    (
        "off_topic",
        r"(詩|ポエム|俳句|短歌|川柳|歌詞|物語|小説|ストーリー|作文|ラップ|ジョーク|冗談|ラブレター)(を|の)?"
        r"(書い|書け|書き|作っ|作れ|作成|詠|考え|ください)",
    ),
    (
        "off_topic",
        r"(コード|プログラム|スクリプト|関数|sql|html|javascript|python|パイソン|java|シェル)(を|で)?(書|作|生成|出力|実装)",
    ),
    (
        "url_instruction",
        r"(必ず|回答に|答えに|最後に|末尾に|文末に|冒頭に|回答の).{0,20}(url|リンク|https?://|www\.)|"
        r"(https?://|www\.)\S+.{0,30}(を)?(含め|記載|載せ|出力|引用|案内して)",
    ),
    ("encoding", r"base64|デコード|エンコード|暗号を解|rot13"),
    ("fence", r"<<<|>>>|【資料|資料\d+[:：]|\[資料|「資料\d"),
]

# re.ASCII: ``\b`` is a boundary between ASCII letters and anything else, so "ignore指示" still has one.
INPUT_PATTERNS = [(reason, re.compile(p, re.S | re.A)) for reason, p in _EN + _JA]
_JA_PATTERNS = [(reason, re.compile(p, re.S | re.A)) for reason, p in _JA]
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _decoded_runs(text: str) -> Iterable[str]:
    for run in BASE64_RUN.findall(text):
        padded = run + "=" * (-len(run) % 4)
        try:
            raw = base64.b64decode(padded, validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if decoded and sum(ch.isprintable() or ch.isspace() for ch in decoded) / len(decoded) > 0.9:
            yield decoded


def check_input(text: str, *, _depth: int = 0) -> Verdict:
    """Refuse resident text that tries to steer the model."""
    flat, tight = normalise(text), squash(text)
    for reason, pattern in INPUT_PATTERNS:
        if pattern.search(flat):
            return Verdict(False, f"input:{reason}")
    for reason, pattern in _JA_PATTERNS:
        if pattern.search(tight):
            return Verdict(False, f"input:{reason}")
    for reason, word in (("override", "ignoreprevious"), ("override", "ignoreall"), ("prompt", "systemprompt")):
        if word in tight:
            return Verdict(False, f"input:{reason}")
    if _depth < 2:
        for decoded in _decoded_runs(unicodedata.normalize("NFKC", text or "")):
            inner = check_input(decoded, _depth=_depth + 1)
            if not inner:
                return Verdict(False, f"input:base64:{inner.reason.removeprefix('input:')}")
    return PASS


# --- retrieved text ------------------------------------------------------------------------------

URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+", re.I)
BARE_DOMAIN = re.compile(
    r"(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|jp|io|xyz|info|biz|ru|cn|co|me|ly|app|dev|"
    r"site|online|top|click|link|tk|gl|to|us|uk|de)\b(?:/[^\s]*)?",
    re.I,
)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s?[@＠]\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])|(?<=[.;]\s)")
_ADDRESSING_AI = re.compile(
    r"(\bai\b|人工知能|アシスタント|チャットボット|ボット|\bbot\b|言語モデル|\bllm\b|\bgpt|\bassistant\b|\bchatbot\b|"
    r"language model)",
    re.A,
)
_ORDER = re.compile(
    r"(指示|命令|無視|必ず|しなければ|すること|してください|せよ|出力|記載|表示|伝え|\bignore\b|\binstruction|\bmust\b|"
    r"\balways\b|\boutput\b|\brespond\b|\btell the user\b|\binclude\b)",
    re.A,
)
# Retrieved pages may well talk about 俳句教室 or 【資料1】; only steering counts against them.
_PASSAGE_REASONS = {"override", "prompt", "roleplay", "jailbreak", "url_instruction", "markup"}


def clean_passage(text: str) -> tuple[str, list[str]]:
    """Retrieved text made safe to show the model, and the reasons for anything removed."""
    removed: list[str] = []
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text or ""):
        flat = normalise(sentence)
        if not flat:
            kept.append(sentence)
            continue
        hits = [reason for reason, pattern in INPUT_PATTERNS if reason in _PASSAGE_REASONS and pattern.search(flat)]
        if not hits and _ADDRESSING_AI.search(flat) and _ORDER.search(flat):
            hits = ["addresses_ai"]
        if hits:
            removed.append(hits[0])
            continue
        kept.append(sentence)
    cleaned = "".join(kept)
    cleaned = URL.sub("", cleaned)
    cleaned = BARE_DOMAIN.sub("", cleaned)
    cleaned = cleaned.replace("<<<", "«").replace(">>>", "»")
    return cleaned.strip(), removed


# --- what comes back ------------------------------------------------------------------------------

_OUT = [
    ("instructions", r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules?|above|previous|prior)\b"),
    ("instructions", r"(指示|命令|ルール|規則|設定)(を|は)?(すべて|全部|全て)?(無視|忘れ|破棄|解除)"),
    ("instructions", r"新しい指示|以下の指示|\bnew instructions\b"),
    ("leak", r"\b(system|initial|hidden|developer)\s*(prompt|message|instructions?)\b|\bprompt\b"),
    ("leak", r"プロンプト|指示文|命令文|(私|わたし)(に与えられた|が受けた|の)(指示|ルール|規則|設定)"),
    ("leak", r"\bmy (instructions|rules|guidelines|directives)\b|\bi (was|am) (told|instructed|programmed)\b"),
    ("leak", r"unanswerable.{0,20}(とだけ|only|出力)|規則\s*\d|rule\s*\d"),
    ("code", r"```|<script|javascript:|<\?php|#include|\bdef [a-z_]+\(|\bfunction\s*\w*\(|\bconsole\.log"),
    (
        "code",
        r"\bimport (os|sys|re|json|requests|subprocess|socket|numpy|pandas)\b|\bfrom [a-z_.]+ import\b|"
        r"\brm -rf\b|\bsudo\b|\bcurl\s|\bwget\s|\bselect \*|\binsert into\b|\bdrop table\b|\bprint\(",
    ),
    ("roleplay", r"\b(dan|developer|god) mode\b|開発者モード|as an unfiltered|制限なしモード"),
    (
        "instructions",
        # Asking the resident to hand over secrets in the chat; mail-in forms with an e-mail or URL are caught below.
        r"(マイナンバー(?!カード)|個人番号(?!カード)|パスワード|暗証番号|カード番号|口座番号)(を|は)?.{0,10}"
        r"(メール|チャット|このトーク|ここに|返信)|\b(send|email|e-mail|reply with|tell me)\b.{0,30}"
        r"\b(password|my number|card number|pin|account number)\b",
    ),
]
OUTPUT_PATTERNS = [(reason, re.compile(p, re.S | re.A)) for reason, p in _OUT]
CITATION_LIKE = re.compile(r"[\[［【]\s*\d{1,2}(?:\s*[,，、・]\s*\d{1,2})*\s*[\]］】]")
BULLET = re.compile(r"([・•●○◯■□◆◇\-*+]|\d{1,2}[.)．）]|[①-⑳])")
ENCODED = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
LONG_NUMBER = re.compile(r"\d[\d,]{2,}")
_JA_CHAR = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff々ー]")
_PLAIN = re.compile(r"[\s\u3000、。・「」『』（）()！？!?,.:：;；\-—―ー~〜\[\]［］【】]+")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))


def _bigrams(text: str) -> set[str]:
    text = _PLAIN.sub("", unicodedata.normalize("NFKC", text))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def grounding(answer: str, sources: str) -> float:
    """The share of the answer's character bigrams that also occur in the sources (Japanese text)."""
    body = masking.PLACEHOLDER.sub("", CITATION_LIKE.sub("", answer))
    grams = {g for g in _bigrams(body) if _JA_CHAR.search(g)}
    if not grams:
        return 0.0
    return len(grams & _bigrams(sources)) / len(grams)


def leaks(text: str, secrets: Iterable[str], prompt_rules: str = "", window: int = 16) -> bool:
    """True when the text repeats a secret (canary, nonce) or any ``window``-character stretch of the rules."""
    flat = squash(text)
    for secret in secrets:
        if secret and squash(secret) in flat:
            return True
    rules = squash(prompt_rules)
    if len(rules) >= window and len(flat) >= window:
        stretches = {rules[i : i + window] for i in range(0, len(rules) - window + 1)}
        return any(flat[i : i + window] in stretches for i in range(0, len(flat) - window + 1))
    return False


def check_output(
    text: str,
    *,
    sources: str,
    allowed_urls: Iterable[str] = (),
    secrets: Iterable[str] = (),
    prompt_rules: str = "",
    question: str = "",
    japanese: bool = True,
    min_grounding: float = 0.25,
    fact_sources: str | None = None,
) -> Verdict:
    """Block a model reply that leaks, instructs, links elsewhere, invents contacts or facts, or strays off topic.

    ``fact_sources``: the text whose facts (times, dates, amounts, counts, addresses, phone numbers)
    the reply may state (the cited passages); by default ``sources``. The question counts too.
    """
    if leaks(text, secrets, prompt_rules):
        return Verdict(False, "output:leak")
    flat = normalise(text)
    for reason, pattern in OUTPUT_PATTERNS:
        if pattern.search(flat):
            return Verdict(False, f"output:{reason}")
    if "<<<" in text or ">>>" in text:
        return Verdict(False, "output:leak")
    allowed = {u.rstrip("/").lower() for u in allowed_urls if u}
    for url in URL.findall(text) + BARE_DOMAIN.findall(URL.sub(" ", text)):
        if url.rstrip("/.,;:!?").lower() not in allowed:
            return Verdict(False, "output:url")
    if ENCODED.search(URL.sub(" ", text)):
        return Verdict(False, "output:encoded")  # base64 and the like: nothing a resident needs
    source_flat = normalise(sources)
    for address in EMAIL.findall(text):
        if normalise(address) not in source_flat:
            return Verdict(False, "output:email")
    source_digits = _digits(sources + " " + question)
    unmasked = masking.PLACEHOLDER.sub(" ", CITATION_LIKE.sub(" ", text))
    for found in masking.find(unmasked):
        if found.kind in ("PHONE", "MY_NUMBER", "NUMBER", "CARD") and _digits(found.value) not in source_digits:
            return Verdict(False, "output:unsourced_number")
    for number in LONG_NUMBER.findall(unicodedata.normalize("NFKC", unmasked)):
        if _digits(number) not in source_digits:
            return Verdict(False, "output:unsourced_number")
    missing = facts.unsourced(text, (sources if fact_sources is None else fact_sources) + "\n" + question)
    if missing:
        return Verdict(False, "output:unsourced_fact: " + ", ".join(missing[:3]))
    lines = [line for line in text.splitlines() if line.strip()]
    short_lines = [
        line
        for line in lines
        if len(line.strip()) <= 24 and not CITATION_LIKE.search(line) and not BULLET.match(line.strip())
    ]
    if len(lines) >= 4 and len(short_lines) >= 0.75 * len(lines):
        return Verdict(False, "output:off_topic")  # verse, lists of slogans, code-like layouts
    if japanese and grounding(text, sources + "\n" + question) < min_grounding:
        return Verdict(False, "output:off_topic")
    return PASS
