"""Downloader middlewares and fingerprints, built from a crawler as Scrapy builds them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.config import Settings
from crawler.failures import AlreadyStored
from crawler.judge.types import StoredArticle
from crawler.middlewares import BackoffRetryMiddleware, CanonicalFingerprinter, KnownArticleMiddleware
from crawler.settings import scrapy_settings
from crawler.spiders.feed import FeedSpider
from crawler.storage import Store


def crawler_for(settings: Settings, **extra: Any) -> Any:
    crawler = get_crawler(FeedSpider, {**scrapy_settings(settings), **extra})
    crawler.spider = crawler._create_spider()
    return crawler


def test_tracking_variants_of_an_article_are_one_request(settings: Settings) -> None:
    fingerprinter = build_from_crawler(CanonicalFingerprinter, crawler_for(settings))
    a = Request("https://x.test/a?utm_source=rss#top", meta={"article": True})
    b = Request("https://www.x.test/a", meta={"article": True})
    feed = Request("https://x.test/a?utm_source=rss")
    assert fingerprinter.fingerprint(a) == fingerprinter.fingerprint(b)
    assert fingerprinter.fingerprint(feed) != fingerprinter.fingerprint(a)


def test_retries_back_off_exponentially_and_honour_retry_after(settings: Settings) -> None:
    crawler = crawler_for(
        settings, RETRY_TIMES=3, SEEDWATCH_RETRY_BACKOFF=2.0, SEEDWATCH_RETRY_BACKOFF_MAX=30.0
    )
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://x.test/a")
    first = middleware.process_response(request, Response("https://x.test/a", status=503, request=request))
    assert isinstance(first, Request) and 1.6 <= first.meta["retry_delay"] <= 2.4
    second = middleware.process_response(first, Response("https://x.test/a", status=503, request=first))
    assert isinstance(second, Request) and 3.2 <= second.meta["retry_delay"] <= 4.8
    limited = Response("https://x.test/a", status=429, request=second, headers={"Retry-After": "7"})
    third = middleware.process_response(second, limited)
    assert isinstance(third, Request) and third.meta["retry_delay"] == 7.0
    gave_up = middleware.process_response(third, Response("https://x.test/a", status=503, request=third))
    assert isinstance(gave_up, Response) and gave_up.status == 503
    ok = Response("https://x.test/a", status=200, request=request)
    assert middleware.process_response(request, ok) is ok


def test_links_to_stored_articles_are_not_fetched(settings: Settings) -> None:
    with Store(settings.database) as store:
        store.articles.add(
            StoredArticle(
                url="https://x.test/a",
                canonical_url="https://x.test/a",
                title="t",
                text="b",
                content_hash="h",
            )
        )
    middleware = KnownArticleMiddleware(settings.database)
    middleware.spider_opened()
    try:
        with pytest.raises(AlreadyStored) as caught:
            asyncio.run(
                middleware.process_request(Request("https://m.x.test/a?utm_medium=x", meta={"article": True}))
            )
        assert caught.value.article_id == 1
        new = Request("https://x.test/new", meta={"article": True})
        assert asyncio.run(middleware.process_request(new)) is None
        assert asyncio.run(middleware.process_request(Request("https://x.test/a"))) is None  # a feed
    finally:
        middleware.spider_closed()
