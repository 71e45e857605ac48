"""Restarts lose nothing and double nothing: the real daemon, SIGKILLed in the middle of a fan-out, SIGTERMed
in the middle of the next one, started again: every subscriber gets its digest exactly once.

What a SIGKILL can cost is bounded by the Bot API itself: a message Telegram took whose answer never came
back cannot be told from one that never arrived (there is no idempotency key), so the kill here happens
while the outstanding requests have not reached the stand-in (a network that swallows them), and the test
checks that nothing answered is sent again and nothing unanswered is lost.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.storage import Delivery, Store
from tests.bot.conftest import add_article, subscribe_chat
from tests.bot.daemon_helpers import DaemonProcess, GatedTelegram, daemon_env, wait_until
from tests.store_reads import deliveries_of

pytestmark = [pytest.mark.slow]

CHATS = [7000 + i for i in range(40)]


@pytest.fixture
async def api() -> AsyncIterator[GatedTelegram]:
    fake = GatedTelegram()
    await fake.start()
    yield fake
    fake.release_held()
    await fake.close()


def deliveries(store: Store) -> list[Delivery]:
    with store.db.session() as session:
        return list(session.query(Delivery).order_by(Delivery.id).all())


def parts_recorded(store: Store) -> int:
    return sum(d.parts_sent for d in deliveries(store))


def prepare(tmp_path: Path, api: GatedTelegram) -> Store:
    """Forty subscribers, all due a minute ago, and news for their digest."""
    store = Store(f"sqlite:///{tmp_path / 'daemon.db'}")
    for chat_id in CHATS:
        api.private_chat(chat_id)
        subscribe_chat(store, chat_id, due=datetime.now(UTC) - timedelta(minutes=1))
    for title in ("DeepSeek R1 tops the app store", "Stargate site in Abilene", "DeepSeek limits sign-ups"):
        add_article(store, title, topics=("deepseek", "stargate"))
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    return store


async def test_sigkill_and_sigterm_mid_fan_out_then_every_digest_exactly_once(
    tmp_path: Path, api: GatedTelegram
) -> None:
    store = prepare(tmp_path, api)
    env = daemon_env(tmp_path, api, sources_file=str(tmp_path / "sources.yaml"), bot__overall_per_second="8")

    # 1. SIGKILL while a fan-out is under way: 10 digests answered, more requests outstanding.
    api.hold_after = 10
    first = await DaemonProcess(env, tmp_path / "daemon-1.log").start()
    await wait_until(
        lambda: len(api.messages) == 10 and api.held >= 1 and parts_recorded(store) == 10,
        first,
        what="for the first ten digests",
    )
    await first.kill()
    api.release_held()
    begun = deliveries(store)
    assert 10 < len(begun) < len(CHATS), "the kill should come with some digests begun and others not"

    # 2. Restart; SIGTERM while messages are in flight: they finish, are recorded, the daemon exits 0.
    api.delay_after, api.delay = 20, 1.5
    second = await DaemonProcess(env, tmp_path / "daemon-2.log").start()
    await wait_until(lambda: api.in_flight >= 1, second, what="for a message in flight")
    assert await second.signal(signal.SIGTERM) == 0, second.tail()
    assert api.in_flight == 0
    assert len(api.messages) > 20, "the messages in flight at SIGTERM were finished"
    assert parts_recorded(store) == len(api.messages), "every message Telegram took is recorded as sent"
    assert any(d.status == "pending" for d in deliveries(store)) or len(deliveries(store)) < len(CHATS)

    # 3. Start again: the rest goes out, nothing twice.
    api.delay_after = None
    third = await DaemonProcess(env, tmp_path / "daemon-3.log").start()
    await wait_until(
        lambda: len(deliveries(store)) == len(CHATS) and all(d.status == "sent" for d in deliveries(store)),
        third,
        what="for every digest",
    )
    # A second daemon on the same database refuses to start; a few more passes send nothing again.
    intruder = await DaemonProcess(env, tmp_path / "daemon-4.log").start()
    assert intruder.process is not None and await intruder.process.wait() == 1
    assert f"another seedwatch daemon holds this database (pid {third.pid} on " in intruder.tail()
    await asyncio.sleep(1.0)
    assert await third.signal(signal.SIGTERM) == 0, third.tail()

    for chat_id in CHATS:
        chat = store.chats.get(chat_id)
        assert chat is not None
        [delivery] = deliveries_of(store, chat.id)
        sent = api.sent(chat_id)
        assert len(delivery.parts) == 1 and len(sent) == 1, f"chat {chat_id} got {len(sent)} messages"
        assert "DeepSeek R1 tops the app store" in sent[0].text
        assert chat.next_due_at is not None and chat.next_due_at > datetime.now(UTC)
    assert len(api.messages) == len(CHATS)
    store.close()
