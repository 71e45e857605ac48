"""Translations between Chinese and English: the same article, told by what survives translation.

Words do not survive translation, but names in Latin script, figures, dates and links do, and in the same
order. Two articles in different languages, within the story window, are one article translated when
- they share at least `MIN_SHARED` anchors (`crawler.judge.features.Anchors`),
- most anchors of the Chinese text (`MIN_ZH_COVERAGE`) reappear in the English one (a Chinese text has
  few Latin-script words, so its anchors are nearly all names, figures and dates; an English text has
  many capitalised words that are not),
- their figures agree both ways (`MIN_QUANTITY_AGREEMENT` of the larger set of quantities is shared): a
  summary or a report of the same event carries some figures of the original, a translation all of them,
- the shared anchors come in nearly the same order (`MIN_ORDER`), and
- the English text is 1.2 to 6 times as long in characters as the Chinese one.
These are strict on purpose: a false join hides an article from the digest.

With sentence embeddings, a pair the anchor rules reject is still one article translated when its
sentences align: the median, over the sentences of both texts, of each one's best cosine with a sentence
of the other reaches the model's `ALIGNED` cosine (`crawler.judge.embedding`): a translation has a
counterpart for nearly every sentence, a report of the same event for a few. Figures, length and at
least `MIN_SHARED_ALIGNED` anchors must still agree.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from crawler.judge.embedding import ALIGNED, ArticleVectors
from crawler.judge.features import Anchors, unpost
from crawler.judge.window import sweep_horizon

MIN_SHARED = 8
MIN_ZH_COVERAGE = 0.6
MIN_QUANTITY_AGREEMENT = 0.6
MIN_ORDER = 0.75
LENGTH_RATIO = (1.2, 6.0)
MIN_SHARED_ALIGNED = 3
_SHOWN = 6  # anchors named in a reason


@dataclass(frozen=True)
class TranslationMatch:
    """An earlier article this one translates (or is translated from), with the anchors they share."""

    key: int
    score: float
    shared: tuple[str, ...]
    quantities: int
    links: int
    alignment: float | None = None

    def reason(self) -> str:
        """A sentence a person can check."""
        if self.alignment is not None:
            names = ", ".join(self.shared[:_SHOWN]) or "no names"
            return (
                f"translation of #{self.key}: its sentences align (median best cosine {self.alignment:.2f}); "
                f"shares {names} ({self.quantities} figures)"
            )
        names = ", ".join(self.shared[:_SHOWN])
        more = len(self.shared) - _SHOWN
        extra = f" and {more} more" if more > 0 else ""
        links = f"; {self.links} links" if self.links else ""
        figures = f"{self.quantities} figures{links}, same order"
        return f"translation of #{self.key}: shares {names}{extra} ({figures})"


@dataclass(frozen=True)
class _Entry:
    key: int
    lang: str
    when: datetime
    length: int
    anchors: Anchors
    vectors: ArticleVectors | None = None


def compare(zh: Anchors, zh_length: int, en: Anchors, en_length: int) -> tuple[float, frozenset[str]] | None:
    """(score, shared anchors) when an English and a Chinese text are one article translated, else None."""
    shared = frozenset(zh.order) & frozenset(en.order)
    if len(shared) < MIN_SHARED or not zh_length:
        return None
    ratio = en_length / zh_length
    if not LENGTH_RATIO[0] <= ratio <= LENGTH_RATIO[1]:
        return None
    coverage = len(shared) / len(zh.order)
    if coverage < MIN_ZH_COVERAGE:
        return None
    zh_q, en_q = zh.quantities, en.quantities
    agreement = len(zh_q & en_q) / max(len(zh_q), len(en_q)) if (zh_q or en_q) else 1.0
    if agreement < MIN_QUANTITY_AGREEMENT:
        return None
    first = [f for f in zh.order if f in shared]
    second = [f for f in en.order if f in shared]
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    order = sum(block.size for block in matcher.get_matching_blocks()) / len(shared)
    if order < MIN_ORDER:
        return None
    return coverage * agreement * order, shared


def alignment(a: ArticleVectors, b: ArticleVectors) -> float:
    """Median over the sentences of both texts of each one's best cosine with a sentence of the other."""
    if not len(a.sentences) or not len(b.sentences) or a.dim != b.dim:
        return 0.0
    sims = a.sentence_vectors @ b.sentence_vectors.T
    return float(np.median(np.concatenate([sims.max(axis=1), sims.max(axis=0)])))


def compare_aligned(
    zh: Anchors,
    zh_length: int,
    en: Anchors,
    en_length: int,
    zh_vectors: ArticleVectors,
    en_vectors: ArticleVectors,
) -> tuple[float, frozenset[str]] | None:
    """(alignment, shared anchors) when the sentences of the two texts align as a translation's do."""
    shared = frozenset(zh.order) & frozenset(en.order)
    if len(shared) < MIN_SHARED_ALIGNED or not zh_length:
        return None
    if not LENGTH_RATIO[0] <= en_length / zh_length <= LENGTH_RATIO[1]:
        return None
    zh_q, en_q = zh.quantities, en.quantities
    agreement = len(zh_q & en_q) / max(len(zh_q), len(en_q)) if (zh_q or en_q) else 1.0
    if agreement < MIN_QUANTITY_AGREEMENT:
        return None
    least = ALIGNED.get(zh_vectors.model)
    if least is None or en_vectors.model != zh_vectors.model:
        return None
    aligned = alignment(zh_vectors, en_vectors)
    return (aligned, shared) if aligned >= least else None


class TranslationIndex:
    """Anchors of recent relevant articles, to find the one a new article translates."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._entries: dict[int, _Entry] = {}
        self._postings: dict[str, set[int]] = {}
        self._newest: datetime | None = None
        self._added = 0

    def __len__(self) -> int:
        return len(self._entries)

    def find(
        self,
        anchors: Anchors,
        lang: str,
        length: int,
        when: datetime,
        vectors: ArticleVectors | None = None,
    ) -> TranslationMatch | None:
        """The earlier article in the other language that this one translates, if there is one."""
        if lang not in ("zh", "en"):
            return None
        votes: Counter[int] = Counter()
        for feature in anchors.order:
            votes.update(self._postings.get(feature, ()))
        best: TranslationMatch | None = None
        least = MIN_SHARED_ALIGNED if vectors is not None else MIN_SHARED
        for key, count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:20]:
            if count < least:
                break
            entry = self._entries[key]
            if entry.lang == lang or entry.lang not in ("zh", "en") or abs(entry.when - when) > self.window:
                continue
            zh, en = ((anchors, length, vectors), (entry.anchors, entry.length, entry.vectors))[
                :: 1 if lang == "zh" else -1
            ]
            found = compare(zh[0], zh[1], en[0], en[1]) if count >= MIN_SHARED else None
            aligned = None
            if found is None and zh[2] is not None and en[2] is not None:
                found = compare_aligned(zh[0], zh[1], en[0], en[1], zh[2], en[2])
                aligned = round(found[0], 3) if found else None
            if found and (best is None or found[0] > best.score):
                score, shared = found
                shown = tuple(anchors.shown[f] for f in anchors.order if f in shared)
                quantities = sum(1 for f in shared if f.startswith("q:"))
                links = sum(1 for f in shared if f.startswith("u:"))
                best = TranslationMatch(key, round(score, 3), shown, quantities, links, aligned)
        return best

    def add(
        self,
        key: int,
        anchors: Anchors,
        lang: str,
        length: int,
        when: datetime,
        vectors: ArticleVectors | None = None,
    ) -> None:
        """Remember an article's anchors (and sentence embeddings) for later articles."""
        self._entries[key] = _Entry(key, lang, when, length, anchors, vectors)
        for feature in anchors.order:
            self._postings.setdefault(feature, set()).add(key)
        self._newest = when if self._newest is None else max(self._newest, when)
        self._expire()

    def _expire(self) -> None:
        """Forget articles out of every window (every `SWEEP_EVERY` additions: a sweep reads them all)."""
        self._added += 1
        horizon = sweep_horizon(self._added, self._newest, self.window)
        if horizon is None:
            return
        for key in [k for k, e in self._entries.items() if e.when < horizon]:
            unpost(self._postings, self._entries.pop(key).anchors.order, key)
