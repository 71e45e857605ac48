"""Reading feeds and sitemaps into entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed,
news sitemaps and sitemap indexes. Pure functions over bytes; failures raise `CrawlFailure`."""

from __future__ import annotations

import calendar
import gzip
import io
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.datetimes
import lxml.etree
from w3lib.html import remove_tags, replace_entities

from crawler.failures import CrawlFailure

MAX_DECOMPRESSED = 50 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """A link to an article, as a feed, sitemap or listing page announces it."""

    url: str
    title: str = ""
    summary: str = ""
    published: datetime | None = None
    author: str | None = None
    outlet: str | None = None  # the publisher a news-search feed names (RSS <source>)


def _clean(html_text: str | None) -> str:
    if not html_text:
        return ""
    text = remove_tags(html_text.replace("</p>", "</p>\n").replace("<br", "\n<br"))
    return "\n".join(line.strip() for line in replace_entities(text).splitlines() if line.strip())


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_date(value: str | None) -> datetime | None:
    """A date in any of the forms feeds and sitemaps use (RFC 822, ISO 8601, ...), in UTC."""
    if not value:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        pass
    return _struct_time(feedparser.datetimes._parse_date(text))  # feedparser's date parser is the robust one


def looks_like_json(body: bytes) -> bool:
    """Whether a body is JSON rather than XML or HTML."""
    return body.lstrip()[:1] in (b"{", b"[")


def parse_json_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of a JSON Feed (https://jsonfeed.org/version/1.1), which feedparser does not read."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CrawlFailure("malformed_feed", f"the JSON feed is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping) or "jsonfeed.org" not in str(data.get("version", "")):
        raise CrawlFailure("not_a_feed", "JSON, but not a JSON Feed (no jsonfeed.org version)")
    entries = []
    for item in data.get("items") or []:
        if not isinstance(item, Mapping):
            continue
        link = item.get("url") or item.get("external_url") or item.get("id")
        url = absolute_url(base_url, link) if isinstance(link, str) and link.strip() else None
        if url is None:
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = next((a.get("name") for a in authors if isinstance(a, Mapping) and a.get("name")), None)
        entries.append(
            Entry(
                url=url,
                title=_clean(str(item.get("title") or "")),
                summary=_clean(
                    str(item.get("content_html") or item.get("content_text") or item.get("summary") or "")
                ),
                published=parse_date(item.get("date_published") or item.get("date_modified")),
                author=author,
            )
        )
    return entries


def absolute_url(base_url: str, link: str) -> str | None:
    """`link` made absolute against `base_url`; None when it is no URL at all (a host such as
    "https://[news" makes `urljoin` raise): the entry is left out, the rest of the source is read."""
    try:
        return urljoin(base_url, link.strip())
    except ValueError:
        return None


# A numeric character reference to no Unicode character ("&#8888888364;"): feedparser's loose parser calls
# chr() on it and raises OverflowError. Such a reference becomes U+FFFD, as an HTML parser reads it.
_BEYOND_UNICODE = re.compile(rb"&#(?:0*\d{7,}|[xX]0*[0-9a-fA-F]{6,});")


def _replacement_ref(match: re.Match[bytes]) -> bytes:
    text = match.group()[2:-1]
    value = int(text[1:], 16) if text[:1] in (b"x", b"X") else int(text)
    return b"&#xFFFD;" if value > 0x10FFFF else match.group()


def parse_feed(body: bytes, base_url: str, content_type: str = "") -> list[Entry]:
    """Entries of an RSS, Atom or JSON feed; a body no feed reader can use raises CrawlFailure."""
    if not body.strip():
        raise CrawlFailure("malformed_feed", "the feed is empty")
    if looks_like_json(body) or "json" in content_type.lower():
        return parse_json_feed(body, base_url)
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(
            _BEYOND_UNICODE.sub(_replacement_ref, body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (UnicodeError, ValueError, LookupError) as exc:  # feedparser trips on a garbled encoding name
        raise CrawlFailure("malformed_feed", f"the feed's declared encoding cannot be used: {exc}") from None
    except (OverflowError, RecursionError) as exc:  # its loose parser on what no feed should hold
        raise CrawlFailure(
            "malformed_feed", f"the feed cannot be read: {type(exc).__name__}: {exc}"
        ) from None
    entries = []
    for item in parsed.entries:
        link = (
            item.get("link")
            or next((lnk.get("href") for lnk in item.get("links", []) if lnk.get("href")), None)
            or (item.get("id") if str(item.get("id", "")).startswith("http") else None)
        )
        url = absolute_url(base_url, str(link)) if link else None
        if url is None:
            continue
        content = item.get("content") or []
        summary = content[0].get("value") if content else item.get("summary", "")
        origin = item.get("source") or {}
        entries.append(
            Entry(
                url=url,
                title=_clean(item.get("title", "")),
                summary=_clean(
                    summary
                    if len(_clean(summary)) > len(_clean(item.get("summary", "")))
                    else item.get("summary", "")
                ),
                published=_struct_time(item.get("published_parsed") or item.get("updated_parsed")),
                author=item.get("author") or None,
                outlet=(origin.get("title") or "").strip() or None if isinstance(origin, Mapping) else None,
            )
        )
    if entries:
        return entries
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    head = body.lstrip()[:300].lower()
    looks_xml = head.startswith(b"<?xml") or any(tag in head for tag in (b"<rss", b"<feed", b"<rdf"))
    if problem is not None and looks_xml:
        raise CrawlFailure("malformed_feed", f"the feed is not well-formed XML and has no entries: {problem}")
    if not parsed.get("version"):
        raise CrawlFailure("not_a_feed", "no RSS, Atom or JSON feed in the response")
    return []


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(element: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if name and name not in found:
            found[name] = child
    return found


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def maybe_gunzip(body: bytes) -> bytes:
    """The body, decompressed when it is a gzip file (sitemap.xml.gz)."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            data = handle.read(MAX_DECOMPRESSED + 1)
    except (OSError, EOFError) as exc:
        raise CrawlFailure("malformed_sitemap", f"the gzip sitemap cannot be decompressed: {exc}") from None
    if len(data) > MAX_DECOMPRESSED:
        raise CrawlFailure("too_large", "the decompressed sitemap is larger than 50 MB")
    return data


def parse_sitemap(body: bytes, base_url: str) -> tuple[list[Entry], list[str]]:
    """(article entries, child sitemap URLs) of a sitemap or sitemap index, news tags included."""
    body = maybe_gunzip(body)
    try:
        root = lxml.etree.fromstring(
            body,
            parser=lxml.etree.XMLParser(
                recover=True, resolve_entities=False, no_network=True, huge_tree=False
            ),
        )
    except lxml.etree.XMLSyntaxError as exc:
        raise CrawlFailure("malformed_sitemap", f"the sitemap is not XML: {exc}") from None
    try:
        return _sitemap_links(root, base_url)
    except UnicodeDecodeError as exc:  # a tag or namespace holding a lone surrogate ("&#xD800;")
        raise CrawlFailure("malformed_sitemap", f"the sitemap's tag names cannot be read: {exc}") from None


def _sitemap_links(root: Any, base_url: str) -> tuple[list[Entry], list[str]]:
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise CrawlFailure("malformed_sitemap", "no <urlset> or <sitemapindex> in the response")
    entries: list[Entry] = []
    children: list[str] = []
    for node in root:
        parts = _children(node)
        loc = _text(parts.get("loc"))
        url = absolute_url(base_url, loc) if loc else None
        if url is None:
            continue
        if _local(node.tag) == "sitemap":
            children.append(url)
            continue
        news = _children(parts["news"]) if "news" in parts else {}
        entries.append(
            Entry(
                url=url,
                title=_text(news.get("title")),
                published=parse_date(_text(news.get("publication_date")) or _text(parts.get("lastmod"))),
            )
        )
    return entries, children


def _gunzip_head(body: bytes) -> bytes:
    """The first 4 KB a gzip body decompresses to, read from its start alone (a whole sitemap.xml.gz need
    not be decompressed to tell what it is); nothing when it is no gzip stream."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body[:4096], 4096)
    except zlib.error:
        return b""


def sniff_kind(body: bytes, content_type: str = "") -> str:
    """What a response holds: "feed", "sitemap", "html" or "other", from its type and first bytes."""
    head = _gunzip_head(body) if body[:2] == b"\x1f\x8b" else body[:4096]
    lowered = head.lstrip().lower()
    ctype = content_type.lower()
    if b"<urlset" in lowered or b"<sitemapindex" in lowered:
        return "sitemap"
    if b"<rss" in lowered or b"<feed" in lowered or b"<rdf:rdf" in lowered or b"purl.org/rss" in lowered:
        return "feed"
    if looks_like_json(head) and b"jsonfeed.org" in lowered:
        return "feed"
    if "html" in ctype or lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:1024]:
        return "html"
    if any(t in ctype for t in ("rss", "atom", "xml")):
        return "feed"
    return "other"
