"""A planted-personal-data evaluation set: real message texts with labelled PII inserted.

Base texts: the sample city's bundled messages (Chinese and English) and, when a folder of
Teddy Cup 2020 C messages is given, real 问政 messages read at bench time (never copied into
the repository). Personal data comes from Faker's ``zh_CN`` and ``en_US`` providers (names,
ID cards with a valid checksum, phones, e-mails, bank cards, plates, passports, user
names) assembled into the forms people write (lead phrases, addresses down to the room).
Every planted span is labelled with its kind and character offsets; a seed fixes it all.

Faker is a bench/dev dependency only: import this module from benches and tests, never
from the serving path.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

KINDS = ("name", "address", "mobile", "landline", "id_card", "email", "bank_card", "plate",
         "wechat", "qq", "passport")
# compound surnames (复姓) of the Hundred Family Surnames that people still carry;
# Faker's zh_CN list has only 欧阳
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                     "宇文", "司徒", "夏侯", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "呼延")
AREA_CODES = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0731", "0591",
              "0571", "0551", "0871", "0898", "0755", "0769", "0532", "0311")
ESTATE_SUFFIXES = ("小区", "花园", "家园", "新村", "公寓", "苑", "社区", "大厦", "小区")
BUILDING_UNITS = ("栋", "号楼", "幢", "栋", "座")
# Teddy Cup files read at bench time: which are tuned on (looked at while writing rules)
# and which are held out (never read while writing rules)
TEDDY_TUNED = ("official_sample_附件2_495.csv",)
TEDDY_HELD_OUT = ("附件3_hot_issue_messages_4326.csv",)
_TEDDY_TEXT_COLS = ("留言详情", "留言详情_cleaned")


@dataclass
class Span:
    kind: str
    start: int
    end: int


@dataclass
class Sample:
    text: str
    lang: str
    source: str
    spans: list[Span] = field(default_factory=list)


def base_texts(data: Path | None = None, *, split: str = "in_corpus") -> list[tuple[str, str, str]]:
    """(text, lang, source) triples; ``split`` is ``in_corpus`` (sample city + tuned Teddy
    file) or ``held_out`` (Teddy files never read while writing the masker's rules)."""
    out: list[tuple[str, str, str]] = []
    if split == "in_corpus":
        from govperf_ml.sample_city import load_feedback_corpus

        corpus = load_feedback_corpus()
        out += [(t, lang, "sample_city") for t, lang in zip(corpus["text"].astype(str), corpus["lang"])]
    names = TEDDY_TUNED if split == "in_corpus" else TEDDY_HELD_OUT
    for path in _teddy_files(data, names):
        out += [(t, "zh", f"teddy:{path.name}") for t in _teddy_texts(path)]
    return out


def _teddy_files(data: Path | None, names) -> list[Path]:
    if data is None:
        return []
    folder = Path(data)
    if (folder / "teddy_cup_2020_c_messages").is_dir():
        folder = folder / "teddy_cup_2020_c_messages"
    return [folder / n for n in names if (folder / n).is_file()]


def _teddy_texts(path: Path) -> list[str]:
    df = pd.read_csv(path)
    col = next((c for c in _TEDDY_TEXT_COLS if c in df.columns), None)
    if col is None:
        return []
    texts = (re.sub(r"\s+", " ", str(t)).strip() for t in df[col].dropna())
    return [t.replace("\ue000", "") for t in texts if len(t) >= 10]


class PiiGenerator:
    """Renders one piece of personal data of a given kind, in Chinese or English context."""

    def __init__(self, seed: int = 0):
        from faker import Faker

        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.en = Faker("en_US")
        self.zh.seed_instance(seed)
        self.en.seed_instance(seed + 1)

    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    # --- names -----------------------------------------------------------------------
    def zh_name(self) -> str:
        surname = self.pick(COMPOUND_SURNAMES) if self.rng.random() < 0.3 else self.zh.last_name()
        given = self.zh.first_name()
        if self.rng.random() < 0.3:
            given = given[:1]
        return surname + given

    def name(self, lang: str) -> tuple[str, str]:
        """(prefix text, name, suffix text) joined as a fragment; returns (fragment, name)."""
        if lang == "en":
            name = self.en.name() if self.rng.random() < 0.7 else f"{self.en.first_name()} {self.en.last_name()}"
            forms = ["My name is {}.", "I am {}, a resident here.", "Contact: {}.", "{} reported this again.",
                     "This is {} writing.", "Name: {}", "Regards, {}", "{} complained to the office.",
                     "my neighbour {} saw it too.", "Contact person {}, thanks."]
        else:
            name = self.zh_name()
            forms = ["我叫{}，", "本人{}，", "姓名：{}，", "联系人 {}，", "联系人：{}。", "反映人：{}，",
                     "{}反映", "{}投诉", "{}说", "{}来电反映", "我是{}，", "投诉人{}，", "{}，",
                     "我的邻居{}说", "业主{}多次反映", "{}表示"]
        return self.pick(forms), name

    # --- addresses ---------------------------------------------------------------------
    def zh_address(self) -> str:
        z, r = self.zh, self.rng
        parts = []
        if r.random() < 0.3:
            parts.append(z.province())
        if r.random() < 0.4:
            parts.append(z.city())
        if r.random() < 0.7:
            parts.append(z.district() + self.pick(("区", "区", "县")))
        if r.random() < 0.6:
            road = z.street_name()
            parts.append(road + (f"{r.randint(1, 999)}号" if r.random() < 0.7 else ""))
        estate = r.random() < 0.8 or not any(p.endswith(("路", "街", "号")) for p in parts)
        if estate:
            stem = z.district() if r.random() < 0.5 else z.city_name()
            parts.append(stem + self.pick(ESTATE_SUFFIXES))
        building, unit, room = r.randint(1, 40), r.randint(1, 6), r.randint(1, 33) * 100 + r.randint(1, 8)
        tail = self.pick((f"{building}{self.pick(BUILDING_UNITS)}{unit}单元{room}室",
                          f"{building}{self.pick(BUILDING_UNITS)}{room}室",
                          f"{building}栋{unit}单元{room}",
                          f"{building}-{unit}-{room}室",
                          f"{building}号楼{unit}单元{room}房",
                          f"{building}栋"))
        return "".join(parts) + tail

    def en_address(self) -> str:
        address = self.en.address() if self.rng.random() < 0.6 else self.en.street_address()
        return address.replace("\n", ", ")

    def address(self, lang: str) -> tuple[str, str]:
        if lang == "en":
            return self.pick(["I live at {}.", "Address: {}", "our flat at {} has no water.", "{} is my home."]), \
                self.en_address()
        return self.pick(["住在{}，", "家住{}，", "地址：{}。", "我家{}楼上", "{}漏水", "我住{}，",
                          "家庭住址是{}，"]), self.zh_address()

    # --- structured ids ------------------------------------------------------------------
    def value(self, kind: str, lang: str) -> tuple[str, str]:
        """(template with one ``{}``, value) for the structured kinds."""
        z, r = self.zh, self.rng
        if kind == "mobile":
            num = z.phone_number()
            num = self.pick((num, f"{num[:3]}-{num[3:7]}-{num[7:]}", f"+86 {num}", f"{num[:3]} {num[3:7]} {num[7:]}"))
            if lang == "en" and r.random() < 0.5:
                num = self.en.phone_number()
            return self.pick(["电话{}", "手机：{}", "联系方式{}，", "请打{}", "call me at {}", "{}"]), num
        if kind == "landline":
            code, local = self.pick(AREA_CODES), str(r.randint(2, 8)) + "".join(str(r.randint(0, 9)) for _ in range(
                r.choice((6, 7))))
            num = self.pick((f"{code}-{local}", f"({code}){local}", f"{code} {local}", f"{code}{local}"))
            return self.pick(["座机{}", "电话：{}", "固话{}，", "landline {}", "打{}没人接"]), num
        if kind == "id_card":
            return self.pick(["身份证号{}", "身份证：{}，", "证件号码{}", "ID {}", "{}"]), z.ssn()
        if kind == "email":
            return self.pick(["邮箱{}", "email: {}", "发到{}", "mail me at {}"]), \
                (z.email() if r.random() < 0.5 else self.en.email())
        if kind == "bank_card":
            card = z.credit_card_number()
            if r.random() < 0.3:
                card = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
            return self.pick(["银行卡{}", "卡号：{}，", "账号{}被扣款", "card {}", "{}"]), card
        if kind == "plate":
            plate = z.license_plate()
            plate = self.pick((plate, plate.replace("-", ""), plate.replace("-", "·")))
            return self.pick(["车牌{}", "{}停在门口", "车牌号：{}，", "plate {}"]), plate
        if kind == "wechat":
            user = z.user_name() + (str(r.randint(1, 999)) if r.random() < 0.5 else "")
            if not user[0].isalpha():
                user = "w" + user
            user = user if len(user) >= 6 else user + "_" + str(r.randint(10, 99))
            return self.pick(["微信号{}", "微信：{}", "vx：{}", "加我微信 {}", "WeChat: {}", "wx {}"]), user
        if kind == "qq":
            return self.pick(["QQ {}", "qq号{}", "QQ：{}", "扣扣{}"]), str(r.randint(10_000, 99_999_999_999))
        if kind == "passport":
            num = self.pick(("E", "G", "EA", "EB")) + "".join(str(r.randint(0, 9)) for _ in range(8))
            num = num[:9]
            return self.pick(["护照号{}", "护照：{}，", "passport {}", "护照号码{}"]), num
        raise ValueError(f"unknown kind {kind!r}")

    def fragment(self, kind: str, lang: str) -> tuple[str, int, int]:
        """A text fragment holding one planted item; returns (fragment, start, end)."""
        if kind == "name":
            template, value = self.name(lang)
        elif kind == "address":
            template, value = self.address(lang)
        else:
            template, value = self.value(kind, lang)
        start = template.index("{}")
        return template.replace("{}", value, 1), start, start + len(value)


def plant(texts: list[tuple[str, str, str]], *, n: int, seed: int = 0,
          kinds: tuple[str, ...] = KINDS) -> list[Sample]:
    """``n`` samples: base texts (cycled in a seeded order) with 1-3 planted items each."""
    gen = PiiGenerator(seed)
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    samples = []
    for i in range(n):
        text, lang, source = texts[order[i % len(order)]]
        chosen = [kinds[(i + j) % len(kinds)] for j in range(rng.randint(1, 3))]
        samples.append(_insert(text, lang, source, chosen, gen, rng))
    return samples


def _insert(text: str, lang: str, source: str, kinds: list[str], gen: PiiGenerator, rng: random.Random) -> Sample:
    """Insert one fragment per kind at sentence boundaries (or the ends) of ``text``."""
    sep = " " if lang == "en" else ""
    cuts = [0, len(text)] + [m.end() for m in re.finditer(r"[。！？；，.!?;,]\s*", text)]
    points = sorted(rng.sample(sorted(set(cuts)), k=min(len(kinds), len(set(cuts)))))
    while len(points) < len(kinds):
        points.append(len(text))
    out, spans, prev = [], [], 0
    pos = 0
    for kind, point in zip(kinds, points):
        frag, s, e = gen.fragment(kind, lang)
        chunk = text[prev:point]
        before = chunk + (sep if chunk and not chunk[-1].isspace() else "")
        if before and _glued(before[-1], frag[0]):
            before += " "
        if _glued(frag[-1], text[point:point + 1]):
            frag += "，" if lang == "zh" else " "
        pos += len(before)
        out.append(before + frag + sep)
        spans.append(Span(kind, pos + s, pos + e))
        pos += len(frag) + len(sep)
        prev = point
    out.append(text[prev:])
    return Sample("".join(out), lang, source, spans)


def _glued(left: str, right: str) -> bool:
    """Would these two characters run a planted value into its neighbour (E12345678M市,
    1381234567840元)? Nobody could tell such values apart, so the generator separates them."""
    return bool(left) and bool(right) and left.isascii() and right.isascii() and left.isalnum() and right.isalnum()
