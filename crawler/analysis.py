"""Everything done to one fetched page that needs no other article: extraction, relevance and the
per-article part of judging (`crawler.judge.core.prepare`), sentence embeddings included when
`judge.embedding_backend` is on.

It runs where the CPU is free — in the crawl's extraction worker processes — so that the crawl process
itself only does what needs shared state (copies, stories, novelty) and storage. Pure functions over
plain values; the claim sets are loaded once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from crawler.config import Settings
from crawler.extract import Extracted, extract_article
from crawler.judge.claims import ClaimSet, load_claim_set
from crawler.judge.core import Prepared, prepare
from crawler.judge.embedding import load_encoder
from crawler.judge.relevance import score_relevance
from crawler.judge.text import detect_lang
from crawler.judge.types import Relevance, TopicTerms
from crawler.seeds import claims_file


@dataclass(frozen=True)
class AnalysisContext:
    """What analysing a page needs from the settings, as plain (picklable) values."""

    topics: tuple[TopicTerms, ...]
    threshold: float
    claim_files: tuple[str, ...]
    min_score: float
    embedding_backend: str = "none"


@dataclass(frozen=True)
class Page:
    """A page extracted and analysed: the fields of its article and what was judged of it alone."""

    extracted: Extracted
    title: str
    lang: str
    published: datetime | None
    relevance: Relevance | None = None
    prepared: Prepared | None = None


def topic_terms(settings: Settings) -> tuple[TopicTerms, ...]:
    """The configured topics as plain values."""
    return tuple(
        TopicTerms(name=name, aliases=tuple(topic.aliases), related=tuple(topic.related))
        for name, topic in settings.topics.items()
    )


def analysis_context(settings: Settings) -> AnalysisContext:
    """The analysis context of these settings."""
    return AnalysisContext(
        topics=topic_terms(settings),
        threshold=settings.relevance.threshold,
        claim_files=tuple(str(claims_file(folder)) for folder in settings.seed_dirs()),
        min_score=settings.judge.claim_min_score,
        embedding_backend=settings.judge.embedding_backend,
    )


@lru_cache(maxsize=16)
def claim_sets(paths: tuple[str, ...], min_score: float) -> tuple[ClaimSet, ...]:
    """The seeds' claim sets, read once per process."""
    return tuple(load_claim_set(path, min_score=min_score) for path in paths)


def analyse(
    title: str, text: str, lang: str, year: int, context: AnalysisContext
) -> tuple[Relevance, Prepared | None]:
    """Relevance of an article and, when relevant, the per-article part of its judgement."""
    relevance = score_relevance(title, text, context.topics, context.threshold)
    if not relevance.relevant:
        return relevance, None
    matchers = claim_sets(context.claim_files, context.min_score)
    encoder = load_encoder(context.embedding_backend)
    return relevance, prepare(title, text, lang, year, matchers, context.min_score, encoder)


def extract_page(
    html: str,
    url: str,
    fallback_title: str = "",
    fallback_published: datetime | None = None,
    source_lang: str = "",
    context: AnalysisContext | None = None,
) -> Page:
    """Extract a page and, with a context, analyse it (run in a worker process or a thread)."""
    extracted = extract_article(html, url)
    title = extracted.title or fallback_title
    lang = detect_lang(f"{title}\n{extracted.text}", extracted.lang or source_lang)
    published = extracted.published or fallback_published
    if context is None or not extracted.ok or not extracted.text.strip():
        return Page(extracted, title, lang, published)
    year = (published or datetime.now(UTC)).year
    relevance, prepared = analyse(title, extracted.text, lang, year, context)
    return Page(extracted, title, lang, published, relevance, prepared)
