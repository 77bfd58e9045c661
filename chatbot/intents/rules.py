"""The sure signs, read from the words: prompt injection, small talk, another municipality by name.

The nearest-example layer (``nearest``) catches paraphrases; these rules catch what must never
slip, in any wording the examples might miss: an instruction to ignore instructions, a base64 blob
that decodes to one, a one-word "thanks", a question about Yokohama's garbage.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

# --- injection and impersonation ----------------------------------------------------------------
INJECTION = re.compile(
    "|".join(
        [
            r"ignore (all |any |the )?(previous|prior|above|earlier|your) (instructions|prompts?|rules)",
            r"disregard (all |the )?(previous|prior|above|your) (instructions|rules)",
            r"(system|developer|admin|god) ?(prompt|mode|message)",
            r"jailbreak|\bDAN\b|do anything now",
            r"(reveal|show|print|repeat|output) (me )?(your|the) (system )?(prompt|instructions|rules)",
            r"you are now (a|an|the)\b",
            r"(以前|前|上記|これまで)の(指示|命令|ルール|設定)を(無視|忘れ)",
            r"(システム|開発者|管理者)(プロンプト|モード)",
            r"(プロンプト|指示|設定|ルール)を(表示|出力|教え|見せ)",
            r"(市長|副市長|所長|上司|管理者|職員|システム管理者)(から|として|の)(の)?(命令|指示|公式|権限)",
            r"公式(回答|見解|発表)として",
            r"(住所|電話番号|個人情報|連絡先)を(全部|すべて)?(出力|表示|教え|一覧)",
            r"忽略(之前|以上|先前)的(指令|指示)|系统提示|开发者模式",
            r"bỏ qua (các )?(hướng dẫn|chỉ dẫn)",
            r"이전 (지시|명령)을? 무시",
            r"pretend (you are|you're|to be)|act as (if you were|my)|role-?play as",
            r"(answer|say|state|announce) (it )?(officially|as (the|an) official)",
            r"trả lời chính thức|responda oficialmente|responde oficialmente|正式(回答|回复|答复)",
            r"FAQに(追加|登録|書き換|書き込)|add (this|it|the following) to (the|your) (faq|answers|database)",
            # another person's personal data
            r"(さん|様|氏|くん|ちゃん)の(住所|電話|家族構成|連絡先|個人情報|マイナンバー|在留カード|生年月日|勤務先)",
            r"的(住址|电话|電話|在留卡|身份证|身分證|个人信息|個人資料)",
            r"(address|phone number|personal (data|information)) of (mr|ms|mrs|resident)",
        ]
    ),
    re.IGNORECASE,
)
BASE64 = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def is_injection(text: str) -> bool:
    clean = unicodedata.normalize("NFKC", text)
    if INJECTION.search(clean):
        return True
    for blob in BASE64.findall(clean):
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if INJECTION.search(unicodedata.normalize("NFKC", decoded)) or re.search(r"instruction|prompt|指示", decoded):
            return True
    return False


# --- small talk: short messages only -------------------------------------------------------------
MAX_SMALL_TALK_CHARS = 40
SMALL_TALK: dict[str, re.Pattern[str]] = {
    "thanks": re.compile(
        r"^(どうも)?(ありがと|有難|有り難|サンキュ|感謝|助かりま|たすかりま|了解|りょうかい|わかりました|分かりました|"
        r"thank|thx|ty\b|cheers|谢谢|謝謝|감사|고맙|cảm ơn|cam on|obrigad|gracias|salamat|धन्यवाद|terima kasih|"
        r"ขอบคุณ|ကျေးဇူး|merci|that helped|it helped|(very |so )?helpful|参考になりました|参考になった|助かった|"
        r"たすかった|了解です|わかった|分かった)"
    ),
    "greeting": re.compile(
        r"^(こんにちは|こんにちわ|こんばんは|こんばんわ|おはよう|はじめまして|やあ|どうも$|もしもし|"
        r"hello|hi\b|hey\b|good (morning|afternoon|evening)|你好|您好|안녕|xin chào|chào|olá|ola\b|hola|"
        r"kumusta|नमस्ते|halo|selamat (pagi|siang|sore|malam)|สวัสดี|မင်္ဂလာပါ|bonjour|salut)"
    ),
    "goodbye": re.compile(
        r"^(さようなら|さよなら|またね|では(また)?|失礼します|おやすみ|バイバイ|bye|goodbye|see you|good night|"
        r"再见|再見|안녕히|tạm biệt|tchau|adiós|adios|paalam|sampai jumpa|ลาก่อน|au revoir)"
    ),
    "bot_question": re.compile(
        r"(人間|にんげん|ロボット|ボット|AI|ＡＩ|機械)(です|なの|なん|さん)?(か|？|\?)|"
        r"are you (a |an )?(human|person|bot|robot|ai|real)|who am i (talking|speaking) to|"
        r"你是(机器人|人|AI)|bạn là (người|robot|máy)|você é (um )?(robô|humano)"
    ),
}


# What may follow a greeting or thanks without asking anything.
POLITE_WORDS = frozenset(
    [
        "ございます",
        "ございました",
        "です",
        "でした",
        "ね",
        "よ",
        "ます",
        "ました",
        "すごく",
        "とても",
        "本当に",
        "ほんとに",
        "どうも",
        "いつも",
        "大変",
        "たいへん",
        "so",
        "much",
        "very",
        "a",
        "lot",
        "again",
        "you",
        "all",
        "everyone",
        "sir",
        "madam",
        "ạ",
        "nhé",
        "nha",
        "nhiều",
        "bạn",
        "em",
        "anh",
        "chị",
        "na",
        "po",
        "ka",
        "kha",
        "krub",
        "ครับ",
        "ค่ะ",
        "muito",
        "mucho",
        "muchas",
        "très",
        "beaucoup",
        "많이",
        "多谢",
        "非常",
        "ございます。",
        "good",
        "morning",
        "evening",
        "afternoon",
        "night",
    ]
)
CLAUSES = re.compile(r"[、。,.!！?？~〜]+")
LEADING = re.compile(r"^(本当に|ほんとに|ほんとうに|どうも|いつも|大変|たいへん|とても|すごく|色々|いろいろ)\s*")


def _polite(rest: str) -> bool:
    rest = re.sub(r"^(う|うございます|うございました|ございます|ございました|s|nks|nk you|nk u)", "", rest.strip())
    words = [w for w in rest.split() if w]
    return not words or all(w in POLITE_WORDS for w in words) or len(rest) <= 3


def small_talk(text: str) -> str:
    """The kind of small talk ("thanks", "greeting", ...), or "" when the message asks anything.

    Every clause of a short message must be small talk or a politeness ("ありがとうございました、
    助かりました" is thanks; "ありがとう、ところで住民票は？" is a question).
    """
    clean = unicodedata.normalize("NFKC", text).strip().lower()
    if not clean or len(clean) > MAX_SMALL_TALK_CHARS:
        return ""
    if SMALL_TALK["bot_question"].search(clean) and len(clean) <= 25:
        return "bot_question"
    found = ""
    for clause in (c.strip() for c in CLAUSES.split(clean) if c.strip()):
        clause = LEADING.sub("", clause)
        kind = next((k for k, p in SMALL_TALK.items() if k != "bot_question" and p.search(clause)), "")
        if kind:
            if not _polite(SMALL_TALK[kind].sub("", clause, count=1)):
                return ""
            found = found or kind
        elif not _polite(clause) and not re.fullmatch(r"[\W_\d]*", clause):
            return ""
    return found


# --- another municipality by name ------------------------------------------------------------------
PREFECTURES = [
    "北海道",
    "青森",
    "岩手",
    "宮城",
    "秋田",
    "山形",
    "福島",
    "茨城",
    "栃木",
    "群馬",
    "埼玉",
    "千葉",
    "東京",
    "神奈川",
    "新潟",
    "富山",
    "石川",
    "福井",
    "山梨",
    "長野",
    "岐阜",
    "静岡",
    "愛知",
    "三重",
    "滋賀",
    "京都",
    "大阪",
    "兵庫",
    "奈良",
    "和歌山",
    "鳥取",
    "島根",
    "岡山",
    "広島",
    "山口",
    "徳島",
    "香川",
    "愛媛",
    "高知",
    "福岡",
    "佐賀",
    "長崎",
    "熊本",
    "大分",
    "宮崎",
    "鹿児島",
    "沖縄",
]
CITIES = [
    "札幌",
    "仙台",
    "さいたま",
    "千葉",
    "横浜",
    "川崎",
    "相模原",
    "新潟",
    "静岡",
    "浜松",
    "名古屋",
    "京都",
    "大阪",
    "神戸",
    "岡山",
    "広島",
    "北九州",
    "福岡",
    "熊本",
    "千代田",
    "新宿",
    "文京",
    "台東",
    "墨田",
    "江東",
    "品川",
    "目黒",
    "大田",
    "世田谷",
    "渋谷",
    "中野",
    "杉並",
    "豊島",
    "荒川",
    "板橋",
    "練馬",
    "足立",
    "葛飾",
    "江戸川",
    "八王子",
    "立川",
    "武蔵野",
    "三鷹",
    "府中",
    "調布",
    "町田",
    "小金井",
    "日野",
    "国分寺",
    "多摩",
    "稲城",
    "船橋",
    "川口",
    "所沢",
    "越谷",
    "藤沢",
    "横須賀",
    "鎌倉",
    "宇都宮",
    "前橋",
    "高崎",
    "水戸",
    "金沢",
    "富山",
    "長野",
    "岐阜",
    "豊田",
    "岡崎",
    "四日市",
    "大津",
    "奈良",
    "和歌山",
    "姫路",
    "西宮",
    "尼崎",
    "倉敷",
    "松山",
    "高松",
    "長崎",
    "鹿児島",
    "那覇",
]
ROMAN = [
    "tokyo",
    "osaka",
    "yokohama",
    "kyoto",
    "kobe",
    "nagoya",
    "sapporo",
    "sendai",
    "fukuoka",
    "kawasaki",
    "saitama",
    "chiba",
    "hiroshima",
    "hamamatsu",
    "kumamoto",
    "kagoshima",
    "niigata",
    "shizuoka",
    "okayama",
    "kitakyushu",
    "shinjuku",
    "shibuya",
    "minato",
    "setagaya",
    "nerima",
    "adachi",
    "edogawa",
    "hachioji",
    "okinawa",
    "naha",
    "hokkaido",
]
JAPANESE_PLACE = re.compile(
    "(" + "|".join(sorted({*PREFECTURES, *CITIES}, key=len, reverse=True)) + ")(都|道|府|県|市|区|町)?"
)
# The largest cities as residents of other languages write them.
FOREIGN_NAMES = [
    "도쿄",
    "오사카",
    "요코하마",
    "나고야",
    "교토",
    "고베",
    "삿포로",
    "후쿠오카",
    "신주쿠",
    "시부야",
    "하마마쓰",
    "东京",
    "横滨",
    "名古屋",
    "札幌",
    "福冈",
    "神户",
    "新宿区",
    "涩谷",
    "टोकियो",
    "ओसाका",
    "योकोहामा",
    "नागोया",
    "क्योटो",
    "शिन्जुकु",
    "फुकुओका",
    "โตเกียว",
    "โอซาก้า",
    "โยโกฮามา",
    "นาโกย่า",
    "เกียวโต",
    "ฟุกุโอกะ",
    "တိုကျို",
    "အိုဆာကာ",
]
FOREIGN_PLACE = re.compile("|".join(FOREIGN_NAMES))
ROMAN_PLACE = re.compile(r"\b(" + "|".join(ROMAN) + r")\b(?:[- ](?:city|ward|shi|ku))?", re.IGNORECASE)
# Words that mean the resident moves or moved between cities: the question is then this city's.
MOVING = re.compile(r"引っ?越|転入|転出|転居|から来|へ行く予定|moving|moved|move (to|from)|transfer", re.IGNORECASE)
LEVEL_SUFFIX = re.compile(r"[都道府県市区町村]$")
# ...unless it asks about the other city's own rules ("大阪市に引っ越すけど、向こうのごみの分別は？").
THERE = re.compile(
    r"向こう(の|で|では)|あっち(の|で)|引っ?越し先|転居先|\b(over there|my new (city|town))\b", re.IGNORECASE
)


def other_municipality(text: str, own_names: tuple[str, ...]) -> str:
    """The other municipality the question is about ("横浜市"), or "" (ours, none, or moving between them)."""
    clean = unicodedata.normalize("NFKC", text)
    if MOVING.search(clean) and not THERE.search(clean):
        return ""
    own = {LEVEL_SUFFIX.sub("", name.strip()).lower() for name in own_names if name}
    for match in JAPANESE_PLACE.finditer(clean):
        name, level = match.group(1), match.group(2) or ""
        if name.lower() in own or not (level or len(name) >= 3):
            continue
        return name + level
    for match in ROMAN_PLACE.finditer(clean):
        if match.group(1).lower() not in own:
            return match.group(0)
    foreign = FOREIGN_PLACE.search(clean)
    return foreign.group(0) if foreign else ""


# --- a request about the resident's own records ------------------------------------------------------
MINE = re.compile(
    r"(私|わたし|僕|ぼく|俺|おれ|自分|うち|我が家|わが家|家族|息子|娘|子ども|子供|うちの子|母|父|夫|妻|主人|嫁)の|うち(は|って|も)|"
    r"(出した|送った|提出した|申請した|申し込んだ|頼んだ|払った|支払った|届けた|郵送した)|"
    r"\b(my|mine|our|i (sent|applied|paid|submitted))\b|我的|我家|我(交|寄|申请|申請)|"
    r"của (tôi|em|mình)|nhà (tôi|em|mình)|tôi đã (gửi|nộp)|"
    r"\b(meu|minha|meus|minhas|mi|mis)\b|\bme (depositaron|pagaron)\b|\bquanto (eu|vou|tenho)\b|"
    r"내 |제 |\bko\b|मेरो|saya (sudah|telah)|ของฉัน|ของผม|\bmon\b|\bma\b|\bmes\b"
)
CHECK = re.compile(
    r"どうなって|届いてる|届いてない|届いた|届いていない|受理|審査|決まり?ましたか|決まった|いくら(です|に|\?|？|$)|いくら[?？]?$|"
    r"いくら\s*(もらえ|払|納め)|何番|何回目|確認して|調べて|有効(です)?か|間違って|払えてる|払った(か|の)|残ってる|登録されて|"
    r"まだ(来|届|で)|出てますか|発行(された|されました|済)|でき(あが|上が)って|できてますか|反映(されて|され)|処理(されて|済)|"
    r"\b(owe|status of|application status|received|approved|processed|result|how much (is|do) (my|i))\b|went through|"
    r"\bbeen (processed|issued|approved|sent|paid)\b|审核|審核|办完|辦完|办好|辦好|到哪|是多少|"
    r"là gì|đến đâu|đã nhận|đã .{0,20}chưa|receberam|recebeu|aprovad|\bpagar\b|cuánto debo|recibieron|natanggap|पुग्यो|"
    r"sudah diterima|ได้รับ|เท่าไหร่|เท่าไร|처리|받았|얼마"
)
# Saying a record is wrong, or that money has not arrived, is about one's own case on its own.
OWN_CASE = re.compile(
    r"(金額|税額|額|内容|名前|氏名|住所|通知書?).{0,8}(間違|まちが|違って|ちがって|おかしい)|"
    r"まだ(振り込|振込|入金|支給|届い|来て)(まれ)?(て)?(い)?ない|"
    r"\b(amount|bill|notice) (on my .{0,30})?(is|was) (wrong|incorrect)\b|"
    r"(金额|金額).{0,4}(不对|不對|错|錯)|금액이 (틀|이상)|\bvalor (est[áa] )?errado\b|số tiền .{0,10}sai",
    re.IGNORECASE,
)


def about_own_records(text: str) -> bool:
    """Whether the message asks about the resident's own case ("うちの住民税いくら？", "did you receive my form?")."""
    clean = unicodedata.normalize("NFKC", text)
    return bool(OWN_CASE.search(clean) or (MINE.search(clean) and CHECK.search(clean)))
