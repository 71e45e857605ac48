"""One page fetched outside a crawl (`seedwatch seeds add URL`), under the crawl's fetch policy.

A crawl fetches through Scrapy; a single page for a CLI command cannot (Scrapy's reactor runs once per
process), so this is the same policy with the standard library: http(s) only, every redirect checked
again, the socket connected only to an address the `AddressGuard` allows (the address checked is the
address connected to), the body capped in bytes after decompression, and the whole fetch, headers and
redirects included, capped in time by a watchdog that closes the socket: a server dripping one byte at
a time is cut off at the limit, not at a per-read timeout.

Errors::

    FetchError(Exception)   the page could not be fetched; `.reason` is a code of crawler.failures.REASONS
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

from crawler.fetch_policy import AddressGuard, Refusal

REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 65536


class FetchError(Exception):
    """A page that could not be fetched, with a reason code (`timeout`, `too_large`, `blocked_address`...)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may take: bytes after decompression, seconds in all, redirects."""

    max_bytes: int = 8 * 1024 * 1024
    timeout: float = 20.0
    max_redirects: int = 10
    user_agent: str = "seedwatch"


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page: final URL, decompressed body, content type and declared charset."""

    url: str
    body: bytes
    content_type: str
    charset: str | None


class _Deadline:
    """The time left of one fetch, and a watchdog that closes the socket when it is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise FetchError("timeout", f"no complete answer within {self.seconds:g} seconds")
        return left


class _GuardedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection that connects only to addresses the guard allows."""

    def __init__(self, host: str, port: int, guard: AddressGuard, deadline: _Deadline, tls: bool) -> None:
        super().__init__(host, port, timeout=deadline.left())
        self.guard = guard
        self.deadline = deadline
        self.tls = tls

    def connect(self) -> None:
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise FetchError("dns_error", f"the host name {self.host} does not resolve") from None
        refused: list[Refusal] = []
        last_error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            refusal = self.guard.address_refusal(str(sockaddr[0]))
            if refusal is not None:
                refused.append(refusal)
                continue
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.deadline.left())
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            self.sock = self._wrap(sock)
            return
        if last_error is None and refused:
            raise FetchError(refused[0].reason, refused[0].detail)
        if isinstance(last_error, ConnectionRefusedError):
            raise FetchError("connection_refused", f"nothing listens at {self.host}:{self.port}")
        raise FetchError("connection_lost", f"cannot connect to {self.host}:{self.port}: {last_error}")

    def _wrap(self, sock: socket.socket) -> socket.socket:
        if not self.tls:
            return sock
        try:
            return ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise FetchError("tls_error", f"the TLS handshake with {self.host} failed: {exc}") from None


def fetch_page(url: str, guard: AddressGuard, limits: FetchLimits) -> FetchedPage:
    """Fetch one page under the fetch policy, following redirects; raises FetchError."""
    deadline = _Deadline(limits.timeout)
    seen: list[str] = []
    while True:
        refusal = guard.url_refusal(url)
        if refusal is not None:
            raise FetchError(refusal.reason, f"{refusal.detail}: {url}")
        if len(seen) > limits.max_redirects or url in seen:
            raise FetchError("redirect_loop", "too many redirects: " + " → ".join([*seen, url]))
        seen.append(url)
        status, location, page = _fetch_once(url, guard, limits, deadline)
        if status in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        if page is None or status >= 400:
            raise FetchError("http_error", f"the server answered HTTP {status}")
        return page


def _fetch_once(
    url: str, guard: AddressGuard, limits: FetchLimits, deadline: _Deadline
) -> tuple[int, str | None, FetchedPage | None]:
    parts = urlsplit(url)
    tls = parts.scheme.lower() == "https"
    port = parts.port or (443 if tls else 80)
    connection = _GuardedConnection(parts.hostname or "", port, guard, deadline, tls)
    watchdog = threading.Timer(deadline.left(), _shut, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "GET",
            path,
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location"), None
        if response.status >= 400:
            return response.status, None, None
        body = _read_body(response, limits, deadline)
        headers: Message = response.msg
        return (
            response.status,
            None,
            FetchedPage(url, body, headers.get_content_type() or "", headers.get_content_charset()),
        )
    except FetchError:
        raise
    except zlib.error as exc:
        raise FetchError("error", f"the compressed body cannot be decompressed: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        deadline.left()  # a socket closed by the watchdog is a timeout
        raise FetchError("connection_lost", f"the connection broke off: {exc}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            sock.shutdown(socket.SHUT_RDWR)


def _read_body(response: http.client.HTTPResponse, limits: FetchLimits, deadline: _Deadline) -> bytes:
    """The body, decompressed, never more than limits.max_bytes held at once."""
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise FetchError("error", f"the server sent an encoding that was not asked for ({encoding})")
    inflater = zlib.decompressobj(47) if encoding != "identity" else None  # 47: gzip or zlib header
    too_large = FetchError("too_large", f"the page is larger than {limits.max_bytes} bytes")
    out = bytearray()
    while True:
        deadline.left()
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        if inflater is None:
            out += chunk
        else:
            out += inflater.decompress(chunk, limits.max_bytes + 1 - len(out))
            if inflater.unconsumed_tail:
                raise too_large
        if len(out) > limits.max_bytes:
            raise too_large
    deadline.left()
    return bytes(out)
