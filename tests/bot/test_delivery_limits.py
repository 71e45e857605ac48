"""Send-side responsiveness through the stand-in: a chat's limit or 429 holds up that chat only; an outage
defers with backoff; a migrated group gets the rest of its digest at the new id; dead leases come back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery import Deliverer
from bot.ratelimit import FloodLimiter
from crawler.storage import Store
from crawler.storage.deliveries import Lease
from tests.bot.conftest import FakeClock, bot_settings, idle_bot, subscribe_chat
from tests.fakes.telegram_api import FakeTelegram, retry_after

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
LATER = datetime.now(UTC) + timedelta(days=1)  # chats not due: only the deliveries a test begins are sent


def _begin(store: Store, chat_id: int, parts: list[str], *, kind: str = "private") -> int:
    pk = subscribe_chat(store, chat_id, kind=kind, due=LATER)
    delivery, _ = store.deliveries.begin(pk, "daily:x", parts)
    return delivery.id


def _arrivals(api: FakeTelegram, chat_id: int) -> list[float]:
    return [r.arrived for r in api.log if r.chat_id == chat_id and r.message_id is not None]


async def test_a_429_pauses_only_the_chat_it_was_for(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    _begin(bot_store, 101, ["a1", "a2"])
    others = list(range(201, 211))
    for chat_id in others:
        api.private_chat(chat_id)
        _begin(bot_store, chat_id, [f"{chat_id}-1", f"{chat_id}-2"])
    api.fail_next(101, retry_after(20))
    clock = FakeClock()
    clock.gate = asyncio.Event()  # chat 101's wait lasts until every other chat is done
    limiter = FloodLimiter(1000, 1000, 60000, sleep=clock.sleep)
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store, limiter=limiter) as app:
        passing = asyncio.create_task(
            Deliverer(app.bot_data["seedwatch"].settings, bot_store, app.bot).deliver_due()
        )
        await api.wait_for(lambda: all(len(api.sent(c)) == 2 for c in others))
        assert api.sent(101) == [] and len(clock.sleeps) == 1 and 19.5 < clock.sleeps[0] <= 20.1
        clock.gate.set()
        report = await passing
    assert report.count("sent") == 11
    assert [m.text for m in api.sent(101)] == ["a1", "a2"]
    assert limiter.global_pauses == 0


async def test_429s_across_many_chats_pause_everything(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    chats = [301, 302, 303, 304]
    for chat_id in chats:
        api.private_chat(chat_id)
        _begin(bot_store, chat_id, [f"{chat_id}"])
    for chat_id in chats[:3]:
        api.fail_next(chat_id, retry_after(5))
    clock = FakeClock()
    limiter = FloodLimiter(1000, 1000, 60000, sleep=clock.sleep)
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store, limiter=limiter) as app:
        report = await Deliverer(app.bot_data["seedwatch"].settings, bot_store, app.bot).deliver_due()
    assert report.count("sent") == 4 and api.errors[429] == 3
    assert limiter.global_pauses >= 1  # three chats flooded within a second: Telegram's overall limit


async def test_a_chats_own_limit_delays_only_that_chat(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    _begin(bot_store, 101, ["a1", "a2"])
    others = list(range(401, 431))
    for chat_id in others:
        api.private_chat(chat_id)
        _begin(bot_store, chat_id, [f"{chat_id}"])
    # One message per 5 s to a chat: chat 101's second part waits; nobody else's message should.
    settings = bot_settings(
        tmp_path, api.base_url, **{"bot.per_chat_per_second": 0.2, "bot.concurrent_sends": 2}
    )
    async with idle_bot(settings, bot_store) as app:
        report = await Deliverer(settings, bot_store, app.bot).deliver_due()
    assert report.count("sent") == 31
    first, second = _arrivals(api, 101)
    assert second - first >= 4.9
    # ... while the other 30 chats, behind it in the queue, were not kept waiting for it.
    assert max(t for chat_id in others for t in _arrivals(api, chat_id)) < second


async def test_an_outage_defers_with_backoff_then_resumes(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    delivery_id = _begin(bot_store, 101, ["one", "two"])
    settings = bot_settings(tmp_path, api.base_url)
    now = datetime.now(UTC)
    times = iter([now, now + timedelta(seconds=1), now + timedelta(seconds=6), now + timedelta(seconds=30)])
    moment = [now]

    def clock() -> datetime:
        return moment[0]

    async with idle_bot(settings, bot_store) as app:
        deliverer = Deliverer(settings, bot_store, app.bot, clock=clock)
        api.outage(502)
        moment[0] = next(times)
        failed = await deliverer.deliver_due()
        deferred = bot_store.deliveries.get(delivery_id)
        moment[0] = next(times)
        too_soon = await deliverer.deliver_due()
        moment[0] = next(times)
        again = await deliverer.deliver_due()  # still down: the wait doubles
        second = bot_store.deliveries.get(delivery_id)
        api.outage(None)
        moment[0] = next(times)
        back = await deliverer.deliver_due()
    assert failed.count("deferred") == 1 and too_soon.resumed == 0 and again.count("deferred") == 1
    assert deferred is not None and deferred.not_before == now + timedelta(seconds=5)
    assert second is not None and second.not_before == now + timedelta(seconds=6 + 10)
    assert back.count("sent") == 1
    assert [m.text for m in api.sent(101)] == ["one", "two"]
    assert api.errors[502] == 2


async def test_a_group_migrating_mid_digest_gets_the_rest_at_its_new_id(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.group(-77, "Old group", admins=(1,))
    delivery_id = _begin(bot_store, -77, ["one", "two", "three"], kind="group")
    settings = bot_settings(tmp_path, api.base_url, **{"bot.per_chat_per_second": 2})
    async with idle_bot(settings, bot_store) as app:
        deliverer = Deliverer(settings, bot_store, app.bot)
        sending = asyncio.create_task(deliverer.deliver_due())
        await api.wait_for(lambda: len(api.sent(-77)) == 1)
        new_id = api.migrate(-77)
        report = await sending
    assert report.count("sent") == 1
    assert [m.text for m in api.sent(-77)] == ["one"]
    assert [m.text for m in api.sent(new_id)] == ["two", "three"]
    done = bot_store.deliveries.get(delivery_id)
    assert done is not None and done.target_chat_id == new_id and done.status == "sent"


async def test_a_dead_holders_lease_comes_back_a_live_one_is_left_alone(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    api.private_chat(102)
    dead = _begin(bot_store, 101, ["from a dead sender"])
    live = _begin(bot_store, 102, ["held by a live sender"])
    now = datetime.now(UTC)
    assert bot_store.deliveries.claim(
        dead, Lease("gone:1:x", now - timedelta(seconds=1)), now - timedelta(minutes=1)
    )
    assert bot_store.deliveries.claim(live, Lease("alive:2:y", now + timedelta(minutes=5)), now)
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await Deliverer(app.bot_data["seedwatch"].settings, bot_store, app.bot).deliver_due()
    assert report.count("sent") == 1
    assert [m.text for m in api.sent(101)] == ["from a dead sender"]
    assert api.sent(102) == []


async def test_during_an_outage_a_pass_stops_after_a_few_failures(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    chats = list(range(501, 541))
    for chat_id in chats:
        api.private_chat(chat_id)
        _begin(bot_store, chat_id, [f"{chat_id}"])
    settings = bot_settings(tmp_path, api.base_url)
    async with idle_bot(settings, bot_store) as app:
        deliverer = Deliverer(settings, bot_store, app.bot)
        api.outage(502)
        down = await deliverer.deliver_due()
        failed = api.errors[502]
        api.outage(None)
        back = await deliverer.deliver_due()
    assert failed < 3 + deliverer.workers  # not one failing request per chat
    assert down.count("postponed") == len(chats) - failed
    assert back.count("sent") == len(chats) - failed  # the untried ones; the failed ones wait out backoff
    assert sorted(m.chat_id for m in api.messages) == sorted(
        set(chats) - {r.chat_id for r in api.log if r.status == 502}
    )
