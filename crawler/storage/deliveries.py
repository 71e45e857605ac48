"""Queries on deliveries: the record that makes every digest reach its chat once.

A delivery is created, with its rendered parts and its target (chat and forum topic), before the first
message is sent; the unique (chat, digest_key) means a chat never gets the same digest twice. One sending
task at a time holds it: a lease (`claimed_by` = a token unique to that task, `claimed_until`), taken only
when nobody holds it or the holder's lease ran out, and never taken again by the holder's own process
under another task. Before each request the holder records "sending part i" (`sending_part`, which also
renews the lease and proves it still holds it); right after Telegram's answer, "sent part i" with its
message ids. So after a crash only a part whose request was on the wire can go out twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from crawler.storage.models import Chat, Delivery, utcnow
from crawler.storage.store import Database

PENDING, SENT, FAILED, EMPTY = "pending", "sent", "failed", "empty"
_KEEP: Any = object()
_CHUNK = 500  # ids per IN (...): well under SQLite's variable limit


@dataclass(frozen=True)
class Lease:
    """A sending task's hold on a delivery: its token and how long it lasts unless renewed."""

    token: str
    until: datetime


def _free(now: datetime) -> Any:
    """Deliveries nobody holds (or whose holder's lease ran out) and not deferred past now."""
    return and_(
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
    )


class DeliveryRepo:
    """Deliveries: begun, leased, advanced part by part, finished."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def begin(
        self,
        chat_pk: int,
        digest_key: str,
        parts: Sequence[str],
        *,
        target_chat_id: int | None = None,
        target_thread_id: int | None = None,
        lease: Lease | None = None,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        advance_window: bool = True,
        next_due_at: datetime | None = _KEEP,
    ) -> tuple[Delivery, bool]:
        """Record a delivery (and move the chat's window and due time with it, atomically).

        With `lease`, the new delivery is held by that task from the start, so no other sender can take it
        between its creation and its first message. Returns the delivery and whether it is new; an existing
        one for the same key is returned as it is (its lease untouched).
        """
        window_end = window_end or utcnow()
        try:
            with self.db.session() as session:
                chat = session.get(Chat, chat_pk)
                delivery = Delivery(
                    chat_pk=chat_pk,
                    digest_key=digest_key,
                    window_start=window_start,
                    window_end=window_end,
                    parts=list(parts),
                    status=PENDING if parts else EMPTY,
                    sent_at=None if parts else utcnow(),
                    target_chat_id=target_chat_id if target_chat_id is not None else chat and chat.chat_id,
                    target_thread_id=target_thread_id,
                    claimed_by=lease.token if lease and parts else None,
                    claimed_until=lease.until if lease and parts else None,
                    attempts=1 if lease and parts else 0,
                )
                session.add(delivery)
                if chat is not None:
                    if advance_window:
                        chat.last_window_end = window_end
                    if next_due_at is not _KEEP:
                        chat.next_due_at = next_due_at
                session.flush()
                return delivery, True
        except IntegrityError:
            existing = self.find(chat_pk, digest_key)
            if existing is None:
                raise
            if next_due_at is not _KEEP:
                # Already begun (by an earlier run): still move the due time on, or the chat stays due.
                with self.db.session() as session:
                    chat = session.get(Chat, chat_pk)
                    if chat is not None:
                        chat.next_due_at = next_due_at
            return existing, False

    def begin_many(
        self,
        targets: Sequence[tuple[int, int, int | None]],
        digest_key: str,
        parts: Sequence[str],
        leases: Sequence[Lease],
    ) -> list[tuple[int, Lease]]:
        """One delivery per (chat_pk, chat_id, thread_id), each leased to its own task; for broadcasts.

        Returns (delivery id, lease) of the ones created; a chat that has this key already is left alone.
        """
        created: list[tuple[int, Lease]] = []
        for first in range(0, len(targets), _CHUNK):
            chunk = list(zip(targets[first : first + _CHUNK], leases[first : first + _CHUNK], strict=True))
            with self.db.session() as session:
                taken = set(
                    session.scalars(
                        select(Delivery.chat_pk).where(
                            Delivery.digest_key == digest_key, Delivery.chat_pk.in_([t[0] for t, _ in chunk])
                        )
                    )
                )
                rows = [
                    (
                        Delivery(
                            chat_pk=pk,
                            digest_key=digest_key,
                            window_end=utcnow(),
                            parts=list(parts),
                            status=PENDING,
                            target_chat_id=chat_id,
                            target_thread_id=thread_id,
                            claimed_by=lease.token,
                            claimed_until=lease.until,
                            attempts=1,
                        ),
                        lease,
                    )
                    for (pk, chat_id, thread_id), lease in chunk
                    if pk not in taken
                ]
                session.add_all(row for row, _ in rows)
                session.flush()
                created.extend((row.id, lease) for row, lease in rows)
        return created

    def find(self, chat_pk: int, digest_key: str) -> Delivery | None:
        """The delivery of one digest to one chat."""
        with self.db.session() as session:
            query = select(Delivery).where(Delivery.chat_pk == chat_pk, Delivery.digest_key == digest_key)
            return session.scalar(query)

    def get(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        with self.db.session() as session:
            return session.get(Delivery, delivery_id)

    def claim(self, delivery_id: int, lease: Lease, now: datetime | None = None) -> Delivery | None:
        """Lease a pending delivery to one task; None when it is finished, deferred, or anyone holds it.

        Nobody re-takes a live lease, not even another task of the holder's process: a lease belongs to
        the task that took it.
        """
        now = now or utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == PENDING, _free(now))
                .values(claimed_by=lease.token, claimed_until=lease.until, attempts=Delivery.attempts + 1)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(Delivery, delivery_id)

    def held(self, delivery_id: int, lease: Lease) -> Delivery | None:
        """The delivery, when this lease still holds it."""
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or delivery.status != PENDING or delivery.claimed_by != lease.token:
                return None
            return delivery

    def renew(self, leases: Iterable[tuple[int, Lease]], until: datetime) -> None:
        """Extend the leases of deliveries still in progress (long waits, queued broadcasts)."""
        pairs = list(leases)
        with self.db.session() as session:
            for first in range(0, len(pairs), _CHUNK):
                chunk = pairs[first : first + _CHUNK]
                # Tokens are unique per delivery, so matching ids and tokens as two sets is exact.
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_([i for i, _ in chunk]),
                        Delivery.claimed_by.in_([lease.token for _, lease in chunk]),
                    )
                    .values(claimed_until=until)
                )

    def sending(self, delivery_id: int, index: int, lease: Lease) -> bool:
        """Record that part `index` is about to be requested (renewing the lease); False: lease lost."""
        with self.db.session() as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == PENDING,
                    Delivery.claimed_by == lease.token,
                    Delivery.parts_sent == index,
                )
                .values(sending_part=index, claimed_until=lease.until)
            )
            return bool(getattr(result, "rowcount", 0))

    def part_sent(
        self, delivery_id: int, index: int, message_ids: Sequence[int], lease: Lease | None = None
    ) -> bool:
        """Part `index` reached the chat: the next resume starts after it; the last part finishes it."""
        with self.db.session() as session:
            query = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
            delivery = session.scalar(query)
            if delivery is None or delivery.parts_sent != index:
                return False
            if lease is not None and delivery.claimed_by != lease.token:
                return False
            delivery.parts_sent = index + 1
            delivery.message_ids = [*delivery.message_ids, *message_ids]
            delivery.sending_part = None
            if lease is not None:
                delivery.claimed_until = lease.until
            if delivery.parts_sent >= len(delivery.parts):
                delivery.status, delivery.error, delivery.sent_at = SENT, None, utcnow()
                delivery.claimed_by = delivery.claimed_until = None
            return True

    def retarget(self, delivery_id: int, *, chat_id: int | None = None, thread_id: Any = _KEEP) -> None:
        """Move where the rest of a delivery goes (a migrated group, a deleted forum topic)."""
        values: dict[str, Any] = {}
        if chat_id is not None:
            values["target_chat_id"] = chat_id
        if thread_id is not _KEEP:
            values["target_thread_id"] = thread_id
        if values:
            with self.db.session() as session:
                session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))

    def finish(
        self, delivery_id: int, status: str, error: str | None = None, lease: Lease | None = None
    ) -> None:
        """Close a delivery as sent or failed (a failure keeps its reason), releasing the lease."""
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or (lease is not None and delivery.claimed_by != lease.token):
                return
            delivery.status = status
            delivery.error = error
            delivery.sent_at = utcnow() if status == SENT else delivery.sent_at
            delivery.claimed_by = delivery.claimed_until = delivery.sending_part = None

    def defer(
        self, delivery_id: int, error: str, lease: Lease | None = None, not_before: datetime | None = None
    ) -> None:
        """Leave a delivery pending after a passing failure; a later pass resumes it (not before a time)."""
        query = update(Delivery).where(Delivery.id == delivery_id, Delivery.status == PENDING)
        if lease is not None:
            query = query.where(Delivery.claimed_by == lease.token)
        with self.db.session() as session:
            session.execute(
                query.values(
                    error=error, claimed_by=None, claimed_until=None, sending_part=None, not_before=not_before
                )
            )

    def unfinished(self, limit: int | None = None, now: datetime | None = None) -> Sequence[Delivery]:
        """Pending deliveries nobody holds and not deferred, oldest first: what a pass resumes."""
        with self.db.session() as session:
            query = (
                select(Delivery)
                .where(Delivery.status == PENDING, _free(now or utcnow()))
                .order_by(Delivery.id)
            )
            if limit is not None:
                query = query.limit(limit)
            return session.scalars(query).all()

    def statuses_of(self, digest_key: str) -> dict[str, int]:
        """How the deliveries of one key (a broadcast) stand, by status."""
        with self.db.session() as session:
            rows = session.execute(
                select(Delivery.status, func.count(Delivery.id))
                .where(Delivery.digest_key == digest_key)
                .group_by(Delivery.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    def counts_since(self, since: datetime) -> dict[str, int]:
        """Deliveries created since a moment, by status (pending ones of any age included)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Delivery.status, func.count(Delivery.id))
                .where(or_(Delivery.created_at >= since, Delivery.status == PENDING))
                .group_by(Delivery.status)
            ).all()
        counts = {PENDING: 0, SENT: 0, FAILED: 0, EMPTY: 0}
        counts.update({str(status): int(n) for status, n in rows})
        return counts

    def parts_by_chat(self, since: datetime) -> dict[int, tuple[int, int]]:
        """Per Telegram chat id: deliveries created since a moment, and their parts in all."""
        with self.db.session() as session:
            rows = session.execute(
                select(Chat.chat_id, Delivery.parts)
                .join(Delivery, Delivery.chat_pk == Chat.id)
                .where(Delivery.created_at >= since)
            ).all()
        out: dict[int, tuple[int, int]] = {}
        for chat_id, parts in rows:
            count, total = out.get(int(chat_id), (0, 0))
            out[int(chat_id)] = (count + 1, total + len(parts or ()))
        return out

    def delete_before(self, before: datetime) -> int:
        """Forget finished deliveries created before a moment (housekeeping)."""
        with self.db.session() as session:
            result = session.execute(
                delete(Delivery).where(Delivery.created_at < before, Delivery.status != PENDING)
            )
            return int(getattr(result, "rowcount", 0) or 0)

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
