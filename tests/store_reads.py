"""Reads only tests make: rows as the database holds them, to check what the code under test wrote."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from crawler.storage import Delivery, Store
from crawler.storage.models import Article


def deliveries_of(store: Store, chat_pk: int) -> Sequence[Delivery]:
    """A chat's deliveries, oldest first."""
    with store.db.session() as session:
        return session.scalars(
            select(Delivery).where(Delivery.chat_pk == chat_pk).order_by(Delivery.id)
        ).all()


def article_row(store: Store, article_id: int) -> Article | None:
    """One stored article row, if it is there."""
    with store.db.session() as session:
        return session.get(Article, article_id)
