"""ListingSpider: sites without feeds, read from a listing page with CSS or XPath selectors.

Selectors (in the source's `selectors`): `item` (each entry), `link` (its URL, relative to the item),
and optionally `title`, `date`, `summary` and `next` (pagination). A selector starting with `xpath:` is
XPath, anything else CSS (with Scrapy's `::text` / `::attr(name)` extensions).
"""

from __future__ import annotations

from collections.abc import Iterable

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url

from crawler.failures import CrawlFailure
from crawler.feeds import Entry, absolute_url, parse_date
from crawler.sources import SourceSpec
from crawler.spiders.base import SourceSpider

MAX_PAGES = 3


def select(node: Selector | TextResponse, query: str) -> SelectorList[Selector]:
    """Apply one configured selector (CSS, or XPath when prefixed with `xpath:`)."""
    if query.startswith("xpath:"):
        return node.xpath(query[len("xpath:") :])
    return node.css(query)


def first(node: Selector | TextResponse, query: str | None) -> str:
    """The first string a selector yields, stripped; empty when there is none."""
    if not query:
        return ""
    return " ".join((select(node, query).get() or "").split())


class ListingSpider(SourceSpider):
    """Reads listing pages by the selectors in the source's configuration."""

    name = "listings"

    def entries(self, response: Response, source: SourceSpec) -> Iterable[Entry | Request]:
        """Links of the listing page, and a request for the next page while pages remain."""
        if not isinstance(response, TextResponse):
            raise CrawlFailure("not_html", "a listing source must serve a web page")
        selectors = source.selectors
        items = select(response, selectors["item"])
        found: list[Entry | Request] = []
        base = get_base_url(response)  # the page's <base href>, as response.urljoin reads it
        for item in items:
            link = first(item, selectors["link"])
            if not link or link.startswith(("javascript:", "mailto:", "#")):
                continue
            url = absolute_url(base, link)
            if url is None:
                continue
            found.append(
                Entry(
                    url=url,
                    title=first(item, selectors.get("title")),
                    summary=first(item, selectors.get("summary")),
                    published=parse_date(first(item, selectors.get("date")) or None),
                )
            )
        page = int(response.meta.get("page", 1))
        next_page = first(response, selectors.get("next"))
        next_url = absolute_url(base, next_page) if next_page and page < MAX_PAGES else None
        if next_url is not None:
            found.append(self.source_request(next_url, source, is_child=True, page=page + 1))
        return found
