"""Is an article coverage of a watched topic? Only its extracted title and body count.

A topic counts when the title names it, or when at least one paragraph of the body is about it (names it
more than once, or names it beside the topic's related names); a single passing mention does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from crawler.judge.text import split_paragraphs
from crawler.judge.types import Relevance, TopicTerms


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


def topic_score(title: str, paragraphs: Sequence[str], topic: TopicTerms) -> tuple[float, str]:
    """A score in [0, 1] for one topic, and a short account of the evidence."""
    in_title = count_terms(title, topic.aliases)
    about = 0
    passing = 0
    for paragraph in paragraphs:
        hits = count_terms(paragraph, topic.aliases)
        if not hits:
            continue
        related = count_terms(paragraph, topic.related)
        if hits >= 2 or related >= 1:
            about += 1
        else:
            passing += 1
    score = 0.0
    if in_title:
        score += 0.6
    score += min(0.8, 0.5 * about + (0.2 if about >= 2 else 0.0))
    score += min(0.2, 0.1 * passing) if (about or in_title) else min(0.3, 0.15 * passing)
    account = f"title {in_title}, paragraphs about it {about}, passing mentions {passing}"
    return min(score, 1.0), account


def score_relevance(
    title: str, text: str, topics: Sequence[TopicTerms], threshold: float = 0.5
) -> Relevance:
    """Relevance of one article to the watched topics, with the reason when it is not relevant."""
    paragraphs = split_paragraphs(text)
    scores: dict[str, tuple[float, str]] = {t.name: topic_score(title, paragraphs, t) for t in topics}
    matched = tuple(name for name, (score, _) in scores.items() if score >= threshold)
    best = max((score for score, _ in scores.values()), default=0.0)
    if matched:
        return Relevance(score=best, relevant=True, topics=matched)
    if best == 0.0:
        reason = "no watched topic is named in the title or body"
    else:
        name, (score, account) = max(scores.items(), key=lambda item: item[1][0])
        reason = f"{name} only mentioned in passing ({account}; score {score:.2f} < {threshold:.2f})"
    return Relevance(score=best, relevant=False, topics=(), reason=reason)
