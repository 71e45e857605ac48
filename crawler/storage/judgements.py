"""Queries that feed the judge: stored judgements to warm-start from, outlet boilerplate counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy import insert as insert_rows
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, undefer

from crawler.judge.types import StoredArticle
from crawler.storage.columns import JUDGED_COLUMNS, article_columns, replace_claims, stored_article
from crawler.storage.models import Article, OutletLine, Story
from crawler.storage.store import Database


@dataclass(frozen=True)
class StoryAssignment:
    """One story after re-clustering: its members, and the existing story row it keeps (None: a new one)."""

    members: tuple[int, ...]
    story_id: int | None
    title: str
    first_seen: datetime
    last_seen: datetime


# Any constant: the advisory lock that serialises story re-clustering across crawl processes (PostgreSQL).
_RESTORY_LOCK = 7_120_501


class JudgementRepo:
    """What judging reads and writes besides the articles themselves."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def newest_id(self) -> int:
        """The highest stored article id (0 when there is none)."""
        with self.db.session() as session:
            return int(session.scalar(select(func.max(Article.id))) or 0)

    def newest_time(self) -> datetime | None:
        """When the newest stored article appeared (published, else fetched)."""
        with self.db.session() as session:
            return session.scalar(select(func.max(func.coalesce(Article.published_at, Article.fetched_at))))

    def judged(
        self,
        after_id: int = 0,
        text_since: datetime | None = None,
        batch: int = 1000,
        also: Iterable[int] = (),
        since: datetime | None = None,
    ) -> Iterator[StoredArticle]:
        """Stored articles with id > after_id, and those of `also` (ids below it), in id order; texts only
        of those since `text_since`; with `since`, only articles that appeared (or were fetched) since."""
        last = after_id
        when = func.coalesce(Article.published_at, Article.fetched_at)
        also = sorted(set(also))
        while True:
            with self.db.session() as session:
                wanted = Article.id > last
                if since is not None:
                    wanted = wanted & ((when >= since) | (Article.fetched_at >= since))
                if also:
                    wanted = wanted | Article.id.in_(also)
                rows = session.execute(
                    select(Article, when)
                    .options(undefer(Article.embedding))
                    .where(wanted)
                    .order_by(Article.id)
                    .limit(batch)
                ).all()
            also = []
            if not rows:
                return
            for article, appeared in rows:
                keep_text = text_since is None or (appeared is not None and _aware(appeared) >= text_since)
                yield stored_article(article, with_text=keep_text, with_embedding=keep_text)
            last = rows[-1][0].id

    def outlet_lines(self) -> Iterator[tuple[str, str, int]]:
        """Every (outlet, line hash, pages) count."""
        with self.db.session() as session:
            rows = session.execute(select(OutletLine.outlet, OutletLine.line_hash, OutletLine.pages)).all()
            yield from ((outlet, line, pages) for outlet, line, pages in rows)

    def count_outlet_lines(self, outlet: str, hashes: Iterable[str]) -> None:
        """One more page of `outlet` carried each of these lines."""
        values = [{"outlet": outlet[:300], "line_hash": h, "pages": 1} for h in dict.fromkeys(hashes)]
        if not values:
            return
        with self.db.session() as session:
            insert: Any = (
                pg_insert
                if session.bind is not None and session.bind.dialect.name == "postgresql"
                else sqlite_insert
            )
            for start in range(0, len(values), 500):
                statement = insert(OutletLine).values(values[start : start + 500])
                statement = statement.on_conflict_do_update(
                    index_elements=["outlet", "line_hash"], set_={"pages": OutletLine.pages + 1}
                )
                session.execute(statement)

    def apply(self, judged: StoredArticle, new_story_title: str | None = None) -> int | None:
        """Replace a stored article's judgement (its judged columns and claim matches) with that of
        `judged`, and start its new story, atomically; returns its story id."""
        columns = article_columns(judged)
        article_id = judged.key
        with self.db.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                return None
            for key in JUDGED_COLUMNS:
                setattr(article, key, columns[key])
            if new_story_title is not None:
                when = article.published_at or article.fetched_at
                story = Story(title=new_story_title[:1000], first_seen=when, last_seen=when)
                session.add(story)
                session.flush()
                article.story_id = story.id
            replace_claims(session, article_id, judged.claims)
            return article.story_id

    def replace_outlet_lines(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Set the boilerplate counts to exactly these (outlet, line hash, pages) rows, atomically."""
        with self.db.session() as session:
            session.execute(delete(OutletLine))
            batch = [{"outlet": o[:300], "line_hash": h, "pages": n} for o, h, n in rows]
            for start in range(0, len(batch), 1000):
                session.execute(insert_rows(OutletLine), batch[start : start + 1000])

    def story_members(self, since: datetime | None) -> list[StoredArticle]:
        """Relevant articles with embeddings that appeared since a moment (None: all), without their texts."""
        when = func.coalesce(Article.published_at, Article.fetched_at)
        query = select(
            Article.id,
            Article.url,
            Article.canonical_url,
            Article.fetched_at,
            Article.published_at,
            Article.lang,
            Article.title,
            Article.embedding,
            Article.story_id,
        ).where(Article.relevant.is_(True), Article.embedding.is_not(None))
        if since is not None:
            query = query.where(when >= since)
        with self.db.session() as session:
            rows = session.execute(query.order_by(Article.id)).all()
        return [
            StoredArticle(
                key=key,
                url=url,
                canonical_url=canonical,
                fetched=fetched,
                published=published,
                lang=lang,
                title=title,
                embedding=embedding or b"",
                story=story,
            )
            for key, url, canonical, fetched, published, lang, title, embedding, story in rows
        ]

    def assign_stories(self, stories: Iterable[StoryAssignment]) -> int:
        """Put articles in the given stories (new rows for those without one), atomically; returns how many
        articles changed story. Stories left empty stay (another process may still file an article there)."""
        changed = 0
        with self.db.session() as session:
            _lock_stories(session)
            for found in stories:
                story_id = found.story_id
                if story_id is None or session.get(Story, story_id) is None:
                    row = Story(
                        title=found.title[:1000], first_seen=found.first_seen, last_seen=found.last_seen
                    )
                    session.add(row)
                    session.flush()
                    story_id = row.id
                else:
                    session.execute(
                        update(Story)
                        .where(Story.id == story_id)
                        .values(
                            title=found.title[:1000], first_seen=found.first_seen, last_seen=found.last_seen
                        )
                    )
                result = session.execute(
                    update(Article)
                    .where(Article.id.in_(found.members), Article.story_id.is_distinct_from(story_id))
                    .values(story_id=story_id)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        return changed

    def delete_orphan_stories(self) -> int:
        """Delete stories no article belongs to any more; returns how many."""
        with self.db.session() as session:
            used = select(Article.story_id).where(Article.story_id.is_not(None)).distinct()
            result = session.execute(delete(Story).where(Story.id.not_in(used)))
            return int(getattr(result, "rowcount", 0) or 0)


def _lock_stories(session: Session) -> None:
    """Serialise story re-clustering: an advisory lock on PostgreSQL; SQLite has one writer anyway."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RESTORY_LOCK})


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
