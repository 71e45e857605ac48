"""Why a fetch failed, as a short reason code and a sentence a user can act on.

Errors raised by our spiders and middlewares::

    CrawlFailure(Exception)     a source or page that cannot be used; `.reason` is a code of REASONS
    AlreadyStored(IgnoreRequest) a link to an article stored already (not a failure: counted as duplicate)
    FetchRefused(IgnoreRequest)  the fetch policy refused a request (`blocked_scheme`, `blocked_address`)
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

REASONS = {
    "not_found": "the server says the page does not exist (HTTP {status})",
    "gone": "the server says the page is gone (HTTP {status})",
    "forbidden": "the server refuses access (HTTP {status})",
    "http_error": "the server answered HTTP {status}",
    "server_error": "the server failed (HTTP {status}) on every try",
    "timeout": "no complete answer within the download timeout",
    "connection_refused": "nothing listens at that address (connection refused)",
    "dns_error": "the host name does not resolve",
    "connection_lost": "the connection broke off",
    "tls_error": "the TLS handshake failed",
    "too_large": "the response is larger than the maximum page size",
    "redirect_loop": "too many redirects (a redirect loop)",
    "robots": "robots.txt forbids fetching it",
    "not_html": "the article is not a web page",
    "no_article": "no article text could be extracted",
    "malformed_feed": "the feed is not well-formed and has no readable entries",
    "not_a_feed": "the response is not a feed",
    "malformed_sitemap": "the sitemap cannot be read",
    "no_entries": "the listing selectors found no links",
    "bad_url": "the URL cannot be fetched",
    "blocked_scheme": "only http and https URLs are fetched",
    "blocked_address": "the address is not public (loopback, private, link-local, ...); not fetched",
    "error": "unexpected error",
}


class CrawlFailure(Exception):
    """A source or page that cannot be used, with a reason code of REASONS."""

    def __init__(self, reason: str, detail: str = "", http_status: int | None = None) -> None:
        super().__init__(detail or REASONS.get(reason, reason))
        self.reason = reason
        self.detail = detail or describe(reason, http_status)
        self.http_status = http_status


class AlreadyStored(IgnoreRequest):
    """The request leads to an article stored already."""

    def __init__(self, url: str, article_id: int) -> None:
        super().__init__(f"already stored as article #{article_id}: {url}")
        self.article_id = article_id


class FetchRefused(IgnoreRequest):
    """The fetch policy refused a request before any connection: its scheme, or the address of its host."""

    def __init__(self, reason: str, detail: str, url: str = "", address: str = "") -> None:
        super().__init__(f"{detail}: {url}" if url else detail)
        self.reason = reason
        self.detail = detail
        self.url = url
        self.address = address


@dataclass(frozen=True)
class Diagnosis:
    """A failure as stored: reason code, sentence, HTTP status."""

    reason: str
    detail: str
    http_status: int | None = None


def describe(reason: str, http_status: int | None = None) -> str:
    """The sentence for a reason code."""
    return REASONS.get(reason, reason).format(status=http_status or "?")


def status_reason(status: int) -> str:
    """The reason code of an HTTP error status."""
    if status == 404:
        return "not_found"
    if status == 410:
        return "gone"
    if status in (401, 403, 451):
        return "forbidden"
    return "server_error" if status >= 500 else "http_error"


def diagnose(failure: Failure | BaseException) -> Diagnosis:
    """What went wrong with a request, from the exception Scrapy or Twisted raised."""
    exc = failure.value if isinstance(failure, Failure) else failure
    text = str(exc) or type(exc).__name__
    if isinstance(exc, CrawlFailure):
        return Diagnosis(exc.reason, exc.detail, exc.http_status)
    if isinstance(exc, FetchRefused):
        return Diagnosis(exc.reason, exc.detail)
    if isinstance(exc, IgnoreRequest):
        lowered = text.lower()
        if "download_maxsize" in lowered:
            # Scrapy's HttpCompressionMiddleware: the body grew past the limit while being decompressed.
            return Diagnosis("too_large", f"{describe('too_large')} once decompressed")
        if "robots.txt" in lowered:
            return Diagnosis("robots", describe("robots"))
        if "redirect" in lowered:
            return Diagnosis("redirect_loop", f"{describe('redirect_loop')}: {text}")
        return Diagnosis("error", text)
    if isinstance(exc, DownloadCancelledError) and ("max size" in text.lower() or not str(exc)):
        # Scrapy cancels a streamed body past DOWNLOAD_MAXSIZE without a message (it logs it instead).
        return Diagnosis("too_large", describe("too_large") + (f": {exc}" if str(exc) else ""))
    if isinstance(
        exc,
        DownloadTimeoutError
        | defer.CancelledError
        | error.TimeoutError
        | defer.TimeoutError
        | error.TCPTimedOutError,
    ):
        return Diagnosis("timeout", f"{describe('timeout')}: {text}")
    if isinstance(exc, DownloadConnectionRefusedError | error.ConnectionRefusedError):
        return Diagnosis("connection_refused", describe("connection_refused"))
    if isinstance(exc, CannotResolveHostError | error.DNSLookupError):
        return Diagnosis("dns_error", describe("dns_error"))
    if isinstance(exc, ResponseDataLossError | DownloadFailedError):
        return Diagnosis("connection_lost", f"{describe('connection_lost')}: {text}")
    if isinstance(exc, ResponseFailed | ResponseNeverReceived | error.ConnectionLost | error.ConnectionDone):
        reasons = getattr(exc, "reasons", None) or []
        inner = "; ".join(str(getattr(r, "value", r)) for r in reasons)
        if "maxsize" in inner.lower() or "max size" in inner.lower():
            return Diagnosis("too_large", describe("too_large"))
        if "SSL" in inner or "TLS" in inner or "certificate" in inner:
            return Diagnosis("tls_error", f"{describe('tls_error')}: {inner}")
        return Diagnosis("connection_lost", f"{describe('connection_lost')}{': ' + inner if inner else ''}")
    if isinstance(exc, ValueError) and "url" in text.lower():
        return Diagnosis("bad_url", text)
    return Diagnosis("error", f"{type(exc).__name__}: {text}")
