"""Plain values that judgements take and give: no I/O, no framework types."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Literal, Protocol

from crawler.judge.embedding import ArticleVectors, stored_vectors

Stance = Literal["supports", "disputes", "mentions"]
DuplicateKind = Literal["exact", "near", "translation"]


@dataclass(frozen=True)
class ClaimMatch:
    """What one article says about one claim of a seed, with the sentence that shows it."""

    claim_id: str
    stance: Stance
    score: float
    evidence: str
    seed: str = ""


@dataclass(frozen=True, kw_only=True)
class StoredArticle:
    """An article with what was judged about it: the one model from the judge through storage to the digest.

    Storage takes it (`ArticleRepo.add`, `JudgementRepo.apply`) and gives it back (`JudgementRepo.judged`,
    `DigestQueries.window`); the judge assesses it (`key` 0 before it is stored, the judged fields still
    empty) and the digest composes it. A read fills what its query promises and leaves the rest at the
    defaults: `judged` gives no claim matches, nor the text and embeddings of old articles; `story_members`
    gives no text; `window` gives irrelevant articles only their key and fetch time (they are only counted).
    """

    key: int = 0  # its stored id
    url: str
    canonical_url: str = ""  # the address it is stored under ("" before it is stored: its url)
    outlet: str = ""
    title: str = ""
    text: str = ""
    lang: str = ""
    fetched: datetime = field(default_factory=lambda: datetime.now(UTC))  # as the table's default
    published: datetime | None = None
    relevant: bool = True
    topics: tuple[str, ...] = ()
    # where it came from and how it was read
    source_id: int | None = None
    author: str | None = None
    summary: str | None = None
    extraction: str = "full"  # full | summary (the feed's summary, when the page could not be extracted)
    extraction_note: str | None = None
    # what was judged (empty until it is)
    relevance: float = 0.0
    irrelevant_reason: str | None = None
    content_hash: str = ""
    signature: bytes | None = None  # `crawler.judge.minhash.Signature.to_bytes()`
    duplicate_of: int | None = None
    duplicate_kind: DuplicateKind | None = None
    duplicate_score: float | None = None
    duplicate_reason: str | None = None
    story: int | None = None
    novelty: float | None = None
    claims: tuple[ClaimMatch, ...] = ()
    embedding: bytes | None = None  # `ArticleVectors.to_bytes()`, when a backend is on
    judged_at: datetime | None = None

    @property
    def when(self) -> datetime:
        """When it appeared: its publication time, else when we fetched it."""
        return self.published or self.fetched

    def with_judgement(self, judgement: Judgement) -> StoredArticle:
        """This article judged so: its hash and signature, copy, story, novelty, claims and embeddings."""
        duplicate = judgement.duplicate
        return replace(
            self,
            content_hash=judgement.content_hash,
            signature=judgement.signature,
            duplicate_of=duplicate.of if duplicate else None,
            duplicate_kind=duplicate.kind if duplicate else None,
            duplicate_score=duplicate.score if duplicate else None,
            duplicate_reason=duplicate.reason if duplicate else None,
            story=judgement.story,
            novelty=judgement.novelty,
            claims=judgement.claims,
            embedding=judgement.embedding,
        )

    @cached_property
    def vectors(self) -> ArticleVectors | None:
        """Its stored embeddings, read (None without any, or unreadable: `rejudge` renews them)."""
        return stored_vectors(self.key, self.embedding)


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
