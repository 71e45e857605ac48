"""Plain values that judgements take and give: no I/O, no framework types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from crawler.judge.embedding import ArticleVectors

Stance = Literal["supports", "disputes", "mentions"]
DuplicateKind = Literal["exact", "near", "translation"]


@dataclass(frozen=True)
class Doc:
    """An article as judgement sees it."""

    key: int
    url: str
    outlet: str
    title: str
    text: str
    lang: str
    fetched: datetime
    published: datetime | None = None
    relevant: bool = True
    topics: tuple[str, ...] = ()
    vectors: ArticleVectors | None = None  # its stored embeddings, when it has them

    @property
    def when(self) -> datetime:
        """When it appeared: its publication time, else when we fetched it."""
        return self.published or self.fetched


@dataclass(frozen=True)
class TopicTerms:
    """A watched topic: names that make an article about it, and names that count only beside those."""

    name: str
    aliases: tuple[str, ...]
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Relevance:
    """Whether an article is coverage of a watched topic, and why not when it is not."""

    score: float
    relevant: bool
    topics: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class ClaimMatch:
    """What one article says about one claim of a seed, with the sentence that shows it."""

    claim_id: str
    stance: Stance
    score: float
    evidence: str
    seed: str = ""


@dataclass(frozen=True)
class DuplicateVerdict:
    """The article copies another (by key), how closely, and why we think so."""

    of: int
    kind: DuplicateKind
    score: float
    reason: str


@dataclass(frozen=True)
class Judgement:
    """Everything judged about one article."""

    content_hash: str
    signature: bytes
    duplicate: DuplicateVerdict | None = None
    story: int | None = None
    story_title: str = ""
    claims: tuple[ClaimMatch, ...] = field(default_factory=tuple)
    novelty: float | None = None
    # `outlet_lines.line_hash` of each distinct line of the page: one more page of its outlet carried them
    # (empty for copies, which are no evidence of boilerplate)
    lines: tuple[str, ...] = ()
    # `crawler.judge.embedding.ArticleVectors.to_bytes()` of a relevant article, when a backend is on
    embedding: bytes | None = None


class ClaimMatcher(Protocol):
    """The claims of one seed, able to find them in an article (see `crawler.judge.claims`)."""

    seed: str

    def match(self, title: str, text: str, lang: str) -> list[ClaimMatch]:
        """The seed's claims this article addresses, each with stance, score and evidence sentence."""
        ...

    def covers(self, sentence: str) -> bool:
        """Whether a sentence restates (or addresses) any of the seed's claims."""
        ...
