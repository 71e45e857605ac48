"""The one article model (`crawler.judge.types.StoredArticle`) to and from the `articles` table's columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crawler.judge.types import ClaimMatch, DuplicateKind, Stance, StoredArticle
from crawler.storage.models import Article, ClaimMatchRow

# The columns a judgement sets (`rejudge` replaces only these, and the article's claim matches).
JUDGED_COLUMNS = (
    "content_hash",
    "minhash",
    "duplicate_of_id",
    "duplicate_kind",
    "duplicate_score",
    "duplicate_reason",
    "story_id",
    "novelty",
    "embedding",
)


def article_columns(article: StoredArticle) -> dict[str, Any]:
    """The `articles` row of an article about to be stored (its id and story are storage's to give)."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url or article.url,
        "source_id": article.source_id,
        "outlet": article.outlet,
        "title": article.title,
        "author": article.author,
        "text": article.text,
        "summary": article.summary,
        "extraction": article.extraction,
        "extraction_note": article.extraction_note,
        "lang": article.lang,
        "published_at": article.published,
        "fetched_at": article.fetched,
        "content_hash": article.content_hash,
        "relevance": article.relevance,
        "relevant": article.relevant,
        "topics": list(article.topics),
        "irrelevant_reason": article.irrelevant_reason,
        "duplicate_of_id": article.duplicate_of,
        "duplicate_kind": article.duplicate_kind,
        "duplicate_score": article.duplicate_score,
        "duplicate_reason": article.duplicate_reason,
        "story_id": article.story,
        "novelty": article.novelty,
        "minhash": article.signature,
        "embedding": article.embedding,
        "judged_at": article.judged_at,
    }


def stored_article(
    row: Article, *, with_text: bool = True, with_embedding: bool = True, claims: Iterable[ClaimMatch] = ()
) -> StoredArticle:
    """A stored row as the one model, with or without its text and its (deferred, so loaded only when
    the query undeferred it) embeddings; claim matches as given."""
    return StoredArticle(
        key=row.id,
        url=row.url,
        canonical_url=row.canonical_url,
        outlet=row.outlet,
        title=row.title,
        text=row.text if with_text else "",
        lang=row.lang,
        fetched=row.fetched_at,
        published=row.published_at,
        relevant=bool(row.relevant),
        topics=tuple(str(t) for t in row.topics or ()),
        source_id=row.source_id,
        author=row.author,
        summary=row.summary,
        extraction=row.extraction,
        extraction_note=row.extraction_note,
        relevance=float(row.relevance or 0.0),
        irrelevant_reason=row.irrelevant_reason,
        content_hash=row.content_hash,
        signature=row.minhash,
        duplicate_of=row.duplicate_of_id,
        duplicate_kind=cast(DuplicateKind | None, row.duplicate_kind),
        duplicate_score=row.duplicate_score,
        duplicate_reason=row.duplicate_reason,
        story=row.story_id,
        novelty=row.novelty,
        claims=tuple(claims),
        embedding=row.embedding if with_embedding else None,
        judged_at=row.judged_at,
    )


def claim_match(row: ClaimMatchRow) -> ClaimMatch:
    """A stored claim match as the judge's value (an unknown stance reads as a mention)."""
    stance: Stance = cast(Stance, row.stance) if row.stance in ("supports", "disputes") else "mentions"
    return ClaimMatch(row.claim_id, stance, row.score, row.evidence, row.seed)


def replace_claims(session: Session, article_id: int, claims: Iterable[ClaimMatch]) -> None:
    """Set an article's claim matches to exactly these."""
    session.execute(delete(ClaimMatchRow).where(ClaimMatchRow.article_id == article_id))
    for claim in claims:
        session.add(
            ClaimMatchRow(
                article_id=article_id,
                seed=claim.seed,
                claim_id=claim.claim_id,
                stance=claim.stance,
                score=float(claim.score),
                evidence=claim.evidence,
            )
        )
