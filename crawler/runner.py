"""Running one crawl: register the sources, open a run record, start the spiders, report progress.

Scrapy's reactor cannot be restarted in a process, so `run_crawl` is called once per process: by
`seedwatch crawl`, `seedwatch demo`, and the daemon's crawl child process.

A run ends "completed", "failed" (its frontier unreachable or emptied mid-run, a spider that could not
run, or every source failed) or "interrupted" (SIGINT or SIGTERM: Scrapy stops gracefully, and the run
says it was cut short).

Errors::

    CrawlSetupError       the crawl could not start (database, source list); nothing was fetched
     └── FrontierError    the shared frontier (Redis) cannot be reached; the run is recorded as failed
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from crawler import signals as our_signals
from crawler.config import Settings
from crawler.frontier import FRONTIER_LOST_STAT
from crawler.items import ArticleItem
from crawler.settings import scrapy_settings
from crawler.sources import SourceSpec
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import NewsSitemapSpider
from crawler.storage import StorageError, Store
from crawler.storage.runs import COUNTERS

logger = logging.getLogger(__name__)

FRONTIER_LOST = (
    "the run's keys vanished from Redis during the crawl (emptied by FLUSHDB, or evicted: give the "
    "frontier a Redis database of its own, with maxmemory-policy noeviction); requests waiting in the "
    "shared frontier were lost, so pages may be missing: crawl again"
)

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


class FrontierError(CrawlSetupError):
    """The shared frontier (Redis) cannot be reached."""


def safe_redis_url(url: str) -> str:
    """A Redis URL with its password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check_frontier(redis_url: str, timeout: float = 5.0) -> None:
    """Raise FrontierError, in one line naming the URL (password hidden), when Redis does not answer."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError as exc:
        raise FrontierError(f"redis_url {safe_redis_url(redis_url)!r} is not a Redis URL: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        raise FrontierError(
            f"the shared frontier is unreachable: Redis at {safe_redis_url(redis_url)}: {reason}. "
            "Check redis_url / SEEDWATCH_REDIS_URL"
        ) from None
    finally:
        client.close()


class _CrawlProcess(CrawlerProcess):
    """Scrapy's process, remembering whether a signal (Ctrl-C, SIGTERM) stopped it."""

    stopped_by: int | None = None

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        self.stopped_by = signum
        super()._signal_shutdown(signum, _)

    def _signal_kill(self, signum: int, _: Any) -> None:
        self.stopped_by = signum
        super()._signal_kill(signum, _)


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
    error: str | None
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    stopped_by: int | None = None  # the signal that interrupted the crawl (SIGINT, SIGTERM)


def register_sources(store: Store, sources: Sequence[SourceSpec]) -> list[SourceSpec]:
    """Make sure every source has a row; return them with their id, ETag and Last-Modified."""
    rows = store.sources.register(sources)  # one transaction: a list of thousands of feeds is common
    return [
        spec.with_state(rows[spec.url].id, rows[spec.url].etag, rows[spec.url].last_modified)
        for spec in sources
    ]


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

    for handler, signal_ in (
        (source_done, our_signals.source_succeeded),
        (source_failed, our_signals.source_failed),
        (page_failed, our_signals.page_failed),
        (page_skipped, our_signals.page_skipped),
        (item_scraped, signals.item_scraped),
        (item_dropped, signals.item_dropped),
    ):
        crawler.signals.connect(handler, signal=signal_, weak=False)


def _chain(
    process: CrawlerProcess, crawls: Sequence[tuple[Any, dict[str, Any]]], spider_errors: list[str]
) -> None:
    """Start each crawl when the one before it has finished (CrawlerProcess waits for all of them);
    none after one that was shut down (Ctrl-C, SIGTERM)."""
    if not crawls:
        return
    (crawler, kwargs), rest = crawls[0], crawls[1:]

    def next_one(result: Any) -> Any:
        if crawler.stats.get_value("finish_reason") != "shutdown":
            _chain(process, rest, spider_errors)
        return result

    finished = process.crawl(crawler, **kwargs)
    finished.addErrback(_keep_spider_error, spider_errors, str(getattr(crawler.spidercls, "name", "")))
    finished.addBoth(next_one)


def run_crawl(
    settings: Settings,
    sources: Sequence[SourceSpec],
    *,
    trigger: str = "manual",
    on_progress: Callable[[Progress], None] | None = None,
    progress: Progress | None = None,
    join_run: int | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CrawlSummary:
    """Crawl the sources once, storing what is found; returns the run's summary. Blocks until done.

    With a Redis frontier (`settings.redis_url`), `join_run` makes this process a worker of a run that
    another process started: it takes requests from the run's shared queue until the run is over.
    `on_start` is told the run's id once the run is open, before anything is fetched.
    """
    if join_run is not None and not settings.redis_url:
        raise CrawlSetupError("joining a crawl as a worker needs a shared frontier: set redis_url")
    store, registered, run_id = _open_run(settings, sources, trigger, join_run)
    if on_start is not None:
        on_start(run_id)
    progress = progress or Progress()
    progress.sources_total = len(registered)
    status, error = "completed", None
    spider_errors: list[str] = []
    process: _CrawlProcess | None = None
    try:
        process = _crawl_process(settings, run_id, join_run is not None)
        crawlers = _add_spiders(process, settings, registered, progress, on_progress, spider_errors)
        process.start()
        if any(crawler.stats.get_value(FRONTIER_LOST_STAT) for crawler in crawlers):
            status, error = "failed", FRONTIER_LOST
    except KeyboardInterrupt:
        status, error = "interrupted", "stopped by the user (SIGINT); what was stored is kept"
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        logger.exception("crawl run %s failed", run_id)
    finally:
        _stop_reactor_threads()
        if process is not None and process.stopped_by is not None:
            name = signal.Signals(process.stopped_by).name
            status, error = "interrupted", f"stopped by the user ({name}); what was stored is kept"
        elif status == "completed" and spider_errors:
            status, error = "failed", spider_errors[0]
        if join_run is None:
            if status == "completed":
                status, error = _every_source_failed(store, run_id) or (status, error)
            store.runs.finish(run_id, status, error)
    summary = summarize(store, run_id)
    store.close()
    if join_run is not None and status != "completed":  # how this worker ended, not the run it joined
        summary = dataclasses.replace(summary, status=status, error=error)
    if status == "interrupted":
        signum = process.stopped_by if process is not None else None
        summary = dataclasses.replace(summary, stopped_by=signum or signal.SIGINT)
    return summary


def _open_run(
    settings: Settings, sources: Sequence[SourceSpec], trigger: str, join_run: int | None
) -> tuple[Store, list[SourceSpec], int]:
    """Register the sources and open the run (or check the one to join); its frontier must answer."""
    try:
        store = Store(settings.database)
    except StorageError as exc:
        raise CrawlSetupError(f"{exc}. Check --db / SEEDWATCH_DATABASE_URL") from None
    try:
        registered = register_sources(store, sources)
        if join_run is None:
            run_id = store.runs.start(trigger=trigger, pid=os.getpid(), sources_total=len(registered))
        else:
            run_id = join_run
            joined = store.runs.get(join_run)
            if joined is None or joined.status != "running":
                store.close()
                raise CrawlSetupError(f"crawl run #{join_run} is not running; nothing to join")
    except StorageError as exc:
        store.close()
        raise CrawlSetupError(f"{exc}. Check --db / SEEDWATCH_DATABASE_URL") from None
    if settings.redis_url:
        try:
            check_frontier(settings.redis_url)
        except FrontierError as exc:
            if join_run is None:
                store.runs.finish(run_id, "failed", str(exc))
            store.close()
            raise FrontierError(f"crawl run #{run_id} failed: {exc}") from None
    return store, registered, run_id


def _crawl_process(settings: Settings, run_id: int, worker: bool) -> _CrawlProcess:
    # Scrapy's logging set-up resets its own loggers to DEBUG; keep the levels our entry point chose.
    levels = {name: logging.getLogger(name).level for name in ("scrapy", "twisted")}
    process = _CrawlProcess(scrapy_settings(settings, run_id, worker=worker))
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    return process


def _add_spiders(
    process: _CrawlProcess,
    settings: Settings,
    registered: Sequence[SourceSpec],
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
    spider_errors: list[str],
) -> list[Any]:
    groups: dict[type, list[SourceSpec]] = {}
    if settings.redis_url:
        # Every spider runs, so every shared queue has a consumer in every process.
        groups = {cls: [] for cls in dict.fromkeys(SPIDER_FOR_KIND.values())}
    for spec in registered:
        groups.setdefault(SPIDER_FOR_KIND[spec.kind], []).append(spec)
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
        _chain(process, crawls, spider_errors)
        return [crawler for crawler, _ in crawls]
    for crawler, kwargs in crawls:
        finished = process.crawl(crawler, **kwargs)
        finished.addErrback(_keep_spider_error, spider_errors, str(getattr(crawler.spidercls, "name", "")))
    return [crawler for crawler, _ in crawls]


def _stop_reactor_threads() -> None:
    """Stop the reactor's thread pool if its shutdown did not: its threads are not daemons, and one
    left waiting keeps the process alive after an interrupted crawl."""
    from twisted.internet import reactor

    pool = getattr(reactor, "threadpool", None)
    if pool is not None and pool.started:
        pool.stop()


def _keep_spider_error(failure: Failure, errors: list[str], spider: str) -> None:
    """A spider that could not run (its frontier lost, a component failing): one line, no traceback."""
    exc = failure.value
    cause = exc.__cause__ or exc.__context__ if exc is not None else None
    reason = f"{type(exc).__name__}: {exc}"
    if cause is not None:
        reason = f"{type(cause).__name__}: {' '.join(str(cause).split())}"
    errors.append(f"spider {spider} could not run: {reason}")
    logger.error("spider %s could not run: %s", spider, reason)


def _every_source_failed(store: Store, run_id: int) -> tuple[str, str] | None:
    """("failed", why) when a run had sources and every one of them failed; None otherwise."""
    run = store.runs.get(run_id)
    if run is None or run.sources_total == 0 or run.sources_failed < run.sources_total:
        return None
    reasons = sorted({e.reason for e in store.runs.errors(run_id) if e.scope == "source"})
    return (
        "failed",
        f"every source failed ({run.sources_failed} of {run.sources_total}: {', '.join(reasons)})",
    )


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
    return CrawlSummary(run_id=run_id, status=run.status, error=run.error, counts=counts, errors=errors)
