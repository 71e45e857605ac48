"""Queries on crawl runs and the errors they met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from crawler.storage.models import CrawlRun, FetchError, utcnow
from crawler.storage.store import Database

COUNTERS = (
    "sources_total",
    "sources_done",
    "sources_failed",
    "sources_not_modified",
    "pages_fetched",
    "articles_new",
    "articles_duplicate",
    "articles_seen",
    "articles_irrelevant",
    "articles_failed",
)


@dataclass(frozen=True)
class RunningRun:
    """A crawl run still marked running, and the process that said so."""

    run_id: int
    pid: int | None
    trigger: str
    started_at: datetime


class RunRepo:
    """Crawl runs: started, counted, finished."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, trigger: str = "manual", pid: int | None = None, sources_total: int = 0) -> int:
        """Open a run and return its id."""
        with self.db.session() as session:
            run = CrawlRun(trigger=trigger, pid=pid, sources_total=sources_total)
            session.add(run)
            session.flush()
            return run.id

    def add_counts(self, run_id: int, **deltas: int) -> None:
        """Add to a run's counters (each a column of COUNTERS)."""
        unknown = set(deltas) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown run counters: {sorted(unknown)}")
        values: dict[Any, Any] = {
            getattr(CrawlRun, k): getattr(CrawlRun, k) + v for k, v in deltas.items() if v
        }
        if not values:
            return
        with self.db.session() as session:
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(values))

    def finish(self, run_id: int, status: str = "completed", error: str | None = None) -> None:
        """Close a run."""
        with self.db.session() as session:
            run = session.get(CrawlRun, run_id)
            if run is not None:
                run.finished_at = utcnow()
                run.status = status
                run.error = error

    def get(self, run_id: int) -> CrawlRun | None:
        """One run."""
        with self.db.session() as session:
            return session.get(CrawlRun, run_id)

    def latest(self, limit: int = 10) -> Sequence[CrawlRun]:
        """The newest runs first."""
        with self.db.session() as session:
            return session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)).all()

    def record_error(
        self,
        run_id: int | None,
        url: str,
        scope: str,
        reason: str,
        detail: str = "",
        http_status: int | None = None,
        source_id: int | None = None,
    ) -> None:
        """Keep a failed source or page with its specific reason."""
        with self.db.session() as session:
            session.add(
                FetchError(
                    run_id=run_id,
                    source_id=source_id,
                    url=url,
                    scope=scope,
                    reason=reason,
                    detail=detail[:4000],
                    http_status=http_status,
                )
            )

    def errors(self, run_id: int) -> Sequence[FetchError]:
        """The errors of one run."""
        with self.db.session() as session:
            return session.scalars(
                select(FetchError).where(FetchError.run_id == run_id).order_by(FetchError.id)
            ).all()

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

    def prune_runs(self, before: datetime) -> int:
        """Delete finished crawl runs (and their errors) started before a moment."""
        with self.db.session() as session:
            result = session.execute(
                delete(CrawlRun).where(CrawlRun.started_at < before, CrawlRun.status != "running")
            )
            session.execute(delete(FetchError).where(FetchError.run_id.is_(None), FetchError.at < before))
            return int(getattr(result, "rowcount", 0) or 0)
