"""NewsSitemapSpider: news sitemaps (with `news:` tags), plain sitemaps and sitemap indexes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from scrapy import Request
from scrapy.http import Response

from crawler.feeds import Entry, parse_sitemap
from crawler.sources import SourceSpec
from crawler.spiders.base import SourceSpider

MAX_CHILD_SITEMAPS = 20


class NewsSitemapSpider(SourceSpider):
    """Reads sitemaps, newest entries first; an index is followed to its newest child sitemaps."""

    name = "sitemaps"

    def entries(self, response: Response, source: SourceSpec) -> Iterable[Entry | Request]:
        """The sitemap's article links (newest first) and, for an index, requests for its children."""
        entries, children = parse_sitemap(response.body, response.url)
        oldest = datetime.min.replace(tzinfo=UTC)
        entries.sort(key=lambda entry: entry.published or oldest, reverse=True)
        requests = [self.source_request(url, source, is_child=True) for url in children[-MAX_CHILD_SITEMAPS:]]
        return [*entries, *requests]
