"""Queries on Telegram chats and their digest settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from crawler.storage.models import Chat
from crawler.storage.store import Database

SETTINGS = frozenset(
    {
        "kind",
        "title",
        "thread_id",
        "lang",
        "timezone",
        "digest_time",
        "topics",
        "include_words",
        "exclude_words",
        "subscribed",
        "active",
        "inactive_reason",
        "added_by",
        "manages_chat_id",
        "last_window_end",
        "next_due_at",
    }
)


class ChatRepo:
    """Chats: one row per Telegram chat, found by its Telegram id; the row's own id survives migration."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, chat_id: int) -> Chat | None:
        """The chat with this Telegram id."""
        with self.db.session() as session:
            return session.scalar(select(Chat).where(Chat.chat_id == chat_id))

    def by_pk(self, pk: int) -> Chat | None:
        """The chat with this row id."""
        with self.db.session() as session:
            return session.get(Chat, pk)

    def ensure(self, chat_id: int, defaults: Mapping[str, Any]) -> Chat:
        """The chat with this Telegram id, created with `defaults` when it is new."""
        _check(defaults)
        try:
            with self.db.session() as session:
                chat = session.scalar(select(Chat).where(Chat.chat_id == chat_id))
                if chat is None:
                    chat = Chat(chat_id=chat_id, **defaults)
                    session.add(chat)
                    session.flush()
                return chat
        except IntegrityError:  # created meanwhile by another process or thread (two first updates at once)
            found = self.get(chat_id)
            if found is None:
                raise
            return found

    def update(self, chat_id: int, **values: Any) -> Chat | None:
        """Change a chat's settings; None when the chat is unknown."""
        _check(values)
        with self.db.session() as session:
            chat = session.scalar(select(Chat).where(Chat.chat_id == chat_id))
            if chat is None:
                return None
            for key, value in values.items():
                setattr(chat, key, value)
            session.flush()
            return chat

    def deactivate(self, pk: int, reason: str) -> None:
        """Stop sending to a chat that blocked, left or vanished; kept so a later /start revives it."""
        with self.db.session() as session:
            chat = session.get(Chat, pk)
            if chat is not None:
                chat.active = False
                chat.inactive_reason = reason

    def migrate(self, old_chat_id: int, new_chat_id: int) -> Chat | None:
        """A group became a supergroup: its settings and history move to the new id."""
        with self.db.session() as session:
            chat = session.scalar(select(Chat).where(Chat.chat_id == old_chat_id))
            if chat is None:
                return None
            # A row for the new id may exist already (a command sent there first): the old one's
            # subscription and delivery history win.
            session.execute(delete(Chat).where(Chat.chat_id == new_chat_id))
            chat.chat_id = new_chat_id
            chat.kind = "supergroup"
            session.flush()
            return chat

    def due(self, now: datetime, limit: int | None = None) -> Sequence[Chat]:
        """Subscribed, active chats whose next digest time has come, the longest-waiting first."""
        with self.db.session() as session:
            query = (
                select(Chat)
                .where(Chat.subscribed.is_(True), Chat.active.is_(True), Chat.next_due_at <= now)
                .order_by(Chat.next_due_at, Chat.id)
            )
            if limit is not None:
                query = query.limit(limit)
            return session.scalars(query).all()

    def subscribers(self) -> Sequence[Chat]:
        """Every subscribed, active chat."""
        with self.db.session() as session:
            query = select(Chat).where(Chat.subscribed.is_(True), Chat.active.is_(True)).order_by(Chat.id)
            return session.scalars(query).all()

    def managing(self, manager_chat_id: int) -> Chat | None:
        """The channel a private chat is setting up, if any."""
        with self.db.session() as session:
            target = session.scalar(select(Chat.manages_chat_id).where(Chat.chat_id == manager_chat_id))
            if target is None:
                return None
            return session.scalar(select(Chat).where(Chat.chat_id == target))

    def counts(self) -> dict[str, int]:
        """How many chats there are, subscribed and inactive."""
        with self.db.session() as session:
            total = session.scalar(select(func.count(Chat.id))) or 0
            subscribed = session.scalar(
                select(func.count(Chat.id)).where(Chat.subscribed.is_(True), Chat.active.is_(True))
            )
            inactive = session.scalar(select(func.count(Chat.id)).where(Chat.active.is_(False)))
        return {"chats": int(total), "subscribers": int(subscribed or 0), "inactive": int(inactive or 0)}

    def next_digest_due(self) -> datetime | None:
        """The earliest next digest of a subscribed, active chat."""
        with self.db.session() as session:
            return session.scalar(
                select(func.min(Chat.next_due_at)).where(Chat.subscribed.is_(True), Chat.active.is_(True))
            )


def _check(values: Mapping[str, Any]) -> None:
    unknown = set(values) - SETTINGS
    if unknown:
        raise ValueError(f"unknown chat settings: {sorted(unknown)}")
