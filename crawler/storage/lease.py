"""One daemon per database: a lock taken atomically, held for the daemon's life, given up when it dies.

On PostgreSQL the lock is a session-level advisory lock on a connection the daemon keeps open: the server
drops it the moment that connection ends, however the process died. On SQLite it is the `daemon_leases`
row, taken in one statement (`UPDATE ... WHERE expired OR ours`, or the first `INSERT`, which the primary
key lets only one process win) and renewed by the daemon's heartbeat; a holder that stops renewing loses it
`ttl` after its last renewal. On both, the row names the holder (host and pid) for the refusal message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from crawler.storage.models import DaemonLease, utcnow
from crawler.storage.store import Database, advisory_key

logger = logging.getLogger(__name__)

DAEMON_KEY = advisory_key("daemon")


@dataclass(frozen=True)
class LeaseHolder:
    """The process holding the daemon lock."""

    holder: str
    host: str
    pid: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def describe(self, now: datetime | None = None) -> str:
        """`pid 123 on host-a, renewed 4 s ago` for messages."""
        age = ((now or utcnow()) - self.renewed_at).total_seconds()
        return f"pid {self.pid} on {self.host}, lease renewed {max(0.0, age):.0f} s ago"


def _holder(row: DaemonLease) -> LeaseHolder:
    return LeaseHolder(row.holder, row.host, row.pid, row.acquired_at, row.renewed_at, row.expires_at)


class DaemonLock:
    """The daemon lock of one database, for one process (`holder` is unique to it)."""

    def __init__(
        self, db: Database, holder: str, host: str, pid: int, ttl: timedelta, name: str = "daemon"
    ) -> None:
        self.db = db
        self.holder, self.host, self.pid = holder, host, pid
        self.ttl = ttl
        self.name = name
        self.postgres = db.engine.dialect.name == "postgresql"
        self._connection: Connection | None = None  # PostgreSQL: the session holding the advisory lock

    def acquire(self, take_from: Callable[[LeaseHolder], bool] | None = None) -> LeaseHolder | None:
        """Take the lock: None when this process holds it now, else the holder that keeps it.

        `take_from(holder)` may declare a holder whose lease has not expired dead (a process of this host
        that is gone); the lease then passes over at once, to one process only.
        """
        if self.postgres:
            return self._acquire_advisory()
        now = utcnow()
        current = self._take_row(now)
        if current is None or take_from is None or not take_from(current):
            return current
        return None if self._take_row(now, from_holder=current.holder) is None else self.holder_now()

    def renew(self) -> bool:
        """Extend the lease (the heartbeat); False when this process no longer holds the lock."""
        if self.postgres and not self._advisory_alive():
            logger.warning("the connection holding the daemon lock ended; taking the lock again")
            self._close_connection()
            if self._acquire_advisory() is not None:
                return False
        now = utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(DaemonLease)
                .where(DaemonLease.name == self.name, DaemonLease.holder == self.holder)
                .values(renewed_at=now, expires_at=now + self.ttl)
            )
            renewed = bool(getattr(result, "rowcount", 0))
        return renewed or self.postgres  # on PostgreSQL the advisory lock is what counts

    def release(self) -> None:
        """Give the lock up (a clean stop); a no-op when this process does not hold it."""
        try:
            with self.db.session() as session:
                session.execute(
                    delete(DaemonLease).where(
                        DaemonLease.name == self.name, DaemonLease.holder == self.holder
                    )
                )
        finally:
            self._close_connection()

    def holder_now(self) -> LeaseHolder | None:
        """Who holds the lock according to the lease row."""
        with self.db.session() as session:
            row = session.get(DaemonLease, self.name)
            return _holder(row) if row is not None else None

    # -- SQLite (and the holder's name on PostgreSQL): the lease row --------------------------------

    def _take_row(self, now: datetime, from_holder: str | None = None) -> LeaseHolder | None:
        """One transaction: take the row when it is expired, ours (or `from_holder`'s), or missing."""
        values = {
            "holder": self.holder,
            "host": self.host,
            "pid": self.pid,
            "acquired_at": now,
            "renewed_at": now,
            "expires_at": now + self.ttl,
        }
        takeable = [DaemonLease.expires_at < now, DaemonLease.holder == self.holder]
        if from_holder is not None:
            takeable.append(DaemonLease.holder == from_holder)
        try:
            with self.db.session() as session:
                result = session.execute(
                    update(DaemonLease).where(DaemonLease.name == self.name, or_(*takeable)).values(**values)
                )
                if getattr(result, "rowcount", 0) == 1:
                    return None
                row = session.scalar(select(DaemonLease).where(DaemonLease.name == self.name))
                if row is not None:
                    return _holder(row)
                session.add(DaemonLease(name=self.name, **values))
                session.flush()
                return None
        except IntegrityError:  # another process inserted the row first: it holds the lock
            held = self.holder_now()
            if held is None:
                raise
            return held

    # -- PostgreSQL: the advisory lock ------------------------------------------------------------

    def _acquire_advisory(self) -> LeaseHolder | None:
        if self._advisory_alive():
            return None  # held already by this process's session
        connection = self.db.engine.connect()
        try:
            got = connection.scalar(text(f"SELECT pg_try_advisory_lock({DAEMON_KEY})"))
            connection.commit()  # the lock belongs to the session and outlives the transaction
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return self._named_holder()
        self._connection = connection
        now = utcnow()
        with self.db.session() as session:  # we hold the lock: the row is ours to write
            session.merge(
                DaemonLease(
                    name=self.name,
                    holder=self.holder,
                    host=self.host,
                    pid=self.pid,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=now + self.ttl,
                )
            )
        return None

    def _named_holder(self) -> LeaseHolder:
        # The holder writes its row just after taking the lock: give it a moment to appear.
        for _ in range(20):
            held = self.holder_now()
            if held is not None:
                return held
            time.sleep(0.1)
        return LeaseHolder("?", "an unknown host", 0, utcnow(), utcnow(), utcnow())

    def _advisory_alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except SQLAlchemyError:
            return False

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text(f"SELECT pg_advisory_unlock({DAEMON_KEY})"))
            connection.commit()
        except SQLAlchemyError as exc:
            logger.info("daemon lock not released explicitly (%s); its connection ends now", exc)
        finally:
            connection.invalidate()  # never back into the pool: a pooled session would keep the lock
            connection.close()
