"""The demo web on 127.0.0.1: a threaded HTTP server around :class:`crawler.demo.web.DemoWeb`.

Usage::

    with DemoSite(slow_delay=2.0) as site:      # or site.start() ... site.stop()
        crawl(site.sources())
        truth = site.expectations()

Each connection gets its own thread, so the slow page never holds up the others. Conditional GETs
(If-None-Match, If-Modified-Since) are answered with 304 for every cacheable page, feed and sitemap.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from crawler.demo.broken import OVERSIZE_CHUNK, OVERSIZE_HEAD
from crawler.demo.corpus import CORPUS_DIR, Corpus, load_corpus
from crawler.demo.expectations import build_expectations
from crawler.demo.web import DemoWeb, Response

logger = logging.getLogger(__name__)

DEFAULT_SLOW_DELAY = 30.0
DEFAULT_OVERSIZE_BYTES = 12 * 1024 * 1024
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], web_factory: Any, slow_delay: float, oversize: int) -> None:
        super().__init__(address, _Handler)
        self.web: DemoWeb = web_factory(f"http://{address[0]}:{self.server_port}")
        self.slow_delay = slow_delay
        self.oversize_bytes = oversize
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        """Wake every handler still waiting on a client (idle keep-alive or slow page)."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "DemoWeb/1.0"
    timeout = 15  # idle keep-alive connections are closed after this many seconds

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        web = self.server.web
        try:
            key = web.route_key(self.path)
            if key in web.slow_paths:
                self._slow(head)
            elif key in web.oversize_paths:
                self._oversize(head)
            else:
                self._send(web.respond(self.path), head)
        except _CLIENT_GONE:
            self.close_connection = True
        except Exception:  # a bug in the demo must answer 500, not kill the connection silently
            logger.exception("demo web failed on %s", self.path)
            self._send(Response(500, b"internal error in the demo web"), head)

    def _not_modified(self, response: Response) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
            return "*" in tags or response.etag in tags
        since = self.headers.get("If-Modified-Since")
        if since and response.last_modified is not None:
            try:
                return response.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, response: Response, head: bool) -> None:
        headers = list(response.headers)
        if response.cacheable:
            headers.append(("ETag", response.etag))
            if response.last_modified is not None:
                headers.append(("Last-Modified", format_datetime(response.last_modified, usegmt=True)))
            headers.append(("Cache-Control", "max-age=60"))
        if response.cacheable and self._not_modified(response):
            self.send_response(304)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def _slow(self, head: bool) -> None:
        """Answer only after ``slow_delay`` seconds (the crawler's timeout should fire first)."""
        if self.server.stopping.wait(self.server.slow_delay):
            self.close_connection = True
            return
        body = (
            b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>DeepSeek live updates"
            b"</title></head><body><h1>DeepSeek live updates</h1><p>This page took too long.</p>"
            b"</body></html>"
        )
        self._send(Response(200, body), head)

    def _oversize(self, head: bool) -> None:
        """Stream ``oversize_bytes`` of HTML without Content-Length, so only counting bytes can stop it."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        sent = 0
        self.wfile.write(OVERSIZE_HEAD)
        while sent < self.server.oversize_bytes and not self.server.stopping.is_set():
            chunk = OVERSIZE_CHUNK[: self.server.oversize_bytes - sent]
            self.wfile.write(chunk)
            sent += len(chunk)
        self.wfile.write(b"</table></body></html>\n")


class DemoSite:
    """The offline demo web: fictional outlets, feeds, sitemaps, listings and broken cases on 127.0.0.1."""

    def __init__(
        self,
        slow_delay: float = DEFAULT_SLOW_DELAY,
        oversize_bytes: int = DEFAULT_OVERSIZE_BYTES,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        corpus_dir: Path | None = None,
    ) -> None:
        self.slow_delay = slow_delay
        self.oversize_bytes = oversize_bytes
        self.host = host
        self.port = port
        self.corpus_dir = corpus_dir or CORPUS_DIR
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._dead: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running site."""
        return self._web.base_url

    @property
    def _web(self) -> DemoWeb:
        if self._server is None:
            raise RuntimeError("the demo site is not running; call start() first")
        return self._server.web

    def start(self) -> str:
        """Serve from a background thread and return the base URL at once."""
        if self._server is not None:
            return self.base_url
        corpus: Corpus = load_corpus(self.corpus_dir)
        # A port that is bound but never listens refuses connections, and nothing else can take it.
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind((self.host, 0))
        dead_url = f"http://{self.host}:{self._dead.getsockname()[1]}/feed.xml"
        self._server = _Server(
            (self.host, self.port),
            lambda base_url: DemoWeb(corpus, base_url, dead_url),
            self.slow_delay,
            self.oversize_bytes,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="demo-site", daemon=True
        )
        self._thread.start()
        logger.info("demo web serving %d articles at %s", len(corpus.articles), self.base_url)
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the ports."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._dead is not None:
            self._dead.close()
            self._dead = None

    def sources(self) -> list[dict[str, Any]]:
        """The source list of the demo: name, kind, lang, url and, for listings, the CSS selectors."""
        return self._web.sources()

    def expectations(self) -> dict[str, Any]:
        """The ground truth (articles by URL, broken cases, URL variants, encodings)."""
        return build_expectations(self._web)

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
