"""A hostile web on loopback: a feed whose links lead where a crawler must not go, and pages that misbehave.

`HostileSite` listens on 127.0.0.1 (port 0) and, on the same port, on 127.0.0.2 and [::1] as traps: the
crawl is allowed 127.0.0.1/32 only, so any request a trap receives is a hole in the fetch policy. Every
request is recorded with the address it arrived at.

`python -m tests.fakes.hostile_site DNS_JSON -- seedwatch-args...` runs the real `seedwatch` command with a
fake DNS installed on the reactor first (names of `*.hostile.test` answer with the addresses in DNS_JSON;
other names go to the system resolver): the crawl's own resolver wraps it, as it wraps the system's.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ARTICLE = (
    "<html lang='en'><head><title>A fine article</title></head><body><article><h1>A fine article</h1>"
    + "".join(
        f"<p>Paragraph {i}: the council approved the new harbour budget of 41 million after a long debate "
        "about ferries, bridges and the price of steel, and the mayor promised a public hearing.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
).encode()
SECRET = "hostile-web-local-file-secret-7f3a"
BIG_BYTES = 50 * 1024 * 1024
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # ~64 KB that inflates to 64 MB


class HostileHandler(BaseHTTPRequestHandler):
    """Routes of the hostile web (the server holds `site`)."""

    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        site.record(self.server.label, self.path)
        path = urlsplit(self.path).path
        query = parse_qs(urlsplit(self.path).query)
        if path == "/robots.txt":
            self._send(404, b"no robots", "text/plain")
        elif path == "/feed.xml":
            self._send(200, site.feed().encode(), "application/rss+xml; charset=utf-8")
        elif path == "/broken.xml":
            self._send(200, b"<?xml version='1.0'?><rss><channel><item><title>x</ti", "application/rss+xml")
        elif path.startswith("/good"):
            self._send(200, ARTICLE, "text/html; charset=utf-8")
        elif path == "/redirect":
            self._redirect(query["to"][0])
        elif path in ("/loop-a", "/loop-b"):
            self._redirect("/loop-b" if path == "/loop-a" else "/loop-a")
        elif path == "/huge":
            self._huge()
        elif path == "/bomb":
            self._send(200, BOMB, "text/html", {"Content-Encoding": "gzip"})
        elif path == "/drip":
            self._drip()
        elif path == "/nested":
            body = "<html><body>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000 + "</body></html>"
            self._send(200, body.encode(), "text/html; charset=utf-8")
        elif path == "/bad-utf8":
            self._send(200, ARTICLE.replace(b"ferries", b"\xff\xfe\xc3(ferries"), "text/html; charset=utf-8")
        else:
            self._send(200, b"<html><body><p>trap page</p></body></html>", "text/html")

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()  # no length: the body runs on until the client hangs up
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        try:
            for _ in range(BIG_BYTES // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(600):  # one byte every 0.1 s: each read is quick, the whole takes a minute
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass
        self.close_connection = True


class HostileServer(ThreadingHTTPServer):
    """One listening address of the hostile web."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: HostileSite, family: int = socket.AF_INET) -> None:
        self.address_family = family
        super().__init__(address, HostileHandler)
        self.site = site
        self.label = address[0]


class HostileSite:
    """The hostile web: the main server on 127.0.0.1 and traps on 127.0.0.2 and [::1], same port."""

    def __init__(self, secret_file: Path) -> None:
        self.secret_file = secret_file
        self.hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.servers: list[HostileServer] = []
        self.trap_labels: list[str] = []

    def record(self, label: str, path: str) -> None:
        with self._lock:
            self.hits.append((label, path))

    def start(self) -> HostileSite:
        for _ in range(20):  # the port must be free on every address
            main = HostileServer(("127.0.0.1", 0), self)
            port = main.server_address[1]
            try:
                traps = [HostileServer(("127.0.0.2", port), self)]
            except OSError:
                main.server_close()
                continue
            with contextlib.suppress(OSError):  # no IPv6 here: nothing can connect to [::1] either
                traps.append(HostileServer(("::1", port), self, socket.AF_INET6))
            self.servers = [main, *traps]
            break
        else:
            raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")
        self.port = port
        self.trap_labels = [s.label for s in self.servers[1:]]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> HostileSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def closed_port(self) -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def forbidden_links(self) -> dict[str, str]:
        """Links the feed carries that must never be fetched, by what they try."""
        p = self.port
        links = {
            "file-localhost": f"file://localhost{self.secret_file}",
            "file": self.secret_file.as_uri(),
            "ftp": f"ftp://127.0.0.1:{p}/pub/article",
            "data": "data:text/html,%3Cp%3E" + "data%20article%20" * 40 + "%3C/p%3E",
            "loopback-2": f"http://127.0.0.2:{p}/literal-127-0-0-2",
            "ipv6-loopback": f"http://[::1]:{p}/literal-ipv6",
            "localhost": f"http://localhost:{p}/name-localhost",
            "mapped": f"http://[::ffff:127.0.0.2]:{p}/mapped",
        }
        for name, target in (
            ("redirect-127.0.0.2", f"http://127.0.0.2:{p}/redirected-127-0-0-2"),
            ("redirect-ipv6", f"http://[::1]:{p}/redirected-ipv6"),
            ("redirect-zero", f"http://0.0.0.0:{p}/redirected-zero"),
            ("redirect-private", f"http://10.0.0.1:{p}/redirected-private"),
            ("redirect-metadata", "http://169.254.169.254/latest/meta-data/"),
            ("redirect-file", self.secret_file.as_uri()),
        ):
            links[name] = f"{self.base}/redirect?to={target}"
        for name in DNS_ANSWERS:
            links[f"dns-{name}"] = f"http://{name}:{p}/dns-{name}"
        return links

    def feed(self) -> str:
        """The RSS feed: the forbidden links, the misbehaving pages, and one good article."""
        links = list(self.forbidden_links().values())
        links += [
            f"{self.base}/good",
            f"http://127.0.0.1:{self.closed_port()}/refused",
            f"{self.base}/huge",
            f"{self.base}/bomb",
            f"{self.base}/drip",
            f"{self.base}/loop-a",
            f"{self.base}/nested",
            f"{self.base}/bad-utf8",
        ]
        items = "".join(
            f"<item><title>Item {i}</title><link>{_xml(link)}</link>"
            f"<guid>item-{i}</guid><description>Item {i} of the hostile feed.</description></item>"
            for i, link in enumerate(links)
        )
        return (
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>Hostile</title>{items}</channel></rss>"
        )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


# Names the fake DNS answers, and with what (every one a place the guard must refuse).
DNS_ANSWERS = {
    "loop.hostile.test": ["127.0.0.2"],
    "v6.hostile.test": ["::1"],
    "zero.hostile.test": ["0.0.0.0"],
    "private.hostile.test": ["10.0.0.1"],
    "metadata.hostile.test": ["169.254.169.254"],
    "mixed.hostile.test": ["10.0.0.1", "::ffff:169.254.169.254"],
}


def _install_fake_dns(answers: dict[str, list[str]]) -> None:
    """Put a fake DNS in front of the reactor's resolver (before `seedwatch` builds its own on top)."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor
    from twisted.internet.address import IPv4Address, IPv6Address
    from twisted.internet.interfaces import IHostnameResolver
    from zope.interface import implementer

    system = reactor.nameResolver  # type: ignore[attr-defined]

    @implementer(IHostnameResolver)
    class FakeDNS:
        def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any, **kw: Any) -> Any:
            if name.lower() not in answers:
                return system.resolveHostName(receiver, name, port, *args, **kw)
            receiver.resolutionBegan(None)
            for address in answers[name.lower()]:
                cls = IPv6Address if ":" in address else IPv4Address
                receiver.addressResolved(cls("TCP", address, port))
            receiver.resolutionComplete()
            return None

    reactor.installNameResolver(FakeDNS())  # type: ignore[attr-defined]


if __name__ == "__main__":
    _install_fake_dns(json.loads(sys.argv[1]))
    from bot.cli import main

    main(sys.argv[sys.argv.index("--") + 1 :], prog_name="seedwatch")
