"""Novelty: the share of an article's sentences that tell something its story had not told yet.

A sentence is *not* new when a seed claim covers it (`ClaimMatcher.covers`), or when an earlier article of
its story has a sentence that holds most of its content (`REPEATED` of its terms: words stemmed, Chinese
as character pairs, names, figures) and it brings no figure the story has not given before. That counts
copies and rewrites (reordered clauses, synonyms around the same names and numbers) as repeats, and a
sentence with a new figure, name or statement as new. Sentences with fewer than `MIN_TERMS` terms
("Read more.", datelines) are not counted either way.

With sentence embeddings, a sentence is also a repeat when an earlier sentence of its story, in any
language, has at least the model's `SAME_SENTENCE` cosine with it and it brings no new figure: a
translation or a paraphrase of what was told tells nothing new.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from crawler.judge.embedding import SAME_SENTENCE, ArticleVectors
from crawler.judge.features import EN_STOPWORDS, ZH_STOPWORDS
from crawler.judge.window import sweep_horizon

REPEATED = 0.5
MIN_TERMS = 3

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|\d+(?:[.,]\d+)*|[^\W\d_]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ZH_STOP_PAIRS = frozenset(w for w in ZH_STOPWORDS if len(w) == 2)


def terms(sentence: str) -> frozenset[str]:
    """The content terms of a sentence: stemmed words, Chinese character pairs, figures (as ``#...``)."""
    out: set[str] = set()
    for token in _TOKEN.findall(sentence.lower()):
        if _CJK.match(token):
            pairs = {token[i : i + 2] for i in range(len(token) - 1)} if len(token) > 1 else {token}
            out.update(p for p in pairs if p not in _ZH_STOP_PAIRS)
        elif token[0].isdigit():
            out.add("#" + token.replace(",", ""))
        elif len(token) > 2 and token not in EN_STOPWORDS:
            out.add(_stem(token))
    return frozenset(out)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass
class _StorySentences:
    sentences: list[frozenset[str]] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    figures: set[str] = field(default_factory=set)
    distinct: set[frozenset[str]] = field(default_factory=set)
    last_seen: datetime | None = None
    vectors: list[npt.NDArray[np.float32]] = field(default_factory=list)

    def add(self, sentence_terms: frozenset[str]) -> None:
        if sentence_terms in self.distinct:
            return  # a sentence told again changes no overlap `repeats` finds; its postings only grew
        self.distinct.add(sentence_terms)
        index = len(self.sentences)
        self.sentences.append(sentence_terms)
        for term in sentence_terms:
            self.postings.setdefault(term, []).append(index)
            if term.startswith("#"):
                self.figures.add(term)

    def repeats(self, sentence_terms: frozenset[str]) -> bool:
        """Whether an earlier sentence holds most of this one and no figure here is new to the story."""
        if any(t.startswith("#") and t not in self.figures for t in sentence_terms):
            return False
        overlap: Counter[int] = Counter()
        for term in sentence_terms:
            overlap.update(self.postings.get(term, ()))
        if not overlap:
            return False
        _, best = overlap.most_common(1)[0]
        return best / len(sentence_terms) >= REPEATED

    def restates(
        self, sentence_terms: frozenset[str], vector: npt.NDArray[np.float32] | None, least: float | None
    ) -> bool:
        """Whether an earlier sentence says the same in other words or another language (embeddings)."""
        if vector is None or least is None or not self.vectors or len(self.vectors[0]) != len(vector):
            return False
        if any(t.startswith("#") and t not in self.figures for t in sentence_terms):
            return False
        return float(np.max(np.vstack(self.vectors) @ vector)) >= least


class NoveltyIndex:
    """Sentence terms of the recent articles of each story."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._stories: dict[int, _StorySentences] = {}
        self._newest: datetime | None = None
        self._added = 0

    def novelty(
        self,
        sentences: Sequence[str],
        story: int | None,
        covered: Callable[[str], bool],
        vectors: ArticleVectors | None = None,
    ) -> float:
        """Share of the counted sentences that neither a claim covers nor the story told before."""
        earlier = self._stories.get(story) if story is not None else None
        embedded = _embedded(vectors)
        least = SAME_SENTENCE.get(vectors.model) if vectors is not None else None
        counted = new = 0
        for sentence in sentences:
            sentence_terms = terms(sentence)
            if len(sentence_terms) < MIN_TERMS:
                continue
            counted += 1
            if covered(sentence) or (
                earlier is not None
                and (
                    earlier.repeats(sentence_terms)
                    or earlier.restates(sentence_terms, embedded.get(sentence), least)
                )
            ):
                continue
            new += 1
        return round(new / counted, 3) if counted else 0.0

    def add(
        self, story: int, sentences: Sequence[str], when: datetime, vectors: ArticleVectors | None = None
    ) -> None:
        """Remember an article's sentences (and their embeddings) as told in its story."""
        found = self._stories.setdefault(story, _StorySentences())
        embedded = _embedded(vectors)
        for sentence in sentences:
            sentence_terms = terms(sentence)
            if len(sentence_terms) >= MIN_TERMS:
                found.add(sentence_terms)
                if sentence in embedded:
                    found.vectors.append(embedded[sentence])
        found.last_seen = when if found.last_seen is None else max(found.last_seen, when)
        self._newest = when if self._newest is None else max(self._newest, when)
        self._added += 1
        horizon = sweep_horizon(self._added, self._newest, self.window)
        if horizon is None:
            return
        for ident in [i for i, s in self._stories.items() if s.last_seen and s.last_seen < horizon]:
            del self._stories[ident]


def _embedded(vectors: ArticleVectors | None) -> dict[str, npt.NDArray[np.float32]]:
    if vectors is None:
        return {}
    return dict(zip(vectors.sentences, vectors.sentence_vectors, strict=True))
