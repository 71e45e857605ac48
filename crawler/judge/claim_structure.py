"""How a sentence is built, as far as claim matching needs it: whose figure a number is, which names are
only what a subject is compared with, and which words a "not X but Y" contrast rejects.

General grammar of Chinese and English news writing, never words of a seed or of particular articles:

- A figure belongs to the subject named last before it ("DeepSeek R1 cost more than $1 billion, … o1,
  which required …"), or to one named right after it ("$100m for GPT-4").
- A name right after a comparison marker ("比 o1 便宜", "仅为 o1 的 1/30", "cheaper than o1", "beat
  OpenAI's o1") or before a comparison word ("与 OpenAI 的模型相当") is what the subject is measured
  against, not another subject the sentence is about.

The "不是 X，而是 Y" / "not X but Y" contrast is negation, in `crawler.judge.stance`.
"""

from __future__ import annotations

import re
from typing import Literal

from crawler.judge.claim_terms import TermGroup

Owner = Literal["about", "other"]

_ZH_COMPARE_BEFORE = (
    "相比于 相较于 相比 相较 对比 比起 不如 不及 超过 超越 优于 胜过 好于 强于 媲美 比肩 匹敌 堪比 赶超 追平 "
    "逊于 落后于 仅为 只有 只是 不到 不足 仅相当于 相当于"
).split()
_EN_COMPARE_BEFORE = (
    "than compared with compared to comparison with versus vs vs. relative to rival rivals rivaled rivaling "
    "rivalled rivalling match matches matched matching beat beats beating outperform outperforms "
    "outperformed outperforming surpass surpasses surpassed surpassing par with like unlike behind trails "
    "trailing"
).split()
# A marker, then a few light words ("超过了美国的", "the performance of", "that of") before the name.
_COMPARE_BEFORE = re.compile(
    r"(?:(?:"
    + "|".join(map(re.escape, _ZH_COMPARE_BEFORE))
    + r"|(?<![对无相类排占正反好])比(?![如例特赛率重值分较]))"
    r"[^，。,;；:：！？!?\s]{0,6}\s*"
    r"|(?<![A-Za-z])(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in _EN_COMPARE_BEFORE) + r")"
    r"(?:\s+(?:the|a|an|that|those|of|its|their|[A-Za-z]+'s|benchmark|benchmarks|performance|models?)){0,4}\s*)$",
    re.IGNORECASE,
)
# "与 OpenAI 的模型相当", "和 o1 差不多", "on a par with": the comparison word follows the name.
_COMPARE_AFTER = re.compile(
    r"^[^，。,;；:：！？!?]{0,12}?(?:相当|相比|相较|相近|接近|持平|一样|差不多|看齐|相媲美|媲美|比肩|不相上下|相提并论)"
)
_WITH_BEFORE = re.compile(r"(?:与|和|跟|同)\s*$")
# A figure's owner named right after it: "$100m for GPT-4", "$6bn by Meta".
_OWNER_AFTER = re.compile(r"^\s*(?:for|by|of|at|from)\s+(?:the\s+)?$", re.IGNORECASE)


def comparison_object(text: str, start: int, end: int) -> bool:
    """Whether the name at text[start:end] is what something is compared with ("比 o1 便宜", "cheaper than
    o1", "与 o1 相当"), not a subject of the sentence."""
    before = text[max(0, start - 60) : start]
    if _COMPARE_BEFORE.search(before):
        return True
    return bool(_WITH_BEFORE.search(before) and _COMPARE_AFTER.match(text[end : end + 20]))


def names_subject(group: TermGroup | None, text: str) -> bool:
    """Whether the group's names occur in the text other than as comparison objects."""
    if group is None:
        return False
    return any(
        m.group() and not comparison_object(text, m.start(), m.end()) for m in group.pattern.finditer(text)
    )


def figure_owner(
    text: str, start: int, end: int, about: TermGroup | None, others: TermGroup | None
) -> Owner | None:
    """Whose figure text[start:end] is: the claim's subject (`about`) or another (`others`), by the name
    right after it ("$100m for GPT-4") or else the last name before it; None when neither is named."""
    for group, owner in ((others, "other"), (about, "about")):
        if group is None:
            continue
        for found in group.pattern.finditer(text, end, min(len(text), end + 40)):
            if found.group() and _OWNER_AFTER.match(text[end : found.start()]):
                return owner  # type: ignore[return-value]
    last: tuple[int, Owner] | None = None
    for group, owner in ((about, "about"), (others, "other")):
        if group is None:
            continue
        for found in group.pattern.finditer(text, 0, start):
            if not found.group() or (
                owner == "other" and comparison_object(text, found.start(), found.end())
            ):
                continue
            if last is None or found.start() > last[0]:
                last = (found.start(), owner)  # type: ignore[assignment]
    return last[1] if last else None


# A sentence that opens by turning to something else ("相比之下，…", "By contrast, …") is not about the
# subject of the sentences before it.
_TURNS_AWAY = re.compile(
    r"^[\s“\"「(（]*(?:相比之下|相较之下|与此相对|与之相比|与此相比|反观|反之|另一方面|"
    r"by contrast|in contrast|on the other hand|meanwhile|elsewhere)(?![A-Za-z])",
    re.IGNORECASE,
)
# A product with a version glued to its name ("Qwen2.5-Max", "Baichuan-Omni-1.5", "Llama-3", "GPT-4o").
_VERSIONED_NAME = re.compile(
    r"(?<![A-Za-z0-9])[A-Z][A-Za-z]{2,}(?:-[A-Za-z]+)*(?:-|(?<=[a-z]))v?\d+(?:\.\d+)*[A-Za-z]?(?:-[A-Za-z0-9]+)*"
)


def turns_away(text: str) -> bool:
    """Whether the sentence opens by turning from what came before ("相比之下", "By contrast")."""
    return _TURNS_AWAY.match(text) is not None


def names_other_product(text: str, about: TermGroup | None) -> bool:
    """Whether the sentence names a versioned product ("Qwen2.5-Max") that is not the claim's subject and
    not only what something is compared with: a sentence about that product, not about the subject."""
    for found in _VERSIONED_NAME.finditer(text):
        if about is not None and about.search(found.group()) is not None:
            continue
        if not comparison_object(text, found.start(), found.end()):
            return True
    return False


_COMPARES = re.compile(
    r"不如|不及|比不上|差距|落后|逊色|逊于|高出|低于|高于|远超|[多少贵]\s*\d|倍"
    r"|\b(?:behind|lags?|lagging|trails?|trailing|falls? short|worse|better|less|more|fewer|gap|times)\b",
    re.IGNORECASE,
)


def compares(text: str) -> bool:
    """Whether the sentence compares (a gap, "不如", "behind", "差距约 27 倍")."""
    return _COMPARES.search(text) is not None
