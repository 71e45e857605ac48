"""What a page says about itself besides its body: title, author, site name, dates, canonical link, language.

Title, author, site name and description as trafilatura reads them from meta tags, JSON-LD and markup
(without the date, category, tag and licence searches of its `extract_metadata`, which cost more than
extracting the body); the publication time, canonical URL and language from the page's own declarations,
read here because trafilatura keeps only the day and not the canonical link.

Pure: no network, no Scrapy.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import examine_meta, extract_meta_json, extract_sitename, extract_title
from trafilatura.settings import Document as TrafilaturaDocument
from trafilatura.utils import trim

logger = logging.getLogger(__name__)

_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
)


def page_metadata(tree: HtmlElement) -> TrafilaturaDocument:
    """Title, author, site name and description as trafilatura reads them (meta tags, JSON-LD, markup).

    trafilatura's own `extract_metadata` also searches the page for a date, categories, tags and a
    licence, which cost more than the body's extraction and which we do not use.
    """
    meta = examine_meta(tree)
    if (
        meta.author and " " not in meta.author
    ):  # a one-word "author" is a handle or a site, as trafilatura has it
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as error:  # trafilatura's JSON-LD reader has had bugs; the meta tags still count
        logger.debug("JSON-LD metadata unreadable: %r", error)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or byline_author(tree)
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    return meta


# Where trafilatura's author search does not look (it prunes a copy of the page; we skip these instead).
_NOT_A_BYLINE = re.compile(
    r"^comments|comment-?list|ProductReviews|^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote"
    r"|embedly-instagram|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


_NOT_A_BYLINE_TAGS = frozenset({"time", "figure"})


_BYLINE_TAGS_1 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})


_BYLINE_CLASS_1 = re.compile(r"author-?name|AuthorName|authorName")


_BYLINE_TAGS_2 = frozenset({"a", "div", "h3", "h4", "p", "span"})


_BYLINE_ID_2 = re.compile(r"author|zuozhe|bianji|xiaobian")


_BYLINE_CLASS_2 = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)


_BYLINE_ID_3 = re.compile(r"[Aa]uthor")


_BYLINE_CLASS_3 = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def byline_author(tree: HtmlElement) -> str | None:
    """The author named in the page's byline markup, found as trafilatura's `extract_author` finds it.

    Same three tiers of markup as trafilatura's AUTHOR_XPATHS, in one pass over the elements: its
    XPath regexes call back into Python for every element and it deep-copies the page to prune
    comments and sidebars first, together costing more than the body's extraction.
    """
    tiers: list[list[HtmlElement]] = [[], [], []]
    for element in tree.iter():
        tier = _byline_tier(element) if isinstance(element.tag, str) else None
        if tier is not None:
            tiers[tier].append(element)
    for element in (e for tier in tiers for e in tier):
        if any(_not_a_byline(e) for e in (element, *element.iterancestors())):
            continue
        content = trim(" ".join(_byline_text(element)))
        if content and 2 < len(content) < 120:
            return normalize_authors(None, content)
    return None


def _byline_tier(element: HtmlElement) -> int | None:
    """0, 1 or 2 for trafilatura's specific, generic and last-resort author markup; None otherwise."""
    tag, classes, ident = element.tag, element.get("class") or "", element.get("id") or ""
    itemprop = element.get("itemprop") or ""
    if tag == "author" or (
        tag in _BYLINE_TAGS_1
        and (
            element.get("rel") == "author"
            or "author" in (ident, classes)
            or itemprop == "author name"
            or element.get("data-testid") in ("AuthorCard", "AuthorURL")
            or _BYLINE_CLASS_1.search(classes)
        )
    ):
        return 0
    if tag in _BYLINE_TAGS_2 and (
        classes in ("byline", "username", "byl", "BBL")
        or "author" in itemprop
        or _BYLINE_ID_2.search(ident)
        or _BYLINE_CLASS_2.search(classes)
    ):
        return 1
    if (
        "Byline" in (element.get("data-component") or "")
        or "author" in itemprop
        or _BYLINE_ID_3.search(ident)
        or _BYLINE_CLASS_3.search(classes)
    ):
        return 2
    return None


def _not_a_byline(element: HtmlElement) -> bool:
    if element.tag in _NOT_A_BYLINE_TAGS or element.get("data-component", "").find("Figure") >= 0:
        return True
    if element.tag not in ("a", "div", "section", "span"):
        return False
    ident, classes = element.get("id", ""), element.get("class", "")
    return (
        ident == "comments"
        or classes in ("comments", "title", "date")
        or bool(_NOT_A_BYLINE.search(ident) or _NOT_A_BYLINE.search(classes))
    )


def _byline_text(element: HtmlElement) -> Iterator[str]:
    """The text of a byline element without the parts trafilatura would have pruned."""
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and not _not_a_byline(child):
            yield from _byline_text(child)
        if child.tail:
            yield child.tail


_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|Posting)$")


def declares_article(tree: HtmlElement) -> bool:
    """True when the page says it is one article (og:type "article", or a JSON-LD article type)."""
    if (first_meta(tree, "og:type") or "").strip().lower() == "article":
        return True
    types = [t for data in _json_ld(tree) for t in _json_values(data, "@type")]
    return any(_ARTICLE_TYPES.search(t) for t in types)


_ONE_ARTICLE_MARKUP = XPath(
    "count(//article[not(ancestor::article)]) = 1 or count(//*[@itemprop='articleBody']) = 1 or "
    "count(//*[@itemtype][re:test(@itemtype, '(Article|BlogPosting|Report|Posting)/?$')]) = 1",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)


def is_one_article(tree: HtmlElement) -> bool:
    """True when the page is one article: it declares so, or its markup holds exactly one `<article>`,
    one declared article body or one article item (a front page lists many)."""
    return declares_article(tree) or bool(_ONE_ARTICLE_MARKUP(tree))


_ARTICLE_CONTAINER = XPath("//*[@itemprop='articleBody'] | //article[not(ancestor::article)]")
_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd")
_NOT_THE_TEXT = frozenset({"header", "footer", "nav", "aside", "figure", "form", "script", "style"})


def article_paragraphs(tree: HtmlElement) -> str:
    """The paragraphs of the one article the page's markup holds (its declared article body, else its
    only `<article>`), one per line, without the article's header, footer and figures; or ""."""
    containers = _ARTICLE_CONTAINER(tree)
    declared = [c for c in containers if c.get("itemprop") == "articleBody"]
    container = declared[0] if len(declared) == 1 else containers[0] if len(containers) == 1 else None
    if container is None:
        return ""
    lines = []
    for block in container.iter(_BLOCKS):
        if any(isinstance(d.tag, str) and d.tag in _BLOCKS for d in block.iterdescendants()):
            continue  # the innermost blocks only: a list item's paragraphs, not the item twice
        ancestors = block.iterancestors()
        if any(a.tag in _NOT_THE_TEXT for a in itertools.takewhile(lambda a: a is not container, ancestors)):
            continue
        text = " ".join(block.text_content().split())
        if text:
            lines.append(text)
    return "\n".join(lines)


def declared_site_name(name: str | None, url: str) -> str | None:
    """The site name a page declares; None where trafilatura fell back to the host name."""
    parts = urlsplit(url or "")
    hosts = {(parts.hostname or "").removeprefix("www."), parts.netloc.lower().removeprefix("www.")}
    if not name or name.lower().removeprefix("www.") in hosts:
        return None
    return name


def clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _meta_values(tree: HtmlElement) -> Iterator[tuple[str, str]]:
    """(name, content) of every <meta> with a name, property or itemprop, names lower-cased."""
    for meta in tree.iter("meta"):
        content = meta.get("content") or meta.get("datetime")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            name = meta.get(attribute)
            if name:
                yield name.strip().lower(), content.strip()


def first_meta(tree: HtmlElement, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    return next((content for name, content in _meta_values(tree) if name in wanted), None)


def title_tag(tree: HtmlElement) -> str | None:
    node = tree.find(".//title")
    return clean(node.text_content()) if node is not None else None


def canonical_url(tree: HtmlElement, url: str) -> str | None:
    """The page's declared canonical URL (rel=canonical, else og:url), absolute, or None."""
    candidates: list[str] = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        if "canonical" in rels and link.get("href"):
            candidates.append(link.get("href", ""))
    og = first_meta(tree, "og:url")
    if og:
        candidates.append(og)
    for href in candidates:
        absolute = urljoin(url or "", href.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return None


def declared_lang(tree: HtmlElement) -> str | None:
    root = tree.getroottree().getroot()
    declared = (
        root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    declared = declared or first_meta(tree, "content-language", "og:locale", "language", "dc.language")
    return clean(declared)


def short_lang(declared: str | None) -> str | None:
    if not declared:
        return None
    code = declared.replace("_", "-").split("-")[0].strip().lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def published_time(tree: HtmlElement, url: str = "") -> datetime | None:
    """When the page says it was published, timezone-aware (naive times are taken as UTC).

    Declarations first (JSON-LD, meta tags, <time pubdate>); failing those, the day htmldate finds in
    the URL or the markup (its quick search: the extensive one reads every text node of the page).
    """
    for value in _declared_dates(tree):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed
    try:
        day = find_date(tree, extensive_search=False, url=url or None)
    except Exception as error:  # htmldate must not take the page down
        logger.debug("htmldate failed on %s: %r", url, error)
        return None
    return parse_datetime(day) if day else None


def _json_ld(tree: HtmlElement) -> Iterator[object]:
    """The parsed JSON-LD blocks of a page (broken ones skipped)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower().strip() == "application/ld+json" and script.text:
            try:
                yield json.loads(script.text, strict=False)
            except ValueError:
                continue


def declared_body(tree: HtmlElement) -> str:
    """The longest `articleBody` the page declares in JSON-LD, one paragraph per line, or ""."""
    bodies = [body for data in _json_ld(tree) for body in _json_values(data, "articleBody")]
    if not bodies:
        return ""
    text = max(bodies, key=len)
    if "<" in text:  # some publishers put HTML in it
        text = str(lxml.html.fromstring(text).text_content())
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _declared_dates(tree: HtmlElement) -> Iterator[str]:
    """Publication dates the page declares, most trustworthy first: JSON-LD, meta tags, <time>."""
    for data in _json_ld(tree):
        yield from _json_values(data, "datePublished")
    metas = dict(reversed(list(_meta_values(tree))))
    yield from (metas[name] for name in _PUBLISHED_META if name in metas)
    for time in tree.iter("time"):
        if time.get("datetime") and (
            time.get("pubdate") is not None or time.get("itemprop") == "datePublished"
        ):
            yield time.get("datetime", "")


def _json_values(data: object, key: str) -> Iterator[str]:
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _json_values(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from _json_values(item, key)


def parse_datetime(value: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 date/time as an aware datetime (naive taken as UTC), or None."""
    value = value.strip()
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(
            value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value
        )
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
