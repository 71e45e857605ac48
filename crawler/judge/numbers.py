"""Numbers in news text, Chinese and English alike, normalised so they can be compared.

`extract_quantities` finds money (as USD or CNY amounts), counts (with the unit of the noun that
follows, e.g. ``gpu``), percentages, ratios, years and dates (ISO). "5000亿美元", "US$500 billion" and
"$500B" are all ``Quantity(5e11, "USD", "money", ...)``. Words around a number say how exact it is:
"约/about" make it approximate, "不到/under/up to" an upper bound, "超过/more than" a lower bound;
"2000～3000" is a range. `compare` says whether a figure found in an article agrees with, conflicts
with, or is unrelated to a figure a claim asserts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from crawler.judge.numerals import CN_DIGITS, CN_MAGNITUDES, cn_to_float, find_dates, to_halfwidth

Verdict = Literal["agree", "conflict", "unrelated"]

# Yuan per US dollar in early 2025; comparisons across currencies widen their tolerance to cover drift.
CNY_PER_USD = 7.2
_FX_SLACK = 0.06
_CURRENCY_TO_USD = {"USD": 1.0, "CNY": 1 / CNY_PER_USD, "HKD": 1 / 7.8, "EUR": 1.05, "JPY": 1 / 155}
# How far an "exact" figure may stray (rounding: 5.576 vs 5.6) and an approximate one ("about 2,000").
EXACT_TOLERANCE = 0.03
APPROX_TOLERANCE = 0.2


@dataclass(frozen=True)
class Quantity:
    """A number found in text, normalised: value in base units, unit, kind and how exact it is.

    `kind` is money, count, percent, ratio, year or date; `unit` is a currency code for money, a noun
    class for counts (``gpu``, ``parameter``, ``""`` when unknown), ``%``, ``year`` or ``date``.
    Dates carry YYYYMMDD in `value` (year 0 when unknown). `bound` is ``upper`` (at most), ``lower`` (at
    least), ``range`` (`value` to `high`), ``part`` (an instalment of a larger total) or None.
    """

    value: float
    unit: str
    kind: str
    text: str
    start: int
    end: int
    approx: bool = False
    bound: str | None = None
    high: float | None = None

    @property
    def iso(self) -> str:
        """A date as ISO 8601 (``2025-01-20``, or ``--01-20`` when the year is unknown); else ``""``."""
        if self.kind != "date":
            return ""
        number = int(self.value)
        year, month, day = number // 10000, number // 100 % 100, number % 100
        return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


# --- patterns -------------------------------------------------------------------------------------

_CN_NUM = (
    f"[{CN_DIGITS}{CN_MAGNITUDES}]*[{CN_MAGNITUDES}][{CN_DIGITS}{CN_MAGNITUDES}]*|[{CN_DIGITS}]+(?=[万亿])"
)
_AR_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_EN_MAG = r"(?:(?:\s*|-)(?P<enmag>trillion|tn|billion|bn|b|million|mn|mln|m|thousand|k)(?![A-Za-z]))"
_CN_MAG = r"(?:\s*(?P<cnmag>万亿|萬億|[十百千](?:亿|億|万|萬)|亿|億|万|萬|千|百))"
_NUMBER = rf"(?P<num>{_AR_NUM}|{_CN_NUM})(?:{_CN_MAG}|{_EN_MAG})?"
_PREFIX_CUR = r"(?P<pcur>US\$|USD\s?|U\.S\.\s?\$|HK\$|RMB\s?|CNY\s?|¥|￥|€|\$)"
_SUFFIX_CUR = (
    r"(?P<scur>[^\S\n]?(?:美元|美金|美分|元人民币|人民币|港元|港币|日元|欧元|元)"
    r"|[\s-]*(?:US\s)?dollars?|\s*(?:USD|RMB|CNY|yuan)(?![A-Za-z])|\s*cents?)"
)
_PERCENT = r"(?P<pct>\s*(?:%|％|percent(?![A-Za-z])|per\s?cent(?![A-Za-z])|个百分点|percentage points?))"
_RANGE_SEP = r"[^\S\n]*(?:~|～|–|—|-|至|到|to|and)[^\S\n]*"

_TOKEN = re.compile(
    rf"(?:{_PREFIX_CUR}\s?)?{_NUMBER}(?:{_PERCENT}|{_SUFFIX_CUR})?",
    re.IGNORECASE,
)
_CN_PERCENT = re.compile(rf"百分之(?P<num>{_AR_NUM}|[{CN_DIGITS}{CN_MAGNITUDES}点]+)")
_CN_RATIO = re.compile(rf"(?P<den>[{CN_DIGITS}{CN_MAGNITUDES}]+|\d+)分之(?P<num>[{CN_DIGITS}]+|\d+)")

# Words before a number (ending right at it) and after it that say how exact it is.
_UPPER_WORDS = (
    "不到 不足 少于 低于 未满 不超过 至多 最多 最高 高达 "
    + "up.to under less.than fewer.than below no.more.than at.most"
)
_LOWER_WORDS = (
    "超过 超 逾 多于 高于 至少 起码 more.than over above in.excess.of at.least upwards.of north.of exceeding"
)
_NEAR_WORDS = "将近 接近 近 nearly almost close.to just.under"
_ABOUT_WORDS = (
    "大约 约为 约 大概 估计 估算 预计 about around approximately approx roughly some an.estimated estimated ~"
)
_PART_WORDS = "首期 初期 初始 首批 起步 第一阶段 立即 立刻 马上 initial initially immediately first"


def _words_before(words: str, gap: str = r"\s*") -> re.Pattern[str]:
    """Any of the words (dots stand for spaces) ending right before a number, after at most `gap`."""
    alternatives = "|".join(re.escape(word).replace(r"\.", r"\s+") for word in words.split())
    return re.compile(rf"(?:{alternatives}){gap}$", re.IGNORECASE)


_BEFORE = [
    (_words_before(_UPPER_WORDS), "upper", False),
    (_words_before(_LOWER_WORDS), "lower", False),
    (_words_before(_NEAR_WORDS), "upper", True),
    (_words_before(_ABOUT_WORDS), None, True),
    (_words_before(_PART_WORDS, r"\D{0,12}"), "part", False),
]
_AFTER = [
    (re.compile(r"^\s*(?:以下|以内|之内)"), "upper", False),
    (re.compile(r"^\s*(?:以上|多|余|\+|-plus|or more)", re.I), "lower", True),
    (re.compile(r"^\s*(?:左右|上下|or so)", re.I), None, True),
]

# The noun after a count names what is counted (a classifier and a few modifiers may come between).
_UNIT_NOUNS = [
    # time on GPUs, not GPUs: "2.788mn GPU hours", "278.8万 H800 GPU 小时", "卡时" (before `gpu`: tried first)
    ("gpu_hours", r"(?:(?:Nvidia\s+)?(?:H800|H100|A100|H20)\s+)?GPU[\s-]?hours?|"
                  r"(?:H800|H100|A100)[\s-]?hours?|(?:(?:H800|H100|A100)\s*)?GPU\s*(?:小时|时)|卡时|卡小时"),
    ("gpu", r"GPUs?|H800s?|H100s?|A100s?|H20s?|H200s?|B200s?|graphics (?:processing )?(?:units|cards|chips)|"
            r"(?:AI |Nvidia |advanced |specialized )?chips?|显卡|芯片|算力卡|加速卡|GPU卡|卡"),
    ("parameter", r"parameters?|params|参数"),
    ("token", r"tokens?"),
    ("user", r"users?|用户|下载|downloads?"),
    ("people", r"people|employees|researchers|engineers|staff|人|名员工|位研究员|员工"),
    ("day", r"days?|天"),
    ("month", r"months?|个月"),
    ("years", r"years?|年(?![代底初末中前])"),
    ("times", r"倍|times|x(?![A-Za-z])|fold"),
]  # fmt: skip
_UNIT_AFTER = re.compile(
    r"^[^\S\n]*(?:[块张片枚颗台个位名款次]\s*)?(?:[\u4e00-\u9fff]{0,6}?|(?:[A-Za-z][\w\-]*\s+){0,3}?)"
    r"(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _UNIT_NOUNS) + r")(?!(?-i:[a-z]))",
    re.IGNORECASE,
)
_CLASSIFIER_ONLY = re.compile(r"^\s*[块张片枚颗]")
# Chinese words that contain numeral characters but are not numbers.
_NOT_NUMBERS = re.compile(r"十分(?!之)|千万(?=[不别要要])|万一|一万步|百万富翁|万分|千方百计|一千零一|亿万")


def extract_quantities(text: str, *, default_year: int | None = None) -> list[Quantity]:
    """Every quantity in the text, in order; offsets index the original string.

    A date without a year takes the year of the closest earlier date that has one, else `default_year`.
    """
    plain = to_halfwidth(text)
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for start, end, value in find_dates(plain, default_year):
        found.append(Quantity(float(value), "date", "date", text[start:end], start, end))
        taken.append((start, end))
    for quantity in _cn_percent_and_ratio(plain, text):
        if not _overlaps(taken, quantity.start, quantity.end):
            found.append(quantity)
            taken.append((quantity.start, quantity.end))
    blocked = [(m.start(), m.end()) for m in _NOT_NUMBERS.finditer(plain)]
    for match in _TOKEN.finditer(plain):
        if _overlaps(taken, match.start("num"), match.end("num")) or _overlaps(blocked, *match.span("num")):
            continue
        if not _standalone(plain, match):
            continue
        token = _quantity(plain, text, match)
        if token is not None:
            found.append(token)
            taken.append((token.start, token.end))
    found.sort(key=lambda q: q.start)
    return _merge_ranges(plain, text, found)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < b and a < end for a, b in spans)


def _standalone(plain: str, match: re.Match[str]) -> bool:
    """Not a fragment of a word or model name such as R1, H800, GPT-4o or o3-mini."""
    start = match.start()
    before = plain[start - 1] if start else ""
    suffixed = match.group("pcur") or match.group("scur") or match.group("pct")
    if before == "-" and start > 1 and plain[start - 2].isdigit():
        before = ""  # the high end of a range such as "$10-15 million"
    if before and before.isascii() and (before.isalpha() or before in "_-./") and not suffixed:
        return False
    if re.match(r"\s*月(?!份?[\u4e00-\u9fff]{0,2}[块张片个])", plain[match.end() :]) and not suffixed:
        return False  # "1月": a month, not a count
    end = match.end()
    after = plain[end] if end < len(plain) else ""
    unit_suffix = match.group("enmag") or match.group("scur") or match.group("pct")
    return not (
        after
        and after.isascii()
        and after.isalnum()
        and not unit_suffix
        and not re.match(r"[xX]\b", plain[end:])
    )


def _number_value(raw: str) -> float | None:
    raw = raw.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    return cn_to_float(raw)


_EN_MAGNITUDE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6,
                 "mn": 1e6, "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}  # fmt: skip
_CN_MAGNITUDE = {"万亿": 1e12, "萬億": 1e12, "亿": 1e8, "億": 1e8, "万": 1e4, "萬": 1e4, "千": 1e3, "百": 1e2,
                 "十": 1e1}  # fmt: skip


def _cn_magnitude(word: str) -> float:
    """The factor of a Chinese magnitude after Arabic digits: 万 1e4, and compounds such as 百万 1e6, 千亿
    1e11 ("5.6百万美元", "5千亿美元")."""
    if not word:
        return 1.0
    if word in _CN_MAGNITUDE:
        return _CN_MAGNITUDE[word]
    return _CN_MAGNITUDE[word[0]] * _CN_MAGNITUDE[word[1:]]


def _currency(prefix: str | None, suffix: str | None) -> tuple[str, float] | None:
    """Currency code and the factor to its base unit (cents are hundredths of a dollar)."""
    for raw in (prefix, suffix):
        if not raw:
            continue
        word = raw.strip(" -\t\n").lower().replace(" ", "")
        if word in ("us$", "usd", "u.s.$", "$", "美元", "美金", "dollar", "dollars", "usdollars", "usdollar"):
            return "USD", 1.0
        if word in ("美分", "cent", "cents"):
            return "USD", 0.01
        if word in ("rmb", "cny", "¥", "￥", "元", "元人民币", "人民币", "yuan"):
            return "CNY", 1.0
        if word in ("hk$", "港元", "港币"):
            return "HKD", 1.0
        if word in ("€", "欧元"):
            return "EUR", 1.0
        if word == "日元":
            return "JPY", 1.0
    return None


def _quantity(plain: str, text: str, match: re.Match[str]) -> Quantity | None:
    raw_number = match.group("num")
    if re.fullmatch(f"[{CN_MAGNITUDES}]+", raw_number):
        return None  # 百度, 千问, 万达: a bare magnitude character is a word, not a number
    value = _number_value(raw_number)
    if value is None:
        return None
    enmag = (match.group("enmag") or "").lower()
    currency = _currency(match.group("pcur"), match.group("scur"))
    if enmag in ("b", "m", "k") and currency is None and not _UNIT_AFTER.match(plain[match.end() :][:40]):
        # A bare "5m" or "3b" is a length or a model size name; only money or "342B tokens" scale.
        return _plain_quantity(plain, text, match.start(), match.end("num"), value)
    value *= _EN_MAGNITUDE.get(enmag, 1.0) * _cn_magnitude(match.group("cnmag") or "")
    start, end = match.start(), match.end()
    if match.group("pct"):
        return _qualified(plain, text, Quantity(value, "%", "percent", "", start, end))
    if currency is not None:
        code, factor = currency
        return _qualified(plain, text, Quantity(value * factor, code, "money", "", start, end))
    end = match.end("cnmag") if match.group("cnmag") else match.end("enmag") if enmag else match.end("num")
    return _plain_quantity(plain, text, start, end, value)


def _plain_quantity(plain: str, text: str, start: int, end: int, value: float) -> Quantity | None:
    """A count (with the noun that follows as unit), or a year."""
    is_year = re.fullmatch(r"(?:19|20)\d\d", plain[start:end]) is not None
    year_mark = re.match(r"\s*年(?!代)", plain[end:])
    if is_year and year_mark:
        return Quantity(
            value, "year", "year", text[start : end + year_mark.end()], start, end + year_mark.end()
        )
    unit_match = _UNIT_AFTER.match(plain[end : end + 40])
    if unit_match:
        unit = next(name for name, _ in _UNIT_NOUNS if unit_match.group(name))
        quantity = Quantity(value, unit, "count", "", start, end + unit_match.end())
        return _qualified(plain, text, quantity, number_end=end)
    if is_year and not re.match(r"\s*[块张片枚颗台个位名]", plain[end:]):
        return Quantity(value, "year", "year", text[start:end], start, end)
    classifier = _CLASSIFIER_ONLY.match(plain[end:])
    end += classifier.end() if classifier else 0
    return _qualified(plain, text, Quantity(value, "", "count", "", start, end))


def _qualified(plain: str, text: str, quantity: Quantity, number_end: int | None = None) -> Quantity:
    """The quantity with its approximation and bound from the words around it, and its own text."""
    start, end = quantity.start, quantity.end
    after_at = end if number_end is None else number_end
    approx, bound = quantity.approx, quantity.bound
    before = plain[max(0, start - 24) : start]
    for pattern, kind, is_approx in _BEFORE:
        if pattern.search(before):
            bound = bound or kind
            approx = approx or is_approx
            if kind != "part":
                break
    for pattern, kind, is_approx in _AFTER:
        after_match = pattern.match(plain[after_at : after_at + 8]) or pattern.match(plain[end : end + 8])
        if after_match:
            bound = bound or kind
            approx = approx or is_approx
            break
    if re.search(r"~\s*$", plain[max(0, start - 2) : start]):
        approx = True
    return Quantity(quantity.value, quantity.unit, quantity.kind, text[start:end], start, end, approx, bound,
                    quantity.high)  # fmt: skip


def _cn_percent_and_ratio(plain: str, text: str) -> list[Quantity]:
    found: list[Quantity] = []
    for match in _CN_PERCENT.finditer(plain):
        raw = match.group("num").replace("点", ".")
        value = _number_value(raw) if not re.search(r"\.", raw) or re.fullmatch(r"[\d.]+", raw) else None
        if value is not None:
            found.append(
                _qualified(plain, text, Quantity(value, "%", "percent", "", match.start(), match.end()))
            )
    for match in _CN_RATIO.finditer(plain):
        den, num = _number_value(match.group("den")), _number_value(match.group("num"))
        if den and num:
            found.append(
                _qualified(plain, text, Quantity(num / den, "", "ratio", "", match.start(), match.end()))
            )
    return found


def _merge_ranges(plain: str, text: str, found: list[Quantity]) -> list[Quantity]:
    """Join "2000～3000块", "1至2亿美元" and "between 100,000 and 1 million dollars" into one range each."""
    merged: list[Quantity] = []
    for quantity in found:
        if merged:
            low = merged[-1]
            gap = plain[low.end : quantity.start]
            joinable = re.fullmatch(_RANGE_SEP, gap) and (
                low.kind in ("count", "year", quantity.kind)
                or (quantity.kind == "count" and not quantity.unit)
            )
            if gap.strip().lower() == "and":
                joinable = joinable and bool(
                    re.search(r"between\s+\S*\s*$", plain[max(0, low.start - 12) : low.start], re.I)
                )
            if joinable and quantity.kind in ("money", "count", "percent"):
                joined = _joined_range(low, quantity, text)
                if joined is not None:
                    merged[-1] = joined
                    continue
        merged.append(quantity)
    return merged


def _joined_range(low: Quantity, high: Quantity, text: str) -> Quantity | None:
    """One range from two figures; the unit and magnitude written once apply to both ("1至2亿美元")."""
    typed, bare = (
        (low, high) if low.kind == "money" and high.kind == "count" and not high.unit else (high, low)
    )
    if bare.kind not in ("count", "year", typed.kind) or bare.unit not in ("", "year", typed.unit):
        return None
    low_value, high_value = low.value, high.value
    if typed is low or low.kind != high.kind or low.unit != high.unit:
        low_value = _rescaled(low.value, high.value)  # "$10-15 million": one magnitude for both ends
    if low_value > high_value:
        return None
    return Quantity(low_value, typed.unit, typed.kind, text[low.start : high.end], low.start, high.end,
                    low.approx, "range", high_value)  # fmt: skip


def _rescaled(low: float, high: float) -> float:
    """A low end written without its magnitude, scaled to the high end's (10 with 15e6 means 10e6)."""
    if low >= high / 10:
        return low
    for factor in (1e12, 1e9, 1e8, 1e6, 1e4, 1e3):
        if low * factor <= high and high >= factor:
            return low * factor
    return low


# --- comparison -----------------------------------------------------------------------------------


SMALLER_FLOOR = 0.1


def interval(quantity: Quantity) -> tuple[float, float]:
    """The values a quantity allows, given its approximation and bound."""
    value = quantity.value
    slack = APPROX_TOLERANCE if quantity.approx else EXACT_TOLERANCE
    if quantity.bound == "range" and quantity.high is not None:
        return value * (1 - EXACT_TOLERANCE), quantity.high * (1 + EXACT_TOLERANCE)
    if quantity.bound == "upper":
        return 0.0, value * (1 + slack)
    if quantity.bound == "lower":
        return value * (1 - slack), float("inf")
    return value * (1 - slack), value * (1 + slack)


def _in_usd(quantity: Quantity) -> Quantity:
    rate = _CURRENCY_TO_USD.get(quantity.unit)
    if quantity.kind != "money" or rate is None or quantity.unit == "USD":
        return quantity
    high = quantity.high * rate if quantity.high is not None else None
    return Quantity(quantity.value * rate, "USD", "money", quantity.text, quantity.start, quantity.end,
                    quantity.approx, quantity.bound, high)  # fmt: skip


def compare(asserted: Quantity, found: Quantity) -> Verdict:
    """Whether a figure found in an article agrees with a figure a claim asserts, conflicts, or is unrelated.

    Figures of different kinds or units are unrelated; money is compared in US dollars. An instalment
    ("$100 billion immediately") never conflicts with a larger total it may be part of, and a loose
    one-sided bound ("more than $100 billion" against $500 billion) neither confirms nor contradicts.
    """
    if asserted.kind != found.kind:
        return "unrelated"
    if asserted.kind == "date":
        return _compare_dates(asserted, found)
    cross_currency = asserted.kind == "money" and asserted.unit != found.unit
    if cross_currency:
        asserted, found = _in_usd(asserted), _in_usd(found)
    if asserted.unit != found.unit:
        return "unrelated"
    if found.bound == "part" and found.value < asserted.value:
        return "unrelated"
    low_a, high_a = interval(asserted)
    low_f, high_f = interval(found)
    if asserted.kind in ("money", "count") and high_f < asserted.value * SMALLER_FLOOR:
        # A claim's figure is a total ("under $6 million", "2,000 GPUs"): a figure a tenth of it or less is
        # another kind of thing (a price per token, a salary, the GPUs of one server), neither confirmed
        # nor contradicted by it.
        return "unrelated"
    if cross_currency:
        low_a, high_a = low_a * (1 - _FX_SLACK), high_a * (1 + _FX_SLACK)
    if not (low_f <= high_a and low_a <= high_f):
        return "conflict"
    if found.bound in ("upper", "lower") and asserted.bound != found.bound:
        near_low, near_high = low_a * (1 - APPROX_TOLERANCE), high_a * (1 + APPROX_TOLERANCE)
        return "agree" if near_low <= found.value <= near_high else "unrelated"
    return "agree"


def _compare_dates(asserted: Quantity, found: Quantity) -> Verdict:
    year_a, md_a = divmod(int(asserted.value), 10000)
    year_f, md_f = divmod(int(found.value), 10000)
    if year_a and year_f and year_a != year_f:
        return "conflict"
    return "agree" if md_a == md_f else "conflict"


def parse_quantity(text: str) -> Quantity:
    """The single quantity a short phrase states ("不到600万美元", "about 2,000 GPUs"); ValueError if none."""
    quantities = extract_quantities(text)
    if not quantities:
        raise ValueError(f"no number in {text!r}")
    return max(quantities, key=lambda q: q.end - q.start)
