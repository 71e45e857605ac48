"""The item pipelines: judged and stored off the reactor, in arrival order, each article once."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.config import Settings
from crawler.items import ArticleItem
from crawler.pipelines import JudgePipeline, JudgeThread, StoragePipeline
from crawler.settings import scrapy_settings
from crawler.storage import Store

TEXT = (
    "The regional water board approved a new plan for the reservoir on Tuesday, after months of "
    "hearings in which farmers, residents and engineers argued over how much water the valley can "
    "spare in a dry year. The plan caps withdrawals and funds repairs to the old dam."
)


def article(number: int, text: str = TEXT) -> ArticleItem:
    url = f"https://news.test/story-{number}"
    return ArticleItem(
        url=url,
        canonical_url=url,
        urls=[url],
        source_name="News",
        outlet="News",
        title=f"Story {number}",
        text=f"{text} Story number {number}.",
        lang="en",
        fetched_at=datetime(2025, 1, 1, 12, number % 60, tzinfo=UTC),
    )


async def crawl_items(settings: Settings, items: list[ArticleItem]) -> list[Any]:
    crawler = get_crawler(settings_dict=scrapy_settings(settings))
    judge = build_from_crawler(JudgePipeline, crawler)
    storage = build_from_crawler(StoragePipeline, crawler)
    await judge.open_spider()
    await storage.open_spider()
    reactor_thread = threading.get_ident()
    threads: set[int] = set()

    async def one(item: ArticleItem) -> Any:
        judged = await judge.process_item(item)
        try:
            stored = await storage.process_item(judged)
        except DropItem as dropped:
            return dropped
        assert judge.thread is not None
        threads.add(await judge.thread.run(threading.get_ident))
        return stored

    try:
        # All at once, as Scrapy hands a page's items to the pipelines concurrently.
        return await asyncio.gather(*(one(item) for item in items))
    finally:
        await storage.close_spider()
        await judge.close_spider()
        assert reactor_thread not in threads


def test_articles_are_stored_once_in_arrival_order_off_the_event_loop(settings: Settings) -> None:
    items = [article(n) for n in range(1, 6)]
    items.append(article(3))  # the same canonical URL again: dropped, not stored twice
    results = asyncio.run(crawl_items(settings, items))
    assert isinstance(results[-1], DropItem)
    stored = [r for r in results if isinstance(r, ArticleItem)]
    assert [item.article_id for item in stored] == [1, 2, 3, 4, 5]
    with Store(settings.database) as store:
        assert store.articles.count() == 5
    assert JudgeThread.shared() is None  # the thread ends with the last spider


def test_a_copy_judged_before_its_original_was_stored_is_still_marked_a_copy(settings: Settings) -> None:
    # Both are assessed before either is stored; the second is judged again against the first.
    results = asyncio.run(crawl_items(settings, [article(1), article(2)]))
    first, second = results
    assert first.judgement.duplicate is None
    assert second.judgement.duplicate is not None
    assert second.judgement.duplicate.of == first.article_id


def test_a_judge_with_no_storage_after_it_judges_each_article_itself(settings: Settings) -> None:
    async def judge_alone() -> Any:
        values = scrapy_settings(settings)
        values["ITEM_PIPELINES"] = {"crawler.pipelines.JudgePipeline": 400}
        judge = build_from_crawler(JudgePipeline, get_crawler(settings_dict=values))
        await judge.open_spider()
        try:
            return await judge.process_item(article(1))
        finally:
            await judge.close_spider()

    judged = asyncio.run(judge_alone())
    assert judged.judgement is not None
    assert judged.judgement.duplicate is None


@pytest.fixture(autouse=True)
def _no_thread_left() -> Any:
    yield
    assert JudgeThread.shared() is None
