"""CrawlRecorder: writes what a crawl met to the database as it happens.

Source health (last success, last error and its reason, consecutive failures, ETag and Last-Modified),
per-page errors with their specific reason, and the run's counters. Errors are written at once, each in
its own transaction; the answers of sources that worked (most of them 304s when thousands of feeds are
polled) and the counters are gathered and written together at most once a second, so a crash loses at
most the last second of those. A source that answered but whose every page failed is failing too
(recorded when its spider closes, once all its pages are in).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler import signals as our_signals
from crawler.failures import diagnose
from crawler.items import ArticleItem
from crawler.settings import seedwatch_settings
from crawler.sources import SourceSpec
from crawler.storage import Store, utcnow
from crawler.storage.sources import SourceAnswer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


@dataclass
class PageTally:
    """How one source's pages did in this process: the feed's answer, pages stored or known, failures."""

    url: str
    failures_before: int | None = None  # set when the source answered in this process
    ok: int = 0
    failed: Counter[str] = field(default_factory=Counter)


class CrawlRecorder:
    """Keeps source health, page errors and run counters in the database."""

    FLUSH_EVERY = 1.0  # seconds between writes of the run's counters

    def __init__(self, database_url: str, run_id: int | None, judge_pages: bool = True) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.store: Store | None = None
        self.pending: Counter[str] = Counter()
        self.answers: list[tuple[SourceAnswer, str]] = []  # sources that answered, not yet written
        self.flushed_at = 0.0
        # With a shared frontier, a source's pages are spread over processes: no one process sees all.
        self.judge_pages = judge_pages
        self.pages: defaultdict[int, PageTally] = defaultdict(lambda: PageTally(""))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        settings = seedwatch_settings(crawler)
        recorder = cls(
            settings.database, crawler.settings.get("SEEDWATCH_RUN_ID"), judge_pages=not settings.redis_url
        )
        connect = crawler.signals.connect
        connect(recorder.spider_opened, signal=signals.spider_opened)
        connect(recorder.spider_closed, signal=signals.spider_closed)
        connect(recorder.item_scraped, signal=signals.item_scraped)
        connect(recorder.item_dropped, signal=signals.item_dropped)
        connect(recorder.item_error, signal=signals.item_error)
        connect(recorder.response_received, signal=signals.response_received)
        connect(recorder.source_succeeded, signal=our_signals.source_succeeded)
        connect(recorder.source_failed, signal=our_signals.source_failed)
        connect(recorder.page_failed, signal=our_signals.page_failed)
        connect(recorder.page_skipped, signal=our_signals.page_skipped)
        return recorder

    def spider_opened(self) -> None:
        self.store = Store(self.database_url)

    def spider_closed(self, reason: str = "finished") -> None:
        self.flush()
        if reason == "finished":  # a crawl cut short has not seen all its pages
            self.record_failed_pages()
        self.flush()
        if self.store is not None:
            self.store.close()
            self.store = None

    def record_failed_pages(self) -> None:
        """Sources that answered but whose every page failed are failing (reason and streak kept)."""
        for source_id, tally in self.pages.items():
            if not self.judge_pages or tally.failures_before is None or tally.ok or not tally.failed:
                continue
            total = sum(tally.failed.values())
            reasons = ", ".join(f"{reason} {n}" for reason, n in tally.failed.most_common())
            detail = f"every page failed ({total} of {total}: {reasons})"
            logger.warning("source failed: %s: %s", tally.url, detail)
            if self.store is not None:
                self.store.sources.record_pages_failed(source_id, detail, tally.failures_before)
                self.store.runs.record_error(self.run_id, tally.url, "source", "pages_failed", detail)
            self._count(sources_failed=1)
        self.pages.clear()

    def _page_ok(self, source_id: int | None) -> None:
        if source_id is not None:
            self.pages[source_id].ok += 1

    def _count(self, **deltas: int) -> None:
        # Counters are written at most once a second (and at the end): a write per page would cost more
        # than the page. Errors and source health are written at once.
        self.pending.update({k: v for k, v in deltas.items() if v})
        if time.monotonic() - self.flushed_at >= self.FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write the source answers and counters gathered since the last flush."""
        self.flushed_at = time.monotonic()
        self.write_answers()
        if self.store is not None and self.run_id is not None and self.pending:
            self.store.runs.add_counts(self.run_id, **self.pending)
        self.pending.clear()

    def write_answers(self) -> None:
        """Record the sources that answered since the last write, in one transaction."""
        answers, self.answers = self.answers, []
        if self.store is None or not answers:
            return
        before = self.store.sources.record_successes([answer for answer, _ in answers])
        for answer, url in answers:
            tally = self.pages[answer.source_id]
            tally.url, tally.failures_before = url, before.get(answer.source_id, 0)

    def response_received(self, **_: Any) -> None:
        self._count(pages_fetched=1)

    def source_succeeded(
        self,
        source: SourceSpec,
        entries: int = 0,
        etag: str | None = None,
        last_modified: str | None = None,
        not_modified: bool = False,
        **_: Any,
    ) -> None:
        if source.source_id is not None:
            answer = SourceAnswer(source.source_id, etag, last_modified, entries, not_modified, utcnow())
            self.answers.append((answer, source.url))
        self._count(sources_done=1, sources_not_modified=int(not_modified))

    def source_failed(
        self, source: SourceSpec, reason: str, detail: str = "", http_status: int | None = None, **_: Any
    ) -> None:
        logger.warning("source failed: %s (%s): %s", source.name, source.url, detail or reason)
        self.write_answers()  # a source's answer before its failure, as they happened
        if self.store is not None:
            if source.source_id is not None:
                self.store.sources.record_failure(
                    source.source_id, f"{reason}: {detail}" if detail else reason
                )
            self.store.runs.record_error(
                self.run_id, source.url, "source", reason, detail, http_status, source.source_id
            )
        self._count(sources_done=1, sources_failed=1)

    def page_failed(
        self,
        url: str,
        source: SourceSpec | None,
        reason: str,
        detail: str = "",
        http_status: int | None = None,
        **_: Any,
    ) -> None:
        logger.info("page failed: %s: %s", url, detail or reason)
        if self.store is not None:
            source_id = source.source_id if source is not None else None
            self.store.runs.record_error(self.run_id, url, "page", reason, detail, http_status, source_id)
        if source is not None and source.source_id is not None:
            self.pages[source.source_id].failed[reason] += 1
        self._count(articles_failed=1)

    def page_skipped(self, source: SourceSpec | None = None, **_: Any) -> None:
        self._page_ok(source.source_id if source is not None else None)
        self._count(articles_seen=1)

    def item_scraped(self, item: Any, **_: Any) -> None:
        if isinstance(item, ArticleItem):
            if item.extraction != "summary":  # a kept feed summary follows a page failure
                self._page_ok(item.source_id)
            outcome = item.outcome
            self._count(
                articles_new=int(outcome == "new"),
                articles_duplicate=int(outcome == "duplicate"),
                articles_irrelevant=int(outcome == "irrelevant"),
            )

    def item_dropped(self, item: Any, exception: DropItem, **_: Any) -> None:
        # Our pipelines drop only items whose URL turned out to be stored already.
        if isinstance(item, ArticleItem):
            self._page_ok(item.source_id)
        self._count(articles_seen=1)

    def item_error(self, item: Any, failure: Failure, **_: Any) -> None:
        diagnosis = diagnose(failure)
        url = getattr(item, "url", "?")
        logger.error("could not store %s: %s", url, diagnosis.detail)
        if self.store is not None:
            self.store.runs.record_error(self.run_id, url, "page", "storage_error", diagnosis.detail)
        self._count(articles_failed=1)
