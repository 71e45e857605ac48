"""Races, on SQLite and PostgreSQL: `/digest` and `/broadcast` while dispatch passes keep running, and two
senders over one database. Each part reaches its chat once, in order, in the right forum topic."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.application import deliverer_of
from crawler.storage import Store
from tests.bot.conftest import ADMIN, add_article, bot_settings, idle_bot, running_bot, subscribe_chat
from tests.fakes.telegram_api import FakeTelegram
from tests.store_reads import deliveries_of

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
LATER = datetime.now(UTC) + timedelta(days=1)
FORUM, ASKED_FROM, SUBSCRIBED_FROM = -1001500, 77, 42
SUBSCRIBERS = [5000 + i for i in range(30)]


@pytest.fixture
def race_store(db_url: str) -> Iterator[Store]:
    """The database both sides share (SQLite, then PostgreSQL)."""
    with Store(db_url) as store:
        yield store


def _news(store: Store, stories: int = 20) -> None:
    """Enough news for a digest of three parts."""
    for i in range(stories):
        headline = f"DeepSeek story number {i}: " + "a long headline about models and chips " * 3
        add_article(store, headline, text="DeepSeek said many things. " * 40)


async def test_digest_and_broadcast_while_dispatch_passes_run(
    api: FakeTelegram, race_store: Store, tmp_path: Path
) -> None:
    api.private_chat(ADMIN)
    api.group(FORUM, "Forum", admins=(1,), forum_threads=(SUBSCRIBED_FROM, ASKED_FROM))
    subscribe_chat(race_store, FORUM, kind="supergroup", due=LATER, thread_id=SUBSCRIBED_FROM)
    for chat_id in SUBSCRIBERS:
        api.private_chat(chat_id)
        subscribe_chat(race_store, chat_id, due=LATER)
    _news(race_store)
    # A digest of three parts takes a second at 3 messages/s per chat: many passes fall inside it.
    settings = bot_settings(
        tmp_path, api.base_url, database_url=race_store.db.url, **{"bot.per_chat_per_second": 3}
    )
    passes = 0
    async with running_bot(settings, race_store) as app:
        deliverer = deliverer_of(app)

        async def dispatch_every_quarter_second() -> None:
            nonlocal passes
            while True:
                await deliverer.deliver_due()
                passes += 1
                await asyncio.sleep(0.25)

        dispatcher = asyncio.create_task(dispatch_every_quarter_second())
        try:
            api.send(FORUM, 1, "/digest", thread_id=ASKED_FROM)
            api.send(ADMIN, ADMIN, "/broadcast Maintenance tonight")
            await api.wait_for(lambda: any("Broadcast" in m.text for m in api.sent(ADMIN)), timeout=30)
            await api.wait_for(lambda: len([m for m in api.sent(FORUM) if m.thread_id == ASKED_FROM]) >= 3)
            await asyncio.sleep(1.0)  # a few more passes: nothing may go out again
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
    assert passes >= 4
    for chat_id in SUBSCRIBERS:
        assert [m.text for m in api.sent(chat_id)] == ["Maintenance tonight"], chat_id
    forum = api.sent(FORUM)
    in_subscribed = [m.text for m in forum if m.thread_id == SUBSCRIBED_FROM]
    assert in_subscribed == ["Maintenance tonight"]  # the broadcast goes to the subscribed topic
    digest = [m.raw for m in forum if m.thread_id == ASKED_FROM]
    chat = race_store.chats.get(FORUM)
    assert chat is not None
    [asked] = [d for d in deliveries_of(race_store, chat.id) if d.digest_key.startswith("now:")]
    assert len(asked.parts) == 3 and asked.status == "sent" and asked.target_thread_id == ASKED_FROM
    assert digest == asked.parts  # every part once, in order, in topic 77 only
    report = api.sent(ADMIN)[-1].text
    n = len(SUBSCRIBERS) + 1
    assert report == f"Broadcast queued for {n} chats: {n} sent, 0 failed."
    assert sum(1 for m in api.messages if m.text == "Maintenance tonight") == n


async def test_two_senders_over_one_database(api: FakeTelegram, race_store: Store, tmp_path: Path) -> None:
    chats = [6000 + i for i in range(24)]
    for chat_id in chats:
        api.private_chat(chat_id)
        subscribe_chat(race_store, chat_id)
    _news(race_store)
    settings = bot_settings(
        tmp_path, api.base_url, database_url=race_store.db.url, **{"bot.per_chat_per_second": 5}
    )
    with Store(race_store.db.url) as other_store:
        async with idle_bot(settings, race_store) as one, idle_bot(settings, other_store) as two:
            first, second = deliverer_of(one), deliverer_of(two)

            async def passes(deliverer: object, count: int) -> None:
                for _ in range(count):
                    await deliverer.deliver_due()  # type: ignore[attr-defined]

            await asyncio.gather(passes(first, 4), passes(second, 4))
    for chat_id in chats:
        chat = race_store.chats.get(chat_id)
        assert chat is not None
        [delivery] = deliveries_of(race_store, chat.id)
        assert delivery.status == "sent" and len(delivery.parts) == 3
        assert [m.raw for m in api.sent(chat_id)] == delivery.parts, f"chat {chat_id}"
    assert len(api.messages) == 3 * len(chats)
