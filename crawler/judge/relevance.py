"""Is an article coverage of a watched topic? Only its extracted title and body count.

A topic counts when the title names it, when a paragraph (or a roundup item: a short heading and the
paragraph under it) is about it, or when the body keeps coming back to it in prose. A paragraph is about
a topic when two of its sentences name it, or one names it and another names something that goes with
it (the topic's related names: its people, backers, products). A single passing mention does not make
an article relevant, nor do short lines such as a sidebar's or a menu's headlines, however many.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from crawler.judge.text import split_paragraphs, split_sentences
from crawler.judge.types import Relevance, TopicTerms

# What each kind of evidence adds to a topic's score (relevant from the threshold, 0.5 by default).
TITLE_WEIGHT = 0.6
ABOUT_WEIGHT = 0.5
PROSE_WEIGHT = 0.25  # a sentence of prose naming the topic in passing
LINE_WEIGHT = 0.1  # a short line (headline, link, menu entry) naming it
LINE_CAP = 0.3  # lines alone never make an article relevant
# Below this length, and without a sentence end, a paragraph is a line: a heading, a link, a menu entry.
LINE_CHARS = 60
_SENTENCE_END = re.compile(r"[。！？.!?]\s*[”」』\"')）]*\s*$")


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for all terms; Latin terms match whole words only."""
    parts = []
    for term in sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True):
        escaped = re.escape(term).replace(r"\ ", r"[\s\-]?")
        if re.match(r"[A-Za-z0-9$]", term):
            escaped = r"(?<![A-Za-z0-9])" + escaped
        if re.search(r"[A-Za-z0-9]$", term):
            escaped += r"(?![A-Za-z0-9])"
        parts.append(escaped)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def count_terms(text: str, terms: Iterable[str]) -> int:
    """How many times any of the terms occurs in the text."""
    pattern = _pattern(tuple(terms))
    return len(pattern.findall(text)) if pattern else 0


@dataclass
class _Evidence:
    in_title: int = 0
    about: int = 0
    prose: int = 0
    lines: int = 0

    def score(self) -> float:
        score = TITLE_WEIGHT if self.in_title else 0.0
        score += min(0.8, ABOUT_WEIGHT * self.about + (0.2 if self.about >= 2 else 0.0))
        score += PROSE_WEIGHT * self.prose
        score += min(LINE_CAP, LINE_WEIGHT * self.lines)
        return min(score, 1.0)

    def account(self) -> str:
        return (
            f"title {self.in_title}, paragraphs about it {self.about}, passing mentions in prose "
            f"{self.prose}, in short lines {self.lines}"
        )


def _is_line(paragraph: str) -> bool:
    return len(paragraph) < LINE_CHARS and not _SENTENCE_END.search(paragraph)


def topic_score(title: str, paragraphs: Sequence[str], topic: TopicTerms) -> tuple[float, str]:
    """A score in [0, 1] for one topic, and a short account of the evidence."""
    evidence = _Evidence(in_title=count_terms(title, topic.aliases))
    for index, paragraph in enumerate(paragraphs):
        if not count_terms(paragraph, topic.aliases):
            continue
        sentences = split_sentences(paragraph)
        naming = [s for s in sentences if count_terms(s, topic.aliases)]
        related = [s for s in sentences if s not in naming and count_terms(s, topic.related)]
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        if len(naming) >= 2 or (naming and related):
            evidence.about += 1
        elif _is_line(paragraph):
            # A heading whose item continues below it is a roundup item; a lone link is a sidebar's.
            if (
                following
                and not _is_line(following)
                and count_terms(following, (*topic.aliases, *topic.related))
            ):
                evidence.about += 1
            else:
                evidence.lines += 1
        else:
            evidence.prose += 1
    return evidence.score(), evidence.account()


def score_relevance(title: str, text: str, topics: Sequence[TopicTerms], threshold: float = 0.5) -> Relevance:
    """Relevance of one article to the watched topics, with the reason when it is not relevant."""
    paragraphs = split_paragraphs(text)
    scores: dict[str, tuple[float, str]] = {t.name: topic_score(title, paragraphs, t) for t in topics}
    matched = tuple(name for name, (score, _) in scores.items() if score >= threshold)
    best = max((score for score, _ in scores.values()), default=0.0)
    if matched:
        return Relevance(score=round(best, 3), relevant=True, topics=matched)
    if best == 0.0:
        reason = "no watched topic is named in the title or body"
    else:
        name, (score, account) = max(scores.items(), key=lambda item: item[1][0])
        reason = f"{name} only mentioned in passing ({account}; score {score:.2f} < {threshold:.2f})"
    return Relevance(score=round(best, 3), relevant=False, topics=(), reason=reason)
