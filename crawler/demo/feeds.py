"""Machine-readable documents of the demo web: RSS 2.0, Atom, JSON Feed 1.1, news sitemaps, a news-search
RSS (like Google News, with redirect links) and robots.txt.

Builders return text; the server encodes it in the outlet's charset (GBK for huaxia).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from crawler.demo.broken import broken_for
from crawler.demo.corpus import Article, Outlet
from crawler.demo.pages import Renderer, render_body

SEARCH_PATH = "/search/rss"
SEARCH_REDIRECT_PATH = "/search/r"
ROBOTS_DISALLOW = "/ledger/members/"
SEARCH_LIMIT = 100
# How The Silicon Post decorates the links in its JSON Feed, by position (newest first): AMP pages,
# tracking parameters and fragments are what a crawler has to canonicalise.
_SILICONPOST_LINKS = ("amp", "utm", "plain", "fragment", "utm+fragment", "plain")
_UTM = "utm_source=jsonfeed&utm_medium=feed&utm_campaign=siliconpost_daily"

Entry = tuple[Article, str]


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _rfc822(moment: datetime, outlet: Outlet) -> str:
    return format_datetime(moment.astimezone(outlet.timezone))


def feed_entries(renderer: Renderer, outlet: Outlet) -> list[Entry]:
    """The outlet's feed entries, newest first, as (article, link as the feed gives it)."""
    articles = sorted(
        [*renderer.corpus.by_outlet(outlet.key), *broken_for(outlet.key)],
        key=lambda a: a.published,
        reverse=True,
    )
    if outlet.key != "siliconpost":
        return [(a, renderer.url(a)) for a in articles]
    entries = []
    for index, article in enumerate(articles):
        style = _SILICONPOST_LINKS[index % len(_SILICONPOST_LINKS)]
        amp_path = renderer.corpus.amp_path(article)
        link = renderer.url(article)
        if article.id not in renderer.corpus.articles:  # a broken case keeps its plain, stable URL
            entries.append((article, link))
            continue
        if style == "amp" and amp_path:
            link = renderer.base_url + amp_path
        if "utm" in style:
            link += "?" + _UTM
        if "fragment" in style:
            link += "#comments"
        entries.append((article, link))
    return entries


def newest(entries: Sequence[Entry]) -> datetime | None:
    """The publication time of the newest entry (the feed's Last-Modified)."""
    return max((a.published for a, _ in entries), default=None)


def rss(
    renderer: Renderer, outlet: Outlet, feed_url: str, entries: Sequence[Entry], full: bool = False
) -> str:
    """An RSS 2.0 feed; ``full`` adds the whole article as content:encoded, as wire services do."""
    items = []
    for article, link in entries:
        content = f"<content:encoded>{_cdata(render_body(article))}</content:encoded>" if full else ""
        creator = f"<dc:creator>{escape(article.author)}</dc:creator>" if article.author else ""
        items.append(
            f"<item><title>{escape(article.title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="true">{escape(link)}</guid>'
            f"<pubDate>{_rfc822(article.published, outlet)}</pubDate>"
            f"{creator}<category>{escape(article.section)}</category>"
            f"<description>{_cdata(article.summary)}</description>{content}</item>"
        )
    built = newest(entries)
    return (
        f'<?xml version="1.0" encoding="{outlet.charset.upper()}"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel><title>{escape(outlet.name)}</title><link>{escape(renderer.base_url + outlet.home)}</link>"
        f"<description>{escape(outlet.tagline)}</description>"
        f"<language>{'zh-cn' if outlet.lang == 'zh' else 'en-us'}</language>"
        f'<atom:link href={quoteattr(feed_url)} rel="self" type="application/rss+xml"/>'
        + (f"<lastBuildDate>{_rfc822(built, outlet)}</lastBuildDate>" if built else "")
        + "\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def atom(renderer: Renderer, outlet: Outlet, feed_url: str, entries: Sequence[Entry]) -> str:
    """An Atom 1.0 feed."""
    built = newest(entries)
    parts = [
        f'<?xml version="1.0" encoding="{outlet.charset}"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{"zh-CN" if outlet.lang == "zh" else "en"}">',
        f"<title>{escape(outlet.name)}</title><subtitle>{escape(outlet.tagline)}</subtitle>",
        f'<link rel="alternate" type="text/html" href={quoteattr(renderer.base_url + outlet.home)}/>',
        f'<link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>',
        f"<id>{escape(feed_url)}</id><updated>{built.isoformat() if built else ''}</updated>",
    ]
    for article, link in entries:
        author = f"<author><name>{escape(article.author)}</name></author>" if article.author else ""
        parts.append(
            f'<entry><title type="text">{escape(article.title)}</title>'
            f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
            f"<id>tag:{outlet.key}.demo,2025:{article.id}</id>"
            f"<published>{article.published.isoformat()}</published><updated>{article.published.isoformat()}"
            f"</updated>{author}<category term={quoteattr(article.section)}/>"
            f'<summary type="text">{escape(article.summary)}</summary></entry>'
        )
    parts.append("</feed>")
    return "\n".join(parts) + "\n"


def json_feed(renderer: Renderer, outlet: Outlet, feed_url: str, entries: Sequence[Entry]) -> str:
    """A JSON Feed 1.1 document."""
    items = [
        {
            "id": f"{outlet.key}:{article.id}",
            "url": link,
            "title": article.title,
            "summary": article.summary,
            "content_html": render_body(article),
            "date_published": article.published.isoformat(),
            "authors": [{"name": article.author}] if article.author else [],
            "tags": [article.section],
        }
        for article, link in entries
    ]
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "description": outlet.tagline,
        "home_page_url": renderer.base_url + outlet.home,
        "feed_url": feed_url,
        "language": outlet.lang,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def news_sitemap(renderer: Renderer, outlet: Outlet, entries: Sequence[Entry]) -> str:
    """A Google News sitemap (``news:`` tags) of the outlet's real articles."""
    urls = []
    for article, link in entries:
        if article.id not in renderer.corpus.articles:
            continue  # the broken cases are in the feed only
        urls.append(
            f"<url><loc>{escape(link)}</loc><lastmod>{article.published.isoformat()}</lastmod><news:news>"
            f"<news:publication><news:name>{escape(outlet.name)}</news:name>"
            f"<news:language>{'zh-cn' if outlet.lang == 'zh' else 'en'}</news:language></news:publication>"
            f"<news:publication_date>{article.published.isoformat()}</news:publication_date>"
            f"<news:title>{escape(article.title)}</news:title></news:news></url>"
        )
    return (
        f'<?xml version="1.0" encoding="{outlet.charset.upper()}"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(urls) + "\n</urlset>\n"
    )


def search_entries(renderer: Renderer, query: str) -> list[Entry]:
    """Every article whose title or text contains the query, newest first, linked through the redirector."""
    needle = query.casefold().strip()
    if not needle:
        return []
    found = [a for a in renderer.corpus.articles.values() if needle in (a.title + "\n" + a.body).casefold()]
    return [
        (a, f"{renderer.base_url}{SEARCH_REDIRECT_PATH}?url={quote(renderer.url(a), safe='')}")
        for a in found[:SEARCH_LIMIT]
    ]


def search_rss(renderer: Renderer, query: str, feed_url: str, entries: Sequence[Entry]) -> str:
    """A news-search feed in the manner of Google News: titles carry the outlet, links redirect."""
    items = []
    for article, link in entries:
        outlet = renderer.corpus.outlets[article.outlet]
        snippet = f'<a href="{escape(link)}">{escape(article.title)}</a>&nbsp;&nbsp;{escape(outlet.name)}'
        items.append(
            f"<item><title>{escape(article.title)} - {escape(outlet.name)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">search-{escape(article.id)}</guid>'
            f"<pubDate>{format_datetime(article.published)}</pubDate>"
            f"<description>{_cdata(snippet)}"
            f"</description><source url={quoteattr(renderer.base_url + outlet.home)}>{escape(outlet.name)}"
            "</source></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>'
        f'<title>"{escape(query)}" - News search</title><link>{escape(feed_url)}</link>'
        f"<description>News search results for {escape(query)}</description>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def robots_txt(base_url: str, sitemaps: Sequence[str]) -> str:
    """robots.txt: everything allowed except the members' area of the Ledger."""
    lines = ["# Demo web robots.txt", "User-agent: *", f"Disallow: {ROBOTS_DISALLOW}", ""]
    lines += [f"Sitemap: {base_url}{path}" for path in sitemaps]
    return "\n".join(lines) + "\n"
