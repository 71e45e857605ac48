"""How a sentence or an article stands towards a claim it addresses: the general cues, in Chinese and English.

These are the words any reader recognises whatever the claim: doubt and correction ("质疑", "misleading"),
debunking ("辟谣", "myth"), negation ("不", "not") and questions ("是否", "whether"). A seed's claims file
says what each claim is about; this module says how the sentence takes it. General vocabulary of how
disputes are phrased in news writing, never words of particular articles.

- A word of doubt that is itself negated ("毫无疑问", "no doubt", "not misleading") is not doubt.
- A claim word that is negated flips the sentence's polarity: "OpenAI 选择不开放权重" does not dispute
  that OpenAI keeps its models closed (negating the opposite of the claim agrees with it), and
  "R1 is not on par with o1" disputes that R1 matches OpenAI.
- "不是 X，而是 Y" and "not X but Y" reject X: its words count as negated ("这不是谣言，而是事实" is no
  doubt; "R1 is not a copy of o1 but a new design" denies what X says).
- A sentence that opens by rejecting the one before it ("That's not what happened", "事实并非如此", "我们没有
  找到任何公开记录") makes the claim that sentence stated disputed: it was quoted to be rejected.
- A title or lead that frames the article as a debunk ("辟谣", "fact check", "the myth of …") makes the
  claims it names disputed, whatever the body then quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Doubt, correction and rejection, as news writing phrases them (simplified; traditional text is folded).
DOUBT_ZH = (
    "质疑 怀疑 存疑 争议 有争议 存在争议 夸大 夸大其词 夸张 言过其实 误导 误读 误解 不实 谣言 辟谣 假消息 "
    "假新闻 虚假 不属实 未经证实 有待验证 有待证实 无法证实 站不住脚 不可信 靠不住 值得商榷 并非如此 "
    "事实并非 子虚乌有 纯属虚构 低估 高估 不靠谱 误传 以讹传讹 迷思 误区 事实核查 不准确 不正确 可疑 怀疑论 "
    "过度简化 过于简化 过于简单化 以偏概全 反驳 驳斥 否认 推翻 证伪"
).split()
DOUBT_EN = [
    *(
        "doubt doubts doubted doubtful doubting skeptic* sceptic* questioned questionable questioning "
        "disputed disputes disputing misleading misled exaggerat* overstat* understat* overblown overhyped "
        "untrue myth myths debunk* rumor rumors rumour rumours unverified unproven unsubstantiated contested "
        "misconception* misreport* dubious purported supposedly implausible false fact-check* inaccurate "
        "incorrect "
        # the English of the Chinese words above (误解/误读, 高估/低估, 假新闻, 站不住脚, 子虚乌有, 纯属虚构,
        # 值得商榷, 有争议, 无法证实, 误传) and the Chinese of the English (迷思 myth, 误区 misconception,
        # 事实核查 fact-check, 不准确 inaccurate, 不正确 incorrect, 可疑 dubious, 怀疑论 scepticism)
        "misunderstand* misinterpret* misread overestimat* underestimat* untenable baseless groundless "
        "fabricated debatable controversial unconfirmed misinformation disinformation bogus "
        # 过度简化 / 以偏概全, 反驳 / 驳斥 / 否认 / 推翻 / 证伪 and their English
        "oversimplif* simplistic contradict* refut* rebut* undermin* undercut* deny denies denied disprove*"
    ).split(),
    *(
        "call into question|calls into question|called into question|calling into question"
        "|complicates the idea|complicates the notion|complicates the narrative|complicate the idea"
    ).split("|"),
    "fake news",
]
# Framing of a whole article as a correction: in its title or lead these make the claims it names disputed.
DEBUNK_ZH = (
    "辟谣 谣言 真相 不实 误读 误解 夸大其词 言过其实 神话 假消息 假新闻 被夸大 真的吗 是真的吗 并非如此"
).split()
DEBUNK_EN = (
    *"debunk* myth myths fact-check* misleading overstated overblown overhyped exaggerat*".split(),
    *"rumor rumors rumour rumours".split(),
    "fact check",
    "fake news",
    "the truth about",
    "not what you think",
    "isn't true",
    "is not true",
)
# Negation right before a word reverses it ("不开放", "没有夸大", "not misleading", "isn't on par"); a few
# light words may stand between ("不是在", "没有被", "not really", "never been").
_NEGATION_ZH = re.compile(
    r"(?:不|没|沒|未|非|无|無|别|勿)"
    r"(?:有|是|会|會|能|再|被|要|太|够|夠|曾|在|选择|選擇|打算|愿|願|想|肯|需要|必|可|准备|準備){0,2}\s*$"
)
_NEGATION_EN = re.compile(
    r"(?:\b(?:not|no|never|without|hardly|neither|nor|cannot)|n't|\bno (?:plans?|intention|reason) to)"
    r"(?:\s+(?:be|been|being|is|are|was|were|a|an|the|very|really|truly|fully|quite|as|so|yet|entirely|"
    r"completely|exactly|actually|even|necessarily|any|to|have|has|had|do|does|did)){0,3}\s*$",
    re.IGNORECASE,
)
# "不是/并非 X，而是 Y", "not X, but Y": X is rejected, as if each of its words were negated ("这不是谣言，
# 而是事实"; "R1 is not a product of sanctions but of choice"). "不仅/not only … but also" adds, not rejects.
_NOT_BUT = re.compile(
    r"(?:并不是|并非|不是)(?P<zh>[^。！？；]{1,80}?)[，,]?\s*而是"
    r"|(?<![A-Za-z])not\s+(?!only\b|just\b|merely\b|simply\b)(?P<en>[^.;!?]{1,160}?),?\s+but\s+(?!also\b)",
    re.IGNORECASE,
)
# Finding no record of something, in Chinese ("没有找到任何公开记录", "均找不到对应的原话"): a whole sentence
# that rejects the one before it (`_REJECTS_PREVIOUS`), or doubt within a sentence (`_NO_RECORD`).
_NO_RECORD_ZH = (
    r"(?:(?:没有|未能|并未|未|没)(?:找到|查到|发现)|找不到|查不到)[^，。；,;]{0,12}?"
    r"(?:记录|证据|原话|出处|来源|依据|报道)"
)
# A sentence that does nothing but reject what the one before it said: how news writing, fact-checks
# above all, answers a claim it has just quoted ("“X said Y.” That's not what happened.", "“……”。我们没有
# 找到任何公开记录。"). Anchored at the sentence's start, after a linking word at most.
_REJECTS_PREVIOUS = re.compile(
    r"^[\s“\"「『]*(?:(?:但|但是|然而|不过|其实|实际上|事实上)[，,]?\s*)?(?:"
    r"(?:这|此|这种说法|这一说法|该说法|此说|这些说法|上述说法)?(?:并|也|完全|根本)?"
    r"(?:不是事实|不属实|并非事实|与事实不符|没有根据|毫无根据|不成立|站不住脚)"
    r"|事实(?:并非|并不是|不是)如此|并非如此|并无此事|查无此言|查无实据|纯属(?:谣言|虚构|捏造)"
    rf"|(?:我们|记者|本报|笔者)?{_NO_RECORD_ZH}"
    r")"
    r"|^[\s“\"(]*(?:(?:But|In fact|Actually|However),?\s+)?(?:"
    r"(?:that|this|it|none of (?:this|that|it))(?:'s|’s| is| was|\s+has|\s+had)\s+(?:simply\s+|just\s+)?"
    r"(?:not|never|no longer)\s+(?:true|so|the case|what happened|accurate|correct|how it (?:works|happened))"
    r"(?=\s*(?:[,.;:!?—–-]|and\b|but\b|$))"  # "That is not the case for OpenAI" is about something else
    r"|(?:that|this|it) (?:isn't|wasn't|isn’t|wasn’t) (?:true|so|the case|what happened|accurate|correct)"
    r"(?=\s*(?:[,.;:!?—–-]|and\b|but\b|$))"
    r"|there (?:is|was) no (?:record|evidence|sign|trace)"
    r"|(?:we|reporters|researchers|fact-checkers)\s+(?:found|could find|have found)\s+no\s+"
    r"(?:record|evidence|trace)"
    r"|(?:we|reporters|fact-checkers)\s+(?:could not|couldn't|were unable to|did not|didn't)\s+"
    r"(?:find|verify|confirm)"
    r"|no (?:such|public) (?:record|quote|statement|remark|evidence)"
    r")",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[?？]\s*[”」』\"')）]*\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _words_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern: Latin words whole (a trailing * takes any ending), Chinese as written."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        wildcard = word.endswith("*")
        body = re.escape(word.rstrip("*")).replace(r"\ ", r"\s+").replace(r"\-", r"[\s\-]?")
        if _CJK.search(word):
            parts.append(body)
        else:
            parts.append(rf"(?<![A-Za-z]){body}" + (r"[A-Za-z]*" if wildcard else r"(?![A-Za-z])"))
    return re.compile("|".join(parts), re.IGNORECASE)


DOUBT = _words_pattern([*DOUBT_ZH, *DOUBT_EN])
# Saying no record of something can be found: how fact-checks reject a quote or a figure ("在公开场合中均
# 找不到对应的原话", "we could find no record of the remark"). Its negation is its own: not asked again.
_NO_RECORD = re.compile(
    _NO_RECORD_ZH + r"|\b(?:found|find|finds|could find|can find)\s+no\s+(?:public\s+|such\s+|other\s+)?"
    r"(?:record|evidence|trace|transcript)s?\b"
    r"|\b(?:could not|couldn't|cannot|can't|did not|didn't|were unable to|was unable to|failed to)\s+"
    r"(?:find|locate|verify|confirm)\s+(?:any\s+|the\s+|a\s+|such\s+|this\s+|that\s+)?"
    r"(?:record|evidence|trace|quote|quotation|remark|statement|source|transcript)s?\b",
    re.IGNORECASE,
)
DEBUNK = _words_pattern([*DEBUNK_ZH, *DEBUNK_EN])
# "no doubt" and its kind affirm: they are not doubt even though a doubt word is in them.
_AFFIRMING = re.compile(
    r"毫无疑问|毋庸置疑|不容置疑|无可争议|无可置疑|无疑|不可否认|\bno doubt\b|\bundoubted(?:ly)?\b|"
    r"\bwithout (?:a )?doubt\b|\bundisputed\b|\bbeyond doubt\b",
    re.IGNORECASE,
)


def negated(text: str, start: int) -> bool:
    """Whether the word starting at `start` is negated by what comes right before it, or lies in the part
    of a "不是 X 而是 Y" / "not X but Y" contrast that the sentence rejects."""
    before = text[max(0, start - 30) : start]
    if _NEGATION_ZH.search(before) is not None or _NEGATION_EN.search(before) is not None:
        return True
    return any(low <= start < high for low, high in rejected_spans(text))


def rejected_spans(text: str) -> list[tuple[int, int]]:
    """The parts of a sentence a "不是 X 而是 Y" / "not X but Y" contrast rejects (each X)."""
    if "而是" not in text and "but" not in text.lower():
        return []
    return [m.span("zh" if m.group("zh") is not None else "en") for m in _NOT_BUT.finditer(text)]


def all_negated(pattern: re.Pattern[str], text: str) -> bool:
    """Whether the pattern occurs in the text and every occurrence is negated."""
    starts = [m.start() for m in pattern.finditer(text) if m.group()]
    return bool(starts) and all(negated(text, s) for s in starts)


def doubts(text: str) -> bool:
    """Whether the text voices doubt or correction: a word of doubt that is neither negated nor part of an
    affirmation such as "毫无疑问" or "no doubt"."""
    plain = _AFFIRMING.sub(" ", text)
    return any(not negated(plain, m.start()) for m in DOUBT.finditer(plain)) or finds_no_record(text)


def doubt_spans(text: str) -> list[tuple[int, int]]:
    """Where the text voices doubt (see `doubts`)."""
    plain = _AFFIRMING.sub(lambda m: " " * len(m.group()), text)
    spans = [m.span() for m in DOUBT.finditer(plain) if not negated(plain, m.start())]
    return sorted(spans + [m.span() for m in _NO_RECORD.finditer(text)])


def finds_no_record(text: str) -> bool:
    """Whether the text says no record of something can be found ("均找不到对应的原话", "we found no
    record of it"): it refers to what was just said."""
    return _NO_RECORD.search(text) is not None


def debunk_framing(text: str) -> bool:
    """Whether a title or lead frames the article as a correction of something (not negated)."""
    return any(not negated(text, m.start()) for m in DEBUNK.finditer(text))


def rejects_previous(sentence: str) -> bool:
    """Whether the sentence opens by rejecting what the sentence before it said ("That's not what
    happened", "事实并非如此", "我们没有找到任何公开记录")."""
    return _REJECTS_PREVIOUS.match(sentence) is not None


def is_question(sentence: str) -> bool:
    """Whether the sentence asks rather than states ("R1 能否媲美 o1？"): it ends with a question mark."""
    return _QUESTION.search(sentence) is not None
