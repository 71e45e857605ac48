"""The claims tracker: per claim of a seed, how many stored articles support, dispute or mention it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.storage.models import Article, ClaimMatchRow
from crawler.storage.store import Database


@dataclass(frozen=True)
class ClaimTally:
    """What the stored coverage says about one claim, and the latest article disputing it."""

    seed: str
    claim_id: str
    supports: int = 0
    disputes: int = 0
    mentions: int = 0
    latest_dispute: str | None = None
    latest_dispute_url: str | None = None
    latest_dispute_title: str | None = None
    latest_dispute_at: datetime | None = None
    latest_dispute_outlet: str | None = None

    @property
    def total(self) -> int:
        """Articles that address the claim at all."""
        return self.supports + self.disputes + self.mentions


@dataclass(frozen=True)
class ClaimDay:
    """How many articles took one stance on one claim on the day (UTC) they were published."""

    seed: str
    claim_id: str
    stance: str
    day: date
    articles: int


@dataclass(frozen=True)
class CoverageDay:
    """How many relevant articles in one language were published on one day (UTC), copies included."""

    day: date
    lang: str
    articles: int


def _day(when: datetime) -> date:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()


class ClaimRepo:
    """Queries over stored claim matches."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def tracker(
        self, seed: str | None = None, claim_ids: Iterable[str] = (), *, include_copies: bool = False
    ) -> list[ClaimTally]:
        """Per claim (of one seed, or all), articles by stance and the latest disputing evidence.

        Only relevant articles count; copies of an article (those with `duplicate_of`) count once, through
        the article they copy, unless `include_copies`. Claims listed in `claim_ids` appear even with no
        article yet, so a tracker shows the whole seed.
        """
        counts: dict[tuple[str, str], dict[str, int]] = {}
        with self.db.session() as session:
            query = (
                select(
                    ClaimMatchRow.seed,
                    ClaimMatchRow.claim_id,
                    ClaimMatchRow.stance,
                    func.count(ClaimMatchRow.id),
                )
                .join(Article, Article.id == ClaimMatchRow.article_id)
                .where(Article.relevant.is_(True))
                .group_by(ClaimMatchRow.seed, ClaimMatchRow.claim_id, ClaimMatchRow.stance)
            )
            if seed is not None:
                query = query.where(ClaimMatchRow.seed == seed)
            if not include_copies:
                query = query.where(Article.duplicate_of_id.is_(None))
            for row_seed, claim_id, stance, number in session.execute(query):
                counts.setdefault((row_seed, claim_id), {})[stance] = int(number)
            latest = self._latest_disputes(session, seed, include_copies)
        for claim_id in claim_ids:
            counts.setdefault((seed or "", claim_id), {})
        order = {claim_id: index for index, claim_id in enumerate(claim_ids)}
        tallies = []
        for key, stances in counts.items():
            evidence, url, title, at, outlet = latest.get(key, (None, None, None, None, None))
            tallies.append(
                ClaimTally(
                    key[0],
                    key[1],
                    stances.get("supports", 0),
                    stances.get("disputes", 0),
                    stances.get("mentions", 0),
                    evidence,
                    url,
                    title,
                    at,
                    outlet,
                )
            )
        return sorted(tallies, key=lambda t: (t.seed, order.get(t.claim_id, len(order)), t.claim_id))

    def per_day(self, seed: str | None = None, *, include_copies: bool = False) -> list[ClaimDay]:
        """Articles per claim, stance and day of publication, counted as `tracker` counts them (articles
        without a publication date are left out: their day is unknown); ordered by day."""
        query = (
            select(ClaimMatchRow.seed, ClaimMatchRow.claim_id, ClaimMatchRow.stance, Article.published_at)
            .join(Article, Article.id == ClaimMatchRow.article_id)
            .where(Article.relevant.is_(True))
        )
        if seed is not None:
            query = query.where(ClaimMatchRow.seed == seed)
        if not include_copies:
            query = query.where(Article.duplicate_of_id.is_(None))
        counts: Counter[tuple[str, str, str, date]] = Counter()
        with self.db.session() as session:
            for row_seed, claim_id, stance, at in session.execute(query):
                if at is not None:
                    counts[(row_seed, claim_id, stance, _day(at))] += 1
        return [
            ClaimDay(row_seed, claim_id, stance, day, number)
            for (row_seed, claim_id, stance, day), number in sorted(
                counts.items(), key=lambda kv: kv[0][::-1]
            )
        ]

    def coverage_per_day(self) -> list[CoverageDay]:
        """Relevant articles per day of publication and language (copies included: this is volume)."""
        counts: Counter[tuple[date, str]] = Counter()
        query = select(Article.lang, Article.published_at).where(Article.relevant.is_(True))
        with self.db.session() as session:
            for lang, at in session.execute(query):
                if at is not None:
                    counts[(_day(at), lang or "")] += 1
        return [CoverageDay(day, lang, number) for (day, lang), number in sorted(counts.items())]

    @staticmethod
    def _latest_disputes(
        session: Session, seed: str | None, include_copies: bool
    ) -> dict[tuple[str, str], tuple[str | None, str | None, str | None, datetime | None, str | None]]:
        """(evidence, link, title, when, outlet) of the newest disputing article per claim."""
        when = func.coalesce(Article.published_at, Article.fetched_at)
        query = (
            select(
                ClaimMatchRow.seed,
                ClaimMatchRow.claim_id,
                ClaimMatchRow.evidence,
                Article.url,
                Article.title,
                when,
                Article.outlet,
            )
            .join(Article, Article.id == ClaimMatchRow.article_id)
            .where(ClaimMatchRow.stance == "disputes", Article.relevant.is_(True))
            .order_by(when.desc(), Article.id.desc())
        )
        if seed is not None:
            query = query.where(ClaimMatchRow.seed == seed)
        if not include_copies:
            query = query.where(Article.duplicate_of_id.is_(None))
        latest: dict[
            tuple[str, str], tuple[str | None, str | None, str | None, datetime | None, str | None]
        ] = {}
        for row_seed, claim_id, evidence, url, title, at, outlet in session.execute(query):
            latest.setdefault((row_seed, claim_id), (evidence, url, title, at, outlet))
        return latest
