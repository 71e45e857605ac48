"""FeedSpider: RSS 0.9x/1.0/2.0, Atom and JSON Feed sources, news-search feeds, and any URL given on the
command line (its kind is found from what it serves: a feed, a sitemap, or an article page)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawler import signals as our_signals
from crawler.failures import CrawlFailure
from crawler.feeds import Entry, parse_feed, parse_sitemap, sniff_kind
from crawler.sources import SourceSpec
from crawler.spiders.base import SourceSpider, _header

FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")


class FeedSpider(SourceSpider):
    """Reads feeds (and sniffs sources of unknown kind)."""

    name = "feeds"

    def entries(self, response: Response, source: SourceSpec) -> Iterable[Entry | Request]:
        """Feed entries; for an unknown kind, whatever the response turns out to be."""
        content_type = _header(response, b"Content-Type") or ""
        kind = sniff_kind(response.body, content_type)
        if kind == "sitemap":
            entries, children = parse_sitemap(response.body, response.url)
            return [*entries, *(self.source_request(c, source, is_child=True) for c in children[:20])]
        if kind == "html" and source.kind in ("auto", "rss", "atom", "json", "feed", "search"):
            feed = self._feed_link(response)
            if feed and source.kind != "article" and not response.meta.get("is_child"):
                return [self.source_request(feed, source, is_child=True)]
            if source.kind == "auto":
                return []
            raise CrawlFailure("not_a_feed", "the URL serves a web page without a feed link, not a feed")
        return parse_feed(response.body, response.url, content_type)

    async def parse_source(self, response: Response) -> AsyncIterator[Any]:  # type: ignore[override]
        """A source given as an article URL (or an auto URL that serves an article) is the article itself."""
        source: SourceSpec = response.meta["source"]
        is_page = (
            source.kind in ("auto", "article")
            and response.status < 300
            and sniff_kind(response.body, _header(response, b"Content-Type") or "") in ("html", "other")
            and (source.kind == "article" or not self._feed_link(response))
        )
        if not is_page:
            for request in super().parse_source(response):
                yield request
            return
        response.meta["entry"] = Entry(url=response.url)
        async for item in self.parse_article(response):
            yield item
        self._send(our_signals.source_succeeded, source=source, entries=1)

    @staticmethod
    def _feed_link(response: Response) -> str | None:
        if not isinstance(response, TextResponse):
            return None
        for link in response.css("link[rel~=alternate][href]"):
            if (link.attrib.get("type") or "").lower() in FEED_LINK_TYPES:
                return response.urljoin(link.attrib["href"])
        return None
