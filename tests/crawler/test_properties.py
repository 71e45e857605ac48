"""Property-based tests: feed parsing, URL canonicalisation and extraction on random and mutated input.

Strangers write the feeds and pages we read, so whatever bytes arrive: a known error (CrawlFailure) or a
result, never a crash, never output larger than its input or the caps. Mutations start from real-looking
seeds (an RSS, Atom and JSON feed, a sitemap, an article page). Bounded examples keep the suite quick.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.extract import extract_article
from crawler.failures import REASONS, CrawlFailure
from crawler.feeds import MAX_DECOMPRESSED, parse_feed, parse_sitemap, sniff_kind
from crawler.judge.canonical import canonical_url, link_url, same_site, url_variants

BASE = "https://news.example/feeds/world.xml"
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>World</title>
<item><title>Harbour budget approved</title><link>https://news.example/2025/01/harbour?utm_source=rss</link>
<description>&lt;p&gt;The council approved a budget of &#8364;41 million.&lt;/p&gt;</description>
<pubDate>Mon, 27 Jan 2025 08:00:00 GMT</pubDate><dc:creator>Ana Silva</dc:creator></item>
<item><title>Ferry strike</title><link>/2025/01/ferry</link><guid>ferry-1</guid></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>Bridge opens</title><link href="https://news.example/2025/02/bridge"/><id>urn:1</id>
<updated>2025-02-01T10:00:00Z</updated>
<summary type="html">&lt;b&gt;Traffic&lt;/b&gt; eases.</summary></entry>
</feed>"""
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {
                "id": "1",
                "url": "https://news.example/j/1",
                "title": "Steel",
                "content_text": "Steel prices rose.",
            }
        ],
    }
).encode()
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://news.example/a</loc>
<news:news><news:title>A</news:title><news:publication_date>2025-01-27</news:publication_date></news:news>
</url><url><loc>/b</loc><lastmod>2025-01-26</lastmod></url></urlset>"""
ARTICLE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Harbour budget | News</title>"
    "<meta property='og:site_name' content='News Example'><link rel='canonical' href='/2025/01/harbour'>"
    '<script type=\'application/ld+json\'>{"@type":"NewsArticle","datePublished":"2025-01-27"}</script>'
    "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Harbour budget</h1>"
    + "".join(
        f"<p>Paragraph {i}: the council approved the harbour budget of 41 million euros after a long "
        "debate about ferries, bridges and the price of steel; the mayor promised a public hearing.</p>"
        for i in range(6)
    )
    + "</article><footer>© News Example</footer></body></html>"
)


@st.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    """The seed with a few random edits: deletions, insertions, overwrites, duplications, truncation."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["delete", "insert", "overwrite", "duplicate", "truncate"]))
        if kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40) | st.sampled_from(_SPICE))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at : at + len(chunk)] = chunk
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))] * draw(st.integers(1, 20))
        else:
            del data[at:]
    return bytes(data)


# Fragments hostile input likes: entity tricks, broken encodings, markup, deep nesting.
_SPICE = [
    b"<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>",
    b"&b;&b;&b;",
    b"<![CDATA[",
    b"]]>",
    b"\xff\xfe\x00<",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"<div>" * 300,
    b"&#0;&#xD800;&#1114112;",
    b"<script>",
    b"<link>javascript:alert(1)</link>",
    b"<link>file:///etc/passwd</link>",
    b'<?xml version="1.0" encoding="ebcdic-xx"?>',
    b"\x00" * 16,
]


def _check_entries(entries: list[Any], body: bytes) -> None:
    for entry in entries:
        assert isinstance(entry.url, str) and entry.url
        # Nothing comes out bigger than what came in (entities expand into at most a few characters).
        assert len(entry.title) <= len(body) and len(entry.summary) <= len(body)


def _parse_any(body: bytes, content_type: str = "") -> None:
    try:
        entries = parse_feed(body, BASE, content_type)
    except CrawlFailure as failure:
        assert failure.reason in REASONS
        return
    _check_entries(entries, body)


@QUICK
@given(
    st.one_of(mutated(RSS), mutated(ATOM), mutated(JSON_FEED)), st.sampled_from(["", "application/rss+xml"])
)
@example(RSS, "")
@example(RSS.replace(b'encoding="', b'encoding="\x80'), "")  # found by this test: feedparser raised
@example(RSS.replace(b'encoding="', b'encoding="\x00'), "")
@example(b"<rss><channel><item><link>" + b"<b>" * 5000, "")
@example(b"\x1f\x8b" + RSS[2:], "")  # found by a long run: sniffing a bad gzip stream raised
@example(
    RSS.replace(b"<?xml", b"?xml").replace(b"budget of", b"budget of &#8888888364;"), ""
)  # found: OverflowError
def test_a_mutated_feed_parses_or_fails_with_a_reason(body: bytes, content_type: str) -> None:
    _parse_any(body, content_type)
    assert sniff_kind(body, content_type) in ("feed", "sitemap", "html", "other")


@QUICK
@given(st.binary(max_size=2000))
def test_random_bytes_are_never_a_crash(body: bytes) -> None:
    _parse_any(body)
    _parse_any(body, "application/json")
    try:
        entries, _ = parse_sitemap(body, BASE)
    except CrawlFailure as failure:
        assert failure.reason in REASONS
    else:
        _check_entries(entries, body)


@QUICK
@given(mutated(SITEMAP))
@example(SITEMAP.replace(b"https://news", b"https://[news"))  # found by this test: urljoin raised ValueError
@example(SITEMAP.replace(b'xmlns="', b'xmlns="&#xD800;'))  # found by a long run: lxml's UnicodeDecodeError
def test_a_mutated_sitemap_parses_or_fails_with_a_reason(body: bytes) -> None:
    try:
        entries, children = parse_sitemap(body, BASE)
    except CrawlFailure as failure:
        assert failure.reason in REASONS
        return
    _check_entries(entries, body)
    assert all(isinstance(child, str) for child in children)


def test_a_gzip_bomb_sitemap_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_DECOMPRESSED + 1024), compresslevel=1)
    with pytest.raises(CrawlFailure) as failure:
        parse_sitemap(bomb, BASE)
    assert failure.value.reason == "too_large"


_URL_PARTS = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "ftp", "file", "", "javascript"]),
    st.one_of(
        st.from_regex(r"[a-zA-Z0-9.\-]{0,30}", fullmatch=True),
        st.sampled_from(
            ["[::1]", "[::ffff:127.0.0.1]", "[::1", "127.0.0.1", "xn--nxasmq6b.example", "例子.测试"]
        ),
    ),
    st.one_of(st.none(), st.integers(-5, 70000).map(str), st.sampled_from(["abc", ""])),
    st.text(max_size=40),
    st.lists(
        st.tuples(st.sampled_from(["utm_source", "id", "amp", "fbclid", "q", "Amp"]), st.text(max_size=8))
    ),
)


@st.composite
def urls(draw: Any) -> str:
    """URL-like strings: mostly well-formed pieces glued together, sometimes anything at all."""
    if draw(st.booleans()) and draw(st.booleans()):
        return str(draw(st.text(max_size=80)))
    scheme, host, port, path, query = draw(_URL_PARTS)
    netloc = host if port is None else f"{host}:{port}"
    pairs = "&".join(f"{k}={v}" for k, v in query)
    return f"{scheme}://{netloc}/{path}" + (f"?{pairs}" if pairs else "") + draw(st.sampled_from(["", "#x"]))


def _fetchable(url: str) -> bool:
    """An http(s) URL with a host and a valid port (what a crawl can fetch)."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return False


@settings(max_examples=300, deadline=None)
@given(urls(), st.one_of(st.none(), urls()))
@example("http://[::1]:8000/a", None)
@example("http://x.test:99999/a", "http://[::1/")
@example("http://0/??utm_source=", None)  # a doubled "?" (found by hypothesis)
@example("http://0/?0?utm_source=", None)  # "?" where "&" belonged (found by hypothesis)
def test_canonical_urls_never_crash_and_are_stable(url: str, declared: str | None) -> None:
    canonical = canonical_url(url, declared)
    assert isinstance(canonical, str)
    assert canonical_url(canonical) == canonical_url(canonical_url(canonical))
    assert url_variants(url)[0] == url and isinstance(same_site(url, canonical), bool)
    if _fetchable(url) and "utm_source=" in url:
        assert "utm_source=" not in canonical
    with contextlib.suppress(ValueError):  # a display helper for stored (so valid) URLs may reject the rest
        link_url(url)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(ARTICLE.encode()))
@example(ARTICLE.encode())
@example(b"<html><body>" + b"<div>" * 10_000 + b"deep" + b"</div>" * 10_000 + b"</body></html>")
def test_a_mutated_page_is_extracted_or_refused_with_a_reason(page: bytes) -> None:
    html = page.decode("utf-8", errors="replace")
    extracted = extract_article(html, "https://news.example/2025/01/harbour")
    assert extracted.ok or extracted.reason
    assert not (extracted.reason or "").startswith("extraction failed"), extracted.reason
    assert len(extracted.text) <= len(html) and len(extracted.title) <= len(html)
    if extracted.ok:
        assert extracted.text.strip()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_random_text_as_a_page_is_never_a_crash(text: str) -> None:
    extracted = extract_article(text, "https://news.example/x")
    assert not (extracted.reason or "").startswith("extraction failed"), extracted.reason
    assert len(extracted.text) <= len(text)
