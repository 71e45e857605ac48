"""Scrapy settings of the seedwatch project.

The module-level names are the fixed part of every crawl's settings (components, their order, what no user
configures); `scrapy_settings()` adds the politeness and limits of one crawl from our typed `Settings`, whose
defaults are in `crawler.config.CrawlSettings` alone, so what a user configures is what Scrapy obeys.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.config import Settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

BOT_NAME = "seedwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

REDIRECT_MAX_TIMES = 10
# A response's output (a feed's article requests, or one article) is processed by this many parallel tasks,
# each started anew for every response: Scrapy's 100 cost more than the 304 of an unchanged feed.
CONCURRENT_ITEMS = 8
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the crawl records the failure with its reason; no ERROR line for it
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # an HTTP control port per crawl is not something a media monitor should open
LOG_INSTALL_ROOT_HANDLER = False  # logging is configured by our entry points
LOGSTATS_INTERVAL = 0
HTTPCACHE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_CLASS = "crawler.middlewares.CanonicalFingerprinter"
LOG_FORMATTER = "crawler.logformatter.SeedwatchLogFormatter"

# The fetch policy (crawler/fetch_policy.py): http and https only, public addresses only.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.FetchPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.KnownArticleMiddleware": 590,
    "crawler.middlewares.HostSlots": 950,  # closest to the network: a slot is held while a request is out
}
ITEM_PIPELINES = {
    "crawler.pipelines.RelevancePipeline": 300,
    "crawler.pipelines.JudgePipeline": 400,
    "crawler.pipelines.StoragePipeline": 500,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRecorder": 500,
}


def seedwatch_settings(crawler: Crawler) -> Settings:
    """Our typed settings, as a crawl's components find them; NotConfigured outside a seedwatch crawl."""
    settings = crawler.settings.get("SEEDWATCH_SETTINGS")
    if not isinstance(settings, Settings):
        raise NotConfigured("SEEDWATCH_SETTINGS is not set: not a seedwatch crawl")
    return settings


def database_keys(settings: Settings) -> str:
    """The prefix of a database's Redis keys: two deployments (or test databases) sharing one Redis never
    take each other's requests or slots."""
    database = hashlib.sha1(settings.database.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"seedwatch:{database}"


def run_keys(settings: Settings, run_id: int | None) -> str:
    """The prefix of a run's Redis keys (run ids are per database)."""
    return f"{database_keys(settings)}:run:{run_id}"


def scrapy_settings(settings: Settings, run_id: int | None = None, worker: bool = False) -> dict[str, Any]:
    """The Scrapy settings of one crawl, from our typed settings."""
    crawl = settings.crawl
    values: dict[str, Any] = {
        name: value for name, value in globals().items() if name.isupper() and not name.startswith("_")
    }
    values.update(
        {
            "ROBOTSTXT_OBEY": crawl.obey_robots,
            "USER_AGENT": crawl.user_agent,
            "CONCURRENT_REQUESTS": crawl.concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_per_domain,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "DOWNLOAD_TIMEOUT": crawl.download_timeout,
            # The limit holds after decompression too (Scrapy's HttpCompressionMiddleware checks it as
            # it inflates); DOWNLOAD_TIMEOUT is one timer for the whole download, not one per read.
            "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
            "DOWNLOAD_WARNSIZE": max(1, crawl.max_page_bytes // 2),
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
            "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle_max_delay,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
            "RETRY_TIMES": crawl.retry_times,
            "SEEDWATCH_RETRY_BACKOFF": crawl.retry_backoff,
            "SEEDWATCH_RETRY_BACKOFF_MAX": crawl.retry_backoff_max,
            "SEEDWATCH_ALLOWED_NETWORKS": list(crawl.allowed_networks),
            "SEEDWATCH_SETTINGS": settings,
            "SEEDWATCH_RUN_ID": run_id,
            "LOG_LEVEL": "DEBUG" if settings.log_level == "DEBUG" else "WARNING",
        }
    )
    if crawl.concurrent_requests > 1:
        # Take the next request from the host with the fewest downloads in progress, not the newest one
        # queued: a source list lists a publisher's feeds side by side, and Scrapy's default queue then
        # fills every download slot with one host's requests, each waiting out that host's delay (Scrapy's
        # advice for broad crawls). A shared frontier has its own queue (see below).
        values["SCHEDULER_PRIORITY_QUEUE"] = "scrapy.pqueues.DownloaderAwarePriorityQueue"
    if crawl.concurrent_requests == 1:
        # One page at a time, its callback and items handled completely before the next is fetched:
        # pages then reach the pipelines in the order of the scheduler, and a crawl is repeatable.
        values["SCRAPER_SLOT_MAX_ACTIVE_SIZE"] = 1
    if settings.redis_url:
        # A shared frontier: several `seedwatch crawl --worker` processes take requests from one queue.
        values.update(
            {
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "DUPEFILTER_CLASS": "crawler.middlewares.CanonicalRedisDupeFilter",
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_KEY": f"{run_keys(settings, run_id)}:%(spider)s:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"{run_keys(settings, run_id)}:%(spider)s:dupefilter",
                "SEEDWATCH_RUN_KEYS": run_keys(settings, run_id),
                "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # a blocking pop would stall the reactor
                # A pop is a lease: requests taken by a process that dies go back to the queue.
                "SCHEDULER_QUEUE_CLASS": "crawler.frontier.LeasedQueue",
                "SEEDWATCH_FRONTIER_LEASE": crawl.frontier_lease_seconds,
                "REDIS_URL": settings.redis_url,
                "SEEDWATCH_WORKER": worker,
                # Take no more from the shared queue than the page workers will soon get to: with
                # Scrapy's 5 MB of responses waiting to be parsed, one process leased most of a run's
                # pages at once while the other processes of the run had nothing to do.
                "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 500_000,
            }
        )
        # Closest to the engine, so it sees every item that reaches the pipelines.
        values["SPIDER_MIDDLEWARES"] = {"crawler.frontier.LeaseKeeper": 50}
        # Politeness per host across the run's processes: the delay is kept in Redis by SharedHostSlots
        # (closest to the network), from the moment a slot is taken. A process adding a delay of its own
        # (Scrapy's, AutoThrottle's) after that moment would let another process's request follow sooner
        # than the delay, so here the delay is the configured one, fixed, and AutoThrottle is off.
        values["DOWNLOADER_MIDDLEWARES"] = {
            **DOWNLOADER_MIDDLEWARES,
            "crawler.middlewares.HostSlots": None,
            "crawler.middlewares.SharedHostSlots": 950,
        }
        values["DOWNLOAD_DELAY"] = 0
        values["AUTOTHROTTLE_ENABLED"] = False
    return values
