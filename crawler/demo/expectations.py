"""Machine-readable ground truth of a running demo web, built from the articles' front matter.

Shape of :func:`build_expectations`::

    {"articles":  {url: {"id", "outlet", "lang", "title", "published", "relevant", "topics", "story",
                         "claims": {claim_id: stance}, "copy_of": url | None, "copy_kind": str | None,
                         "canonical": url | None}},          # what the page declares with rel=canonical
     "broken":    {url: reason},                            # reasons: see crawler.demo.broken
     "variants":  {url: article url},                       # AMP pages, tracking/fragment links and
                                                            # news-search redirects met in the feeds
     "encodings": {url: {"charset": "gbk", "declared": "header+meta" | "meta"}},  # non-UTF-8 pages, feeds
     "listed_in": {source url: [article url, ...]}}         # which articles each source leads to
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.demo import feeds
from crawler.demo.broken import BROKEN_CASES
from crawler.demo.corpus import Article
from crawler.demo.web import SEARCH_QUERIES, DemoWeb


def _article_record(web: DemoWeb, article: Article) -> dict[str, Any]:
    corpus = web.corpus
    outlet = corpus.outlets[article.outlet]
    original = corpus.articles.get(article.copy_of) if article.copy_of else None
    canonical = web.renderer.url(corpus.canonical_target(article)) if outlet.canonical else None
    return {
        "id": article.id,
        "outlet": article.outlet,
        "lang": article.lang,
        "title": article.title,
        "published": article.published.isoformat(),
        "relevant": article.relevant,
        "topics": list(article.topics),
        "story": article.story,
        "claims": dict(article.claims),
        "copy_of": web.renderer.url(original) if original else None,
        "copy_kind": article.copy_kind,
        "canonical": canonical,
    }


def _variants(web: DemoWeb) -> dict[str, str]:
    variants: dict[str, str] = {}
    articles = {web.renderer.url(a): a for a in web.corpus.articles.values()}
    for outlet in web.corpus.outlets.values():
        for article, link in feeds.feed_entries(web.renderer, outlet):
            url = web.renderer.url(article)
            if link != url and url in articles:
                variants[link] = url
        for article in web.corpus.by_outlet(outlet.key):
            amp_path = web.corpus.amp_path(article)
            if amp_path:
                variants[web.base_url + amp_path] = web.renderer.url(article)
    for query, _ in SEARCH_QUERIES:
        for article, link in feeds.search_entries(web.renderer, query):
            variants[link] = web.renderer.url(article)
    return variants


def _encodings(web: DemoWeb) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for outlet in web.corpus.outlets.values():
        if outlet.charset.lower() == "utf-8":
            continue
        for article in web.corpus.by_outlet(outlet.key):
            declared = "meta" if article.id in web.meta_charset_only else "header+meta"
            out[web.renderer.url(article)] = {"charset": outlet.charset, "declared": declared}
        for feed in outlet.feeds:
            out[web.base_url + feed.path] = {"charset": outlet.charset, "declared": "header+xml"}
    return out


def _listed_in(web: DemoWeb, sources: list[dict[str, Any]]) -> dict[str, list[str]]:
    by_home = {web.base_url + o.home: o for o in web.corpus.outlets.values()}
    by_feed = {web.base_url + f.path: o for o in web.corpus.outlets.values() for f in o.feeds}
    out: dict[str, list[str]] = {}
    for source in sources:
        url = source["url"]
        outlet = by_feed.get(url) or by_home.get(url)
        if source["kind"] == "search":
            query = parse_qs(urlsplit(url).query)["q"][0]
            out[url] = [web.renderer.url(a) for a, _ in feeds.search_entries(web.renderer, query)]
        elif outlet is not None and outlet.key != "brokenblog":
            out[url] = [web.renderer.url(a) for a in web.corpus.by_outlet(outlet.key)]
    return out


def build_expectations(web: DemoWeb) -> dict[str, Any]:
    """The ground truth of the demo web served by ``web`` (see the module docstring for the shape)."""
    articles = {web.renderer.url(a): _article_record(web, a) for a in web.corpus.articles.values()}
    broken = {web.renderer.url(case.as_article()): case.reason for case in BROKEN_CASES}
    brokenblog = web.corpus.outlets.get("brokenblog")
    if brokenblog:
        broken[web.base_url + brokenblog.feeds[0].path] = "malformed_feed"
    broken[web.dead_url] = "connection_refused"
    sources = web.sources()
    return {
        "articles": articles,
        "broken": broken,
        "variants": _variants(web),
        "encodings": _encodings(web),
        "listed_in": _listed_in(web, sources),
    }
