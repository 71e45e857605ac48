"""The demo web's routes: which bytes answer which URL. No sockets here (see ``server.py``).

Pages are rendered on first request and cached; everything is deterministic, so ETags are stable
across runs and the tests can compare what they fetched with ``DemoWeb.expectations()``.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.demo import feeds
from crawler.demo.broken import BROKEN_CASES, broken_for, broken_paths, loop_partner, malformed_feed, tiny_pdf
from crawler.demo.corpus import Article, Corpus, Outlet
from crawler.demo.pages import Renderer

SEARCH_QUERIES = (("DeepSeek", "en"), ("Stargate", "en"), ("深度求索", "zh"))
_CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
    "sitemap": "application/xml",
}


@dataclass(frozen=True)
class Response:
    """A complete HTTP answer; ``cacheable`` ones carry ETag/Last-Modified and honour conditional GETs."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    last_modified: datetime | None = None
    cacheable: bool = False

    @property
    def etag(self) -> str:
        """A strong validator derived from the body."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def _page(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"))


def _charset_label(charset: str) -> str:
    return "GBK" if charset.lower() == "gbk" else charset


class DemoWeb:
    """Every route of the demo web for one base URL."""

    def __init__(self, corpus: Corpus, base_url: str, dead_url: str) -> None:
        self.corpus = corpus
        self.base_url = base_url
        self.dead_url = dead_url
        self.renderer = Renderer(corpus, base_url)
        self.broken = broken_paths(corpus)
        self.slow_paths = {p for p, reason in self.broken.items() if reason == "timeout"}
        self.oversize_paths = {p for p, reason in self.broken.items() if reason == "too_large"}
        self.meta_charset_only = self._meta_charset_only()
        self._routes: dict[str, Callable[[], Response]] = {}
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()
        self._build_routes()

    def _meta_charset_only(self) -> set[str]:
        chosen = set()
        for outlet in self.corpus.outlets.values():
            articles = self.corpus.by_outlet(outlet.key)
            if outlet.meta_charset_only == "oldest" and articles:
                chosen.add(articles[-1].id)
        return chosen

    def _build_routes(self) -> None:
        for article in self.corpus.articles.values():
            self._routes[self.corpus.path(article)] = partial(self._article, article, False)
            amp_path = self.corpus.amp_path(article)
            if amp_path:
                self._routes[amp_path] = partial(self._article, article, True)
        for outlet in self.corpus.outlets.values():
            for feed in outlet.feeds:
                self._routes[feed.path] = partial(self._feed, outlet, feed.kind, feed.path)
            self._routes[outlet.home] = partial(self._home, outlet, 1)
        brokenblog = self.corpus.outlets.get("brokenblog")
        if brokenblog:
            self._routes[brokenblog.feeds[0].path] = self._malformed_feed
        self._routes["/"] = self._index
        self._routes["/robots.txt"] = self._robots

    def _malformed_feed(self) -> Response:
        return Response(200, malformed_feed(self.base_url), "application/rss+xml; charset=utf-8")

    def _robots(self) -> Response:
        text = feeds.robots_txt(self.base_url, self.sitemap_paths())
        return Response(200, text.encode(), "text/plain; charset=utf-8")

    def sitemap_paths(self) -> list[str]:
        """Paths of every news sitemap."""
        return [f.path for o in self.corpus.outlets.values() for f in o.feeds if f.kind == "sitemap"]

    # -- answering -------------------------------------------------------------------------------------

    def route_key(self, target: str) -> str:
        """The key that selects the content of ``target``: its path and the query parameters that matter."""
        parts = urlsplit(target)
        return _route_key(parts.path, parse_qs(parts.query))

    def respond(self, target: str) -> Response:
        """The answer to a GET of ``target`` (path and query)."""
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        path = parts.path
        if path == feeds.SEARCH_PATH:
            return self._search((query.get("q") or [""])[0], target)
        if path == feeds.SEARCH_REDIRECT_PATH:
            return self._search_redirect((query.get("url") or [""])[0])
        key = _route_key(path, query)
        if key in self.broken or (key.endswith("/") and key[:-1] in self.broken):
            broken = self._broken(key)
            if broken is not None:
                return broken
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        route = self._routes.get(key)
        if route is None and "page" in query:
            route = self._paged(path, query)
        if route is None:
            return _page(_not_found_html(path), 404)
        response = route()
        with self._lock:
            self._cache[key] = response
        return response

    def _paged(self, path: str, query: dict[str, list[str]]) -> Callable[[], Response] | None:
        outlet = next((o for o in self.corpus.outlets.values() if o.home == path), None)
        try:
            page = int(query["page"][0])
        except ValueError:
            return None
        if outlet is None or page < 1:
            return None
        return partial(self._home, outlet, page)

    def _encode(
        self, text: str, outlet: Outlet, kind: str = "html", meta_only: bool = False
    ) -> tuple[bytes, str]:
        body = text.encode(outlet.charset, "xmlcharrefreplace")
        base = "text/html" if kind == "html" else _CONTENT_TYPES[kind]
        return body, base if meta_only else f"{base}; charset={_charset_label(outlet.charset)}"

    def _article(self, article: Article, amp: bool) -> Response:
        outlet = self.corpus.outlets[article.outlet]
        text = self.renderer.article_page(article, amp=amp)
        body, ctype = self._encode(text, outlet, meta_only=article.id in self.meta_charset_only and not amp)
        return Response(200, body, ctype, last_modified=article.published, cacheable=True)

    def _home(self, outlet: Outlet, page: int) -> Response:
        extra = broken_for(outlet.key) if outlet.listing else []
        text, pages = self.renderer.home_page(outlet, page, extra)
        if page > pages:
            return _page(_not_found_html(outlet.home), 404)
        body, ctype = self._encode(text, outlet)
        dates = [a.published for a in [*self.corpus.by_outlet(outlet.key), *extra]]
        return Response(200, body, ctype, last_modified=max(dates, default=None), cacheable=True)

    def _feed(self, outlet: Outlet, kind: str, path: str) -> Response:
        entries = feeds.feed_entries(self.renderer, outlet)
        url = self.base_url + path
        builders: dict[str, Callable[[], str]] = {
            "rss": lambda: feeds.rss(self.renderer, outlet, url, entries, full=outlet.key == "pacificwire"),
            "atom": lambda: feeds.atom(self.renderer, outlet, url, entries),
            "json": lambda: feeds.json_feed(self.renderer, outlet, url, entries),
            "sitemap": lambda: feeds.news_sitemap(self.renderer, outlet, entries),
        }
        body, ctype = self._encode(builders[kind](), outlet, kind)
        return Response(200, body, ctype, last_modified=feeds.newest(entries), cacheable=True)

    def _search(self, query: str, target: str) -> Response:
        entries = feeds.search_entries(self.renderer, query)
        text = feeds.search_rss(self.renderer, query, self.base_url + target, entries)
        return Response(
            200, text.encode(), "application/rss+xml; charset=utf-8", last_modified=feeds.newest(entries),
            cacheable=True,
        )  # fmt: skip

    def _search_redirect(self, url: str) -> Response:
        if not url.startswith(self.base_url + "/"):
            return _page("<h1>400 Bad Request</h1><p>Unknown redirect target.</p>", 400)
        return Response(302, b"", headers=(("Location", url),))

    def _broken(self, path: str) -> Response | None:
        reason = self.broken.get(path)
        if reason is None:  # the trailing-slash partner of the redirect loop
            reason = self.broken.get(path[:-1])
            return (
                Response(302, b"", headers=(("Location", path[:-1]),)) if reason == "redirect_loop" else None
            )
        if reason == "not_found":
            return _page(_not_found_html(path), 404)
        if reason == "server_error":
            return _page(
                "<html><body><h1>500 Internal Server Error</h1><p>upstream timed out</p></body></html>", 500
            )
        if reason == "redirect_loop":
            return Response(302, b"", headers=(("Location", loop_partner(path)),))
        if reason == "not_html":
            case = next(c for c in BROKEN_CASES if c.reason == "not_html")
            return Response(200, tiny_pdf(case.title), "application/pdf")
        if reason == "robots":
            return _page(_members_html(), 200)
        return None  # timeout and too_large are streamed by the server

    def _index(self) -> Response:
        rows = "".join(
            f'<li><a href="{o.home}">{html.escape(o.name)}</a> ({o.lang}) '
            + " ".join(f'<a href="{f.path}">{f.kind}</a>' for f in o.feeds)
            + "</li>"
            for o in self.corpus.outlets.values()
        )
        searches = "".join(
            f'<li><a href="{feeds.SEARCH_PATH}?{urlencode({"q": q})}">news search: {html.escape(q)}</a></li>'
            for q, _ in SEARCH_QUERIES
        )
        text = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>seedwatch demo web</title></head><body>"
            f"<h1>seedwatch demo web</h1><p>Fictional outlets, real events.</p><ul>{rows}{searches}</ul>"
            "</body></html>"
        )
        return _page(text)

    # -- ground truth ----------------------------------------------------------------------------------

    def sources(self) -> list[dict[str, Any]]:
        """The demo's source list, broken and dead sources included."""
        out: list[dict[str, Any]] = []
        for outlet in self.corpus.outlets.values():
            for feed in outlet.feeds:
                suffix = " (news sitemap)" if feed.kind == "sitemap" else ""
                out.append({"name": outlet.name + suffix, "kind": feed.kind, "lang": outlet.lang,
                            "url": self.base_url + feed.path})  # fmt: skip
            if outlet.listing:
                selectors = dict(outlet.listing)
                out.append({"name": outlet.name, "kind": "listing", "lang": outlet.lang,
                            "url": self.base_url + outlet.home,
                            "options": {"selectors": selectors}})  # fmt: skip
        for query, lang in SEARCH_QUERIES:
            out.append({"name": f"News search: {query}", "kind": "search", "lang": lang,
                        "url": f"{self.base_url}{feeds.SEARCH_PATH}?{urlencode({'q': query})}"})  # fmt: skip
        out.append({"name": "Offline Tech Blog", "kind": "rss", "lang": "en", "url": self.dead_url})
        return out


def _route_key(path: str, query: dict[str, list[str]]) -> str:
    """The cache/route key of a request: the path plus the query parameters that select content."""
    kept: dict[str, str] = {k: query[k][0] for k in ("id", "page") if k in query}
    if kept.get("page") == "1":
        del kept["page"]
    return path + ("?" + urlencode(kept) if kept else "")


def _not_found_html(path: str) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Page not found</title></head><body>"
        f"<h1>404 Not Found</h1><p>The page {html.escape(path)} does not exist or has been removed.</p>"
        "</body></html>"
    )


def _members_html() -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Members' briefing - Global Business Ledger</title>"
        "<meta name='robots' content='noindex'></head>"
        "<body><h1>Members' briefing: DeepSeek, Stargate and the AI capex question</h1>"
        "<p>This briefing is for Ledger members; robots.txt keeps crawlers out.</p></body></html>"
    )
