"""Text helpers shared by every judgement: normalising, hashing, language and sentence splitting.

Pure functions over `str`; Chinese and English alike.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_SPACE = re.compile(r"\s+")
_KEEP = re.compile(r"[\W_]+", re.UNICODE)

# Sentence ends: Chinese full stops always; Latin ones when followed by space and not after a
# known abbreviation or a single capital (initials), handled in `split_sentences`.
_ZH_END = re.compile(
    r"(?<=[。！？；…])(?![”」』\"'）)])|(?<=[。！？][”」』\"'）)])|(?<=[!?])(?=[\u4e00-\u9fff])"
)
_EN_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof inc ltd co corp jr sr st vs etc e.g i.e u.s u.k fig jan feb mar apr jun jul aug "
    "sep sept oct nov dec gov sen rep gen mt approx est dept univ".split()
)


def normalize_text(text: str) -> str:
    """NFKC, lower case, one space between words: the form that hashes and shingles are taken of."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def compact_text(text: str) -> str:
    """Normalised text without punctuation or spaces: robust to re-typesetting of a copy."""
    return _KEEP.sub("", normalize_text(text))


def content_hash(text: str) -> str:
    """A stable hash of the text's words, the same for copies that differ only in spacing or punctuation."""
    return hashlib.sha256(compact_text(text).encode("utf-8")).hexdigest()


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among CJK characters and Latin words (a Latin word counts as one)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    total = cjk + latin
    return cjk / total if total else 0.0


def detect_lang(text: str, hint: str | None = None) -> str:
    """`zh` or `en` by script; a page's own declaration (`hint`) wins when the script agrees."""
    ratio = cjk_ratio(text[:20000])
    script = "zh" if ratio >= 0.3 else "en"
    if hint:
        declared = hint.strip().lower().replace("_", "-").split("-")[0]
        if declared == script or (declared not in ("zh", "en") and script == "en" and ratio < 0.05):
            return declared
    return script


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of an extracted text (extractors put one paragraph per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_sentences(text: str) -> list[str]:
    """Sentences of a Chinese, English or mixed text, in order; paragraphs never run together."""
    sentences: list[str] = []
    for paragraph in split_paragraphs(text):
        for chunk in _ZH_END.split(paragraph):
            sentences.extend(_split_latin(chunk))
    return [s for s in (s.strip() for s in sentences) if s]


def _split_latin(chunk: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _EN_END.finditer(chunk):
        before = chunk[start : match.start()].rstrip("\"'”’)]")
        last_word = before.rsplit(None, 1)[-1] if before.split() else ""
        word = last_word.rstrip(".!?").lower()
        if (
            word in _ABBREVIATIONS
            or (len(word) == 1 and word.isalpha())
            or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)
        ):
            continue
        parts.append(chunk[start : match.start()])
        start = match.end()
    parts.append(chunk[start:])
    return parts
