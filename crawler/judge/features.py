"""What an article names and says, as plain features that stories, translations and novelty compare.

- *Anchors* survive translation: Latin-script names (DeepSeek, H800, Nadella), quantities normalised by
  `crawler.judge.numbers` (550万美元 and "$5.5 million" are one anchor), dates and links, in order of
  first appearance.
- *Terms* are the words of one language: jieba words for Chinese (two characters or more), lower-cased
  words for English, function words dropped.

A feature is a short string with a prefix saying its kind: ``n:`` name, ``q:`` quantity or date,
``u:`` link, ``w:`` word.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import jieba

from crawler.judge.gazetteer import english_names
from crawler.judge.numbers import Quantity, extract_quantities

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_URL = re.compile(r"https?://[^\s<>()\[\]\"'，。、；！？）】]+", re.IGNORECASE)
_LATIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[-.'’][A-Za-z0-9]+)*")
_EN_WORD = re.compile(r"[a-z][a-z0-9'’-]*[a-z0-9]")
_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,}$")


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


EN_STOPWORDS = _wordlist(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even ever every few for from
    further had has have having he her here hers herself him himself his how however i if in into is it its
    itself just like many may me might more most much must my myself new no nor not now of off on once one
    only or other our ours ourselves out over own per said same says she should since so some still such
    than that the their theirs them themselves then there these they this those though through to too
    under until up upon us very via was we were what when where whether which while who whom whose why will
    with within without would yet you your yours yourself also according amid among around back became
    become get gets got made make makes many mr mrs ms news next now off part really report reported
    reports say told two three four first last year years week weeks day days month months time times way well
    monday tuesday wednesday thursday friday saturday sunday january february march april june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
ZH_STOPWORDS = _wordlist(
    """我们 你们 他们 她们 它们 这个 那个 这些 那些 这样 那样 这种 那种 一个 一些
    一种 没有 什么 怎么 为什么 可以 可能 因为 所以 但是 而且 如果 虽然 已经 就是
    还是 或者 以及 其中 通过 对于 关于 同时 此外 由于 自己 不是 需要 非常 不过
    之后 之前 其实 然后 只是 今年 去年 今天 目前 表示 认为 进行 方面 问题 这是
    也是 都是 并且 因此 甚至 以上 以下 之一 一样 开始 成为 来说 来看 看到 知道
    觉得 出现 发现 包括 不同 很多 更多 所有 每个 整个 一直 仍然 当时 时候 时间
    之间 记者 报道 消息 文章 本文 来源 编辑 责任编辑 点击 阅读 原文 相关 分享
    微信 公众 公众号 关注"""
)
_URL_PARTS = _wordlist("http https www com cn org net html htm php aspx")
_MIN_COUNT_VALUE = 100  # bare counts below this (list numbers, times of day) say nothing about an event


@dataclass(frozen=True)
class Anchors:
    """Language-independent features of a text, in order of first appearance, with how they were written."""

    order: tuple[str, ...]
    shown: dict[str, str]

    @property
    def names(self) -> frozenset[str]:
        """The Latin-script names."""
        return frozenset(f for f in self.order if f.startswith("n:"))

    @property
    def quantities(self) -> frozenset[str]:
        """The quantities and dates."""
        return frozenset(f for f in self.order if f.startswith("q:"))

    @property
    def links(self) -> frozenset[str]:
        """The links."""
        return frozenset(f for f in self.order if f.startswith("u:"))


def quantity_key(quantity: Quantity) -> str | None:
    """The anchor of a quantity, or None for bare small numbers (list items, times of day)."""
    if quantity.kind == "date":
        return "q:date " + quantity.iso[-5:]  # month and day: a year is often left out
    if quantity.kind == "count" and not quantity.unit and quantity.value < _MIN_COUNT_VALUE:
        return None
    value = f"{quantity.value:.4g}"
    if quantity.bound == "range" and quantity.high is not None:
        value += f"-{quantity.high:.4g}"
    return f"q:{quantity.kind} {quantity.unit} {value}".replace("  ", " ")


def link_key(url: str) -> str:
    """The anchor of a link: host and path, without scheme, `www.`, query or trailing slash."""
    bare = re.sub(r"^https?://(?:www\.)?", "", url.strip(), flags=re.IGNORECASE).split("#")[0].split("?")[0]
    return "u:" + bare.rstrip("/").lower()


def latin_names(text: str, lang: str) -> list[tuple[int, str, str]]:
    """(offset, feature, as written) per Latin-script name; in English only capitalised words and codes."""
    found: list[tuple[int, str, str]] = []
    for match in _LATIN.finditer(text):
        token = re.sub(r"['’]s$", "", match.group()).rstrip(".'’")
        lower = token.lower()
        if lower in _URL_PARTS or lower in EN_STOPWORDS or len(token) < 2:
            continue
        if lang != "zh" and not (any(c.isupper() for c in token) or any(c.isdigit() for c in token)):
            continue
        found.append((match.start(), "n:" + lower, token))
    return found


def anchors(text: str, lang: str, year: int | None = None) -> Anchors:
    """The anchors of a text (title and body)."""
    spans: list[tuple[int, str, str]] = []
    without_links = text
    for match in _URL.finditer(text):
        spans.append((match.start(), link_key(match.group()), match.group()))
        without_links = without_links.replace(match.group(), " " * len(match.group()), 1)
    spans.extend(latin_names(without_links, lang))
    for quantity in extract_quantities(without_links, default_year=year):
        key = quantity_key(quantity)
        if key:
            spans.append((quantity.start, key, quantity.text.strip()))
    spans.sort(key=lambda span: span[0])
    shown: dict[str, str] = {}
    for _, feature, written in spans:
        shown.setdefault(feature, written)
    return Anchors(order=tuple(shown), shown=shown)


def words(text: str, lang: str) -> list[str]:
    """Content words of a text as ``w:`` features: jieba words for Chinese, lower-cased words for English."""
    if lang == "zh":
        cjk = [w for w in jieba.lcut(text) if _CJK_WORD.match(w) and w not in ZH_STOPWORDS]
        return ["w:" + w for w in cjk]
    out: list[str] = []
    for word in _EN_WORD.findall(text.lower()):
        if len(word) < 3 or word in EN_STOPWORDS:
            continue
        out.append("w:" + _stem(word))
    return out


def _stem(word: str) -> str:
    """A crude English stem, enough that 'attacks' meets 'attack' and 'banned' meets 'ban'."""
    word = word.replace("’", "'").removesuffix("'s")
    for suffix, keep in (("ies", 3), ("ing", 4), ("ed", 4), ("es", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def term_counts(title: str, text: str, lang: str, found: Anchors, title_weight: int = 3) -> Counter[str]:
    """How often each feature occurs, the title's features counted `title_weight` times."""
    counts: Counter[str] = Counter()
    for part, weight in ((title, title_weight), (text, 1)):
        for feature in words(part, lang):
            counts[feature] += weight
        for _, feature, _ in latin_names(part, lang):
            counts[feature] += weight
        if lang == "zh":
            # Chinese names of what English writes in Latin script meet their English reports.
            for _, feature in english_names(part):
                counts[feature] += weight
    for feature in found.order:
        if feature.startswith(("q:", "u:")):
            counts[feature] += 1
    return counts


def unpost(postings: dict[str, set[int]], features: Iterable[str], ident: int) -> None:
    """Take `ident` out of an inverted index (feature -> ids), dropping features left with no id."""
    for feature in features:
        holders = postings.get(feature)
        if holders is not None:
            holders.discard(ident)
            if not holders:
                del postings[feature]
