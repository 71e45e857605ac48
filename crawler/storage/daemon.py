"""Queries of the daemon (`seedwatch run`): its small facts, admin notices, the crawl schedule, housekeeping.

Facts (`kv`) hold what the daemon wants to survive a restart and `seedwatch status` wants to show: who
runs, its heartbeat, the next crawl, the crawl child in progress. Notices (`admin_notices`) are keyed so
admins are told of a problem once: a notice stays open until the problem ends, and a new streak reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update

from crawler.schedule import SourceState
from crawler.storage.models import (
    AdminNotice,
    Article,
    Chat,
    CrawlRun,
    Delivery,
    FetchError,
    KeyValue,
    Source,
    Story,
    utcnow,
)
from crawler.storage.store import Database

BATCH = 500


@dataclass(frozen=True)
class RunningRun:
    """A crawl run still marked running, and the process that said so."""

    run_id: int
    pid: int | None
    trigger: str
    started_at: datetime


class DaemonRepo:
    """What the daemon keeps and asks: facts, notices, schedules, stale runs and claims, pruning."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- facts ------------------------------------------------------------------------------------

    def fact(self, key: str) -> dict[str, Any] | None:
        """A stored fact, or None."""
        with self.db.session() as session:
            row = session.get(KeyValue, key)
            return dict(row.value) if row is not None else None

    def put_fact(self, key: str, value: Mapping[str, Any]) -> None:
        """Store (or replace) a fact."""
        with self.db.session() as session:
            row = session.get(KeyValue, key)
            if row is None:
                session.add(KeyValue(key=key, value=dict(value)))
            else:
                row.value = dict(value)
                row.updated_at = utcnow()

    def drop_fact(self, key: str) -> None:
        """Forget a fact."""
        with self.db.session() as session:
            session.execute(delete(KeyValue).where(KeyValue.key == key))

    # -- admin notices ----------------------------------------------------------------------------

    def open_notice(self, key: str, text: str, now: datetime | None = None) -> bool:
        """Open a notice; True when it is new (or a new streak after it was resolved), so admins are told."""
        now = now or utcnow()
        with self.db.session() as session:
            notice = session.scalar(select(AdminNotice).where(AdminNotice.key == key))
            if notice is None:
                session.add(AdminNotice(key=key, text=text, created_at=now))
                return True
            if notice.resolved_at is None:
                return False
            notice.text, notice.created_at, notice.sent_at, notice.resolved_at = text, now, None, None
            return True

    def resolve_notices(self, keys: Iterable[str], now: datetime | None = None) -> list[str]:
        """Close the open notices among `keys`; returns the keys that were open."""
        keys = list(keys)
        if not keys:
            return []
        with self.db.session() as session:
            open_rows = session.scalars(
                select(AdminNotice).where(AdminNotice.key.in_(keys), AdminNotice.resolved_at.is_(None))
            ).all()
            for notice in open_rows:
                notice.resolved_at = now or utcnow()
            return [notice.key for notice in open_rows]

    def unsent_notices(self) -> list[tuple[str, str]]:
        """Open notices nobody has been told of yet, oldest first: (key, text)."""
        with self.db.session() as session:
            rows = session.execute(
                select(AdminNotice.key, AdminNotice.text)
                .where(AdminNotice.sent_at.is_(None), AdminNotice.resolved_at.is_(None))
                .order_by(AdminNotice.created_at, AdminNotice.id)
            ).all()
        return [(str(key), str(text)) for key, text in rows]

    def mark_notice_sent(self, key: str, now: datetime | None = None) -> None:
        """Admins were told."""
        with self.db.session() as session:
            session.execute(update(AdminNotice).where(AdminNotice.key == key).values(sent_at=now or utcnow()))

    # -- the crawl schedule -----------------------------------------------------------------------

    def source_states(self, urls: Iterable[str] | None = None) -> dict[str, SourceState]:
        """Schedule and health of the sources with these URLs (all when None), by URL."""
        with self.db.session() as session:
            query = select(Source)
            if urls is not None:
                query = query.where(Source.url.in_(list(urls)))
            return {source.url: _state(source) for source in session.scalars(query)}

    def attempted_since(self, since: datetime) -> set[str]:
        """URLs of the sources fetched (successfully or not) since a moment."""
        with self.db.session() as session:
            return set(session.scalars(select(Source.url).where(Source.last_attempt_at >= since)))

    def set_next_crawls(self, plan: Mapping[str, datetime | None]) -> None:
        """Store when each source (by URL) is due next."""
        if not plan:
            return
        with self.db.session() as session:
            for source in session.scalars(select(Source).where(Source.url.in_(list(plan)))):
                source.next_crawl_at = plan[source.url]

    # -- crawl runs and delivery claims left by dead processes -------------------------------------

    def running_runs(self) -> list[RunningRun]:
        """Runs still marked running."""
        with self.db.session() as session:
            rows = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
        return [RunningRun(r.id, r.pid, r.trigger, r.started_at) for r in rows]

    def runs_since(self, since: datetime, pid: int | None = None) -> Sequence[CrawlRun]:
        """Runs started since a moment (by one process when `pid` is given), oldest first."""
        with self.db.session() as session:
            query = select(CrawlRun).where(CrawlRun.started_at >= since).order_by(CrawlRun.id)
            if pid is not None:
                query = query.where(CrawlRun.pid == pid)
            return session.scalars(query).all()

    def close_run(self, run_id: int, status: str, error: str, *, running_only: bool = True) -> bool:
        """End a run its process could not end itself; True when it changed."""
        with self.db.session() as session:
            query = update(CrawlRun).where(CrawlRun.id == run_id)
            if running_only:
                query = query.where(CrawlRun.status == "running")
            result = session.execute(query.values(status=status, error=error, finished_at=utcnow()))
            return bool(getattr(result, "rowcount", 0))

    def claim_owners(self) -> set[str]:
        """Senders holding pending deliveries."""
        with self.db.session() as session:
            query = select(Delivery.claimed_by).where(
                Delivery.status == "pending", Delivery.claimed_by.is_not(None)
            )
            return {str(owner) for owner in session.scalars(query.distinct())}

    def release_claims_of(self, owners: Iterable[str]) -> int:
        """Drop the holds of senders known to be gone, so their deliveries resume at once."""
        owners = list(owners)
        if not owners:
            return 0
        with self.db.session() as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.status == "pending", Delivery.claimed_by.in_(owners))
                .values(claimed_by=None, claimed_until=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def next_digest_due(self) -> datetime | None:
        """The earliest next digest of a subscribed, active chat."""
        with self.db.session() as session:
            return session.scalar(
                select(func.min(Chat.next_due_at)).where(Chat.subscribed.is_(True), Chat.active.is_(True))
            )

    # -- housekeeping -------------------------------------------------------------------------------

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
                        .limit(BATCH)
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
                chunk = list(frontier)[:BATCH]
                frontier -= set(chunk)
                found = session.scalars(
                    select(Article.duplicate_of_id).where(
                        Article.id.in_(chunk), Article.duplicate_of_id.is_not(None)
                    )
                )
                frontier |= {i for i in found if i is not None and i not in protected}
        return protected

    def prune_runs(self, before: datetime) -> int:
        """Delete finished crawl runs (and their errors) started before a moment."""
        with self.db.session() as session:
            result = session.execute(
                delete(CrawlRun).where(CrawlRun.started_at < before, CrawlRun.status != "running")
            )
            session.execute(delete(FetchError).where(FetchError.run_id.is_(None), FetchError.at < before))
            return int(getattr(result, "rowcount", 0) or 0)

    def prune_notices(self, before: datetime) -> int:
        """Delete notices resolved before a moment."""
        with self.db.session() as session:
            result = session.execute(
                delete(AdminNotice).where(
                    AdminNotice.resolved_at.is_not(None), AdminNotice.resolved_at < before
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)


def _state(source: Source) -> SourceState:
    return SourceState(
        url=source.url,
        source_id=source.id,
        name=source.name,
        consecutive_failures=source.consecutive_failures,
        empty_runs=source.empty_runs,
        last_attempt_at=source.last_attempt_at,
        last_success_at=source.last_success_at,
        next_crawl_at=source.next_crawl_at,
        last_error=source.last_error,
    )
