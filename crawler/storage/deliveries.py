"""Queries on deliveries: the record that makes every digest reach its chat once.

A delivery is created, with its rendered parts, before the first message is sent; the unique
(chat, digest_key) means a chat never gets the same digest twice. A sender claims it for a while
(`claimed_by`, `claimed_until`) so two processes never send it at once, advances `parts_sent` after each
message, and a resumed delivery continues from the first unsent part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from crawler.storage.models import Chat, Delivery, utcnow
from crawler.storage.store import Database

PENDING, SENT, FAILED, EMPTY = "pending", "sent", "failed", "empty"
_KEEP: Any = object()


class DeliveryRepo:
    """Deliveries: begun, claimed, advanced part by part, finished."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def begin(
        self,
        chat_pk: int,
        digest_key: str,
        parts: Sequence[str],
        *,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        advance_window: bool = True,
        next_due_at: datetime | None = _KEEP,
    ) -> tuple[Delivery, bool]:
        """Record a delivery (and move the chat's window and due time with it, atomically).

        Returns the delivery and whether it is new; an existing one for the same key is returned as it is.
        """
        window_end = window_end or utcnow()
        try:
            with self.db.session() as session:
                delivery = Delivery(
                    chat_pk=chat_pk,
                    digest_key=digest_key,
                    window_start=window_start,
                    window_end=window_end,
                    parts=list(parts),
                    status=PENDING if parts else EMPTY,
                    sent_at=None if parts else utcnow(),
                )
                session.add(delivery)
                chat = session.get(Chat, chat_pk)
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

    def find(self, chat_pk: int, digest_key: str) -> Delivery | None:
        """The delivery of one digest to one chat."""
        with self.db.session() as session:
            query = select(Delivery).where(Delivery.chat_pk == chat_pk, Delivery.digest_key == digest_key)
            return session.scalar(query)

    def get(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        with self.db.session() as session:
            return session.get(Delivery, delivery_id)

    def claim(
        self, delivery_id: int, owner: str, until: datetime, now: datetime | None = None
    ) -> Delivery | None:
        """Take a pending delivery to send it; None when it is finished or another sender holds it."""
        now = now or utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == PENDING,
                    or_(
                        Delivery.claimed_until.is_(None),
                        Delivery.claimed_until < now,
                        Delivery.claimed_by == owner,
                    ),
                )
                .values(claimed_by=owner, claimed_until=until, attempts=Delivery.attempts + 1)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(Delivery, delivery_id)

    def renew(self, delivery_ids: Iterable[int], owner: str, until: datetime) -> None:
        """Extend this sender's hold on deliveries still in progress (during long waits)."""
        ids = list(delivery_ids)
        if not ids:
            return
        with self.db.session() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.claimed_by == owner)
                .values(claimed_until=until)
            )

    def part_sent(self, delivery_id: int, index: int, message_ids: Sequence[int], until: datetime) -> None:
        """Part `index` reached the chat: the next resume starts after it."""
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or delivery.parts_sent != index:
                return
            delivery.parts_sent = index + 1
            delivery.message_ids = [*delivery.message_ids, *message_ids]
            delivery.claimed_until = until

    def finish(self, delivery_id: int, status: str, error: str | None = None) -> None:
        """Close a delivery as sent or failed (a failure keeps its reason), releasing the claim."""
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                return
            delivery.status = status
            delivery.error = error
            delivery.sent_at = utcnow() if status == SENT else delivery.sent_at
            delivery.claimed_by = delivery.claimed_until = None

    def defer(self, delivery_id: int, error: str) -> None:
        """Leave a delivery pending after a passing failure, so the next pass resumes it."""
        with self.db.session() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(error=error, claimed_by=None, claimed_until=None)
            )

    def release_claims(self, owner: str | None = None) -> int:
        """Drop the holds of a sender known to be gone (all senders when `owner` is None)."""
        with self.db.session() as session:
            query = update(Delivery).where(Delivery.status == PENDING, Delivery.claimed_by.is_not(None))
            if owner is not None:
                query = query.where(Delivery.claimed_by == owner)
            result = session.execute(query.values(claimed_by=None, claimed_until=None))
            return int(getattr(result, "rowcount", 0) or 0)

    def unfinished(self, limit: int | None = None) -> Sequence[Delivery]:
        """Pending deliveries, oldest first: what a pass resumes before starting new ones."""
        with self.db.session() as session:
            query = select(Delivery).where(Delivery.status == PENDING).order_by(Delivery.id)
            if limit is not None:
                query = query.limit(limit)
            return session.scalars(query).all()

    def for_chat(self, chat_pk: int) -> Sequence[Delivery]:
        """A chat's deliveries, oldest first."""
        with self.db.session() as session:
            query = select(Delivery).where(Delivery.chat_pk == chat_pk).order_by(Delivery.id)
            return session.scalars(query).all()

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
