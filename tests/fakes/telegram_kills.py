"""A fan-out under hard kills: the real daemon (`python -m bot run`) sends a day's digests to many chats
through the Telegram stand-in and is SIGKILLed at random points, then started again, until every digest
is out. Used by the random-kill test and by `benchmarks.fanout --kills`.

At each kill point the stand-in holds its answers (the messages are taken, the replies stay on the wire),
waits until every answer it did give is recorded as sent, and the process is killed: the requests held
then are exactly the ones whose fate the sender cannot know. `analyse` checks every chat's messages
against its recorded delivery and ties each doubled part to the in-flight request of a kill.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from crawler.storage import Delivery, Store
from tests.bot.conftest import add_article, subscribe_chat
from tests.bot.daemon_helpers import DaemonProcess, daemon_env, wait_until
from tests.fakes.telegram_api import FakeTelegram
from tests.store_reads import deliveries_of


@dataclass
class KillPoint:
    """One SIGKILL: when, after how many accepted messages, and the sendMessage requests then on the wire."""

    at: float
    accepted: int
    in_flight: list[tuple[int, int]]  # (chat id, message id) of the held requests Telegram took


@dataclass
class KillOutcome:
    """What the chats got, checked against the records."""

    kills: list[KillPoint]
    chats: int
    messages: int
    parts: int
    doubled_per_kill: list[int]
    problems: list[str] = field(default_factory=list)  # chats missing, out of order, doubled unexplained


def prepare(store: Store, api: FakeTelegram, chats: int, stories: int = 12) -> list[int]:
    """`chats` private chats subscribed and due, and news for a digest of several parts each."""
    chat_ids = [7_000_000 + i for i in range(chats)]
    due = datetime.now(UTC) - timedelta(minutes=1)
    for chat_id in chat_ids:
        api.private_chat(chat_id)
        subscribe_chat(store, chat_id, due=due)
    for i in range(stories):
        headline = f"DeepSeek story number {i}: " + "a long headline about models and chips " * 3
        add_article(store, headline, text="DeepSeek said many things. " * 40)
    return chat_ids


async def fan_out_with_kills(
    tmp_path: Path,
    api: FakeTelegram,
    store: Store,
    chat_ids: list[int],
    *,
    kills: int,
    rng: random.Random,
    concurrent_sends: int = 4,
    every: tuple[int, int] = (15, 60),
) -> list[KillPoint]:
    """Run the daemon, SIGKILL it `kills` times (each after a random count of messages), then let it end."""
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    env = daemon_env(
        tmp_path,
        api,
        sources_file=str(tmp_path / "sources.yaml"),
        bot__overall_per_second="1000",
        bot__per_chat_per_second="1000",
        bot__per_group_per_minute="60000",
        bot__concurrent_sends=str(concurrent_sends),
        bot__delivery_lease_seconds="5",
        daemon__dispatch_every_seconds="0.5",
    )
    points: list[KillPoint] = []
    loop = asyncio.get_running_loop()
    daemon: DaemonProcess | None = None
    try:
        for run in range(kills):
            daemon = await DaemonProcess(env, tmp_path / f"daemon-{run}.log").start()
            target = len(api.messages) + rng.randint(*every)
            await wait_until(
                lambda n=target: len(api.messages) >= n,  # type: ignore[misc]
                daemon,
                timeout=120,
                what=f"before kill {run + 1}",
            )
            api.hold_answers()
            # Every answer given has reached the sender and been recorded: what is left is on the wire.
            await wait_until(
                lambda: _settled(api, store), daemon, timeout=60, what=f"settling before kill {run + 1}"
            )
            await asyncio.sleep(rng.uniform(0.0, 0.2))
            await daemon.signal(signal.SIGKILL)
            await asyncio.sleep(0.1)  # a request already written before the kill is still read and taken
            held = [(r.chat_id or 0, r.message_id or 0) for r in api.in_flight_sends() if r.message_id]
            points.append(KillPoint(loop.time(), len(api.messages), held))
            api.release_answers()
        daemon = await DaemonProcess(env, tmp_path / "daemon-last.log").start()
        total = len(chat_ids)
        await wait_until(lambda: _all_sent(store, total), daemon, timeout=240, what="for every digest")
        assert await daemon.signal(signal.SIGTERM) == 0, daemon.tail()
    finally:
        api.release_answers()
        if daemon is not None and daemon.process is not None and daemon.process.returncode is None:
            await daemon.kill()  # a failed run leaves no daemon behind
    return points


def _settled(api: FakeTelegram, store: Store) -> bool:
    """Every part the stand-in took and answered is recorded as sent (held answers aside)."""
    answered = {(r.chat_id, r.message_id) for r in api.log if r.message_id is not None and r.status == 200}
    parts = {(m.chat_id, m.raw) for m in api.messages if (m.chat_id, m.message_id) in answered}
    with store.db.session() as session:
        recorded = session.scalar(select(func.coalesce(func.sum(Delivery.parts_sent), 0)))
    return int(recorded or 0) == len(parts)


def _all_sent(store: Store, chats: int) -> bool:
    counts = store.deliveries.counts_since(datetime.now(UTC) - timedelta(days=1))
    return counts["sent"] == chats and counts["pending"] == 0


def analyse(api: FakeTelegram, store: Store, chat_ids: list[int], points: list[KillPoint]) -> KillOutcome:
    """Each chat: the whole digest, in order, each part once except a part on the wire at a kill."""
    in_flight = {pair: k for k, point in enumerate(points) for pair in point.in_flight}
    doubled = [0] * len(points)
    outcome = KillOutcome(points, len(chat_ids), len(api.messages), 0, doubled)
    for chat_id in chat_ids:
        chat = store.chats.get(chat_id)
        assert chat is not None
        deliveries = deliveries_of(store, chat.id)
        if len(deliveries) != 1 or deliveries[0].status != "sent":
            outcome.problems.append(f"chat {chat_id}: deliveries {[d.status for d in deliveries]}")
            continue
        parts = deliveries[0].parts
        outcome.parts += len(parts)
        got = api.sent(chat_id)
        collapsed = [m for i, m in enumerate(got) if i == 0 or m.raw != got[i - 1].raw]
        if [m.raw for m in collapsed] != parts:
            outcome.problems.append(
                f"chat {chat_id}: {len(got)} messages, not its {len(parts)} parts in order"
            )
        kills_seen: set[int] = set()
        for previous, message in itertools.pairwise(got):
            if message.raw != previous.raw:
                continue
            kill = in_flight.get((chat_id, previous.message_id))
            if kill is None:
                outcome.problems.append(f"chat {chat_id}: part sent twice, not on the wire at any kill")
            elif kill in kills_seen:
                outcome.problems.append(f"chat {chat_id}: two parts doubled by kill {kill + 1}")
            else:
                kills_seen.add(kill)
                doubled[kill] += 1
    return outcome
