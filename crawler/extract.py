"""Article extraction: body text and metadata of one HTML page, never an exception.

`extract_article(html, url)` returns an `Extracted` whose `ok` says whether an article body was found;
when it is False, `reason` says why ("empty page", "not HTML (looks like a PDF)", "no article body
found", ...) and `text` is empty, so callers can fall back to a feed's summary. The body comes from
`crawler.extract_combine` (trafilatura, and the agreement of several extractors only where trafilatura's
output looks doubtful); title, author, dates, canonical URL and language from `crawler.extract_meta`.

Pure: no network, no Scrapy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from crawler.extract_combine import (
    DEFAULT_TUNING,
    EXCESS_TEXT,
    MISSING_TEXT,
    PageShape,
    Tuning,
    combine,
    doubt,
    drop_discarded_elements,
    drop_furniture,
    drop_masthead_edges,
    first_pass,
    gather_candidates,
    narrowed,
    out_of_layout_tables,
    strip_link_rows,
    token_count,
    tokens,
)
from crawler.extract_comments import drop_comment_sections
from crawler.extract_meta import (
    article_paragraphs,
    canonical_url,
    clean,
    declared_body,
    declared_lang,
    declared_site_name,
    first_meta,
    is_one_article,
    page_metadata,
    parse_datetime,
    published_time,
    short_lang,
    title_tag,
)
from crawler.judge.text import detect_lang

__all__ = [
    "Extracted",
    "body_text",
    "body_words",
    "canonical_url",
    "declared_body",
    "extract_article",
    "failed",
    "page_metadata",
    "parse_datetime",
    "published_time",
]

logger = logging.getLogger(__name__)

# Pages past this size are cut before parsing: no article needs more, and parsing is linear in size.
MAX_HTML_CHARS = 8_000_000
# Fewer body words than this (a CJK character counts as half a word) is a teaser, not an article...
MIN_BODY_WORDS = 40
# ... unless the page is one article by its own markup (og:type, a single <article>): then a short
# post of a couple of sentences is still a post.
MIN_POST_WORDS = 15

# The agreement path's cost grows with the page: a first pass longer than this (several times the
# longest news article) is kept as it is. Measured: no F1 change on either benchmark, and the one such
# page of trafilatura's evaluation set took as long in that path as forty ordinary pages.
MAX_AGREEMENT_CHARS = 50_000

# Lines with fewer words are headings, captions or headline entries rather than prose; an article
# has at least a couple of sentences of prose.
PROSE_LINE_WORDS = 10
MIN_PROSE_WORDS = 20
# A body more than this share in lines that are wholly link text is a list of headlines (a front or
# section page), unless the page declares itself an article.
MAX_LINK_SHARE = 0.5

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_LOOKS_HTML = re.compile(
    r"<\s*(html|head|body|div|p|article|section|main|title|meta|span|h[1-6]|table)\b", re.I
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Extracted:
    """What one page says about itself; `ok` False means no article body, and `reason` says why."""

    title: str
    text: str
    author: str | None
    published: datetime | None
    lang: str | None
    canonical_url: str | None
    site_name: str | None
    description: str | None
    ok: bool
    reason: str | None


def extract_article(html: str, url: str, tuning: Tuning = DEFAULT_TUNING) -> Extracted:
    """Extract the article body and metadata of `html` fetched from `url`; never raises."""
    try:
        return _extract(html, url, tuning)
    except Exception as error:  # the contract is "never raise": report what broke instead
        logger.warning("extraction failed on %s: %r", url, error)
        return failed(f"extraction failed: {type(error).__name__}: {error}")


def failed(reason: str, title: str = "") -> Extracted:
    """An `Extracted` for a page without an article body."""
    return Extracted(title, "", None, None, None, None, None, None, ok=False, reason=reason)


def _extract(html: str, url: str, tuning: Tuning) -> Extracted:
    problem = _input_problem(html)
    if problem:
        return failed(problem)
    tree = _parse(html)
    if tree is None:
        return failed("not HTML: the page could not be parsed")
    meta = page_metadata(tree)
    title = clean(meta.title) or first_meta(tree, "og:title") or title_tag(tree)
    hint = declared_lang(tree)
    # What the page declares is read before the body's extraction removes parts of the page.
    fields: dict[str, Any] = {
        "title": title or "",
        "author": clean(meta.author),
        "published": published_time(tree, url),
        "canonical_url": canonical_url(tree, url),
        "site_name": declared_site_name(clean(meta.sitename), url),
        "description": clean(meta.description),
    }
    declared = declared_body(tree)
    drop_comment_sections(tree)  # readers' comments are never the body, whichever extractor reads it
    shape = PageShape.of(tree)
    drop_discarded_elements(tree)
    text = _prefer_declared(body_text(tree, url or None, title or "", tuning, shape), declared)
    one_article = body_words(text) < MIN_BODY_WORDS and is_one_article(tree)
    if one_article:
        # Too short for the extractors to tell apart from furniture (trafilatura falls back to the whole
        # page's text): the paragraphs of the page's one article are the post.
        markup = article_paragraphs(tree)
        text = markup if body_words(markup) >= MIN_POST_WORDS else text
    fields["lang"] = detect_lang(text, hint) if text else short_lang(hint)
    reason = _not_an_article(text, shape, lambda: one_article or is_one_article(tree))
    if reason:
        return Extracted(text="", ok=False, reason=reason, **fields)
    return Extracted(text=text, ok=True, reason=None, **fields)


def body_text(
    tree: HtmlElement,
    url: str | None,
    title: str,
    tuning: Tuning = DEFAULT_TUNING,
    shape: PageShape | None = None,
) -> str:
    """The article body: trafilatura's, or the extractors' agreement where trafilatura's is doubtful."""
    tree, first = out_of_layout_tables(tree, url, first_pass(tree, url), tuning)
    shape = shape or PageShape.of(tree)
    text = strip_link_rows(drop_masthead_edges(drop_furniture(first, title, tuning), tree), shape)
    verdict = doubt(text, shape, tuning)
    if verdict is None or len(first) > MAX_AGREEMENT_CHARS:
        return text
    if verdict in EXCESS_TEXT:
        return narrowed(tree, url, first, title, tuning)
    found = gather_candidates(tree, url, balanced=first, completion=verdict in MISSING_TEXT)
    agreed = strip_link_rows(combine(found, title, tuning), shape)
    # The agreement path refines a body; it must not turn a short real post into "no article".
    if body_words(agreed) < min(MIN_BODY_WORDS, body_words(text)):
        return text
    return agreed


def _not_an_article(text: str, shape: PageShape, one_article: Callable[[], bool]) -> str | None:
    """Why the extracted text is no article body (too short, a list of links, no prose), or None.

    `one_article()`: the page's markup says it is one article, so a short post or a post of links is
    one (asked only of pages that would fail otherwise).
    """
    words = body_words(text)
    if words == 0:
        return "no article body found"
    if words < MIN_BODY_WORDS and (words < MIN_POST_WORDS or not one_article()):
        return f"no article body found (only {words} words)"
    # Front pages and section pages yield lists of headlines: link text, in short lines, no prose.
    prose = sum(n for line in text.splitlines() if (n := body_words(line)) >= PROSE_LINE_WORDS)
    if prose < MIN_PROSE_WORDS and (prose < PROSE_LINE_WORDS or not one_article()):
        return f"no article body found (no prose: {prose} of {words} words in sentences)"
    linked = link_line_share(text, shape)
    if linked > MAX_LINK_SHARE and not one_article():
        return f"no article body found (a list of links: {linked:.0%} of the text is in link lines)"
    return None


def link_line_share(text: str, shape: PageShape) -> float:
    """Share of the text's characters in lines that are wholly the text of some link on the page.

    A headline list is made of such lines; a post that links words inside its sentences is not.
    """
    lines = [" ".join(line.split()) for line in text.splitlines()]
    total = sum(map(len, lines))
    return sum(len(line) for line in lines if _headline(line, shape)) / total if total else 0.0


def _headline(line: str, shape: PageShape) -> bool:
    """A line that is wholly some link's text and not a sentence (headlines end without a full stop)."""
    return line in shape.link_texts and not (
        body_words(line) >= PROSE_LINE_WORDS and line.endswith((".", "。", "!", "！"))
    )


def _input_problem(html: object) -> str | None:
    """Why `html` is not an HTML page worth parsing, or None."""
    if not isinstance(html, str):
        return f"not HTML: got {type(html).__name__}, expected decoded text"
    head = html[:4096].lstrip()
    if not head:
        return "empty page"
    if head.startswith("%PDF-"):
        return "not HTML (looks like a PDF)"
    if "\x00" in head:
        return "not HTML (binary content)"
    if head[:1] in "{[" and not _LOOKS_HTML.search(head):
        return "not HTML (looks like JSON)"
    if not _LOOKS_HTML.search(html[:200_000]):
        return "not HTML: no HTML elements found"
    return None


def _parse(html: str) -> HtmlElement | None:
    text = _CONTROL.sub("", _XML_DECLARATION.sub("", html[:MAX_HTML_CHARS], count=1))
    tree = load_html(text)
    return tree if isinstance(tree, HtmlElement) else None


def body_words(text: str) -> int:
    """Length of a text in words, a CJK character counting as half a word."""
    total, cjk = token_count(text)
    return total - cjk + cjk // 2


def _prefer_declared(text: str, declared: str) -> str:
    """The body the publisher declares when the extractors found none, or the same words in fewer lines."""
    if not declared:
        return text
    if body_words(text) < MIN_BODY_WORDS:
        return declared
    same_words = tokens(text) == tokens(declared)
    return declared if same_words and declared.count("\n") > text.count("\n") else text
