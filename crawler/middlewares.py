"""Downloader middlewares and request fingerprints of the seedwatch project.

- `FetchPolicyMiddleware`: every request (pages, feeds, redirects, robots.txt, sitemaps, listings) is
  http(s) to an allowed address, or is refused with `FetchRefused` before anything is sent.
- `BackoffRetryMiddleware`: Scrapy's retries, with exponential backoff (and Retry-After) between tries.
- `KnownArticleMiddleware`: a link to an article stored already is not fetched again.
- `SharedHostSlots`: with a shared frontier, `concurrent_per_domain` and `download_delay` hold per host
  across every process of the crawl (Scrapy keeps them per process), through leases in Redis.
- `HostSlots`: in one process, `concurrent_per_domain` holds with no download delay too.
- `CanonicalFingerprinter` / `CanonicalRedisDupeFilter`: article requests are the same request when
  their canonical URLs are equal, so tracking and AMP variants are fetched once per run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import sys
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis.dupefilter import RFPDupeFilter
from twisted.internet.error import DNSLookupError

from crawler.failures import AlreadyStored, FetchRefused
from crawler.fetch_policy import AddressGuard, Refusal, parse_address
from crawler.judge.canonical import canonical_url, url_variants
from crawler.resolver import GuardedResolver
from crawler.settings import database_keys, seedwatch_settings
from crawler.storage import Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class CanonicalFingerprinter(RequestFingerprinter):
    """Scrapy's fingerprints, taken of the canonical URL for article requests."""

    def fingerprint(self, request: Request) -> bytes:
        if request.meta.get("article"):
            request = request.replace(url=canonical_url(request.url))
        return super().fingerprint(request)


class CanonicalRedisDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """The shared (Redis) duplicate filter, with canonical URLs for article requests."""

    def request_fingerprint(self, request: Request) -> str:
        if request.meta.get("article"):
            key = f"{request.method} {canonical_url(request.url)}"
            return hashlib.sha1(key.encode()).hexdigest()
        return str(super().request_fingerprint(request))


class FetchPolicyMiddleware:
    """Refuses a request whose scheme is not http(s) or whose host has no allowed address.

    First in the chain, so a refused URL costs no robots.txt request either. The resolver
    (`crawler.resolver.GuardedResolver`) enforces the same guard when the connection is made; this
    middleware refuses early and turns the resolver's refusal into the failure's reason.
    """

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchPolicyMiddleware:
        return cls(AddressGuard(crawler.settings.getlist("SEEDWATCH_ALLOWED_NETWORKS")))

    @staticmethod
    def _resolver() -> GuardedResolver | None:
        # The installed reactor's resolver; importing twisted.internet.reactor would install one.
        reactor = sys.modules.get("twisted.internet.reactor")
        resolver = getattr(reactor, "nameResolver", None)
        return resolver if isinstance(resolver, GuardedResolver) else None

    @staticmethod
    def _refuse(request: Request, refusal: Refusal) -> FetchRefused:
        return FetchRefused(refusal.reason, refusal.detail, request.url, refusal.address)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Raise FetchRefused for a URL the policy does not allow."""
        refusal = self.guard.url_refusal(request.url)
        if refusal is not None:
            raise self._refuse(request, refusal)
        host = urlparse_cached(request).hostname or ""
        resolver = self._resolver()
        if resolver is not None and parse_address(host) is None:
            refusal = await resolver.check(host)
            if refusal is not None:
                raise self._refuse(request, refusal)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        """A redirect to a scheme we do not fetch is refused (Scrapy would hand the 3xx to the spider)."""
        location = response.headers.get(b"Location") if 300 <= response.status < 400 else None
        if location:
            try:
                target = urljoin(request.url, location.decode("latin-1").strip())
            except ValueError:  # "https://[x": no URL at all
                detail = f"redirected to a URL that cannot be parsed: {location[:200]!r}"
                raise FetchRefused("blocked_scheme", detail, request.url) from None
            refusal = self.guard.url_refusal(target)
            if refusal is not None and refusal.reason == "blocked_scheme":
                raise FetchRefused(
                    refusal.reason, f"redirected to {target[:200]}: {refusal.detail}", request.url
                )
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """A host the resolver gave no address for because the policy kept them all back is refused."""
        if not isinstance(exception, CannotResolveHostError | DNSLookupError):
            return
        resolver = self._resolver()
        refusal = resolver.refusal_for(urlparse_cached(request).hostname or "") if resolver else None
        if refusal is not None:
            raise self._refuse(request, refusal) from exception


class BackoffRetryMiddleware(RetryMiddleware):  # type: ignore[misc]
    """Retries like Scrapy's, but waits base * 2**n seconds (capped, jittered) or Retry-After first."""

    def __init__(self, settings: Any, backoff: float = 1.0, backoff_max: float = 60.0) -> None:
        super().__init__(settings)
        self.backoff = backoff
        self.backoff_max = backoff_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        settings = crawler.settings
        middleware = cls(
            settings,
            settings.getfloat("SEEDWATCH_RETRY_BACKOFF", 1.0),
            settings.getfloat("SEEDWATCH_RETRY_BACKOFF_MAX", 60.0),
        )
        middleware.crawler = crawler
        return middleware

    def _retry(self, request: Request, reason: Any, response: Response | None = None) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            tries = int(retry.meta.get("retry_times", 1))
            delay = min(self.backoff_max, self.backoff * 2 ** (tries - 1)) * random.uniform(0.8, 1.2)
            after = response.headers.get(b"Retry-After") if response is not None else None
            if after and after.strip().isdigit():
                delay = min(self.backoff_max, float(after))
            retry.meta["retry_delay"] = delay
        return retry

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        return self._retry(request, f"HTTP {response.status}", response) or response

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait out the backoff of a retried request before it goes to the downloader."""
        delay = request.meta.pop("retry_delay", None)
        if delay:
            await asyncio.sleep(float(delay))


class KnownArticleMiddleware:
    """Skips article requests whose URL (or its canonical form) leads to a stored article."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownArticleMiddleware:
        middleware = cls(seedwatch_settings(crawler).database)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        self.store = Store(self.database_url)

    def spider_closed(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Raise AlreadyStored for a link to an article we have."""
        if not request.meta.get("article") or self.store is None or request.meta.get("retry_times"):
            return
        # A database round trip: on a thread, so the reactor keeps downloading meanwhile.
        found = await asyncio.to_thread(self.store.articles.known, url_variants(request.url))
        if found is not None:
            raise AlreadyStored(request.url, found)


# One Redis script takes a host's slot: KEYS = (holders: token -> lease end, next: earliest next start),
# ARGV = (token, concurrency, delay ms, lease ms, keys' TTL ms). Times are Redis's clock, in ms. Returns 0
# when the slot is taken, else how many ms to wait (-1: every slot is held; look again soon).
TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_at > now then return next_at - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[5])) end
return 0
"""
SLOT_META = "seedwatch_host_slot"
FULL_POLL = 0.05  # seconds between looks at a host whose every slot is held by some process


class SharedHostSlots:
    """Per-host politeness across processes: a request is sent only while it holds one of its host's
    `concurrent_per_domain` slots in Redis, and at least `download_delay` after the last request to that
    host from any process of the crawl (the producer and every worker).

    Last of the downloader middlewares, so that a slot is held from just before the request is sent until
    its response (or failure) comes back; a slot whose holder died is free again when its lease runs out
    (`download_timeout` plus 10 s). Robots.txt requests take slots too. Scrapy's own per-process slots
    still apply on top (with no delay of their own: the delay is kept here).
    """

    def __init__(self, server: Any, prefix: str, concurrency: int, delay: float, lease: float) -> None:
        self.server = server
        self.prefix = prefix
        self.concurrency = concurrency
        self.delay_ms = round(delay * 1000)
        self.lease_ms = round(lease * 1000)
        self.ttl_ms = self.lease_ms + self.delay_ms + 60_000
        self.take = server.register_script(TAKE_SLOT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedHostSlots:
        settings = seedwatch_settings(crawler)
        if not settings.redis_url:
            raise NotConfigured  # one process: Scrapy's own slots are the politeness (said quietly)
        import redis

        crawl = settings.crawl
        return cls(
            redis.Redis.from_url(settings.redis_url),
            f"{database_keys(settings)}:host",
            crawl.concurrent_per_domain,
            crawl.download_delay,
            crawl.download_timeout + 10.0,  # a holder that died frees its slot this long after taking it
        )

    def keys(self, request: Request) -> list[str]:
        """The Redis keys of a request's host (its Scrapy download slot)."""
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        return [f"{self.prefix}:{host}:holders", f"{self.prefix}:{host}:next"]

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait for a slot of the request's host, and take it."""
        token = uuid.uuid4().hex
        keys = self.keys(request)
        while True:
            wait = int(
                self.take(
                    keys=keys, args=[token, self.concurrency, self.delay_ms, self.lease_ms, self.ttl_ms]
                )
            )
            if wait == 0:
                request.meta[SLOT_META] = token
                return
            await asyncio.sleep(FULL_POLL if wait < 0 else wait / 1000)

    def release(self, request: Request) -> None:
        """Give back the request's slot, if it holds one."""
        token = request.meta.pop(SLOT_META, None)
        if token is not None:
            self.server.zrem(self.keys(request)[0], token)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self.release(request)


class HostSlots:
    """`concurrent_per_domain` in one process, when there is no download delay.

    Scrapy's downloader checks a host's free slots before the requests it sends have started (on asyncio,
    each is a task that starts later), so with no delay every request queued for a host goes at once: 11
    in flight to a host limited to 2, measured. With a delay it sends one per delay and the limit holds.
    """

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.in_flight: dict[str, int] = {}
        self.freed = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostSlots:
        settings = seedwatch_settings(crawler)
        if settings.redis_url or settings.crawl.download_delay > 0:
            raise NotConfigured  # SharedHostSlots, or Scrapy's delay, keeps the limit (said quietly)
        return cls(settings.crawl.concurrent_per_domain)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait until the request's host has a free slot, and take it."""
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        while self.in_flight.get(host, 0) >= self.concurrency:
            self.freed.clear()
            await self.freed.wait()
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        request.meta[SLOT_META] = host

    def release(self, request: Request) -> None:
        """Give back the request's slot, if it holds one."""
        host = request.meta.pop(SLOT_META, None)
        if host is not None:
            self.in_flight[host] -= 1
            self.freed.set()

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self.release(request)
