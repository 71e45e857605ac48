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

from crawler.failures import CrawlFailure
from crawler.feeds import Entry, parse_date
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
        for item in items:
            link = first(item, selectors["link"])
            if not link or link.startswith(("javascript:", "mailto:", "#")):
                continue
            found.append(
                Entry(
                    url=response.urljoin(link),
                    title=first(item, selectors.get("title")),
                    summary=first(item, selectors.get("summary")),
                    published=parse_date(first(item, selectors.get("date")) or None),
                )
            )
        page = int(response.meta.get("page", 1))
        next_page = first(response, selectors.get("next"))
        if next_page and page < MAX_PAGES:
            found.append(
                self.source_request(response.urljoin(next_page), source, is_child=True, page=page + 1)
            )
        return found
