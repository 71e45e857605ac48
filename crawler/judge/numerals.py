"""Chinese numerals, full-width digits and dates, for `crawler.judge.numbers`.

Pure functions over `str`. Full-width ASCII is translated character for character, so offsets found
in the translated text index the original.
"""

from __future__ import annotations

import re

CN_DIGITS = "零〇一二两兩三四五六七八九"
CN_MAGNITUDES = "十百千万萬亿億"
_CN_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "兩": 2}
_CN_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000}
_CN_SECTION_VALUE = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
# Full-width ASCII (U+FF01..U+FF5E) maps one-to-one onto ASCII, so offsets survive the translation.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_EN_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1, "half a": 0.5,
}  # fmt: skip
# English number words before a magnitude ("two thousand", "six million", "half a trillion", "five hundred
# billion"), written as digits padded with spaces so that offsets survive.
_EN_WORD_NUMBER = re.compile(
    r"(?<![A-Za-z])(?P<unit>half a|" + "|".join(w for w in _EN_UNITS if w != "half a") + r")"
    r"(?P<hundred>[\s-]+hundred)?(?=[\s-]+(?:thousand|million|billion|trillion)\b)",
    re.IGNORECASE,
)


def _digits_for_words(match: re.Match[str]) -> str:
    value = _EN_UNITS[match.group("unit").lower()] * (100 if match.group("hundred") else 1)
    digits = f"{value:g}"
    return digits + " " * (len(match.group()) - len(digits))


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and signs as ASCII, character for character, and English number words
    before a magnitude as digits padded with spaces ("two thousand" -> "2   thousand"): offsets unchanged."""
    plain = text.translate(_HALFWIDTH)
    if re.search(r"thousand|million|billion|trillion", plain, re.IGNORECASE):
        plain = _EN_WORD_NUMBER.sub(_digits_for_words, plain)
    return plain


def cn_to_float(raw: str) -> float | None:
    """The value of a Chinese numeral ("两千" 2000, "五千亿" 5e11, "一万" 1e4), digits allowed ("1.5万")."""
    total, section, digit = 0.0, 0.0, None
    number = re.match(r"\d+(?:\.\d+)?", raw)
    if number:
        digit, raw = float(number.group()), raw[number.end() :]
    for char in raw:
        if char in _CN_DIGIT_VALUE:
            digit = float(_CN_DIGIT_VALUE[char])
        elif char in _CN_UNIT_VALUE:
            section += (1.0 if digit is None else digit) * _CN_UNIT_VALUE[char]
            digit = None
        elif char in _CN_SECTION_VALUE:
            factor = _CN_SECTION_VALUE[char]
            block = section + (digit or 0.0)
            # "万亿" multiplies what came before once more; "五千亿" is (5*1000)*1e8.
            total = (total + block) * factor if block == 0 and total else total + (block or 1.0) * factor
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0.0)


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_EN_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATES = [
    re.compile(r"(?:(?P<year>(?:19|20)\d\d)\s*年\s*)?(?P<month>1[0-2]|0?[1-9])\s*月\s*(?P<day>3[01]|[12]\d|0?[1-9])\s*[日号號]"),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>1[0-2]|0[1-9])-(?P<day>3[01]|[12]\d|0[1-9])(?!\d)"),
    re.compile(rf"(?<![A-Za-z]){_EN_MONTH}\s+(?P<day>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<year>(?:19|20)\d\d))?"),
    re.compile(rf"(?<!\d)(?P<day>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+(?:of\s+)?{_EN_MONTH}(?![a-z])(?:,?\s+(?P<year>(?:19|20)\d\d))?"),
]  # fmt: skip
_DAY_ONLY = re.compile(r"(?<![\d月])(?P<day>3[01]|[12]\d|0?[1-9])\s*[日号號](?![本元圆币])")


def find_dates(plain: str, default_year: int | None = None) -> list[tuple[int, int, int]]:
    """Dates in the text as (start, end, YYYYMMDD); year 0 when neither the text nor the default gives one.

    A date without a year takes the year of the closest earlier date that has one, else `default_year`;
    a day alone ("21日") takes the month of the date just before it ("1月20日 ... 第二天也就是21日").
    """
    spans: list[tuple[int, int, int | None, int, int]] = []
    for pattern in _DATES:
        for match in pattern.finditer(plain):
            if any(match.start() < b and a < match.end() for a, b, *_ in spans):
                continue
            groups = match.groupdict()
            month = _MONTHS[groups["mon"][:3].lower()] if groups.get("mon") else int(groups["month"])
            year = int(groups["year"]) if groups.get("year") else None
            spans.append((match.start(), match.end(), year, month, int(groups["day"])))
    spans.sort()
    found: list[tuple[int, int, int]] = []
    last_year = default_year
    for start, end, own_year, month, day in spans:
        last_year = own_year or last_year
        found.append((start, end, (last_year or 0) * 10000 + month * 100 + day))
    for match in _DAY_ONLY.finditer(plain):
        if any(match.start() < end and start < match.end() for start, end, _ in found):
            continue
        previous = [value for _, end, value in found if end <= match.start() and match.start() - end < 300]
        if previous:
            found.append((match.start(), match.end(), previous[-1] // 100 * 100 + int(match.group("day"))))
    return sorted(found)
