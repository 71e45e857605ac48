"""Running one crawl: register the sources, open a run record, start the spiders, report progress.

Scrapy's reactor cannot be restarted in a process, so `run_crawl` is called once per process: by
`seedwatch crawl`, `seedwatch demo`, and the daemon's crawl child process.

Errors::

    CrawlSetupError   the crawl could not start (database, source list); nothing was fetched
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler import signals as our_signals
from crawler.config import Settings
from crawler.items import ArticleItem
from crawler.settings import scrapy_settings
from crawler.sources import SourceSpec
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import NewsSitemapSpider
from crawler.storage import StorageError, Store
from crawler.storage.runs import COUNTERS

logger = logging.getLogger(__name__)

SPIDER_FOR_KIND = {
    "rss": FeedSpider,
    "atom": FeedSpider,
    "json": FeedSpider,
    "feed": FeedSpider,
    "search": FeedSpider,
    "auto": FeedSpider,
    "article": FeedSpider,
    "sitemap": NewsSitemapSpider,
    "listing": ListingSpider,
}


class CrawlSetupError(Exception):
    """The crawl could not start; nothing was fetched."""


@dataclass
class Progress:
    """Live counts of a crawl, updated from Scrapy's signals."""

    sources_total: int = 0
    sources_done: int = 0
    sources_failed: int = 0
    new: int = 0
    duplicate: int = 0  # stored, a copy of another article
    seen: int = 0  # a link to an article stored already: not stored again
    irrelevant: int = 0
    failed: int = 0
    last_events: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Remember one of the latest events, for a live display."""
        self.last_events = [*self.last_events[-4:], text]


@dataclass(frozen=True)
class CrawlSummary:
    """What a finished crawl did (as recorded in its run)."""

    run_id: int
    status: str
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    sources: list[dict[str, Any]]


def register_sources(store: Store, sources: Sequence[SourceSpec]) -> list[SourceSpec]:
    """Make sure every source has a row; return them with their id, ETag and Last-Modified."""
    registered = []
    for spec in sources:
        row = store.sources.upsert(spec.url, spec.name, spec.kind, spec.lang, dict(spec.options))
        registered.append(spec.with_state(row.id, row.etag, row.last_modified))
    return registered


def _connect_progress(crawler: Any, progress: Progress, on_change: Callable[[Progress], None] | None) -> None:
    def changed() -> None:
        if on_change is not None:
            on_change(progress)

    def source_done(source: SourceSpec, **_: Any) -> None:
        progress.sources_done += 1
        progress.note(f"✓ {source.name}")
        changed()

    def source_failed(source: SourceSpec, reason: str, **_: Any) -> None:
        progress.sources_done += 1
        progress.sources_failed += 1
        progress.note(f"✗ {source.name}: {reason}")
        changed()

    def page_failed(url: str, reason: str, **_: Any) -> None:
        progress.failed += 1
        progress.note(f"✗ {url}: {reason}")
        changed()

    def page_skipped(**_: Any) -> None:
        progress.seen += 1
        changed()

    def item_scraped(item: Any, **_: Any) -> None:
        if isinstance(item, ArticleItem):
            setattr(progress, item.outcome, getattr(progress, item.outcome) + 1)
            changed()

    def item_dropped(**_: Any) -> None:
        progress.seen += 1
        changed()

    for handler, signal in (
        (source_done, our_signals.source_succeeded),
        (source_failed, our_signals.source_failed),
        (page_failed, our_signals.page_failed),
        (page_skipped, our_signals.page_skipped),
        (item_scraped, signals.item_scraped),
        (item_dropped, signals.item_dropped),
    ):
        crawler.signals.connect(handler, signal=signal, weak=False)


def _chain(process: CrawlerProcess, crawls: Sequence[tuple[Any, dict[str, Any]]]) -> None:
    """Start each crawl when the one before it has finished (CrawlerProcess waits for all of them);
    none after one that was shut down (Ctrl-C, SIGTERM)."""
    if not crawls:
        return
    (crawler, kwargs), rest = crawls[0], crawls[1:]

    def next_one(result: Any) -> Any:
        if crawler.stats.get_value("finish_reason") != "shutdown":
            _chain(process, rest)
        return result

    process.crawl(crawler, **kwargs).addBoth(next_one)


def _start_crawls(
    process: CrawlerProcess,
    groups: dict[type, list[SourceSpec]],
    settings: Settings,
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    """One crawler per spider class; all at once, or one after another with one request in flight."""
    crawls = []
    for spider_cls, group in groups.items():
        crawler = process.create_crawler(spider_cls)
        _connect_progress(crawler, progress, on_progress)
        kwargs: dict[str, Any] = {
            "sources": group,
            "max_items": settings.crawl.max_items_per_source,
            "max_age_days": settings.crawl.max_age_days,
            "extract_processes": settings.crawl.extract_processes,
        }
        crawls.append((crawler, kwargs))
    if settings.crawl.concurrent_requests == 1 and not settings.redis_url:
        # One request in flight means one spider at a time too: the crawl is then repeatable.
        _chain(process, crawls)
    else:
        for crawler, kwargs in crawls:
            process.crawl(crawler, **kwargs)


def run_crawl(
    settings: Settings,
    sources: Sequence[SourceSpec],
    *,
    trigger: str = "manual",
    on_progress: Callable[[Progress], None] | None = None,
    progress: Progress | None = None,
    join_run: int | None = None,
) -> CrawlSummary:
    """Crawl the sources once, storing what is found; returns the run's summary. Blocks until done.

    With a Redis frontier (`settings.redis_url`), `join_run` makes this process a worker of a run that
    another process started: it takes requests from the run's shared queue until the run is over.
    """
    if join_run is not None and not settings.redis_url:
        raise CrawlSetupError("joining a crawl as a worker needs a shared frontier: set redis_url")
    try:
        store = Store(settings.database)
    except StorageError as exc:
        raise CrawlSetupError(str(exc)) from None
    try:
        registered = register_sources(store, sources)
        if join_run is None:
            run_id = store.runs.start(trigger=trigger, pid=os.getpid(), sources_total=len(registered))
        else:
            run_id = join_run
            joined = store.runs.get(join_run)
            if joined is None or joined.status != "running":
                raise CrawlSetupError(f"crawl run #{join_run} is not running; nothing to join")
    except StorageError as exc:
        store.close()
        raise CrawlSetupError(str(exc)) from None
    progress = progress or Progress()
    progress.sources_total = len(registered)
    status, error = "completed", None
    try:
        # Scrapy's logging set-up resets its own loggers to DEBUG; keep the levels our entry point chose.
        levels = {name: logging.getLogger(name).level for name in ("scrapy", "twisted")}
        process = CrawlerProcess(scrapy_settings(settings, run_id, worker=join_run is not None))
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        groups: dict[type, list[SourceSpec]] = {}
        if settings.redis_url:
            # Every spider runs, so every shared queue has a consumer in every process.
            groups = {cls: [] for cls in dict.fromkeys(SPIDER_FOR_KIND.values())}
        for spec in registered:
            groups.setdefault(SPIDER_FOR_KIND[spec.kind], []).append(spec)
        _start_crawls(process, groups, settings, progress, on_progress)
        process.start()
    except KeyboardInterrupt:
        status, error = "interrupted", "stopped by the user"
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        logger.exception("crawl run %s failed", run_id)
    finally:
        if join_run is None:
            store.runs.finish(run_id, status, error)
    summary = summarize(store, run_id)
    store.close()
    return summary


def summarize(store: Store, run_id: int) -> CrawlSummary:
    """The summary of a recorded run: its counters, errors and the health of its sources."""
    run = store.runs.get(run_id)
    if run is None:
        raise CrawlSetupError(f"no crawl run #{run_id}")
    counts = {name: int(getattr(run, name)) for name in COUNTERS}
    errors = [
        {"scope": e.scope, "url": e.url, "reason": e.reason, "detail": e.detail, "http_status": e.http_status}
        for e in store.runs.errors(run_id)
    ]
    return CrawlSummary(run_id=run_id, status=run.status, counts=counts, errors=errors, sources=[])
