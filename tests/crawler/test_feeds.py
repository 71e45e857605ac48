"""Feeds and sitemaps into entries, and every real captured feed in the shared corpus."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawler.failures import CrawlFailure
from crawler.feeds import parse_date, parse_feed, parse_sitemap, sniff_kind

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<item><title>DeepSeek &amp; R1</title><link>/news/r1?utm_source=rss</link>
<description>&lt;p&gt;First para&lt;/p&gt;&lt;p&gt;Second&lt;/p&gt;</description>
<pubDate>Mon, 20 Jan 2025 14:00:00 +0800</pubDate><author>a@b.c (Ann)</author></item>
<item><title>No link</title></item></channel></rss>"""

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Stargate</title><link rel="alternate" href="https://x.test/s"/><id>urn:1</id>
<updated>2025-01-21T20:00:00Z</updated><summary>Five hundred billion</summary></entry></feed>"""

GBK_RSS = (
    '<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>华夏</title>'
    "<item><title>深度求索发布R1</title><link>http://x.test/1</link></item></channel></rss>"
)


def test_rss_entries_resolve_links_clean_html_and_parse_dates() -> None:
    (entry,) = parse_feed(RSS, "https://x.test/feed.xml")
    assert entry.url == "https://x.test/news/r1?utm_source=rss"
    assert entry.title == "DeepSeek & R1"
    assert entry.summary == "First para\nSecond"
    assert entry.published is not None and entry.published.isoformat() == "2025-01-20T06:00:00+00:00"


def test_atom_and_gbk_feeds() -> None:
    (entry,) = parse_feed(ATOM, "https://x.test/")
    assert (entry.url, entry.title) == ("https://x.test/s", "Stargate")
    (zh,) = parse_feed(GBK_RSS.encode("gbk"), "http://x.test/", "application/rss+xml; charset=gbk")
    assert zh.title == "深度求索发布R1"


def test_json_feed() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {
                    "id": "1",
                    "url": "/p/1",
                    "title": "R1",
                    "content_html": "<p>Body</p>",
                    "date_published": "2025-01-27T10:00:00-05:00",
                    "authors": [{"name": "Bo"}],
                }
            ],
        }
    ).encode()
    (entry,) = parse_feed(body, "https://x.test/feed.json", "application/feed+json")
    assert (entry.url, entry.summary, entry.author) == ("https://x.test/p/1", "Body", "Bo")
    assert entry.published is not None and entry.published.hour == 15


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "malformed_feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut', "malformed_feed"),
        (b"<html><body>Hello</body></html>", "not_a_feed"),
        (b'{"not": "a feed"}', "not_a_feed"),
        (b'{"broken json', "malformed_feed"),
    ],
)
def test_unusable_feeds_raise_a_specific_reason(body: bytes, reason: str) -> None:
    with pytest.raises(CrawlFailure) as caught:
        parse_feed(body, "https://x.test/")
    assert caught.value.reason == reason


def test_news_sitemap_with_news_tags_and_an_index() -> None:
    body = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.test/a</loc>
      <news:news><news:publication><news:name>X</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-01-28T08:00:00+00:00</news:publication_date>
      <news:title>DeepSeek limits sign-ups</news:title>
      </news:news></url></urlset>"""
    entries, children = parse_sitemap(gzip.compress(body), "https://x.test/sitemap.xml.gz")
    assert children == []
    assert (entries[0].url, entries[0].title) == ("https://x.test/a", "DeepSeek limits sign-ups")
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/s1.xml</loc></sitemap></sitemapindex>'
    assert parse_sitemap(index, "https://x.test/") == ([], ["https://x.test/s1.xml"])
    with pytest.raises(CrawlFailure, match="urlset"):
        parse_sitemap(b"<html/>", "https://x.test/")


def test_sniffing_and_dates() -> None:
    assert sniff_kind(RSS) == "feed"
    assert sniff_kind(b"<?xml version='1.0'?><urlset></urlset>") == "sitemap"
    assert sniff_kind(b"<!DOCTYPE html><html></html>", "text/html") == "html"
    assert sniff_kind(b"%PDF-1.4", "application/pdf") == "other"
    assert parse_date("2025-01-20") is not None and parse_date("nonsense") is None


def _feed_files(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "feeds").rglob("*") if p.is_file())


def test_every_real_captured_feed_parses_into_entries(shared_corpus: Path) -> None:
    files = _feed_files(shared_corpus)
    assert files, "no captured feeds found"
    empty = []
    for path in files:
        entries = parse_feed(path.read_bytes(), "https://feed.example/", "")
        if not entries:
            empty.append(path.name)
        assert all(e.url.startswith("http") for e in entries), path.name
    assert not empty, f"feeds without entries: {empty}"


def test_a_reference_to_no_character_does_not_lose_the_feed() -> None:
    # A loose (not well-formed) feed with "&#8888888364;": feedparser's parser raised OverflowError.
    body = (
        b'?xml version="1.0"?><rss version="2.0"><channel><item>'
        b"<title>Harbour &#8888888364; budget &#8364;41m</title><link>https://news.example/a</link></item></channel></rss>"
    )
    [entry] = parse_feed(body, "https://news.example/")
    assert entry.title == "Harbour \ufffd budget \u20ac41m" and entry.url == "https://news.example/a"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Bad</title><link>https://[news/a</link>'
        b"</item><item><title>Good</title><link>/b</link></item></channel></rss>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": '
        b'[{"url": "https://[news/a", "title": "Bad"}, {"url": "/b", "title": "Good"}]}',
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://[news/a</loc></url><url><loc>/b</loc></url></urlset>",
    ],
)
def test_a_link_that_is_no_url_is_left_out_and_the_rest_is_read(body: bytes) -> None:
    entries = parse_sitemap(body, "https://news.example/")[0] if b"urlset" in body else None
    entries = entries if entries is not None else parse_feed(body, "https://news.example/")
    assert [e.url for e in entries] == ["https://news.example/b"]


def test_a_large_gzip_sitemap_is_told_from_its_first_bytes() -> None:
    # Sniffing decompressed only the first 4 KB as a whole gzip file: any sitemap.xml.gz compressed to
    # more than that failed as "cannot be decompressed".
    paths = (f"{n}/{n * 7919 % 100003:x}" for n in range(3000))  # varied, so that it compresses less
    urls = "".join(f"<url><loc>https://news.example/{path}</loc></url>" for path in paths)
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    body = gzip.compress(f'<?xml version="1.0"?><urlset xmlns="{namespace}">{urls}</urlset>'.encode())
    assert len(body) > 4096
    assert sniff_kind(body) == "sitemap"
    assert sniff_kind(b"\x1f\x8b not gzip at all") == "other"
