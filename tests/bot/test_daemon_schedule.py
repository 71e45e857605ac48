"""When digests fall due, with an injected clock: local times across time zones and DST, catch-up after
downtime within the grace period, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.application import deliverer_of
from bot.digest_time import daily_key, next_due
from crawler.storage import Store
from tests.bot.conftest import add_article, bot_settings, idle_bot, subscribe_chat
from tests.fakes.telegram_api import FakeTelegram
from tests.store_reads import deliveries_of

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


def days_of_digests(start: datetime, digest_time: str, zone: str, days: int) -> list[datetime]:
    """The due times a daemon would walk through, each computed from the one before."""
    due, out = start, []
    for _ in range(days):
        due = next_due(due, digest_time, zone)
        out.append(due)
    return out


def test_a_digest_keeps_its_local_time_across_the_spring_dst_change() -> None:
    dues = days_of_digests(datetime(2025, 3, 6, tzinfo=UTC), "08:00", "America/New_York", 6)
    assert [d.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for d in dues] == [
        "03-06 08:00",
        "03-07 08:00",
        "03-08 08:00",
        "03-09 08:00",  # the first day of daylight saving time
        "03-10 08:00",
        "03-11 08:00",
    ]
    assert [d.hour for d in dues] == [13, 13, 13, 12, 12, 12]  # in UTC the hour moves instead


def test_a_time_that_occurs_twice_in_autumn_gives_one_digest() -> None:
    # 02:30 happens twice in Berlin on 26 October 2025; the digest comes once that day.
    dues = days_of_digests(datetime(2025, 10, 24, 12, tzinfo=UTC), "02:30", "Europe/Berlin", 4)
    local_days = [d.astimezone(BERLIN).date().isoformat() for d in dues]
    assert local_days == ["2025-10-25", "2025-10-26", "2025-10-27", "2025-10-28"]
    assert {daily_key(d, "Europe/Berlin") for d in dues} == {f"daily:{day}" for day in local_days}


def test_a_time_that_does_not_exist_in_spring_still_gives_that_days_digest() -> None:
    dues = days_of_digests(datetime(2025, 3, 8, 12, tzinfo=UTC), "02:30", "America/New_York", 3)
    assert [d.astimezone(NEW_YORK).date().day for d in dues] == [9, 10, 11]


def test_the_same_instant_is_a_different_local_day_in_each_zone() -> None:
    instant = datetime(2025, 1, 27, 23, 30, tzinfo=UTC)
    assert next_due(instant, "08:00", "Asia/Shanghai") == datetime(2025, 1, 28, 0, 0, tzinfo=UTC)
    assert next_due(instant, "08:00", "America/Los_Angeles") == datetime(2025, 1, 28, 16, 0, tzinfo=UTC)
    assert next_due(instant, "08:00", "UTC") == datetime(2025, 1, 28, 8, 0, tzinfo=UTC)


async def test_a_digest_missed_while_down_goes_out_once_within_grace(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    """Due at 08:00 Shanghai; the daemon is back three hours later: sent once, then due tomorrow."""
    due = datetime(2025, 1, 28, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    back = due + timedelta(hours=3)
    api.private_chat(501)
    subscribe_chat(bot_store, 501, due=due, timezone="Asia/Shanghai")
    add_article(bot_store, "DeepSeek overnight news", fetched=due - timedelta(hours=2))
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        deliverer = deliverer_of(app)
        first = await deliverer.deliver_due(back, grace=timedelta(hours=6))
        again = await deliverer.deliver_due(back + timedelta(minutes=1), grace=timedelta(hours=6))
    assert (first.due, first.count("sent"), again.due, again.resumed) == (1, 1, 0, 0)
    assert len(api.sent(501)) == 1 and "DeepSeek overnight news" in api.sent(501)[0].text
    chat = bot_store.chats.get(501)
    assert chat is not None and chat.next_due_at == due + timedelta(days=1)
    [delivery] = deliveries_of(bot_store, chat.id)
    assert delivery.digest_key == "daily:2025-01-28"


async def test_a_digest_later_than_grace_is_skipped_and_rolls_into_the_next(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    due = datetime(2025, 1, 28, 0, 0, tzinfo=UTC)
    back = due + timedelta(hours=7)
    api.private_chat(502)
    subscribe_chat(bot_store, 502, due=due, timezone="Asia/Shanghai")
    add_article(bot_store, "DeepSeek old news", fetched=due - timedelta(hours=2))
    async with idle_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        report = await deliverer_of(app).deliver_due(back, grace=timedelta(hours=6))
    assert (report.due, report.late_skipped) == (0, 1)
    assert api.sent(502) == []
    chat = bot_store.chats.get(502)
    assert chat is not None and chat.next_due_at == due + timedelta(days=1)
    assert chat.last_window_end is None  # the window is not moved: tomorrow's digest covers these articles
