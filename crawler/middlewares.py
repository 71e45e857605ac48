"""Downloader middlewares and request fingerprints of the seedwatch project.

- `FetchPolicyMiddleware`: every request (pages, feeds, redirects, robots.txt, sitemaps, listings) is
  http(s) to an allowed address, or is refused with `FetchRefused` before anything is sent.
- `BackoffRetryMiddleware`: Scrapy's retries, with exponential backoff (and Retry-After) between tries.
- `KnownArticleMiddleware`: a link to an article stored already is not fetched again.
- `CanonicalFingerprinter` / `CanonicalRedisDupeFilter`: article requests are the same request when
  their canonical URLs are equal, so tracking and AMP variants are fetched once per run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis.dupefilter import RFPDupeFilter
from twisted.internet.error import DNSLookupError

from crawler.failures import AlreadyStored, FetchRefused
from crawler.fetch_policy import AddressGuard, Refusal, parse_address
from crawler.judge.canonical import canonical_url, url_variants
from crawler.resolver import GuardedResolver
from crawler.settings import seedwatch_settings
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
            target = urljoin(request.url, location.decode("latin-1").strip())
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
