"""Seeded generator of citizen messages in the many styles of 问政 / 12345 letters.

Each message joins a place, a subject and a problem of one service area (vocabulary in
``feedback_vocab_zh`` / ``feedback_vocab_en``, written by the team from the areas' remits)
in one of several styles: terse titles (关于…的问题), questions, long letters to a leader,
hotline summaries (来电人反映…), colloquial posts, with common slips (反映→反应, 的→得).
Dimensions are set by construction: a message that mentions repeated calls is about
timeliness, one about fees about fees, and so on.

:func:`generate_feedback` returns the corpus frame (about half a second);
:func:`~govperf_ml.sample_city.feedback.load_training_corpus` adds it to the bundled corpus
for the served default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.sample_city import feedback_vocab_en as EN
from govperf_ml.sample_city import feedback_vocab_zh as ZH

CHANNELS = ["hotline_12345", "message_board", "mayor_mailbox", "survey"]
_DIM_WORDS = {
    "fees": ["收费", "费", "价", "fee", "charge", "price", "fare", "toll"],
    "fairness": ["不公正", "不公平", "分配不公", "评定不公", "关系户", "优亲厚友", "暗箱", "截留", "挪用", "红包", "unfair", "relatives", "connections",
                 "behind closed doors", "gifts"],
    "transparency": ["不公开", "未公示", "不透明", "不清楚", "不告知", "not published", "not transparent",
                     "not explained", "publishes no"],
    "attitude": ["态度", "推诿", "辱骂", "粗暴", "敷衍", "rude", "insult", "not their job"],
    "timeliness": ["迟迟", "拖", "太慢", "多次", "一直", "没人", "没有回复", "delayed", "months", "late",
                   "several times", "no reply", "waiting"],
    "accessibility": ["太远", "太少", "来回跑", "材料太多", "繁琐", "太难", "too far", "too few", "too many documents",
                      "trips"],
    "outcome_quality": ["又坏", "没修", "质量差", "走过场", "没用", "never repaired", "half built", "broken"],
}


def _dimensions(text: str) -> str:
    low = text.lower()
    return ";".join(d for d, words in _DIM_WORDS.items() if any(w in low for w in words))


class _Draw:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def chars(self, pool: str, n: int) -> str:
        return "".join(self.pick(pool) for _ in range(n))


# ------------------------------------------------------------------------- Chinese
def _place_zh(d: _Draw) -> str:
    admin = d.chars(ZH.PLACE_PREFIX, 1) + d.chars(ZH.PLACE_MID, 1)
    kind = d.rng.integers(6)
    if kind == 0:
        return ""
    if kind == 1:
        return admin + d.pick(ZH.ADMIN_SUFFIX)
    if kind == 2:
        return admin + d.pick(ZH.ADMIN_SUFFIX) + d.chars(ZH.PLACE_PREFIX, 2) + d.pick(ZH.COMMUNITY_SUFFIX)
    if kind == 3:
        return d.chars(ZH.PLACE_PREFIX, 2) + d.pick(ZH.ROAD_SUFFIX)
    if kind == 4:
        return admin + d.pick(["县", "区"]) + d.chars(ZH.PLACE_MID, 2) + d.pick(ZH.VILLAGE_SUFFIX)
    return d.pick(["我市", "本市", "我县", "我区", "某区", "XX区", "我们镇上", "我们村"])


def _typos(d: _Draw, text: str) -> str:
    for right, wrong in ZH.TYPOS.items():
        if right in text and d.chance(0.25):
            text = text.replace(right, wrong, 1)
    if d.chance(0.3):
        text = text.replace("，", " ").replace("。", " ")
    return text


def _zh_message(d: _Draw, topic: tuple[str, str]) -> str:
    subj = d.pick(topic[0].split("|"))
    prob = d.pick(topic[1].split("|"))
    place = _place_zh(d)
    style = int(d.rng.integers(9))
    if style == 0:
        return f"关于{place}{subj}{prob}的问题"
    if style == 1:
        return f"{d.pick(['投诉', '反映', '举报', ''])}{place}{subj}{prob}"
    if style == 2:
        return f"{place}{subj}{prob}，{d.pick(['谁来管？', '何时解决？', '有没有人管', '请领导关注', '怎么办？'])}"
    if style == 3:
        return f"{d.pick(['请问', '咨询', '想问一下'])}{place}{subj}{d.pick(ZH.QUESTIONS)}？"
    if style == 4:
        return f"{place}{subj}为什么{prob}？"
    if style == 5:
        return (f"尊敬的{d.pick(ZH.LEADERS)}：您好！我是{place or '本地'}的{d.pick(ZH.IDENTITIES)}，{subj}{prob}，"
                f"已经{d.pick(ZH.DURATIONS)}了，{d.pick(ZH.ESCALATIONS)}，{d.pick(ZH.IMPACTS)}。{d.pick(ZH.REQUESTS)}，谢谢！")
    if style == 6:
        return (f"来电人反映：{place}{subj}{prob}，{d.pick(ZH.ESCALATIONS)}，"
                f"要求{d.pick(['尽快处理', '给予答复', '查处', '协调解决'])}。")
    if style == 7:
        return f"{d.pick(['真的受不了了', '太过分了', '气死人了', '无语了'])}，{place + '的' if place else ''}{subj}{prob}{d.pick(['！！', '！！！', '。。。', ''])}"
    return (f"{place}{subj}{prob}，{d.pick(ZH.DURATIONS)}了{d.pick(['还没解决', '没有任何进展', '一点变化都没有'])}，"
            f"{d.pick(ZH.IMPACTS)}，{d.pick(ZH.REQUESTS)}。")


# ------------------------------------------------------------------------- English
def _en_message(d: _Draw, topic: tuple[str, str]) -> str:
    subj = d.pick(topic[0].split("|"))
    prob = d.pick(topic[1].split("|"))
    place = d.pick(EN.PLACES_EN)
    style = int(d.rng.integers(6))
    if style == 0:
        return f"Complaint: {subj} in {place} {prob}"
    if style == 1:
        return f"What is going on? {subj[0].upper() + subj[1:]} in {place} {prob}."
    if style == 2:
        return (f"{d.pick(EN.OPENERS_EN)} I live in {place}. {subj[0].upper() + subj[1:]} {prob}, and it has been "
                f"{d.pick(EN.DURATIONS_EN)} now. {d.pick(EN.ESCALATIONS_EN).capitalize()}. {d.pick(EN.REQUESTS_EN)}").strip()
    if style == 3:
        return f"Caller reports that {subj} in {place} {prob}; {d.pick(EN.ESCALATIONS_EN)}."
    if style == 4:
        return f"{subj[0].upper() + subj[1:]} {prob}!! {d.pick(['Unacceptable.', 'So frustrating.', 'Fix it!', ''])}".strip()
    return f"Re: {subj} ({place}) - {prob}. {d.pick(EN.REQUESTS_EN)}"


def generate_feedback(*, n_zh: int = 2800, n_en: int = 560, seed: int = 13) -> pd.DataFrame:
    """``n_zh`` Chinese and ``n_en`` English messages, areas balanced, in corpus columns."""
    d = _Draw(seed)
    rows = []
    for lang, n, topics, make in (("zh", n_zh, ZH.TOPICS_ZH, _zh_message), ("en", n_en, EN.TOPICS_EN, _en_message)):
        areas = sorted(topics)
        seen: set[str] = set()
        tries = 0
        while sum(r["lang"] == lang for r in rows) < n and tries < 20 * n:
            tries += 1
            area = areas[len(seen) % len(areas)]
            text = make(d, d.pick(topics[area]))
            if lang == "zh" and d.chance(0.2):
                text = _typos(d, text)
            if text in seen:
                continue
            seen.add(text)
            rows.append({"text": text, "area": area, "lang": lang, "dimensions": _dimensions(text)})
    df = pd.DataFrame(rows)
    n = len(df)
    start = pd.Timestamp("2024-01-01")
    df.insert(0, "message_id", [f"GEN{i + 1:05d}" for i in range(n)])
    df["channel"] = [CHANNELS[i] for i in d.rng.integers(len(CHANNELS), size=n)]
    df["received_at"] = [str(start + pd.Timedelta(minutes=int(m))) for m in d.rng.integers(0, 2 * 365 * 24 * 60, size=n)]
    df["org_unit"] = [f"D{i:02d}" for i in d.rng.integers(1, 13, size=n)]
    return df[["message_id", "text", "channel", "received_at", "org_unit", "area", "dimensions", "lang"]]
