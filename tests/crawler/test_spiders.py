"""Spiders without a server: hand-built responses through the real spider methods and signals."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawler import signals as our_signals
from crawler.failures import AlreadyStored
from crawler.items import ArticleItem
from crawler.sources import SourceSpec
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import NewsSitemapSpider

BODY = "".join(
    f"<p>Paragraph {i}: DeepSeek said its V3 model was trained on 2,048 Nvidia H800 chips for about "
    f"US$5.6 million, a figure analysts have questioned because it leaves out research costs.</p>"
    for i in range(5)
)
ARTICLE = (
    "<html lang='en'><head><title>DeepSeek's cost | Site</title>"
    "<meta property='og:site_name' content='TechWire Daily'>"
    "<link rel='canonical' href='https://news.test/2025/01/deepseek-cost'></head><body>"
    "<nav><a href='/'>Home</a><a href='/ai'>AI</a></nav><article><h1>DeepSeek's cost</h1>"
    f"{BODY}</article><aside><h3>Most read</h3><ul><li>Stargate's $500bn</li></ul></aside></body></html>"
)
RSS = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
    "<item><title>One</title><link>https://news.test/2025/01/deepseek-cost?utm_source=rss</link>"
    "<description>DeepSeek's training cost is disputed by analysts who count hardware.</description></item>"
    "<item><title>Two</title><link>https://news.test/2025/01/two</link></item></channel></rss>"
)


class Events:
    """Collects what the spider tells the recorder."""

    def __init__(self, crawler: Crawler) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        for name in ("source_succeeded", "source_failed", "page_failed", "page_skipped"):
            crawler.signals.connect(self._recorder(name), signal=getattr(our_signals, name), weak=False)

    def _recorder(self, name: str) -> Any:
        def record(**kwargs: Any) -> None:
            kwargs.pop("signal", None)
            kwargs.pop("sender", None)
            kwargs.pop("spider", None)
            self.seen.append((name, kwargs))

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]


def make(spider_cls: type[Spider], **kwargs: Any) -> tuple[Any, Events]:
    crawler = get_crawler(spider_cls)
    spider = crawler._create_spider(**kwargs)
    crawler.spider = spider
    return spider, Events(crawler)


SOURCE = SourceSpec(
    name="News",
    kind="rss",
    url="https://news.test/feed.xml",
    lang="en",
    source_id=7,
    etag='"abc"',
    last_modified="Mon, 27 Jan 2025 00:00:00 GMT",
)


def response(
    url: str,
    body: str | bytes,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    request: Request | None = None,
    cls: type[Response] = HtmlResponse,
    **headers: str,
) -> Response:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    request = request or Request(url)
    return cls(
        url=url, body=raw, status=status, request=request, headers={"Content-Type": content_type, **headers}
    )


def source_response(spider: Any, body: str | bytes, status: int = 200, **kw: Any) -> Response:
    request = spider.source_request(SOURCE.url, SOURCE)
    return response(
        SOURCE.url, body, status, request=request, cls=TextResponse if status != 304 else Response, **kw
    )


def drain(result: Any) -> list[Any]:
    """Everything a callback yields, whether it is a generator or an async generator."""
    if inspect.isasyncgen(result):

        async def collect() -> list[Any]:
            return [item async for item in result]

        return asyncio.run(collect())
    return list(result)


def follow(
    request: Request, body: str | bytes, status: int = 200, content_type: str = "text/html; charset=utf-8"
) -> Iterator[Any]:
    """Run a request's callback on a made-up response."""
    cls = HtmlResponse if "html" in content_type else Response
    reply = response(request.url, body, status, content_type, request=request, cls=cls)
    yield from drain(request.callback(reply))


def test_source_request_is_conditional_and_never_filtered() -> None:
    spider, _ = make(FeedSpider, sources=[SOURCE])
    request = spider.source_request(SOURCE.url, SOURCE)
    assert request.headers[b"If-None-Match"] == b'"abc"'
    assert request.headers[b"If-Modified-Since"] == b"Mon, 27 Jan 2025 00:00:00 GMT"
    assert request.dont_filter and 304 in request.meta["handle_httpstatus_list"]
    assert 302 not in request.meta["handle_httpstatus_list"]  # redirects are followed


def test_feed_links_become_article_requests_and_the_source_reports_its_validators() -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    reply = source_response(spider, RSS, content_type="application/rss+xml", ETag='"v2"')
    requests = drain(spider.parse_source(reply))
    assert [r.url for r in requests] == [
        "https://news.test/2025/01/deepseek-cost?utm_source=rss",
        "https://news.test/2025/01/two",
    ]
    assert all(r.meta["article"] for r in requests)
    assert events.seen == [
        ("source_succeeded", {"source": SOURCE, "entries": 2, "etag": '"v2"', "last_modified": None})
    ]


def test_max_items_caps_the_links_followed() -> None:
    spider, _ = make(FeedSpider, sources=[SOURCE], max_items=1)
    assert len(drain(spider.parse_source(source_response(spider, RSS)))) == 1


def test_not_modified_costs_nothing_more() -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    assert drain(spider.parse_source(source_response(spider, b"", status=304))) == []
    assert events.seen == [("source_succeeded", {"source": SOURCE, "not_modified": True})]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("<rss version='2.0'><channel><item><title>cut", 200, "malformed_feed"),
        ("oops", 500, "server_error"),
        ("gone", 404, "not_found"),
        ("<html><body><p>A plain page without any feed link.</p></body></html>", 200, "not_a_feed"),
    ],
)
def test_broken_sources_are_reported_with_a_reason(body: str, status: int, reason: str) -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    assert drain(spider.parse_source(source_response(spider, body, status))) == []
    ((name, kwargs),) = events.seen
    assert (name, kwargs["reason"]) == ("source_failed", reason)


def test_an_article_page_is_extracted_with_its_canonical_url_and_outlet() -> None:
    spider, _ = make(FeedSpider, sources=[SOURCE])
    request = drain(spider.parse_source(source_response(spider, RSS)))[0]
    (item,) = list(follow(request, ARTICLE))
    assert isinstance(item, ArticleItem)
    assert item.canonical_url == "https://news.test/2025/01/deepseek-cost"
    assert item.outlet == "TechWire Daily"
    assert item.extraction == "full" and item.lang == "en" and item.source_id == 7
    assert "2,048 Nvidia H800" in item.text and "Most read" not in item.text and "Stargate" not in item.text
    assert "https://news.test/2025/01/deepseek-cost?utm_source=rss" in item.urls


def test_a_pdf_article_keeps_the_feed_summary_marked_as_such() -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    request = drain(spider.parse_source(source_response(spider, RSS)))[0]
    (item,) = list(follow(request, b"%PDF-1.4 binary", content_type="application/pdf"))
    assert item.extraction == "summary" and "not_html" in (item.extraction_note or "")
    assert item.text == "DeepSeek's training cost is disputed by analysts who count hardware."
    assert ("page_failed", "not_html") in [(n, k.get("reason")) for n, k in events.seen]


def test_a_missing_article_is_a_page_error_not_an_item() -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    request = drain(spider.parse_source(source_response(spider, RSS)))[1]
    assert list(follow(request, "no", status=404)) == []
    assert events.seen[-1][0] == "page_failed" and events.seen[-1][1]["reason"] == "not_found"


def test_download_errors_and_known_articles_in_the_errback() -> None:
    spider, events = make(FeedSpider, sources=[SOURCE])
    request = drain(spider.parse_source(source_response(spider, RSS)))[0]
    timeout = Failure(TxTimeoutError())
    timeout.request = request  # type: ignore[attr-defined]
    spider.article_error(timeout)
    known = Failure(AlreadyStored(request.url, 12))
    known.request = request  # type: ignore[attr-defined]
    spider.article_error(known)
    assert [(n, k.get("reason", k.get("article_id"))) for n, k in events.seen[1:]] == [
        ("page_failed", "timeout"),
        ("page_skipped", 12),
    ]


def test_an_auto_source_that_serves_an_article_is_that_article() -> None:
    source = SourceSpec(name="news.test", kind="auto", url="https://news.test/2025/01/deepseek-cost")
    spider, events = make(FeedSpider, sources=[source])
    request = spider.source_request(source.url, source)
    (item,) = list(follow(request, ARTICLE))
    assert isinstance(item, ArticleItem) and item.title.startswith("DeepSeek")
    assert events.names() == ["source_succeeded"]


def test_an_auto_source_page_with_a_feed_link_follows_the_feed() -> None:
    source = SourceSpec(name="news.test", kind="auto", url="https://news.test/")
    spider, _ = make(FeedSpider, sources=[source])
    page = (
        "<html><head><link rel='alternate' type='application/rss+xml' href='/feed.xml'></head>"
        "<body>Hi</body></html>"
    )
    (feed_request,) = list(follow(spider.source_request(source.url, source), page))
    assert feed_request.url == "https://news.test/feed.xml" and feed_request.meta["is_child"]


def test_listing_selectors_and_pagination() -> None:
    source = SourceSpec(
        name="MP",
        kind="listing",
        url="https://mp.test/news",
        options={
            "selectors": {
                "item": "tr.story",
                "link": "a::attr(href)",
                "title": "a::text",
                "date": "td.date::text",
                "next": "a.next::attr(href)",
            }
        },
    )
    spider, events = make(ListingSpider, sources=[source])
    page = (
        "<table><tr class='story'><td><a href='/a/1'>DeepSeek tops App Store</a></td>"
        "<td class='date'>2025-01-27</td></tr>"
        "<tr class='story'><td><a href='javascript:void(0)'>x</a></td></tr></table>"
        "<a class='next' href='?page=2'>Next</a>"
    )
    found = list(follow(spider.source_request(source.url, source), page))
    (article,) = [r for r in found if r.meta.get("article")]
    (next_page,) = [r for r in found if not r.meta.get("article")]
    assert article.url == "https://mp.test/a/1" and article.meta["entry"].title == "DeepSeek tops App Store"
    assert article.meta["entry"].published is not None
    assert next_page.url == "https://mp.test/news?page=2" and next_page.meta["page"] == 2
    assert events.names() == ["source_succeeded"]


def test_a_sitemap_index_is_followed_to_its_children() -> None:
    source = SourceSpec(name="S", kind="sitemap", url="https://s.test/sitemap.xml")
    spider, _ = make(NewsSitemapSpider, sources=[source])
    index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://s.test/news-1.xml</loc></sitemap></sitemapindex>'
    (child,) = list(follow(spider.source_request(source.url, source), index, content_type="application/xml"))
    assert child.url == "https://s.test/news-1.xml" and child.meta["is_child"]
