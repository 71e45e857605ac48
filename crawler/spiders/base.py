"""What every seedwatch spider does: fetch its sources politely, follow their article links, extract.

A subclass says how to read its kind of source (`entries`); everything else is here: conditional GET
with the stored ETag/Last-Modified, per-source and per-page failures reported through our signals with a
specific reason, and article pages turned into `ArticleItem`s (or, when a page cannot be extracted, the
feed's own summary, marked so).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler import signals as our_signals
from crawler.analysis import AnalysisContext, Page, analysis_context, extract_page
from crawler.config import Settings
from crawler.encoding import DecodedPage, decode_page
from crawler.failures import AlreadyStored, CrawlFailure, describe, diagnose, status_reason
from crawler.feeds import Entry
from crawler.items import ArticleItem
from crawler.judge.canonical import canonical_url
from crawler.judge.text import detect_lang
from crawler.sources import SourceSpec
from crawler.workers import PagePool

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Statuses our callbacks judge themselves (redirects stay with RedirectMiddleware, so not "all").
HANDLED_STATUSES = [304, *range(400, 600)]
MIN_SUMMARY_CHARS = 40


class SourceSpider(Spider):
    """Base of our spiders: sources in, article items out."""

    name = "sources"

    def __init__(
        self,
        sources: Sequence[SourceSpec] = (),
        max_items: int = 200,
        max_age_days: int = 0,
        extract_processes: int = 0,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        self.max_items = max_items
        self.max_age = timedelta(days=max_age_days) if max_age_days else None
        if extract_processes < 0:
            extract_processes = min(4, os.cpu_count() or 1)
        self.extract_processes = extract_processes
        self._pages: PagePool | None = None
        self.analysis: AnalysisContext | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings.get("SEEDWATCH_SETTINGS")
        if isinstance(settings, Settings):
            spider.analysis = analysis_context(settings)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        if isinstance(settings, Settings):
            # Start the page workers now, so they load their libraries while Scrapy and the judge start.
            spider.open_pages()
        crawler.signals.connect(spider.close_pages, signal=signals.spider_closed)
        return spider

    def open_pages(self) -> None:
        """Start (or join) the process's page workers."""
        self._pages = PagePool.acquire(self.extract_processes, self.analysis)

    def close_pages(self) -> None:
        """Leave the page workers (the last spider stops them)."""
        if self._pages is not None:
            self._pages.release()
            self._pages = None

    async def extract(self, html: str, url: str, entry: Entry, source: SourceSpec) -> Page:
        """Extract and analyse a page off the reactor (the crawl process keeps what needs shared state)."""
        args = (html, url, entry.title, entry.published, source.lang, self.analysis)
        if self._pages is None:
            return await asyncio.to_thread(extract_page, *args)
        return await self._pages.page(*args)

    def request_dropped(self, request: Request) -> None:
        """A redirect back to a URL already requested is a loop (the duplicate filter drops it silently)."""
        chain = request.meta.get("redirect_urls") or []
        if not request.meta.get("article") or not chain:
            return
        source: SourceSpec = request.meta["source"]
        if canonical_url(request.url) in {canonical_url(u) for u in chain}:
            detail = f"{describe('redirect_loop')}: " + " → ".join([*chain, request.url])
            self.report_page_failure(chain[0], source, CrawlFailure("redirect_loop", detail))
        else:
            self._send(our_signals.page_skipped, url=chain[0], source=source, article_id=None)

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            yield self.source_request(source.url, source)

    def source_request(self, url: str, source: SourceSpec, **meta: Any) -> Request:
        """A request for a feed, sitemap or listing page, conditional when we know its validators."""
        headers = {}
        if url == source.url:
            if source.etag:
                headers["If-None-Match"] = source.etag
            if source.last_modified:
                headers["If-Modified-Since"] = source.last_modified
        return Request(
            url,
            callback=self.parse_source,
            errback=self.source_error,
            headers=headers,
            dont_filter=True,
            meta={"source": source, "handle_httpstatus_list": HANDLED_STATUSES, **meta},
        )

    # --- sources -------------------------------------------------------------------------------------

    def entries(self, response: Response, source: SourceSpec) -> Iterable[Entry | Request]:
        """The article links of a source response (or more source requests); subclasses read their kind."""
        raise NotImplementedError

    def parse_source(self, response: Response) -> Iterator[Request]:
        """Turn a source response into article requests, and report how the source did."""
        source: SourceSpec = response.meta["source"]
        if response.status == 304:
            self._send(our_signals.source_succeeded, source=source, not_modified=True)
            return
        if response.status >= 400:
            self.report_source_failure(
                source, CrawlFailure(status_reason(response.status), http_status=response.status)
            )
            return
        try:
            found = list(self.entries(response, source))
        except CrawlFailure as failure:
            self.report_source_failure(source, failure)
            return
        requests = [item for item in found if isinstance(item, Request)]
        links = [item for item in found if isinstance(item, Entry)]
        fresh = [entry for entry in links if self._fresh(entry)][: self.max_items]
        yield from requests
        for entry in fresh:
            yield self.article_request(entry, source)
        if response.meta.get("is_child"):
            return
        self._send(
            our_signals.source_succeeded,
            source=source,
            entries=len(links) + len(requests),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
        )

    def _fresh(self, entry: Entry) -> bool:
        if self.max_age is None or entry.published is None:
            return True
        return entry.published >= datetime.now(UTC) - self.max_age

    def source_error(self, failure: Failure) -> None:
        """A source that could not be fetched at all."""
        request = failure.request  # type: ignore[attr-defined]
        source: SourceSpec = request.meta["source"]
        diagnosis = diagnose(failure)
        if request.meta.get("is_child"):
            self._send(
                our_signals.page_failed,
                url=request.url,
                source=source,
                reason=diagnosis.reason,
                detail=diagnosis.detail,
                http_status=diagnosis.http_status,
            )
            return
        self.report_source_failure(
            source, CrawlFailure(diagnosis.reason, diagnosis.detail, diagnosis.http_status)
        )

    def report_source_failure(self, source: SourceSpec, failure: CrawlFailure) -> None:
        """Tell the recorder a source failed, with its reason."""
        self._send(
            our_signals.source_failed,
            source=source,
            reason=failure.reason,
            detail=failure.detail,
            http_status=failure.http_status,
        )

    # --- articles ------------------------------------------------------------------------------------

    def article_request(self, entry: Entry, source: SourceSpec) -> Request:
        """A request for one article page."""
        return Request(
            entry.url,
            callback=self.parse_article,
            errback=self.article_error,
            meta={
                "source": source,
                "entry": entry,
                "article": True,
                "handle_httpstatus_list": HANDLED_STATUSES,
            },
        )

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        """Extract an article page; keep the feed's summary (marked) when the page cannot be extracted."""
        source: SourceSpec = response.meta["source"]
        entry: Entry = response.meta["entry"]
        if response.status >= 400:
            failure = CrawlFailure(status_reason(response.status), http_status=response.status)
            self.report_page_failure(response.url, source, failure)
            return
        content_type = _header(response, b"Content-Type") or ""
        if not isinstance(response, TextResponse) or not any(t in content_type.lower() for t in HTML_TYPES):
            failure = CrawlFailure(
                "not_html", f"{describe('not_html')} (Content-Type {content_type or 'missing'})"
            )
            for item in self._summary_or_failure(response, source, entry, failure):
                yield item
            return
        decoded = self.decode(response, content_type)
        # Extraction is CPU work; off the reactor thread, downloads keep flowing and timeouts stay honest.
        page = await self.extract(decoded.text, response.url, entry, source)
        extracted = page.extracted
        if not extracted.ok or not extracted.text.strip():
            detail = extracted.reason or describe("no_article")
            failure = CrawlFailure("no_article", f"{detail}; {decoded.note}" if decoded.note else detail)
            for item in self._summary_or_failure(response, source, entry, failure):
                yield item
            return
        title = page.title
        item = ArticleItem(
            url=response.url,
            canonical_url=canonical_url(response.url, extracted.canonical_url),
            urls=_urls(response, entry),
            source_id=source.source_id,
            source_name=source.name,
            outlet=outlet_name(extracted.site_name, title, entry, response.url, source),
            title=title,
            text=extracted.text,
            lang=page.lang,
            fetched_at=datetime.now(UTC),
            published_at=page.published,
            author=extracted.author or entry.author,
            summary=entry.summary or extracted.description,
            prepared=page.prepared,
            extraction_note=decoded.note,
        )
        if page.relevance is not None:
            item.set_relevance(page.relevance)
        yield item

    def decode(self, response: TextResponse, content_type: str) -> DecodedPage:
        """The page's text, by its declared charset unless that does not fit (see crawler.encoding)."""
        decoded = decode_page(response.body, content_type)
        if decoded.overridden:
            logger.info("page %s: %s", response.url, decoded.note)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("seedwatch/charset_overridden")
        return decoded

    def _summary_or_failure(
        self, response: Response, source: SourceSpec, entry: Entry, failure: CrawlFailure
    ) -> Iterator[ArticleItem]:
        self.report_page_failure(response.url, source, failure)
        if len(entry.summary) < MIN_SUMMARY_CHARS:
            return
        yield ArticleItem(
            url=response.url,
            canonical_url=canonical_url(response.url),
            urls=_urls(response, entry),
            source_id=source.source_id,
            source_name=source.name,
            outlet=outlet_name(None, entry.title, entry, response.url, source),
            title=entry.title,
            text=entry.summary,
            lang=detect_lang(f"{entry.title}\n{entry.summary}", source.lang),
            fetched_at=datetime.now(UTC),
            published_at=entry.published,
            author=entry.author,
            summary=entry.summary,
            extraction="summary",
            extraction_note=f"page not extracted ({failure.reason}): {failure.detail}; feed summary kept",
        )

    def article_error(self, failure: Failure) -> None:
        """An article page that could not be fetched."""
        request = failure.request  # type: ignore[attr-defined]
        source: SourceSpec = request.meta["source"]
        if isinstance(failure.value, AlreadyStored):
            self._send(
                our_signals.page_skipped, url=request.url, source=source, article_id=failure.value.article_id
            )
            return
        diagnosis = diagnose(failure)
        self.report_page_failure(
            request.url, source, CrawlFailure(diagnosis.reason, diagnosis.detail, diagnosis.http_status)
        )

    def report_page_failure(self, url: str, source: SourceSpec, failure: CrawlFailure) -> None:
        """Tell the recorder a page failed, with its reason."""
        self._send(
            our_signals.page_failed,
            url=url,
            source=source,
            reason=failure.reason,
            detail=failure.detail,
            http_status=failure.http_status,
        )

    def _send(self, signal: object, **kwargs: Any) -> None:
        self.crawler.signals.send_catch_log(signal, spider=self, **kwargs)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


def _urls(response: Response, entry: Entry) -> list[str]:
    chain = list(response.request.meta.get("redirect_urls", [])) if response.request is not None else []
    return list(dict.fromkeys([entry.url, *chain, response.url]))


def outlet_name(site_name: str | None, title: str, entry: Entry, url: str, source: SourceSpec) -> str:
    """Who published a page: its own site name, else what the feed says, else the source, else the host."""
    if site_name and site_name.strip() != title.strip() and len(site_name) <= 80 and "://" not in site_name:
        return site_name.strip()
    if entry.outlet:
        return entry.outlet
    if source.kind not in ("search", "auto", "article"):
        return source.name
    host = urlsplit(url).netloc
    return host.removeprefix("www.")
