"""The first, regex-only personal-data masker, kept as the baseline of ``govperf bench pii``.

Serving uses ``govperf_ml.feedback.pii.mask_pii``; this one misses names without a lead
phrase, compound surnames and addresses (issue 13).

Masks: mainland ID-card numbers (18 digits, last may be X; and 15-digit old ones),
mobile and landline phone numbers, e-mail addresses, bank-card numbers, WeChat ids and QQ
numbers (after the words that introduce them, or the ``wxid_`` form), licence plates,
and names that a writer introduces ("我叫张三", "本人李四", "姓名：王五", "my name is ...").
Each is replaced by a typed placeholder such as ``[PHONE]`` so the classifier still sees
that a phone number was there.
"""

from __future__ import annotations

import re

_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"

_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("[EMAIL]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[ID_CARD]", re.compile(_NOT_DIGIT_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _NOT_DIGIT_AFTER)),
    ("[ID_CARD]", re.compile(_NOT_DIGIT_BEFORE + r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NOT_DIGIT_AFTER)),
    ("[BANK_CARD]", re.compile(_NOT_DIGIT_BEFORE + r"(?:62|4\d|5[1-5])\d{14,17}" + _NOT_DIGIT_AFTER)),
    ("[PHONE]", re.compile(_NOT_DIGIT_BEFORE + r"(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}" + _NOT_DIGIT_AFTER)),
    ("[PHONE]", re.compile(_NOT_DIGIT_BEFORE + r"(?:\(?0\d{2,3}\)?[- ]?)\d{7,8}" + _NOT_DIGIT_AFTER)),
    # WeChat ids (after 微信/WeChat/vx, or the wxid_ form) and QQ numbers (after QQ)
    ("[WECHAT]", re.compile(r"wxid_[A-Za-z0-9_-]{4,30}")),
    ("[WECHAT]", re.compile(r"(?<=[微]信)(?:号|ID|id)?\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}")),
    ("[WECHAT]", re.compile(r"(?i)(?<=wechat)(?:\s*id)?\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}")),
    ("[QQ]", re.compile(r"(?i)(?<=qq)(?:号|\s*number)?\s*[:：]?\s*[1-9]\d{4,11}" + _NOT_DIGIT_AFTER)),
    ("[PLATE]", re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}")),
]
_SURNAME = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_NAME_PATTERNS = [
    # "我叫张三" / "本人李四" / "姓名：王五" / "联系人：赵六"
    re.compile(r"(?P<lead>(?:我叫|我是|本人|姓名[:：]?|联系人[:：]?|户主[:：]?|业主[:：]?))(?P<name>[" + _SURNAME + r"][\u4e00-\u9fa5]{1,2})"),
    re.compile(r"(?P<lead>(?:[Mm]y name is|I am|I'm|[Nn]ame:)\s+)(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"),
]
_NOT_NAMES = {"本人在", "我是在", "本人于"}


def mask_pii(text: str) -> str:
    """Return ``text`` with personal data replaced by placeholders."""
    if not isinstance(text, str) or not text:
        return text
    out = text
    for token, pattern in _PATTERNS:
        out = pattern.sub(token, out)
    for pattern in _NAME_PATTERNS:
        out = pattern.sub(
            lambda m: m.group(0) if m.group(0) in _NOT_NAMES or m.group("name")[:1] in "在于是的" else m.group("lead") + "[NAME]",
            out,
        )
    return out


def has_pii(text: str) -> bool:
    return mask_pii(text) != text
