"""What the spiders yield: one extracted article with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the judge loads numpy and jieba: a spider process imports items before it needs them
    from crawler.judge.core import Prepared
    from crawler.judge.types import Judgement, Relevance


@dataclass
class ArticleItem:
    """An article page fetched and extracted (or, when extraction failed, its feed summary)."""

    url: str
    canonical_url: str
    source_name: str
    outlet: str
    title: str
    text: str
    lang: str
    fetched_at: datetime
    source_id: int | None = None
    urls: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    author: str | None = None
    summary: str | None = None
    extraction: str = "full"
    extraction_note: str | None = None
    relevance: float = 0.0
    relevant: bool = False
    topics: list[str] = field(default_factory=list)
    irrelevant_reason: str | None = None
    relevance_judged: bool = False
    prepared: Prepared | None = None  # computed beside extraction
    judgement: Judgement | None = None  # set by JudgePipeline
    judged_generation: int = -1  # the judge's state when it was assessed
    judge_when_stored: bool = False  # set by JudgePipeline when StoragePipeline assesses it instead
    article_id: int | None = None  # set by StoragePipeline

    def set_relevance(self, verdict: Relevance) -> None:
        """Take a relevance verdict."""
        self.relevance = verdict.score
        self.relevant = verdict.relevant
        self.topics = list(verdict.topics)
        self.irrelevant_reason = verdict.reason
        self.relevance_judged = True

    @property
    def outcome(self) -> str:
        """How the run counts it: new, duplicate or irrelevant."""
        if self.judgement is not None and self.judgement.duplicate is not None:
            return "duplicate"
        return "new" if self.relevant else "irrelevant"
