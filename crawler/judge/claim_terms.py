"""Word lists of a claims file compiled into patterns that find them in Chinese and English text.

A Latin word matches whole words only ("chip" is not found in "chipset"), a trailing ``*`` matches any
ending, a space or hyphen inside a term matches either; a Chinese word also matches its traditional
spelling (开源 finds 開源); ``re:...`` is a regular expression as written. A lower-case English word (the
last word of a phrase) also matches its regular inflections, whichever form is written: "cost" finds
"costs" and "costing", "released" finds "release", "cut prices" finds "cut price" (irregular forms,
such as "fell", are listed as words of their own; names, written with capitals, are matched as written).
A Chinese compound of two-character words (jieba's segmentation) also matches with up to two characters
between its words: "训练成本" finds "训练的成本" and "训练总成本".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# Simplified -> traditional characters common in news vocabulary, so one word list finds both scripts
# without a conversion dependency. Pairs: each simplified character followed by its traditional one.
_S2T_PAIRS = (
    "开開发發门門际際计計划劃软軟银銀孙孫义義马馬斯斯伦倫达達辉輝伟偉黄黃仁仁勋勳英英"
    "亿億万萬元元币幣钱錢资資投投融融额額价價降降费費经經济濟贵貴为為华華认認识識"
    "这這个個们們时時间間来來对對会會说說话話还還没沒与與产產业業务務动動运運营營"
    "机機构構关關系係点點线線网網络絡数數据據据據练練训訓据據术術语語学學习習书書"
    "总總统統签簽署署宣宣布佈项項目目导導领領袖袖国國际際场場战戰争爭竞競赛賽胜勝"
    "败敗输輸赢贏满滿压壓损損伤傷险險风風报報告告闻聞记記录錄视視频頻图圖画畫笔筆"
    "质質疑疑问問题題实實现現显顯示示证證据據称稱声聲态態势勢长長张張东東电電脑腦"
    "芯芯片片显顯卡卡构構筑築设設备備软軟硬硬体體验驗检檢测測评評论論辩辯谈談师師"
    "员員团團队隊员員创創办辦应應该該让讓给給从從众眾并並进進过過边邊远遠近近种種"
    "类類样樣审審查查规規则則标標准準认認识識读讀写寫词詞汇彙译譯选選择擇举舉办辦"
    "万萬亿億兆兆专專门門闭閉关關开開放放权權限限禁禁制制裁裁锁鎖积積储儲备備层層"
    "级級档檔案案陆陸续續优優势勢劣劣紧緊张張挡擋热熱冷冷贸貿易易额額汇匯率率涨漲"
    "跌跌蒸蒸发發缩縮减減订訂单單买買卖賣购購销銷货貨仓倉库庫册冊网網页頁广廣告告"
    "模模型型参參数數训訓练練推推理理效效率率应應用用户戶端端侧側台臺湾灣韩韓欧歐"
    "盟盟务務厂廠商商续續轮輪纪紀录錄线線递遞传傳统統摄攝镜鏡头頭频頻赞贊尔爾兰蘭"
    "亚亞洲洲俄俄罗羅德德法法荷荷义義乌烏克克时時钟鐘钢鋼铁鐵铜銅铝鋁矿礦电電池池"
)
_VARIANTS: dict[str, str] = {}
for _i in range(0, len(_S2T_PAIRS) - 1, 2):
    _simple, _traditional = _S2T_PAIRS[_i], _S2T_PAIRS[_i + 1]
    if _simple != _traditional:
        _VARIANTS[_simple] = _traditional
        _VARIANTS[_traditional] = _simple

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD_CHAR = r"[A-Za-z0-9]"


class TermError(ValueError):
    """A term list cannot be expanded or compiled (unknown name, cycle, bad expression)."""


_VOWELS = "aeiou"
# Words that look inflected but are not ("news" is no plural of "new"), or whose forms are other words
# ("routing" is of "route", not "rout").
_UNINFLECTED = frozenset("news its was has this thus always perhaps series species during thing rout".split())
_INFLECTABLE = re.compile(r"[a-z][a-z'\- ]*[a-z]")


def _lemmas(word: str) -> set[str]:
    """The base forms a regularly inflected English word may come from (the word itself when it shows no
    inflection)."""
    lemmas: set[str] = set()
    if word.endswith("ies") and len(word) > 4:
        lemmas.add(word[:-3] + "y")
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        lemmas.add(word[:-1])
        if word.endswith("es") and len(word) > 4:
            lemmas.add(word[:-2])  # taxes -> tax, but closes -> close as well
    return lemmas or {word}


def english_forms(word: str) -> list[str]:
    """A lower-case English word and its regular inflections (-s, -es, -ed, -ing, with -e, -y and doubled
    final consonants), from whichever form is given ("costs" -> cost, costs, costed, costing)."""
    if len(word) < 3 or not word.isalpha() or not word.islower() or word in _UNINFLECTED:
        return [word]
    if word.endswith(("ed", "ing")):
        # A participle written in a claims file is meant as written ("forced", "open-sourced"): its base
        # form often means something else ("force", "open-source").
        return [word]
    forms = {word}
    for lemma in _lemmas(word):
        if lemma.endswith("e"):
            forms.update({lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"})
        elif lemma.endswith("y") and lemma[-2] not in _VOWELS:
            forms.update({lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"})
        else:
            plural = lemma + ("es" if lemma.endswith(("s", "x", "z", "ch", "sh")) else "s")
            forms.update({lemma, plural, lemma + "ed", lemma + "ing"})
            if (
                len(lemma) <= 4
                and lemma[-1] not in _VOWELS + "wxy"
                and lemma[-2] in _VOWELS
                and (lemma[-3] not in _VOWELS)
            ):
                forms.update({lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"})  # ban -> banned
    return sorted(forms, key=len, reverse=True)


def _inflected_last_word(body: str) -> tuple[str, list[str]] | None:
    """A lower-case English term split into what comes before its last word and that word's forms."""
    if not _INFLECTABLE.fullmatch(body):
        return None
    cut = max(body.rfind(" "), body.rfind("-")) + 1
    last = body[cut:]
    forms = english_forms(last)
    return (body[:cut], forms) if len(forms) > 1 else None


# Case-sensitive inside (Chinese has no case): under IGNORECASE, compiling the range costs 3 times as much,
# and every crawl process and page worker compiles a claims file's patterns.
_CJK_GAP = r"(?-i:[\u4e00-\u9fff]{0,2}?)"
_CJK_TERM = re.compile(r"[\u4e00-\u9fff]{4,}")


def _chars_regex(body: str) -> str:
    """A term's characters as a pattern: spaces and hyphens interchangeable, both Chinese scripts."""
    parts: list[str] = []
    for char in body:
        if char in " -":
            parts.append(r"[\s\-]?" if char == "-" else r"[\s\-]+")
        elif char in _VARIANTS:
            parts.append(f"[{char}{_VARIANTS[char]}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


@lru_cache(maxsize=4096)
def _split_compound(body: str) -> tuple[str, ...] | None:
    """A Chinese compound of two-character words ("训练成本" -> 训练, 成本), as jieba segments it; None for
    anything else. Chinese writes such compounds apart as often as together ("训练的成本")."""
    if not _CJK_TERM.fullmatch(body):
        return None
    import jieba  # loaded on first use: its dictionary takes a second

    words = tuple(jieba.lcut(body, HMM=False))
    if len(words) < 2 or any(len(word) < 2 for word in words):
        return None
    return words


def _term_regex(term: str) -> str:
    """One term as a regular expression (see the module docstring for the rules)."""
    if term.startswith("re:"):
        expression = term[3:]
        try:
            re.compile(expression)
        except re.error as exc:
            raise TermError(f"bad regular expression {expression!r}: {exc}") from None
        return f"(?:{expression})"
    wildcard = term.endswith("*")
    body = term[:-1] if wildcard else term
    inflected = None if wildcard else _inflected_last_word(body)
    if inflected is not None:
        body = inflected[0]
    expression = _chars_regex(body)
    split = None if wildcard else _split_compound(body)
    if split is not None:
        # "训练成本" also as "训练的成本", "训练总成本": its words with up to two characters between
        expression = f"(?:{expression}|{_CJK_GAP.join(_chars_regex(word) for word in split)})"
    if inflected is not None:
        return rf"(?<![A-Za-z0-9]){expression}(?:{'|'.join(inflected[1])})(?![A-Za-z0-9])"
    # Names such as OpenAI or GPT-4o are often glued to the next Latin word in Chinese text
    # ("OpenAIGPT-4o"); plain words and short names keep whole-word matching.
    glued_name = len(body) >= 4 and re.search(r"[A-Z0-9]", body[1:]) is not None and not body.isupper()
    if re.match(_WORD_CHAR, body) and not glued_name:
        expression = f"(?<![A-Za-z0-9]){expression}"
    if wildcard:
        expression += r"[A-Za-z]*"
    elif re.search(f"{_WORD_CHAR}$", body) and not glued_name:
        expression += r"(?![A-Za-z0-9])"
    return expression


_TRADITIONAL_TO_SIMPLE = str.maketrans(
    {
        _S2T_PAIRS[i + 1]: _S2T_PAIRS[i]
        for i in range(0, len(_S2T_PAIRS), 2)
        if _S2T_PAIRS[i] != _S2T_PAIRS[i + 1]
    }
)
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


@dataclass(frozen=True)
class _Index:
    """What a text contains, for cheap look-ups: its folded form, Latin words, CJK characters and pairs."""

    folded: str
    words: frozenset[str]
    cjk: frozenset[str]


@lru_cache(maxsize=1 << 14)
def _index(text: str) -> _Index:
    folded = text.lower().translate(_TRADITIONAL_TO_SIMPLE)
    cjk: set[str] = set()
    for run in _CJK_RUN.findall(folded):
        cjk.update(run)
        cjk.update(run[i : i + 2] for i in range(len(run) - 1))
    return _Index(folded, frozenset(_LATIN_TOKEN.findall(folded)), frozenset(cjk))


def _needle(term: str) -> tuple[str, str] | None:
    """A cheap necessary condition for a term to occur: (kind, key), or None to always run the pattern."""
    if term.startswith("re:"):
        return None
    folded = term.rstrip("*").lower().translate(_TRADITIONAL_TO_SIMPLE)
    if _CJK.match(folded):
        return ("cjk", folded[:2] if len(folded) > 1 and _CJK.match(folded[1]) else folded[0])
    token = _LATIN_TOKEN.match(folded)
    if token is None:
        return None
    inflected = None if term.endswith("*") else _inflected_last_word(term)
    if inflected is not None and not inflected[0]:
        # A single inflected word: look for what all its forms begin with.
        return ("text", _common_prefix(inflected[1]))
    glued = term.endswith("*") or (token.end() == len(folded) and len(folded) >= 4 and not term.islower())
    return ("text" if glued else "word", token.group())


def _common_prefix(words: Sequence[str]) -> str:
    prefix = words[0]
    for word in words[1:]:
        while not word.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


class TermGroup:
    """Terms found by one case-insensitive pattern; a look-up of each term's first word or characters
    picks the few terms a text can contain, so only a small pattern ever runs."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = tuple(terms)
        self.pattern = _compiled(self.terms)  # validates every term up front
        self._by_key: dict[tuple[str, str], list[str]] = {}
        self._always: list[str] = []
        for term in self.terms:
            needle = _needle(term)
            if needle is None:
                self._always.append(term)
            else:
                self._by_key.setdefault(needle, []).append(term)
        self._words = frozenset(key for kind, key in self._by_key if kind == "word")
        self._cjk = frozenset(key for kind, key in self._by_key if kind == "cjk")
        self._texts = tuple(key for kind, key in self._by_key if kind == "text")

    def search(self, text: str) -> re.Match[str] | None:
        """The first occurrence of any term in the text, or None."""
        index = _index(text)
        candidates = list(self._always)
        for key in self._words & index.words:
            candidates += self._by_key[("word", key)]
        for key in self._cjk & index.cjk:
            candidates += self._by_key[("cjk", key)]
        for key in self._texts:
            if key in index.folded:
                candidates += self._by_key[("text", key)]
        if not candidates:
            return None
        # One cached pattern per term: compiling each new combination of candidates would cost more
        # than the search. The leftmost match wins, the longest at the same place (as an alternation).
        best: re.Match[str] | None = None
        for term in set(candidates):
            found = _compiled((term,)).search(text)
            if found is not None and (
                best is None or (found.start(), -len(found.group())) < (best.start(), -len(best.group()))
            ):
                best = found
        return best


@lru_cache(maxsize=1 << 14)
def _compiled(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_term_regex(t) for t in terms), re.IGNORECASE)


@lru_cache(maxsize=4096)
def compile_terms(terms: tuple[str, ...]) -> TermGroup:
    """One group finding any of the terms, longest first (case-insensitive)."""
    unique = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not unique:
        raise TermError("an empty list of words")
    return TermGroup(unique)


def expand_terms(
    entries: Iterable[str], named: Mapping[str, Sequence[str]], _within: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The words of a list whose entries may name other lists; a list's own name inside it is a word."""
    words: list[str] = []
    for raw in entries:
        # YAML reads 2048 as a number and false as a boolean; they are words here.
        entry = (
            str(raw).lower() if isinstance(raw, bool) else str(raw) if isinstance(raw, int | float) else raw
        )
        if not isinstance(entry, str):
            raise TermError(f"{entry!r} is not a word or the name of a word list")
        if entry in named and entry not in _within:
            words.extend(expand_terms(named[entry], named, (*_within, entry)))
        else:
            words.append(entry)
    return tuple(dict.fromkeys(words))
