"""Queries the digest and the bot's reports read: articles of a window, the claims tracker, counts.

Articles come back as the one model, `crawler.judge.types.StoredArticle` (addresses as stored), so composing
stays a pure function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage.columns import claim_match, stored_article
from crawler.storage.models import Article, ClaimMatchRow
from crawler.storage.store import Database


class DigestQueries:
    """Read-only queries for the digest, the claims tracker and the bot's statistics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def window(self, start: datetime | None, end: datetime) -> list[StoredArticle]:
        """Every article fetched in [start, end) with its claim matches; irrelevant ones only as their key
        and fetch time (they are only counted)."""
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
        out = [stored_article(a, with_embedding=False, claims=claims.get(a.id, ())) for a in relevant]
        out.extend(StoredArticle(key=i, url="", fetched=f, relevant=False) for i, f in others)
        return out

    @staticmethod
    def _claims(session: Session, ids: Sequence[int]) -> dict[int, list[ClaimMatch]]:
        out: dict[int, list[ClaimMatch]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            query = select(ClaimMatchRow).where(ClaimMatchRow.article_id.in_(ids[start : start + 500]))
            for row in session.scalars(query.order_by(ClaimMatchRow.id)):
                out[row.article_id].append(claim_match(row))
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
