"""SIGKILL bound: the real daemon, killed at ten random points of a 500-chat fan-out and started again each
time. Every chat gets its whole digest once, in order; the only parts that arrive twice are requests that
were on the wire at a kill (one per chat at most, `bot.concurrent_sends` at most per kill)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crawler.storage import Store
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_kills import analyse, fan_out_with_kills, prepare

pytestmark = [pytest.mark.slow]

CHATS, KILLS, CONCURRENT_SENDS = 500, 10, 4


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.latency = (0.001, 0.01)  # a network's time between Telegram taking a message and its answer
    await fake.start()
    yield fake
    fake.release_answers()
    await fake.close()


@pytest.mark.timeout(900)  # eleven daemon starts: about a minute and a half, far more on a loaded machine
async def test_random_sigkills_double_only_what_was_on_the_wire(tmp_path: Path, api: FakeTelegram) -> None:
    store = Store(f"sqlite:///{tmp_path / 'daemon.db'}")
    chat_ids = prepare(store, api, CHATS)
    rng = random.Random()
    points = await fan_out_with_kills(
        tmp_path, api, store, chat_ids, kills=KILLS, rng=rng, concurrent_sends=CONCURRENT_SENDS
    )
    outcome = analyse(api, store, chat_ids, points)
    store.close()
    assert len(points) == KILLS
    assert outcome.problems == []
    assert outcome.parts >= 2 * CHATS  # digests of several parts: kills fall between a chat's parts
    for point, doubled in zip(points, outcome.doubled_per_kill, strict=True):
        assert len(point.in_flight) <= CONCURRENT_SENDS
        assert doubled <= len(point.in_flight)
    assert outcome.messages == outcome.parts + sum(outcome.doubled_per_kill)
