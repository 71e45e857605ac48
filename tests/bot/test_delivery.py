"""Delivery through the stand-in: every Telegram fault handled, every digest recorded and sent once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.application import deliverer_of
from bot.delivery_actions import Action, action_for
from bot.ratelimit import FloodLimiter
from crawler.storage import Store
from tests.bot.conftest import FakeClock, add_article, bot_settings, idle_bot, subscribe_chat
from tests.fakes.telegram_api import FakeTelegram, Limits, bad_entities, retry_after
from tests.store_reads import deliveries_of

USERS = (101, 102, 103)
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")


def _parts(store: Store, chat_id: int) -> list[tuple[str, int, int]]:
    chat = store.chats.get(chat_id)
    assert chat is not None
    return [(d.status, d.parts_sent, len(d.parts)) for d in deliveries_of(store, chat.id)]


async def test_each_due_chat_gets_its_digest_once(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    for user in USERS:
        api.private_chat(user)
        subscribe_chat(bot_store, user)
    add_article(bot_store, "DeepSeek releases R1")
    settings = bot_settings(tmp_path, api.base_url)
    async with idle_bot(settings, bot_store) as app:
        first = await deliverer_of(app).deliver_due()
        bot_store.chats.update(USERS[0], next_due_at=datetime.now(UTC) - timedelta(minutes=1))
        second = await deliverer_of(app).deliver_due()  # due again the same local day: same key, no resend
    assert first.count("sent") == 3
    assert second.count("sent") == 0
    for user in USERS:
        [message] = api.sent(user)
        assert "DeepSeek releases R1" in message.text
        assert _parts(bot_store, user) == [("sent", 1, 1)]
        chat = bot_store.chats.get(user)
        assert chat is not None and chat.next_due_at is not None and chat.next_due_at > datetime.now(UTC)


async def test_a_resumed_delivery_continues_from_the_first_unsent_part(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    delivery, created = bot_store.deliveries.begin(
        pk, "daily:2025-01-28", ["part one", "part two", "part three"]
    )
    bot_store.deliveries.part_sent(delivery.id, 0, [1])  # sent before a crash
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due()
        again = await deliverer_of(app).deliver_due()
    assert created and report.resumed == 1
    assert [m.text for m in api.sent(101)] == ["part two", "part three"]
    assert again.resumed == 0
    assert bot_store.deliveries.get(delivery.id).status == "sent"  # type: ignore[union-attr]


async def test_a_429_longer_than_the_cap_defers_that_chat_only(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    for user in (101, 102):
        api.private_chat(user)
        subscribe_chat(bot_store, user)
    add_article(bot_store, "DeepSeek news")
    api.fail_next(101, retry_after(7200))
    clock = FakeClock()
    limiter = FloodLimiter(1000, 1000, 60000, max_retry_after=30, sleep=clock.sleep)
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store, limiter=limiter) as app:
        report = await deliverer_of(app).deliver_due()
        again = await deliverer_of(app).deliver_due()  # deferred two hours: not retried by the next pass
    assert report.count("sent") == 1 and report.count("deferred") == 1
    assert again.resumed == 0 and api.errors[429] == 1
    assert clock.sleeps == []  # nobody sat out the two hours
    assert api.sent(101) == [] and len(api.sent(102)) == 1
    chat = bot_store.chats.get(101)
    assert chat is not None
    [deferred] = deliveries_of(bot_store, chat.id)
    assert deferred.status == "pending" and deferred.claimed_by is None
    assert deferred.not_before is not None and deferred.not_before > datetime.now(UTC) + timedelta(hours=1.9)


async def test_the_stand_ins_rate_limit_is_respected_without_dropping(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    clock = FakeClock()
    api.clock = clock
    api.limits = Limits(per_chat_per_second=1)
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    bot_store.deliveries.begin(pk, "daily:x", [f"part {i}" for i in range(4)])
    limiter = FloodLimiter(1000, 1000, 60000, sleep=clock.sleep)  # ours too loose on purpose
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store, limiter=limiter) as app:
        await deliverer_of(app).deliver_due()
    assert [m.text for m in api.sent(101)] == [f"part {i}" for i in range(4)]
    # Every 429 was sat out (the chat stays paused for the rest: later parts wait without asking).
    assert api.errors[429] >= 1 and len(clock.sleeps) >= api.errors[429]


async def test_our_limiter_keeps_a_private_chat_under_its_limit(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.limits = Limits(per_chat_per_second=10)
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    bot_store.deliveries.begin(pk, "daily:x", [f"part {i}" for i in range(5)])
    settings = bot_settings(tmp_path, api.base_url, **{"bot.per_chat_per_second": 10})
    async with idle_bot(settings, bot_store) as app:
        await deliverer_of(app).deliver_due()
    assert len(api.sent(101)) == 5
    assert api.errors[429] == 0


async def test_a_blocked_bot_deactivates_the_chat(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101).blocked = True
    api.private_chat(102)
    for user in (101, 102):
        subscribe_chat(bot_store, user)
    add_article(bot_store, "DeepSeek news")
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due()
    assert report.count("failed") == 1 and report.count("sent") == 1
    chat = bot_store.chats.get(101)
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"
    assert deliveries_of(bot_store, chat.id)[0].status == "failed"
    assert [c.chat_id for c in bot_store.chats.subscribers()] == [102]


async def test_a_migrated_group_gets_its_new_id_and_the_digest(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.group(-77, "Old group", admins=(1,))
    subscribe_chat(bot_store, -77, kind="group")
    new_id = api.migrate(-77)
    add_article(bot_store, "DeepSeek news")
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due()
    assert report.count("sent") == 1
    assert api.sent(-77) == [] and "DeepSeek news" in api.sent(new_id)[0].text
    assert bot_store.chats.get(-77) is None
    moved = bot_store.chats.get(new_id)
    assert moved is not None and moved.kind == "supergroup" and moved.subscribed


async def test_rejected_html_falls_back_to_plain_text(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101, due=later)
    bot_store.deliveries.begin(pk, "daily:x", ["<b>Broken &amp; <i>nested</b></i> 5 < 6"])
    api.private_chat(102)
    pk2 = subscribe_chat(bot_store, 102, due=later)
    bot_store.deliveries.begin(pk2, "daily:x", ["<b>fine</b> &amp; good"])
    api.fail_next(102, bad_entities())
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        await deliverer_of(app).deliver_due()
    [plain] = api.sent(101)
    assert plain.parse_mode is None and plain.text == "Broken & nested 5 < 6"
    [fallback] = api.sent(102)
    assert fallback.parse_mode is None and fallback.text == "fine & good"
    assert _parts(bot_store, 101) == [("sent", 1, 1)]


async def test_a_message_too_long_is_split(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    long_part = "\n\n".join(f"<b>Entry {i}</b> " + "x" * 90 for i in range(60))  # ~6,000 visible characters
    bot_store.deliveries.begin(pk, "daily:x", [long_part])
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        await deliverer_of(app).deliver_due()
    sent = api.sent(101)
    assert len(sent) == 2 and all(m.parse_mode == "HTML" for m in sent)
    assert sent[0].text.startswith("Entry 0") and sent[1].text.rstrip().endswith("x")
    assert "Entry 59" in sent[1].text
    assert api.errors[400] == 1


async def test_chat_not_found_deactivates(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    subscribe_chat(bot_store, 555)  # a chat Telegram does not know
    add_article(bot_store, "DeepSeek news")
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due()
    assert report.count("failed") == 1
    chat = bot_store.chats.get(555)
    assert chat is not None and not chat.active and chat.inactive_reason == "Chat not found"


async def test_stopping_finishes_the_message_in_flight_and_resumes_later(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    delivery, _ = bot_store.deliveries.begin(pk, "daily:x", ["one", "two", "three"])
    clock = FakeClock()
    clock.gate = asyncio.Event()  # the 429 wait hangs until we stop
    limiter = FloodLimiter(1000, 1000, 60000, max_retry_after=7200, sleep=clock.sleep)
    settings = bot_settings(tmp_path, api.base_url)
    api.fail_next(101, retry_after(3600), after=1)  # "one" passes, "two" meets a long 429
    async with idle_bot(settings, bot_store, limiter=limiter) as app:
        deliverer = deliverer_of(app)
        passing = asyncio.create_task(deliverer.deliver_due())
        await api.wait_for(lambda: api.errors[429] == 1)
        await deliverer.stop(timeout=0.2)
        await asyncio.gather(passing, return_exceptions=True)
    assert [m.text for m in api.sent(101)] == ["one"]
    stopped = bot_store.deliveries.get(delivery.id)
    assert stopped is not None and stopped.status == "pending" and stopped.parts_sent == 1
    async with idle_bot(settings, bot_store) as app:
        await deliverer_of(app).deliver_due()
    assert [m.text for m in api.sent(101)] == ["one", "two", "three"]


async def test_a_digest_too_late_is_rolled_into_the_next(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    subscribe_chat(bot_store, 101, due=datetime.now(UTC) - timedelta(hours=9))
    add_article(bot_store, "DeepSeek news")
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due(grace=timedelta(hours=6))
    assert report.late_skipped == 1 and api.sent(101) == []
    chat = bot_store.chats.get(101)
    assert chat is not None and chat.next_due_at is not None and chat.next_due_at > datetime.now(UTC)
    assert chat.last_window_end is None  # nothing was told: the next digest covers these articles


def test_errors_map_to_actions_in_one_place() -> None:
    from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, TimedOut

    assert action_for(Forbidden("Forbidden: bot was kicked from the group chat")) is Action.DEACTIVATE
    assert action_for(ChatMigrated(-100123)) is Action.MIGRATE
    assert action_for(BadRequest("Can't parse entities: unsupported start tag")) is Action.PLAIN_TEXT
    assert action_for(BadRequest("Message is too long")) is Action.SPLIT
    assert action_for(BadRequest("Chat not found")) is Action.DEACTIVATE
    assert action_for(BadRequest("Message thread not found")) is Action.DROP_THREAD
    assert action_for(BadRequest("Wrong file identifier")) is Action.FAIL
    assert action_for(TimedOut()) is Action.DEFER and action_for(NetworkError("x")) is Action.DEFER


async def test_a_pass_runs_as_a_job_of_ptbs_job_queue(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    from telegram.ext import ContextTypes

    from tests.bot.conftest import running_bot

    api.private_chat(101)
    subscribe_chat(bot_store, 101)
    add_article(bot_store, "DeepSeek via the job queue")
    reports = []

    async def dispatch(context: ContextTypes.DEFAULT_TYPE) -> None:
        reports.append(await deliverer_of(context.application).deliver_due(grace=timedelta(hours=6)))

    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        assert app.job_queue is not None
        app.job_queue.run_once(dispatch, 0)
        await api.wait_sent(101, 1)
        await api.wait_for(lambda: bool(reports))
    assert reports[0].count("sent") == 1
    assert "DeepSeek via the job queue" in api.sent(101)[0].text


async def test_an_admin_notice_is_a_recorded_delivery_told_once(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    from tests.bot.conftest import ADMIN

    api.private_chat(ADMIN)
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        deliverer = deliverer_of(app)
        first = await deliverer.notify(ADMIN, "⚠️ Source failing", "2026120620:abc")
        again = await deliverer.notify(ADMIN, "⚠️ Source failing", "2026120620:abc")  # a retry
        nobody = await deliverer.notify(424242, "⚠️ Source failing", "2026120620:abc")  # never started us
    assert (first, again, nobody) == ("sent", "sent", "failed")
    assert [m.text for m in api.sent(ADMIN)] == ["⚠️ Source failing"]
    chat = bot_store.chats.get(ADMIN)
    assert chat is not None and not chat.subscribed
    [notice] = deliveries_of(bot_store, chat.id)
    assert notice.digest_key == "notice:2026120620:abc" and notice.message_ids == [
        api.sent(ADMIN)[0].message_id
    ]


async def test_the_broadcast_report_counts_what_telegram_took(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    for user in (101, 102, 103):
        api.private_chat(user)
        subscribe_chat(bot_store, user, due=later)
    api.chats[102].blocked = True
    api.fail_next(103, retry_after(3600))
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).broadcast("Maintenance tonight", key="42")
    assert (report.due, report.count("sent"), report.count("failed"), report.count("pending")) == (3, 1, 1, 1)
    assert [m.text for m in api.sent(101)] == ["Maintenance tonight"]
    assert api.sent(102) == [] and api.sent(103) == []


async def test_one_send_at_a_time_still_splits_a_part_too_long(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(101)
    pk = subscribe_chat(bot_store, 101)
    long_part = "\n\n".join(f"<b>Entry {i}</b> " + "x" * 90 for i in range(60))
    bot_store.deliveries.begin(pk, "daily:x", [long_part, "after"])
    settings = bot_settings(tmp_path, api.base_url, **{"bot.concurrent_sends": 1})
    async with idle_bot(settings, bot_store) as app:
        report = await asyncio.wait_for(deliverer_of(app).deliver_due(), 60)
    assert report.count("sent") == 1
    assert len(api.sent(101)) == 3 and api.sent(101)[-1].text == "after"
