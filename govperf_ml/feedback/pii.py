"""Mask personal data in citizen messages before anything is stored, logged or learned.

``find_pii(text)`` returns labelled character spans; ``mask_pii(text)`` replaces each with a
typed placeholder so the classifier still sees that, say, a phone number was there:

| placeholder | what | how |
|---|---|---|
| ``[ID_CARD]`` | mainland ID card, 18 digits (checksum, date) or 15 (date) | regex + ISO 7064 check |
| ``[BANK_CARD]`` | 16-19 digits passing Luhn, or 12-19 after 银行卡/卡号/账号/card | regex + Luhn |
| ``[PHONE]`` | mobile (+86), landline with area code, US numbers, any +country number, 7-8 digits after 电话/座机 | regex |
| ``[EMAIL]`` | e-mail addresses | regex |
| ``[WECHAT]`` / ``[QQ]`` | ids after 微信/vx/WeChat, the ``wxid_`` form; numbers after QQ/扣扣 | regex |
| ``[PLATE]`` | licence plates (湘A12345, 蒙B-27868, 粤B·D12345) | regex |
| ``[PASSPORT]`` | E/G + 8 digits, or any number after 护照/passport | regex |
| ``[NAME]`` | Chinese names (single and compound surnames) in a person's context; English names after lead phrases/titles | jieba + rules (``pii_zh``, ``pii_en``) |
| ``[ADDRESS]`` | addresses down to building/unit/room (鼓楼区幸福小区3栋2单元502室), US street addresses | jieba + rules |

Not masked on purpose (ordinary text, measured as over-masking by ``govperf bench pii``): a
district or road alone (鼓楼区), a building or floor with no named place before it (我们小区
3栋, 12栋7层), dates and lines (5月12号, 3号线), a title without a surname (老先生, 各位女士,
班主任, 语文老师), and numbers that fail their checksum with no lead word (an 18-digit order
number). A surname before a title (冯先生, 李师傅, 赵主任, 张局长) is masked, the title kept
(``[NAME]先生``): the surname is what identifies the person, the title names no one and
tells the handler whom the message is about (a citizen, a worker, an official).

Never raises on text: non-strings and empty strings come back unchanged, any script is
scanned by the structured patterns (a message in a language without name rules still has
its phones, ids and e-mails masked). The previous, regex-only masker stays reachable as
``baseline_mask_pii`` for ``govperf bench pii``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from govperf_ml.feedback import pii_en, pii_zh
from govperf_ml.feedback.pii_baseline import mask_pii as baseline_mask_pii

__all__ = ["PiiSpan", "find_pii", "mask_pii", "has_pii", "baseline_mask_pii", "PLACEHOLDERS"]

PLACEHOLDERS = {"id_card": "[ID_CARD]", "bank_card": "[BANK_CARD]", "phone": "[PHONE]", "email": "[EMAIL]",
                "wechat": "[WECHAT]", "qq": "[QQ]", "plate": "[PLATE]", "passport": "[PASSPORT]",
                "name": "[NAME]", "address": "[ADDRESS]"}


class PiiSpan(NamedTuple):
    start: int
    end: int
    kind: str


_B = r"(?<![0-9A-Za-z])"  # no digit or letter glued on either side
_A = r"(?![0-9A-Za-z])"
_ND = r"(?<!\d)"  # no digit glued on the left (a letter may be: 电话13812345678A市 is common)
_NA = r"(?!\d)"
_ID18 = re.compile(_ND + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _NA)
_ID15 = re.compile(_B + r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _A)
_CARD = re.compile(_ND + r"\d{4}(?:[ -]?\d{4}){2}[ -]?\d{4,7}" + _NA)
_CARD_LEAD = re.compile(r"(?i:银行卡|卡号|账号|帐号|储蓄卡|信用卡|card|account)(?:号码|号|number|no\.?)?\s*(?:是|为)?[:：]?\s*"
                        + r"(?P<v>\d(?:[ -]?\d){11,18})" + _A)
_MOBILE = re.compile(_ND + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NA)
_LANDLINE = re.compile(_B + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ -]?[2-9]\d{2,3}[ -]?\d{4}(?:[-转]\d{1,5})?" + _A)
_US_PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?1[-. ]?|001[-. ])?(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}"
                       r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?" + _A)
# any other country's number written with its + prefix (E.164: at most 15 digits)
_INTL_PHONE = re.compile(r"(?<![0-9A-Za-z+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}" + _A)
_NANP = re.compile(r"(?<![0-9A-Za-z+])[2-9]\d{2}[2-9]\d{6}" + _A)  # a bare US number, in text without Chinese
_PHONE_LEAD = re.compile(r"(?i:电话|手机|座机|固话|联系方式|tel|phone|call me at|call)(?:号码|号)?\s*(?:是|为)?[:：]?\s*"
                         + r"(?P<v>\d{7,12})" + _A)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
                    r"\.[A-Za-z]{2,24}")  # bounded: linear on 20,000 characters of a.a.a.…
_WECHAT = re.compile(r"(?P<w>wxid_[A-Za-z0-9_-]{4,30})|"
                     r"(?i:(?<![A-Za-z])(?:微信号?|薇信|威信|v信|vx|wx|weixin|wechat)(?:号|\s*id)?)\s*(?:是|为)?[:：]?\s*"
                     r"(?P<v>[A-Za-z][-_A-Za-z0-9]{5,19})" + _A)
_QQ = re.compile(r"(?i:(?<![A-Za-z])(?:qq|扣扣|企鹅号)(?:号码|号|群|\s*number|\s*no\.?)?)\s*(?:是|为)?[:：]?\s*"
                 r"(?P<v>[1-9]\d{4,11})" + _NA)
_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z][-·•. ]?[A-Z0-9]{4}"
                    r"[A-Z0-9挂学警港澳]{1,2}(?![0-9A-Za-z])")
_PASSPORT = re.compile(_B + r"(?:E[A-Z]?\d{7,8}|G\d{8}|[DSP]E?\d{7})" + _A)
_PASSPORT_LEAD = re.compile(r"(?i:护照|passport)(?:号码|号|\s*number|\s*no\.?|#)?\s*(?:是|为)?[:：]?\s*"
                            r"(?P<v>[A-Z]{0,2}\d{6,9})" + _A)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_valid(number: str) -> bool:
    """The ISO 7064 MOD 11-2 check character of an 18-digit mainland ID number."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of a bank-card number (all zeros is not a card)."""
    nums = [int(d) for d in reversed(digits)]
    total = sum(nums[0::2]) + sum(sum(divmod(2 * d, 10)) for d in nums[1::2])
    return total > 0 and total % 10 == 0


_DIGITS = re.compile(r"\d{5}|\d[\d \-.()（）]{5,}\d")  # every digit-based kind has one of these
_WECHAT_WORDS = ("微信", "薇信", "威信", "v信", "vx", "wx", "weixin", "wechat")


def _structured(text: str) -> list[PiiSpan]:
    """E-mails, ids, cards, phones, QQ, WeChat, plates, passports; each family is scanned
    only when a cheap test says it can be there."""
    spans = [PiiSpan(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)] if "@" in text else []
    lower = text.lower()
    if _DIGITS.search(text):
        spans += [PiiSpan(m.start(), m.end(), "id_card") for m in _ID18.finditer(text)
                  if id_card_valid(m.group(0)) or re.search(r"身份证|证件|ID", text[max(0, m.start() - 8):m.start()])]
        spans += [PiiSpan(m.start(), m.end(), "id_card") for m in _ID15.finditer(text)]
        spans += [PiiSpan(m.start(), m.end(), "bank_card") for m in _CARD.finditer(text)
                  if luhn_valid(re.sub(r"\D", "", m.group(0)))]
        for pattern in (_MOBILE, _LANDLINE, _US_PHONE):
            spans += [PiiSpan(m.start(), m.end(), "phone") for m in pattern.finditer(text)]
        spans += [PiiSpan(m.start(), m.end(), "phone") for m in _INTL_PHONE.finditer(text)
                  if 8 <= sum(c.isdigit() for c in m.group(0)) <= 15]
        leads = [(_CARD_LEAD, "bank_card"), (_PHONE_LEAD, "phone"), (_PASSPORT_LEAD, "passport")]
        if "qq" in lower or "扣扣" in text or "企鹅" in text:
            leads.append((_QQ, "qq"))
        for pattern, kind in leads:
            spans += [PiiSpan(m.start("v"), m.end("v"), kind) for m in pattern.finditer(text)]
        spans += [PiiSpan(m.start(), m.end(), "passport") for m in _PASSPORT.finditer(text)]
    if any(w in lower for w in _WECHAT_WORDS):
        for m in _WECHAT.finditer(text):
            group = "v" if m.group("v") else "w"
            spans.append(PiiSpan(m.start(group), m.end(group), "wechat"))
    spans += [PiiSpan(m.start(), m.end(), "plate") for m in _PLATE.finditer(text)]
    return spans


_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_CAP = re.compile(r"[A-Z][a-z]")


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping spans of personal data in ``text``, in order."""
    if not isinstance(text, str) or not text:
        return []
    spans = _structured(text)
    if _HAN.search(text):
        spans += [PiiSpan(s, e, "name") for s, e in pii_zh.names(text)]
        spans += [PiiSpan(s, e, "name") for s, e in pii_zh.titled_names(text)]
        spans += [PiiSpan(s, e, "address") for s, e in pii_zh.addresses(text)]
    elif _DIGITS.search(text):
        spans += [PiiSpan(m.start(), m.end(), "phone") for m in _NANP.finditer(text)]
    if _LATIN_CAP.search(text):
        spans += [PiiSpan(s, e, "name") for s, e in pii_en.names(text)]
        spans += [PiiSpan(s, e, "address") for s, e in pii_en.addresses(text)]
    return _merge(spans)


def _merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Overlapping spans become one, labelled by the longest of them."""
    out: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if out and span.start < out[-1].end:
            last = out[-1]
            kind = last.kind if last.end - last.start >= span.end - span.start else span.kind
            out[-1] = PiiSpan(last.start, max(last.end, span.end), kind)
        else:
            out.append(span)
    return out


def mask_pii(text: str) -> str:
    """Return ``text`` with personal data replaced by placeholders."""
    if not isinstance(text, str) or not text:
        return text
    parts, pos = [], 0
    for span in find_pii(text):
        parts += [text[pos:span.start], PLACEHOLDERS[span.kind]]
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


def has_pii(text: str) -> bool:
    return bool(find_pii(text))
