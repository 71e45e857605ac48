"""Propose the check-worthy claims of a new seed article, as a draft claims file for a person to edit.

A sentence is check-worthy when it carries what a reader can verify: figures (money, counts, dates,
percentages), named people and organisations, quotations and attributions ("X said", "据…称"). The
draft lists the best of them with the names and figures found, in the schema of seeds/*/claims.yaml,
marked `draft: true`. Pure: text in, text out (jieba's dictionary is loaded on first use).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml

from crawler.judge.numbers import Quantity, extract_quantities
from crawler.judge.text import detect_lang, split_sentences

_QUOTE = re.compile(r"[“「『\"][^”」』\"]{4,}[”」』\"]")
_ATTRIBUTION = re.compile(
    r"(?:表示|说道?|称|认为|指出|透露|强调|宣布|声称|号称|据.{1,12}(?:报道|称|消息)|援引)"
    r"|\b(?:said|says|told|stated|claimed|claims|announced|according to|argued|warned|reported)\b",
    re.IGNORECASE,
)
# Capitalised words in a row ("Masayoshi Son", "High-Flyer", "OpenAI") are names in English text.
_EN_NAME = re.compile(r"\b(?:[A-Z][a-zA-Z0-9\-]+|[A-Z]{2,})(?:\s+(?:[A-Z][a-zA-Z0-9\-]+|[A-Z]{2,}))*")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN_NOT_NAMES = _word_set(
    "The A An In On At For And But Or If When While This That These Those It Its He She They We I You "
    "His Her Their Our After Before Since As By From With To Of Yet So Also Then Now Here There "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)
_EN_STOP = _word_set(
    "about above after again against also because been before being between both could does doing during "
    "each from further have having here into itself just more most other over same should some such than "
    "that their them then there these they this those through under until very what when where which while "
    "will with would your said says year years"
)
_ZH_NAME_TAGS = ("nr", "nt", "ns", "nz", "eng")
_ZH_KEYWORD_TAGS = ("n", "vn", "nz", "an")
MIN_CHARS = 12
MAX_CHARS = 300


@dataclass(frozen=True)
class DraftClaim:
    """A sentence proposed as a claim, with why, and the names, words and figures that recognise it."""

    sentence: str
    reasons: tuple[str, ...]
    names: tuple[str, ...]
    keywords: tuple[str, ...]
    quantities: tuple[Quantity, ...]

    @property
    def weight(self) -> int:
        """How check-worthy: one point per kind of evidence, figures and quotes counting double."""
        return len(self.reasons) + ("figures" in self.reasons) + ("quotation" in self.reasons)


def _zh_terms(sentence: str) -> tuple[list[str], list[str]]:
    import jieba.posseg  # loaded on first use: its dictionary takes a second

    names: list[str] = []
    keywords: list[str] = []
    for pair in jieba.posseg.cut(sentence):
        word, tag = pair.word.strip(), pair.flag
        if len(word) < 2 or re.fullmatch(r"[\d.,%]+", word):
            continue
        if tag in _ZH_NAME_TAGS or (tag == "eng" and word[0].isupper()):
            names.append(word)
        elif tag in _ZH_KEYWORD_TAGS:
            keywords.append(word)
    return names, keywords


def _en_terms(sentence: str) -> tuple[list[str], list[str]]:
    names = []
    for match in _EN_NAME.finditer(sentence):
        words = [w for w in match.group().split() if w not in _EN_NOT_NAMES]
        if words and (match.start() > 0 or len(words) > 1 or any(c.isupper() for c in words[0][1:])):
            names.append(" ".join(words))
    keywords = [
        w.lower()
        for w in re.findall(r"[A-Za-z][a-z\-]{3,}", sentence)
        if w.lower() not in _EN_STOP and w not in _EN_NOT_NAMES
    ]
    return names, keywords


def assess(sentence: str, lang: str) -> DraftClaim:
    """What makes one sentence check-worthy (possibly nothing)."""
    # A count says something checkable only with what it counts ("2,048 GPUs", not "21").
    quantities = tuple(
        q
        for q in extract_quantities(sentence)
        if q.kind in ("money", "percent", "date") or (q.kind == "count" and q.unit)
    )
    names, keywords = _zh_terms(sentence) if lang == "zh" else _en_terms(sentence)
    reasons = []
    if quantities:
        reasons.append("figures")
    if names:
        reasons.append("names")
    if _QUOTE.search(sentence):
        reasons.append("quotation")
    if _ATTRIBUTION.search(sentence):
        reasons.append("attribution")
    unique_names = tuple(dict.fromkeys(names))
    unique_keywords = tuple(k for k in dict.fromkeys(keywords) if k not in unique_names)
    return DraftClaim(sentence, tuple(reasons), unique_names, unique_keywords, quantities)


def propose_claims(text: str, lang: str | None = None, max_claims: int = 25) -> list[DraftClaim]:
    """The most check-worthy sentences of an article, in their order in the article."""
    lang = lang or detect_lang(text)
    candidates = []
    for index, sentence in enumerate(split_sentences(text)):
        if not MIN_CHARS <= len(sentence) <= MAX_CHARS:
            continue
        draft = assess(sentence, lang)
        if draft.weight >= 2 and (draft.names or draft.quantities):
            candidates.append((index, draft))
    best = sorted(candidates, key=lambda item: (-item[1].weight, item[0]))[:max_claims]
    return [draft for _, draft in sorted(best, key=lambda item: item[0])]


def _quantity_entry(quantity: Quantity, year: int) -> dict[str, object]:
    if quantity.kind == "date":
        if quantity.iso.startswith("--"):
            value = f"{year}{quantity.iso[1:]}"
            return {"kind": "date", "value": value, "conflict": "ignore", "text": quantity.text,
                    "note": "the article gives no year; check it"}  # fmt: skip
        return {"kind": "date", "value": quantity.iso, "conflict": "ignore", "text": quantity.text}
    entry: dict[str, object] = {"kind": quantity.kind, "value": quantity.value}
    if quantity.unit and quantity.kind != "percent":
        entry["unit"] = quantity.unit
    if quantity.approx:
        entry["approx"] = True
    if quantity.bound in ("upper", "lower"):
        entry["bound"] = quantity.bound
    entry["text"] = quantity.text
    return entry


def _claim_entry(number: int, draft: DraftClaim, lang: str, year: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": f"claim-{number:02d}",
        "claim": {lang: draft.sentence},
        "note": f"proposed because of: {', '.join(draft.reasons)}; edit the wording, words and cues",
    }
    if draft.names:
        entry["about"] = list(draft.names[:4])
    words = list(draft.keywords[:4])
    if draft.names and words:
        entry["asserts"] = [[list(draft.names[:4]), words]]
    elif words or draft.names:
        entry["touches"] = [[words or list(draft.names[:4])]]
    entry["disputes"] = [["doubt_words", words or list(draft.names[:4])]] if (words or draft.names) else []
    quantities = [_quantity_entry(q, year) for q in draft.quantities]
    if quantities:
        entry["quantities"] = quantities
    return entry


DRAFT_HEADER = """\
# DRAFT claims of the seed {seed!r}, proposed by `seedwatch seeds add` from {source} on {when}.
# A person must edit this file before it is any good: keep the claims worth checking, write each one in
# Chinese and English, give its people and organisations all their names (terms:), its words in both
# languages (asserts/touches), and the cues that dispute it; then set `draft: false`.
# The schema is documented at the top of seeds/deepseek-stargate/claims.yaml.
"""

DOUBT_WORDS = [
    "质疑", "怀疑", "存疑", "争议", "夸大", "误导", "不实", "辟谣", "否认", "有待验证",
    "doubt*", "skeptic*", "sceptic*", "questioned", "disputed", "misleading", "exaggerat*",
    "overstat*", "not true", "debunk*", "denied", "unverified",
]  # fmt: skip


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases: a person edits each list where it stands."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def render_draft(
    seed: str, lang: str, claims: Sequence[DraftClaim], source: str, year: int | None = None
) -> str:
    """The draft claims file (YAML text, loadable by `crawler.judge.claims.load_claim_set`); dates the
    article gives without a year get `year` (default: this year), flagged for checking."""
    document: dict[str, object] = {
        "seed": seed,
        "language": lang,
        "draft": True,
        "article": f"article.{lang}.txt",
        "terms": {"doubt_words": DOUBT_WORDS},
        "doubt": ["doubt_words"],
        "claims": [
            _claim_entry(i + 1, draft, lang, year or datetime.now(UTC).year) for i, draft in enumerate(claims)
        ],
    }
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    body = yaml.dump(document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=110)
    return DRAFT_HEADER.format(seed=seed, source=source, when=when) + "\n" + body
