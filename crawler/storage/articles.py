"""Queries on articles, their URLs and their claim matches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, func, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage.columns import article_columns, claim_match, replace_claims
from crawler.storage.models import Article, ArticleUrl, ClaimMatchRow, Source, Story
from crawler.storage.store import Database, DuplicateArticle

EXPORT_FIELDS = (
    "url",
    "canonical_url",
    "source",
    "outlet",
    "title",
    "author",
    "lang",
    "published",
    "fetched",
    "relevant",
    "topics",
    "relevance",
    "irrelevant_reason",
    "extraction",
    "extraction_note",
    "content_hash",
    "duplicate_of",
    "duplicate_kind",
    "duplicate_reason",
    "story",
    "claims",
    "novelty",
    "text",
)

PRUNE_BATCH = 500  # articles deleted (and originals followed) per statement when pruning


class Stored(NamedTuple):
    """Where a new article went: its id and its story's id."""

    article_id: int
    story_id: int | None


class ArticleRepo:
    """Articles: stored once per canonical URL, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def known(self, urls: Iterable[str]) -> int | None:
        """The id of the stored article reached by any of these URLs, if there is one."""
        urls = [u for u in dict.fromkeys(urls) if u]
        if not urls:
            return None
        # Asked before every article request: one round trip on a plain connection, no ORM session.
        query = union_all(
            select(ArticleUrl.article_id).where(ArticleUrl.url.in_(urls)),
            select(Article.id).where(Article.canonical_url.in_(urls)),
        ).limit(1)
        with self.db.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return int(found) if found is not None else None

    def add(
        self, article: StoredArticle, urls: Iterable[str] = (), new_story_title: str | None = None
    ) -> Stored:
        """Store one article with the URLs it was reached by, its claim matches and, when
        `new_story_title` is given, the new story it starts, all in one transaction."""
        columns = article_columns(article)
        canonical = str(columns["canonical_url"])
        try:
            with self.db.session() as session:
                row = Article(**columns)
                if new_story_title is not None:
                    story = Story(title=new_story_title[:1000])
                    story.first_seen = story.last_seen = article.when
                    session.add(story)
                    session.flush()
                    row.story_id = story.id
                elif row.story_id is not None:
                    _touch_story(session, row.story_id, article.when)
                session.add(row)
                session.flush()
                _add_urls(session, row.id, [canonical, article.url, *urls])
                replace_claims(session, row.id, article.claims)
                return Stored(row.id, row.story_id)
        except IntegrityError:
            raise DuplicateArticle(canonical, self.known([canonical])) from None

    def add_urls(self, article_id: int, urls: Iterable[str]) -> None:
        """Remember more URLs that lead to a stored article."""
        with self.db.session() as session:
            _add_urls(session, article_id, urls)

    def count(self) -> int:
        """How many articles are stored."""
        with self.db.session() as session:
            return int(session.scalar(select(func.count(Article.id))) or 0)

    def claims_of(self, article_ids: Iterable[int]) -> dict[int, list[ClaimMatch]]:
        """Claim matches of these articles, by article id."""
        ids = list(article_ids)
        out: dict[int, list[ClaimMatch]] = {i: [] for i in ids}
        with self.db.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = (
                    select(ClaimMatchRow)
                    .where(ClaimMatchRow.article_id.in_(chunk))
                    .order_by(ClaimMatchRow.id)
                )
                for match in session.scalars(query):
                    out[match.article_id].append(claim_match(match))
        return out

    def export_rows(self, since: datetime | None = None, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Every stored article as one flat record (the `seedwatch export` format), oldest first."""
        original = aliased(Article)
        last_id = 0
        while True:
            with self.db.session() as session:
                query = (
                    select(Article, Source.name, original.url)
                    .outerjoin(Source, Source.id == Article.source_id)
                    .outerjoin(original, original.id == Article.duplicate_of_id)
                    .where(Article.id > last_id)
                    .order_by(Article.id)
                    .limit(batch)
                )
                if since is not None:
                    query = query.where(func.coalesce(Article.published_at, Article.fetched_at) >= since)
                rows = session.execute(query).all()
            if not rows:
                return
            claims = self.claims_of(article.id for article, _, _ in rows)
            for article, source_name, duplicate_url in rows:
                yield _export_record(article, source_name, duplicate_url, claims[article.id])
            last_id = rows[-1][0].id

    def prune_articles(self, before: datetime) -> int:
        """Delete articles fetched before a moment, except originals that newer copies still point to.

        Their URLs and claim matches go with them (cascade); stories left empty are deleted too.
        """
        protected = self._referenced_originals(before)
        deleted, last_id = 0, 0
        while True:
            with self.db.session() as session:
                ids = list(
                    session.scalars(
                        select(Article.id)
                        .where(Article.fetched_at < before, Article.id > last_id)
                        .order_by(Article.id)
                        .limit(PRUNE_BATCH)
                    )
                )
                if not ids:
                    break
                last_id = ids[-1]
                doomed = [i for i in ids if i not in protected]
                if doomed:
                    session.execute(delete(Article).where(Article.id.in_(doomed)))
                    deleted += len(doomed)
        with self.db.session() as session:
            session.execute(
                delete(Story).where(Story.last_seen < before, ~exists().where(Article.story_id == Story.id))
            )
        return deleted

    def _referenced_originals(self, before: datetime) -> set[int]:
        """Old articles that a kept article names as its original (following chains of copies)."""
        with self.db.session() as session:
            frontier: set[int] = set(
                session.scalars(
                    select(Article.duplicate_of_id).where(
                        Article.fetched_at >= before, Article.duplicate_of_id.is_not(None)
                    )
                )
            )
            protected: set[int] = set()
            while frontier:
                protected |= frontier
                chunk = list(frontier)[:PRUNE_BATCH]
                frontier -= set(chunk)
                found = session.scalars(
                    select(Article.duplicate_of_id).where(
                        Article.id.in_(chunk), Article.duplicate_of_id.is_not(None)
                    )
                )
                frontier |= {i for i in found if i is not None and i not in protected}
        return protected


def _add_urls(session: Session, article_id: int, urls: Iterable[str]) -> None:
    wanted = {u for u in urls if u}
    if not wanted:
        return
    present = set(session.scalars(select(ArticleUrl.url).where(ArticleUrl.url.in_(wanted))))
    for url in sorted(wanted - present):
        session.add(ArticleUrl(url=url, article_id=article_id))


def _touch_story(session: Session, story_id: int, when: datetime | None) -> None:
    story = session.get(Story, story_id)
    if story is not None and when is not None:
        story.last_seen = max(story.last_seen, when)
        story.first_seen = min(story.first_seen, when)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _export_record(
    article: Article, source_name: str | None, duplicate_url: str | None, claims: Sequence[ClaimMatch]
) -> dict[str, Any]:
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": source_name or article.outlet,
        "outlet": article.outlet,
        "title": article.title,
        "author": article.author,
        "lang": article.lang,
        "published": _iso(article.published_at),
        "fetched": _iso(article.fetched_at),
        "relevant": bool(article.relevant),
        "topics": list(article.topics or []),
        "relevance": round(float(article.relevance or 0.0), 4),
        "irrelevant_reason": article.irrelevant_reason,
        "extraction": article.extraction,
        "extraction_note": article.extraction_note,
        "content_hash": article.content_hash,
        "duplicate_of": duplicate_url,
        "duplicate_kind": article.duplicate_kind,
        "duplicate_reason": article.duplicate_reason,
        "story": article.story_id,
        "claims": [
            {"id": c.claim_id, "stance": c.stance, "score": round(c.score, 4), "evidence": c.evidence}
            for c in claims
        ],
        "novelty": None if article.novelty is None else round(article.novelty, 4),
        "text": article.text,
    }
