"""Chinese names and home addresses: jieba's dictionary and part-of-speech tags plus rules.

jieba (its dictionary and tags ship inside the package; nothing is fetched) segments the
text once, without its HMM (five times faster; unknown names then fall apart into single
characters, which the surname rules below put back together). Names are a surname (single
or compound, 复姓) and one or two given-name characters, kept only in a context that makes
them a person: a lead phrase (我叫, 联系人, 姓名：, 反映人…), a verb of reporting right after
(张三反映, 王小明投诉), a relation word before (邻居, 业主, 丈夫…), or standing alone between
punctuation; a candidate that is an ordinary dictionary word (高明, 周边, 居民) or starts
inside one (有关部门) is not a name. Addresses are anchored on building/unit/room numbers
(3栋2单元502室, 88号) and extended leftwards over the named places before them (鼓楼区
幸福小区, 西安路324号); a district alone (鼓楼区) or a number with no named place before it
(小区3栋, 5月12号) is not an address.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from functools import lru_cache

# 百家姓 single surnames plus common modern forms (闫, 付, 覃…); compound surnames (复姓)
SURNAMES = set(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
    "鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄"
    "和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭"
    "梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚"
    "程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫"
    "宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴郁胥能苍双"
    "闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍郤璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容"
    "向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空"
    "曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公闫付覃涂佘晋揭粟练卿冼鲜谌蹇"
    # rarer surnames still common in registers (岳, 牟, 阳, 帅, 尧…)
    "岳牟阳芦麦佟苟隋商丛苑迟邝官南原栗楚鄢楼位仝帅豆朴漆初门敬来鹿邸辜母亓修赫况战银亢哈宾但尉冶檀衣展智奉植尧闭由"
)
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
    "令狐", "钟离", "端木", "独孤", "南宫", "西门", "呼延", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于",
    "太叔", "申屠", "轩辕", "赫连", "闻人", "万俟", "百里", "东郭", "南门", "羊舌", "微生", "梁丘", "左丘",
    "第五", "鲜于", "闾丘", "司空", "亓官", "司寇", "子车", "颛孙", "壤驷", "公良", "漆雕", "乐正", "宰父",
    "谷梁", "拓跋", "夹谷", "段干", "巫马", "公西", "东门", "西方",
)
LEADS = ("我叫", "我的名字叫", "我的名字是", "名叫", "叫做", "本人", "姓名", "名字", "联系人", "反映人",
         "投诉人", "举报人", "来电人", "来信人", "申请人", "当事人", "户主", "业主", "患者", "家属", "我是",
         "签名", "署名", "收件人", "经办人", "负责人")
# leads after which a name is only likely (业主都认为…): the candidate must not be a word
_LOOSE_LEADS = ("我是", "本人", "业主", "患者", "家属", "名字", "负责人", "当事人", "户主", "申请人", "经办人")
RELATIONS = ("邻居", "丈夫", "妻子", "老公", "老婆", "儿子", "女儿", "父亲", "母亲", "爸爸", "妈妈", "孩子",
             "同事", "朋友", "房东", "租户", "同学", "学生", "员工", "工人", "司机", "居民", "村民", "市民", "和", "与")
VERBS = ("反映", "投诉", "举报", "表示", "来电", "来信", "说", "称", "咨询", "要求", "报警", "告诉", "打电话",
         "一家", "家里", "多次", "曾经", "向", "在", "于", "是", "今年", "男", "女", "的")
# characters that never start a given name (particles, numerals used in counting…)
STOP_GIVEN = set("的了在是和与及或说称等也都就还又被把给向从对为于这那之其一二两几某姓氏先女师老")
HONORIFICS = ("先生", "女士", "小姐", "师傅", "老师", "阿姨", "大爷", "大妈", "某", "主任", "经理", "书记", "同志", "局",
              "市长", "县长", "区长", "镇长", "乡长", "村长", "省长", "厅", "处", "科", "院长", "校长", "医生", "警官",
              "总", "董", "老板", "姐", "哥", "叔", "伯", "婶", "奶奶", "爷爷", "家")
# the ~100 most frequent surnames (over 85 % of people)
COMMON_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                      "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
# surnames that are far more often a function word; a name needs a lead phrase to start with them
FUNCTION_SURNAMES = set("都向于和连应来原那公须练房从能经全时常由但门信位在以及与把被让对为给将已也还又就才再")
PLACE_SUFFIXES = ("特别行政区", "自治区", "自治州", "开发区", "高新区", "工业园", "街道", "新区", "地区", "大道",
                  "大街", "胡同", "小区", "花园", "家园", "新村", "公寓", "大厦", "社区", "广场", "宿舍", "大院",
                  "公馆", "省", "市", "区", "县", "旗", "镇", "乡", "路", "街", "巷", "弄", "里", "苑", "村", "园",
                  "湾", "庭", "府", "城", "坊")
ROAD_SUFFIXES = ("大道", "大街", "胡同", "小区", "花园", "家园", "新村", "公寓", "大厦", "社区", "宿舍", "大院",
                 "路", "街", "巷", "弄", "里", "苑", "村", "园")
_UNIT_WORDS = r"号楼|号院|栋|幢|座|单元|层|楼|室|房|号"
_PART = rf"\d{{1,4}}(?:[-－]\d{{1,4}}){{1,2}}(?:室|房|号)?(?!\d)|\d{{1,5}}(?:{_UNIT_WORDS})|[一二三四五六七八九十]{{1,2}}单元"
# building/unit/room numbers: 3栋2单元502室, 10-6-2601室, 88号, 3号楼502 (a bare room after 单元/栋)
_ADDRESS_ANCHOR = re.compile(rf"(?:{_PART})+(?:(?<=[元栋楼幢座层])\d{{2,5}}(?![\d号]))?")
_SUFFIX_ENDS = {p[-1] for p in PLACE_SUFFIXES}
_NAME_FLAGS = ("nr",)

_PLACE_CHARS = set("省市区县镇乡村路街巷园苑楼道湖山河江塘桥港湾洲岛坪垸坡庙寺祠阁亭堂馆站场厂店家")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def tagger():
    """jieba's part-of-speech tokenizer, loaded once (~2 s). jieba keeps its prefix-dictionary
    cache in the temp folder (``tempfile.gettempdir()``), never in its package."""
    with _lock:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)
        if jieba.dt.tmp_dir is None:
            jieba.dt.tmp_dir = tempfile.gettempdir()
        jieba.dt.initialize()
        return jieba.posseg.dt


def tokens(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, word, flag) of each jieba token of ``text[lo:hi]``, offsets in ``text``."""
    part = text[lo:hi]
    out, pos = [], 0
    for pair in tagger().cut(part, HMM=False):
        at = part.find(pair.word, pos)
        if at < 0:
            continue
        pos = at + len(pair.word)
        out.append((lo + at, lo + pos, pair.word, pair.flag))
    return out


def _flag(word: str) -> str:
    return tagger().word_tag_tab.get(word, "")


def _common_word(word: str, *, nr_ok: bool = False) -> bool:
    """A dictionary word that is not (only) a person's name. jieba tags many ordinary words
    that start with a surname as names (谢谢, 黄牛, 公正: nr), so a frequent word counts as
    ordinary whatever its tag unless ``nr_ok`` (a verb of reporting follows: 张宁投诉)."""
    freq = tagger().tokenizer.FREQ.get(word, 0)
    return (freq >= 100 and not nr_ok) or freq > 0 and not _flag(word).startswith(_NAME_FLAGS)


def _starts_word(text: str, i: int, words) -> bool:
    return any(text.startswith(w, i) for w in words)


def _surname_at(text: str, i: int) -> int:
    """Length of the surname starting at ``i`` (2 compound, 1 single, 0 none)."""
    if text[i:i + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if text[i] in SURNAMES else 0


def _is_han(text: str, i: int) -> bool:
    return i < len(text) and "\u4e00" <= text[i] <= "\u9fff"


def _name_at(text: str, i: int, *, strict: bool, nr_ok: bool = False) -> int:
    """End of a person's name starting at ``i``, or -1.

    ``strict``: without a lead phrase the candidate must also not be a dictionary word.
    """
    for s in (2, 1) if text[i:i + 2] in COMPOUND_SURNAMES else (1,):
        if s == 1 and text[i] not in SURNAMES:
            return -1
        g0 = i + s
        if not _is_han(text, g0) or text[g0] in STOP_GIVEN or _starts_word(text, g0, HONORIFICS):
            continue
        end = g0 + _given_len(text, g0)
        name = text[i:end]
        if strict and (text[end:end + 1] in _PLACE_CHARS or text[end - 1] in _PLACE_CHARS and end - i > 2):
            continue  # 白沙区, 高新区: a place, not a person
        if strict and s == 1 and (_common_word(name, nr_ok=nr_ok) or _common_word(text[i:i + 2], nr_ok=nr_ok)):
            continue  # 周边, 高明: an ordinary word, not a name (a given name may be one: 婷婷, 建国;
            # a compound surname starts few ordinary words: 独孤红 is a name)
        return end
    return -1


def _given_len(text: str, g0: int) -> int:
    """1 or 2 given-name characters at ``g0``."""
    g1 = g0 + 1
    if not _is_han(text, g1) or text[g1] in STOP_GIVEN:
        return 1
    if _starts_word(text, g1 + 1, VERBS) or not _is_han(text, g1 + 1):
        return 2
    if _starts_word(text, g1, VERBS) or _starts_word(text, g1, HONORIFICS):
        return 1
    for n in (4, 3, 2):  # the second character begins an ordinary word: 张三反映, 李四今年
        if _common_word(text[g1:g1 + n]) and not _flag(text[g1:g1 + n]).startswith("n"):
            return 1
    return 2


_LEAD_RE = re.compile("(?:" + "|".join(sorted(LEADS, key=len, reverse=True)) + r")[是为]?[:：]?\s*")
_CTX_RE = re.compile("(?:" + "|".join(sorted(RELATIONS, key=len, reverse=True)) + r")[:：]?\s*")
_PUNCT = set("，。！？；：、,.!?;:（）()【】[]「」“”\"' \t\n")
_ALONE_RE = re.compile(r"(?:^|(?<=[，。！？；：、,.!?;:（）()【】\[\]「」“”\"'\s]))[\u4e00-\u9fff]{2,4}(?=[，。！？；：、,.!?;:（）()【】\[\]「」“”\"'\s]|$)")


def names(text: str) -> list[tuple[int, int]]:
    """Spans of Chinese personal names."""
    found: list[tuple[int, int]] = []
    for m in _LEAD_RE.finditer(text):  # lead phrases: 我叫张三, 联系人：王小明
        i = m.end()
        if i < len(text) and _surname_at(text, i):
            strict = m.group(0).startswith(_LOOSE_LEADS)
            if strict and text[i] in FUNCTION_SURNAMES and _surname_at(text, i) == 1:
                continue  # 业主都认为, 当事人应当
            end = _name_at(text, i, strict=strict, nr_ok=True)  # 本人李娜: a name in jieba's dictionary
            if end > 0:
                found.append((i, end))
    taken = {p for s, e in found for p in range(s, e)}
    for i in _candidates(text):  # no lead: 张三反映, 邻居王小明, "，王五，"
        if i in taken or not _surname_at(text, i) or text[i] in FUNCTION_SURNAMES and _surname_at(text, i) == 1:
            continue
        end = _name_at(text, i, strict=True)
        if end < 0 and _AFTER_RE.match(text, i + 2 + (text[i:i + 2] in COMPOUND_SURNAMES)):
            end = _name_at(text, i, strict=True, nr_ok=True)
        if end < 0 or not _in_context(text, i, end, alone_needs_common=True):
            continue
        toks = tokens(text, max(0, i - 6), i + 6)
        first = next((t for t in toks if t[0] == i), None)
        if first is None or len(first[2]) > 2 and not first[3].startswith("nr") and first[2][:2] not in COMPOUND_SURNAMES:
            continue  # starts inside a word (有关部门) or begins a longer ordinary one (高新区, 王府井)
        found.append((i, end))
        taken.update(range(i, end))
    return found


def _candidates(text: str) -> list[int]:
    """Where a name without a lead phrase could start: 2-4 characters before a verb of
    reporting, right after a relation word, or at the start of a 2-4 character phrase
    between punctuation."""
    starts = {m.start() - n for m in _AFTER_RE.finditer(text) for n in (2, 3, 4) if m.start() >= n}
    starts.update(m.end() for m in _CTX_RE.finditer(text))
    starts.update(m.start() for m in _ALONE_RE.finditer(text))
    return sorted(p for p in starts if p < len(text))


_AFTER_RE = re.compile("|".join(VERBS[:13] + ("一家", "家里", "今年", "男，", "女，")))
_SURNAME_RE = re.compile("|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "]")


def _in_context(text: str, i: int, end: int, *, alone_needs_common: bool = False) -> bool:
    """A person's context: a verb of reporting after, a relation before, or punctuation around
    (then, with ``alone_needs_common``, it must start with a frequent surname: 巴洲 is a place)."""
    if _AFTER_RE.match(text, end):
        return True
    before = _CTX_RE.search(text, max(0, i - 4), i)
    if before is not None and before.end() == i:  # 和/与 join places as often as people
        return before.group(0)[0] not in "和与" or not alone_needs_common or _common_name(text[i:end])
    alone = (i == 0 or text[i - 1] in _PUNCT) and (end == len(text) or text[end] in _PUNCT)
    return alone and (not alone_needs_common or _common_name(text[i:end]))


def _common_name(word: str) -> bool:
    """Alone between punctuation a name needs a compound or one of the ~100 most frequent
    surnames (巴洲, 冷东 are places)."""
    return word[:2] in COMPOUND_SURNAMES or word[0] in COMMON_SURNAMES


# forms of address after a surname (冯先生, 李师傅, 赵主任): the surname alone names a person
TITLES = ("先生", "女士", "小姐", "老师傅", "师傅", "老师", "阿姨", "大爷", "大妈", "大姐", "大哥", "大叔", "大娘",
          "主任", "经理", "书记", "同志", "局长", "处长", "科长", "所长", "站长", "队长", "组长", "部长", "院长",
          "校长", "园长", "馆长", "村长", "镇长", "乡长", "区长", "县长", "市长", "医生", "大夫", "护士", "警官",
          "律师", "会计", "老板", "总经理", "总")
# surnames that before a title are far more often something else: 向老师反映, 家阿姨, 各位女士
_NOT_BEFORE_TITLE = FUNCTION_SURNAMES | set("家位")
_TITLE_RE = re.compile("(?=(" + "|".join(sorted(TITLES, key=len, reverse=True)) + "))")


def titled_names(text: str) -> list[tuple[int, int]]:
    """Spans of surnames right before a form of address (来电人冯先生, 欧阳女士, 赵主任).

    Only the surname is masked: it is what names the person, while the title (gender,
    trade or office) routes the complaint and names no one. jieba must cut the text at
    the surname's start and after the title (语文老师, 班主任, 李总是 are other words),
    the surname and the character before it must not be one word (宿管阿姨), and a
    surname that is mostly a function word is not taken (向老师反映, 各位女士)."""
    found = []
    for m in _TITLE_RE.finditer(text):
        j, title_end = m.start(), m.start() + len(m.group(1))
        for s in (2, 1):
            i = j - s
            if i < 0 or (s == 2 and text[i:j] not in COMPOUND_SURNAMES) or (s == 1 and text[i] not in SURNAMES):
                continue
            if s == 1 and text[i] in _NOT_BEFORE_TITLE:
                break
            if _surname_token(text, i, j, title_end):
                found.append((i, j))
            break
    return found


def _surname_token(text: str, i: int, j: int, end: int) -> bool:
    """Does jieba cut the surname ``text[i:j]`` off (or take surname and title as one name,
    冯先生), end a token after the title at ``end``, and not glue the character before it
    to the surname (宿管阿姨: 宿 is a surname too, so 宿管 is a word jieba does not know)?"""
    toks = tokens(text, max(0, i - 4), min(len(text), end + 4))
    first = next((t for t in toks if t[0] == i), None)
    if first is None or not (first[1] == j or first[1] == end and first[3].startswith("nr")):
        return False
    before = next((t for t in toks if t[1] == i), None)
    glued = before is not None and before[1] - before[0] == 1 and before[2] in SURNAMES
    return any(b == end for _, b, _, _ in toks) and not glued and not (i > 0 and _common_word(text[i - 1:j]))


_FLAT = re.compile(r"单元|室|房|\d[-－]\d+[-－]\d{3,4}")
_DATE = re.compile(r"(?:19|20)\d\d[-－]\d{1,2}[-－]\d{1,2}(?!\d)")


def addresses(text: str) -> list[tuple[int, int]]:
    """Spans of home/work addresses down to the building, unit or room.

    A building/unit/room number is an address when named places end right before it
    (幸福小区3栋, 西安路324号), or on its own when it goes down to the flat (3栋2单元502室,
    10-6-2601室); 5月12号, 3号线, 12栋7层 and dates are not.
    """
    found = []
    for m in _ADDRESS_ANCHOR.finditer(text):
        a, number = m.start(), m.group(0)
        flat = _FLAT.search(number) is not None
        named = a > 0 and text[a - 1] in _SUFFIX_ENDS
        if not (named or flat) or _DATE.match(number):
            continue
        start = a
        if named:
            toks = tokens(text, max(0, a - 40), a)
            ends = {e: k for k, (_, e, _, _) in enumerate(toks)}
            start = _extend_left(text, toks, ends, a)
            k = ends.get(a)
            if re.fullmatch(r"\d+号", number) and not (k is not None and toks[k][2].endswith(ROAD_SUFFIXES)):
                start = a  # 88号 needs a road or estate right before it, not 北京3号线
        if start < a or flat:
            found.append((start, m.end()))
    return found


def _extend_left(text: str, toks, ends: dict, pos: int) -> int:
    """Start of the named places (省/市/区/路/小区…) that end right before ``pos``.

    Walks left over place tokens (鼓楼区, 小区, ns-tagged names), their names (幸福, 魏都) and
    road numbers (324号) up to a pronoun, preposition, punctuation or the verb that introduces
    the address (住在, 家住, 地址); a verb or a measure word is taken only as the name right
    before a bare suffix (相关小区, 张街). Returns ``pos`` when no named place was crossed:
    a bare 小区 at the left end (我们小区3栋) has no name.
    """
    k = ends.get(pos)
    run: list[tuple] = []
    while k is not None and k >= 0 and sum(e - s for s, e, _, _ in run) < 40:
        word, flag = toks[k][2], toks[k][3]
        number = re.fullmatch(r"\d{1,5}|号院?", word) is not None and k >= 1
        verb_name = (k + 1 < len(toks) and toks[k + 1][2] in PLACE_SUFFIXES and word not in _NOT_PLACE_NAMES
                     and all(_is_han(word, i) for i in range(len(word)))
                     and not flag.startswith(("p", "r", "u", "c", "y", "e", "o", "x", "w")))
        if not (_placeish(toks[k]) or number or verb_name or _nameish(toks[k])):
            break
        run.insert(0, toks[k])
        k -= 1
    while run and re.fullmatch(r"\d{1,5}|号院?", run[0][2]):
        run.pop(0)  # a road number without its road
    named = any(_placeish(t) and (t[2] not in PLACE_SUFFIXES or n > 0) for n, t in enumerate(run))
    return run[0][0] if named else pos


def _placeish(tok) -> bool:
    return tok[2].endswith(PLACE_SUFFIXES) or tok[3] == "ns"


_NOT_PLACE_NAMES = {"住", "在", "住在", "家住", "居住", "位于", "地址", "住址", "是", "到", "来到", "搬到", "我家", "入住"}


_STOP_CHARS = set("住在是到的了我你他她它们和与及或从向对为于给把被让这那其该每各也都就还又说请因有")


def _nameish(tok) -> bool:
    """A token that can be (part of) the name of a place: Han characters; a single character
    unless it is a particle, pronoun or preposition (unknown names fall apart into single
    characters without jieba's HMM); a longer word unless a verb, adverb, pronoun, particle…"""
    _, _, word, flag = tok
    if word in _NOT_PLACE_NAMES or not all(_is_han(word, i) for i in range(len(word))):
        return False
    if len(word) == 1:
        return word not in _STOP_CHARS
    return not flag.startswith(("p", "r", "u", "c", "y", "e", "o", "x", "w", "v", "d", "t"))
