"""Readers' comments out of a page before any extractor reads it: they are never the article's body.

Comment threads are marked up in a handful of ways that CMSs and comment services share: WordPress
(`#comments`, `.comments-area`, `ol.commentlist` / `.comment-list`, `li.comment`, `#respond`), Drupal
and Blogger (`section.comments`, `article.comment`, `.comment-thread`), Disqus (`#disqus_thread`),
Facebook (`.fb-comments`), Livefyre, Commento, Chinese portals (`pinglun`), and schema.org microdata
(`itemprop="comment"`, `itemtype=.../Comment`). trafilatura's own list (with comments off) only knows
names that *start* with "comment" on a few tags; `drop_comment_sections` removes every element whose id
or class has one of these words as a whole part (`post__comments`, `c-comment-body`), except flags
that only say a post takes comments (`comments-open`, `has-comments`) and any element holding the
page's headline or its declared article body.

Pure: no I/O, no network.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

__all__ = ["comment_sections", "drop_comment_sections"]

# The elements a comment thread, a comment or its form is made of (iterated in C, then read in Python:
# an XPath over every element's attributes costs several times more).
_CONTAINERS = ("div", "section", "ol", "ul", "li", "article", "aside", "form", "footer", "dl", "details")
# A cheap first cut: ids and classes that mention any of the words at all.
_MENTIONS = re.compile("comment|disqus|respond|pinglun|livefyre|replies|dsq", re.I)
# The whole parts of an id or class that name a comment thread, a comment or its form.
_COMMENT_PART = re.compile(
    r"^(comments?|commentlist|commentslist|commentlists?|commentbox|commentarea|commentthread"
    r"|commentcontainer|commentwrapper|commentsection|commentform|disqus|disqusthread|dsq|livefyre"
    r"|commento|pinglun|replies|respond)$"
)
# Flags on a post that only say whether it takes comments; never the thread itself.
_FLAG = re.compile(
    r"(?:has|no|with|show|open|allow|enable[sd]?)[-_]?comments?|"
    r"comments?[-_]?(?:open|closed|enabled|disabled|off|on|status|count|counter|number|link|icon|meta"
    r"|bubble|button|toggle|badge)s?",
    re.I,
)
_SPLIT = re.compile(r"[\s_-]+|(?<=[a-z])(?=[A-Z])")
_KEEP_TAGS = frozenset({"html", "body", "main", "head"})


def comment_sections(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost comment threads, single comments and comment forms of a page."""
    chosen: list[HtmlElement] = []
    inside: set[HtmlElement] = set()  # the chosen ones, to skip their descendants cheaply
    for element in tree.iter(_CONTAINERS):
        get = element.get
        ident, classes = get("id"), get("class")
        mentioned = (
            (classes and _MENTIONS.search(classes))
            or (ident and _MENTIONS.search(ident))
            or get("itemprop")
            or get("itemtype")
        )
        if not mentioned or not _is_comment_markup(element):
            continue
        if any(ancestor in inside for ancestor in element.iterancestors()):
            continue
        if _holds_the_article(element):
            continue
        chosen.append(element)
        inside.add(element)
    return chosen


# Headings comment sections open with: "23 comments", "Reader comments (2)", "Leave a reply", "网友评论".
_COMMENTS_HEADING = re.compile(
    r"^(\d+\s+)?((readers?|users?)['’]?s?\s+)?(comments?|responses?|replies|reactions)(\s*\(\d+\))?\s*:?$"
    r"|^(leave|post|add|write|join)\s+(a|the)\s+(comment|reply|discussion)\b"
    r"|^(网友|读者|用户|热门|最新)?评论(\s*[（(]\d+[)）])?[:：]?$",
    re.I,
)
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "b", "strong", "th", "caption", "legend")
_SECTION_TAGS = frozenset({"table", "section", "div", "aside", "form", "ol", "ul", "dl"})


def headed_comment_sections(tree: HtmlElement) -> list[HtmlElement]:
    """Blocks that open with a comments heading, whatever their markup is named (a table of "Reader
    comments (2)" on an old site): the outermost block whose first words are that heading."""
    found = []
    for heading in tree.iter(_HEADING_TAGS):
        words = " ".join(heading.text_content().split())
        if not words or len(words) > 40 or not _COMMENTS_HEADING.match(words):
            continue
        section = None
        for ancestor in heading.iterancestors():
            if ancestor.tag not in _SECTION_TAGS and ancestor.tag not in ("tr", "td", "tbody", "li"):
                break
            if not " ".join(ancestor.text_content().split()).startswith(words):
                break
            if ancestor.tag in _SECTION_TAGS:
                section = ancestor
        if section is not None and not _holds_the_article(section):
            found.append(section)
    return found


def drop_comment_sections(tree: HtmlElement) -> int:
    """Remove the page's comment sections in place (their tails kept); how many were removed."""
    sections = comment_sections(tree)
    chosen = set(sections)
    sections += [
        s for s in headed_comment_sections(tree) if not any(a in chosen for a in (s, *s.iterancestors()))
    ]
    for element in sections:
        element.drop_tree()
    return len(sections)


def _is_comment_markup(element: HtmlElement) -> bool:
    if element.tag in _KEEP_TAGS:
        return False
    itemprop = (element.get("itemprop") or "").lower().split()
    itemtype = (element.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower()
    named = "comment" in itemprop or itemtype in ("comment", "usercomments")
    if not named:
        words = _FLAG.sub(" ", f"{element.get('id') or ''} {element.get('class') or ''}")
        named = any(_COMMENT_PART.match(part.lower()) for part in _SPLIT.split(words) if part)
    return named


def _holds_the_article(element: HtmlElement) -> bool:
    """True when the element holds the page's headline or its declared article body."""
    return bool(element.xpath(".//h1 or .//*[@itemprop='articleBody'] or self::*[@itemprop='articleBody']"))
