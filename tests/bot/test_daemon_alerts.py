"""Admins are told of a failing or empty source once per streak, not every cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.alerts import Alerter, plan_notices
from bot.supervise import CrawlOutcome
from crawler.config import Settings, load_settings
from crawler.schedule import SourceState
from crawler.storage import Store

FEED = "https://flaky.example/feed"
LISTING = "https://listing.example/news"


class Admins:
    """Collects what the bot would send to admins; can pretend Telegram is down."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []
        self.down = False

    async def send(self, chat_id: int, text: str) -> None:
        if self.down:
            raise ConnectionError("Telegram unreachable")
        self.messages.append((chat_id, text))

    def texts(self) -> list[str]:
        return [text for chat_id, text in self.messages if chat_id == 11]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'alerts.db'}",
            "bot.admin_ids": [11, 12],
            "crawl.failure_alert_after": 3,
            "crawl.empty_alert_after": 2,
            "crawl.backoff_max_factor": 16,
        },
    )


@pytest.fixture
def store(settings: Settings) -> Store:
    store = Store(settings.database)
    store.sources.upsert(FEED, "Flaky Feed", "rss")
    store.sources.upsert(LISTING, "Listing", "listing")
    return store


def source_id(store: Store, url: str) -> int:
    found = store.sources.get(url)
    assert found is not None
    return found.id


async def test_a_failing_source_is_told_once_then_its_recovery_then_a_new_streak(
    settings: Settings, store: Store
) -> None:
    admins = Admins()
    alerter = Alerter(settings, store, admins.send)
    flaky = source_id(store, FEED)
    for cycle in range(6):
        store.sources.record_failure(flaky, f"server_error: HTTP 500 (cycle {cycle})")
        await alerter.review([FEED, LISTING])
    told = admins.texts()
    assert len(told) == 1 and "Flaky Feed" in told[0] and "3 failures in a row" in told[0]
    assert "8× its interval" in told[0]  # the backoff at the third failure
    assert [chat for chat, _ in admins.messages] == [11, 12]  # every admin, once

    store.sources.record_success(flaky, entries=4, new_articles=1)
    await alerter.review([FEED, LISTING])
    await alerter.review([FEED, LISTING])
    assert admins.texts()[1:] == ["✅ Source works again: Flaky Feed."]

    for _ in range(3):
        store.sources.record_failure(flaky, "timeout")
        await alerter.review([FEED, LISTING])
    assert len(admins.texts()) == 3 and "timeout" in admins.texts()[2]


async def test_a_source_that_answers_with_nothing_is_flagged_once(settings: Settings, store: Store) -> None:
    admins = Admins()
    alerter = Alerter(settings, store, admins.send)
    listing = source_id(store, LISTING)
    for _ in range(5):
        store.sources.record_success(listing, entries=0)
        await alerter.review([FEED, LISTING])
    [told] = admins.texts()
    assert "Listing" in told and "no articles in 2 runs" in told and "selector" in told
    # A 304 is not "empty": an unchanged feed keeps its count, and the notice stays open.
    store.sources.record_success(listing, not_modified=True)
    await alerter.review([FEED, LISTING])
    store.sources.record_success(listing, entries=3)
    await alerter.review([FEED, LISTING])
    assert admins.texts()[1:] == ["✅ Source yields articles again: Listing."]


async def test_a_failing_crawl_is_told_once_and_its_recovery(settings: Settings, store: Store) -> None:
    admins = Admins()
    alerter = Alerter(settings, store, admins.send)
    crashed = CrawlOutcome("crashed", "crawl process killed by signal 11", [7])
    await alerter.review([], crashed)
    await alerter.review([], CrawlOutcome("killed", "killed after the time limit of 30 min"))
    await alerter.review([], CrawlOutcome("skipped", "a crawl is already running"))
    await alerter.review([], CrawlOutcome("completed", "", [9]))
    assert admins.texts() == [
        "⚠️ Crawl crashed (run #7): crawl process killed by signal 11. The next cycle tries again.",
        "✅ Crawls work again.",
    ]


async def test_a_notice_nobody_could_be_told_is_retried_later(settings: Settings, store: Store) -> None:
    admins = Admins()
    alerter = Alerter(settings, store, admins.send)
    flaky = source_id(store, FEED)
    for _ in range(3):
        store.sources.record_failure(flaky, "dns_error")
    admins.down = True
    assert await alerter.review([FEED]) == []
    admins.down = False
    told = await alerter.review([FEED])
    assert len(told) == 1 and "dns_error" in told[0]
    assert await alerter.review([FEED]) == []


def test_the_plan_is_a_pure_function_of_health() -> None:
    states = [
        SourceState("a", source_id=1, name="A", consecutive_failures=5, last_error="x"),
        SourceState("b", source_id=2, name="B", empty_runs=9),
        SourceState("c", source_id=3, name="C"),
        SourceState("d", source_id=4, name="D", consecutive_failures=1),
        SourceState("e", source_id=None),  # not registered yet: nothing to say
    ]
    plan = plan_notices(states, failure_after=3, empty_after=5, max_factor=4)
    assert set(plan.open) == {"source-failing:1", "source-empty:2"}
    assert "4× its interval" in plan.open["source-failing:1"]  # capped
    assert set(plan.resolve) == {"source-failing:2", "source-failing:3", "source-empty:3"}
