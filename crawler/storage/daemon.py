"""The daemon's own tables (`seedwatch run`): its small facts and the admin notices.

Facts (`kv`) hold what the daemon wants to survive a restart and `seedwatch status` wants to show: who
runs, its heartbeat, the next crawl, the crawl child in progress. Notices (`admin_notices`) are keyed so
admins are told of a problem once: a notice stays open until the problem ends, and a new streak reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from crawler.storage.models import AdminNotice, KeyValue, utcnow
from crawler.storage.store import Database


class DaemonRepo:
    """What the daemon keeps across restarts (facts) and what admins are told once (notices)."""

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

    def prune_notices(self, before: datetime) -> int:
        """Delete notices resolved before a moment."""
        with self.db.session() as session:
            result = session.execute(
                delete(AdminNotice).where(
                    AdminNotice.resolved_at.is_not(None), AdminNotice.resolved_at < before
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)
