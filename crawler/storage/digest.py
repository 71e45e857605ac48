"""Queries the digest and the bot's reports read: articles of a window, the claims tracker, counts.

Rows come back as the plain dataclasses of `crawler.judge.digest` (addresses as stored), so composing stays a
pure function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.judge.digest import DigestArticle
from crawler.judge.types import ClaimMatch, Stance
from crawler.storage.models import Article, ClaimMatchRow
from crawler.storage.store import Database


class DigestQueries:
    """Read-only queries for the digest, the claims tracker and the bot's statistics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def window(self, start: datetime | None, end: datetime) -> list[DigestArticle]:
        """Every article fetched in [start, end); irrelevant ones without their text (only counted)."""
        conditions = [Article.fetched_at < end]
        if start is not None:
            conditions.append(Article.fetched_at >= start)
        with self.db.session() as session:
            relevant = session.scalars(
                select(Article).where(*conditions, Article.relevant.is_(True)).order_by(Article.id)
            ).all()
            others = session.execute(
                select(Article.id, Article.fetched_at).where(*conditions, Article.relevant.is_(False))
            ).all()
            claims = self._claims(session, [a.id for a in relevant])
        out = [_digest_article(a, claims.get(a.id, ())) for a in relevant]
        out.extend(
            DigestArticle(key=i, url="", outlet="", title="", text="", fetched=f, relevant=False)
            for i, f in others
        )
        return out

    @staticmethod
    def _claims(session: Session, ids: Sequence[int]) -> dict[int, list[ClaimMatch]]:
        out: dict[int, list[ClaimMatch]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            query = select(ClaimMatchRow).where(ClaimMatchRow.article_id.in_(ids[start : start + 500]))
            for row in session.scalars(query.order_by(ClaimMatchRow.id)):
                stance: Stance = "mentions"
                if row.stance in ("supports", "disputes"):
                    stance = cast(Stance, row.stance)
                out[row.article_id].append(
                    ClaimMatch(row.claim_id, stance, row.score, row.evidence, row.seed)
                )
        return out

    def supported_before(self, start: datetime | None) -> set[str]:
        """Claims some relevant article fetched before `start` supports."""
        if start is None:
            return set()
        with self.db.session() as session:
            rows = session.scalars(
                select(ClaimMatchRow.claim_id)
                .join(Article, Article.id == ClaimMatchRow.article_id)
                .where(
                    ClaimMatchRow.stance == "supports", Article.relevant.is_(True), Article.fetched_at < start
                )
                .distinct()
            )
            return set(rows)

    def article_counts(self, since: datetime) -> dict[str, int]:
        """Articles stored, relevant, and fetched since a moment."""
        with self.db.session() as session:
            total = session.scalar(select(func.count(Article.id))) or 0
            relevant = session.scalar(select(func.count(Article.id)).where(Article.relevant.is_(True))) or 0
            recent = session.scalar(select(func.count(Article.id)).where(Article.fetched_at >= since)) or 0
        return {"articles": int(total), "relevant": int(relevant), "recent": int(recent)}


def _digest_article(article: Article, claims: Sequence[ClaimMatch]) -> DigestArticle:
    return DigestArticle(
        key=article.id,
        url=article.url,
        outlet=article.outlet,
        title=article.title,
        text=article.text,
        fetched=article.fetched_at,
        published=article.published_at,
        lang=article.lang,
        relevant=bool(article.relevant),
        topics=tuple(str(t) for t in article.topics or ()),
        duplicate_of=article.duplicate_of_id,
        duplicate_kind=article.duplicate_kind,
        story=article.story_id,
        novelty=article.novelty,
        claims=tuple(claims),
    )
